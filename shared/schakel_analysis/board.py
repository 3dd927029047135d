"""The analysis of one board: every measure, every suggestion, as one typed result.

``analyse_board(objects)`` takes a board's visible objects and returns a
:class:`BoardAnalysis`; ``to_dict()`` gives it as plain JSON-ready data (lists, dicts,
strings, numbers, None), the form the HTTP API, the clients and the exports read.
Nothing here does I/O; the hub runs it off its event loop and caches it per board version.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .brokerage import GF_ROLES, constraint_and_effective_size, gould_fernandez
from .graph import MapGraph, Objects, build
from .paths import MAX_PATH_ACTORS, Paths, components, shortest_paths
from .players import (
    Suggestion,
    brandsma,
    important_actors,
    mover_scores,
    movers,
    only_ways,
    pushers_and_volgers,
    role_questions,
    schakels,
    suggestion,
)
from .polarisation import EXACT_MAX_ACTORS, balance, best_split, communities, ei_index, score
from .texts import GAME_CHANGERS, Text, render
from .whatif import cut_points_and_bridges, fragile_links, removals

ANALYSIS_VERSION = 1
MAX_FRAGILE_SUGGESTIONS = 3
MAX_WHATIF_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class ActorFigures:
    id: str
    label: str
    stance: str
    influence: int | None
    roles: list[str]
    ties: int
    important: bool
    betweenness: float | None
    to_important: float | None  # betweenness on shortest paths to the important actors
    reach2: float | None
    constraint: float | None
    effective_size: float | None
    brokerage: dict[str, int]
    mover_score: float | None
    community: int | None
    camp: int | None


@dataclass(frozen=True, slots=True)
class FragileLink:
    source: str
    target: str
    relations: list[str]
    bridge: bool
    span: int | None
    sides: list[int]


@dataclass(frozen=True, slots=True)
class WhatIf:
    actor: str
    poles_cut: bool
    lost: dict[str, list[str]]  # important actor id -> actor ids that lose their way to it
    parts_after: int


@dataclass(frozen=True, slots=True)
class Polarisation:
    score: int | None
    closure: float | None
    hostility: float | None
    distance: float | None
    no_score_reason: str
    ei_index: float | None
    triangles: int
    balanced_triangles: int
    balanced_share: float | None
    camps: dict[str, int]  # actor id -> 0 (pole A's side) or 1
    frustration: int
    frustrated_relations: list[str]
    split_exact: bool
    communities: list[list[str]]
    poles_match_communities: bool | None


@dataclass(frozen=True, slots=True)
class Headline:
    """The figures of a board that the console shows and the report follows over time."""

    actors: int
    relations: int
    score: int | None
    ei_index: float | None
    balanced_share: float | None
    frustration: int
    communities: int
    schakels: int
    movers: int
    fragile: int


@dataclass(frozen=True, slots=True)
class GameChanger:
    id: str
    text: Text
    fits: list[str]  # the suggestion kinds on this board it fits


@dataclass(frozen=True, slots=True)
class BoardAnalysis:
    version: int
    headline: Headline
    important: list[str]
    actors: list[ActorFigures]
    suggestions: list[Suggestion]
    fragile: list[FragileLink]
    whatif: list[WhatIf]
    polarisation: Polarisation
    game_changers: list[GameChanger]
    meta: dict[str, str]
    limits: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = plain(self)
        return out


_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """A result as plain JSON-ready data; like ``dataclasses.asdict`` but without its deep
    copies of every leaf (a fifth of the analysis time on a large map)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    names = _FIELDS.get(type(value))
    if names is None:
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return {name: plain(getattr(value, name)) for name in names}


def _poles_match(g: MapGraph, comms: list[list[int]]) -> bool | None:
    """Do pole A and pole B each sit mostly in a community of their own?"""
    a, b = set(g.pole("pole_a")), set(g.pole("pole_b"))
    if not a or not b:
        return None
    of = {v: k for k, c in enumerate(comms) for v in c}

    def home(pole: set[int]) -> tuple[int, float]:
        counts: dict[int, int] = {}
        for v in pole:
            counts[of[v]] = counts.get(of[v], 0) + 1
        k, c = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))
        return k, c / len(pole)

    (ka, sa), (kb, sb) = home(a), home(b)
    return ka != kb and sa > 0.5 and sb > 0.5


def _group_of(g: MapGraph) -> list[str]:
    return [g.actor(i).stance for i in range(g.n)]


def analyse_board(objects: Objects, *, who: Text | None = None) -> BoardAnalysis:
    """Analyse a board's visible objects. ``who`` names the board's people in questions
    ("Groep 2 marked X as pusher"); default "the group"."""
    g = build(objects)
    targets = important_actors(g)
    paths: Paths | None = shortest_paths(g, targets)
    constraint, effective = constraint_and_effective_size(g)
    brokerage = gould_fernandez(g.out, _group_of(g))
    comms = communities(g)
    community_of = {v: k for k, c in enumerate(comms) for v in c}
    split = best_split(g)
    bal = balance(g)
    ei = ei_index(g)
    sc = score(g, ei)
    points, bridges = cut_points_and_bridges(g)
    changes = removals(g, points, targets)
    lost_by_cut = {r.actor: r.lost for r in changes}
    fragile = fragile_links(g, bridges)
    m_scores = mover_scores(g, paths)

    suggestions: list[Suggestion] = []
    if paths is not None and targets:
        suggestions += schakels(g, paths, targets)
    only = only_ways(g, points, targets, lost_by_cut)
    suggestions += [s for s in only if s.actors[0] not in {x.actors[0] for x in suggestions}]
    suggestions += pushers_and_volgers(g)
    suggestions += movers(g, paths)
    roles, structural = brandsma(g)
    suggestions += roles
    gatekeepers = {r.actor for r in changes if r.lost}
    suggestions += role_questions(g, structural, paths, targets, gatekeepers, who)
    suggestions += _fragile_suggestions(g, fragile)
    suggestions += _whatif_suggestions(g, changes)
    suggestions += _camp_suggestions(g, split.frustrated, split.camp, comms, sc.value)
    suggestions += _hints(g, targets)

    kinds = {s.kind for s in suggestions}
    game_changers = [
        GameChanger(gid, text, sorted(k for k in kinds if gid in _fits(k)))
        for gid, text in GAME_CHANGERS.items()
    ]
    actors = [
        ActorFigures(
            id=g.ids[i],
            label=g.actor(i).label,
            stance=g.actor(i).stance,
            influence=g.actor(i).influence,
            roles=sorted(g.actor(i).roles),
            ties=len(g.adj[i]),
            important=i in targets,
            betweenness=None if paths is None else paths.betweenness[i],
            to_important=None if paths is None or not targets else paths.to_targets[i],
            reach2=None if paths is None else paths.reach2[i],
            constraint=constraint[i],
            effective_size=effective[i],
            brokerage={r: brokerage[i][r] for r in GF_ROLES},
            mover_score=m_scores[i],
            community=community_of.get(i),
            camp=split.camp[i],
        )
        for i in range(g.n)
    ]
    polarisation = Polarisation(
        score=sc.value,
        closure=sc.closure,
        hostility=sc.hostility,
        distance=sc.distance,
        no_score_reason=sc.reason,
        ei_index=ei,
        triangles=bal.triangles,
        balanced_triangles=bal.balanced,
        balanced_share=bal.share,
        camps={g.ids[i]: c for i, c in enumerate(split.camp) if c is not None},
        frustration=len(split.frustrated),
        frustrated_relations=[r for i, j in split.frustrated for r in g.pair_relations[(i, j)]],
        split_exact=split.exact,
        communities=[[g.ids[v] for v in c] for c in comms],
        poles_match_communities=_poles_match(g, comms),
    )
    fragile_out = [
        FragileLink(
            g.ids[f.u], g.ids[f.v], g.pair_relations[(f.u, f.v)], f.bridge, f.span, list(f.sides)
        )
        for f in fragile
    ]
    headline = Headline(
        actors=g.n,
        relations=len(g.relations) + g.self_relations,
        score=sc.value,
        ei_index=ei,
        balanced_share=bal.share,
        frustration=len(split.frustrated),
        communities=sum(1 for c in comms if len(c) > 1),
        schakels=len({s.actors[0] for s in suggestions if s.kind in ("schakel", "only_way")}),
        movers=sum(1 for s in suggestions if s.kind == "mover"),
        fragile=len(fragile_out),
    )
    limits: dict[str, Any] = {
        "max_path_actors": MAX_PATH_ACTORS,
        "exact_split_max_actors": EXACT_MAX_ACTORS,
        "paths_computed": paths is not None,
        "parts": len(components(g)),
        "self_relations": g.self_relations,
    }
    return BoardAnalysis(
        version=ANALYSIS_VERSION,
        headline=headline,
        important=[g.ids[t] for t in targets],
        actors=actors,
        suggestions=suggestions,
        fragile=fragile_out,
        whatif=[
            WhatIf(
                g.ids[r.actor],
                r.poles_cut,
                {g.ids[t]: [g.ids[a] for a in lost] for t, lost in r.lost.items()},
                r.parts_after,
            )
            for r in changes
        ],
        polarisation=polarisation,
        game_changers=game_changers,
        meta=dict(g.meta),
        limits=limits,
    )


def _fits(kind: str) -> tuple[str, ...]:
    from .players import FITS

    return FITS.get(kind, ())


def _fragile_suggestions(g: MapGraph, fragile: list[Any]) -> list[Suggestion]:
    out = []
    for f in fragile[:MAX_FRAGILE_SUGGESTIONS]:
        x, y = g.actor(f.u).name, g.actor(f.v).name
        rel = g.pair_relations[(f.u, f.v)]
        if f.bridge:
            count = {"nl": "{} actoren", "en": "{} actors"}
            side_x = {k: v.format(f.sides[0]) for k, v in count.items()}
            side_y = {k: v.format(f.sides[1]) for k, v in count.items()}
            text = render("fragile_bridge", x=x, y=y, side_x=side_x, side_y=side_y)
        else:
            span = {"nl": f"meer dan {f.span or 6}", "en": f"more than {f.span or 6}"}
            text = render("fragile_span", x=x, y=y, span=f.span if f.span is not None else span)
        out.append(suggestion("fragile_link", [g.ids[f.u], g.ids[f.v]], text, rel))
    return out


def _whatif_suggestions(g: MapGraph, changes: list[Any]) -> list[Suggestion]:
    out = []
    for r in changes[:MAX_WHATIF_SUGGESTIONS]:
        x = g.actor(r.actor).name
        if r.poles_cut:
            text = render("whatif_poles", x=x)
            out.append(suggestion("whatif", [g.ids[r.actor]], text))
        elif r.lost:
            targets = sorted(r.lost)
            lost = sorted({a for t in targets for a in r.lost[t]})
            text = render(
                "whatif_access",
                x=x,
                lost=[g.actor(a).name for a in lost],
                targets=[g.actor(t).name for t in targets],
            )
            out.append(suggestion("whatif", [g.ids[r.actor]], text))
    return out


def _camp_suggestions(
    g: MapGraph,
    frustrated: list[tuple[int, int]],
    camp: list[int | None],
    comms: list[list[int]],
    score_value: int | None,
) -> list[Suggestion]:
    out = []
    placed = [i for i, c in enumerate(camp) if c is not None]
    both = {camp[i] for i in placed} == {0, 1}
    negatives = sum(1 for i, j in g.ties() if g.tie_sign(i, j) < 0)
    if both and negatives:
        rels = [r for i, j in frustrated for r in g.pair_relations[(i, j)]]
        f = len(frustrated)
        misfits = {
            "nl": "alle relaties passen"
            if f == 0
            else "1 relatie past niet"
            if f == 1
            else f"{f} relaties passen niet",
            "en": "every tie fits"
            if f == 0
            else "1 tie does not fit"
            if f == 1
            else f"{f} ties do not fit",
        }
        text = render("camps", frustration=misfits)
        out.append(suggestion("camps", [g.ids[i] for i in placed], text, rels))
    if _poles_match(g, comms) is False and score_value is not None:
        of = {v: k for k, c in enumerate(comms) for v in c}
        a, b = g.pole("pole_a"), g.pole("pole_b")
        mixed = sorted(
            (i for i in a if of[i] in {of[j] for j in b}),
            key=lambda i: g.ids[i],
        )
        mixed_b = sorted((j for j in b if of[j] in {of[i] for i in a}), key=lambda i: g.ids[i])
        who = [g.actor(i).name for i in (mixed + mixed_b)] or [g.actor(i).name for i in a + b]
        text = render("camps_differ", mixed=who)
        out.append(suggestion("camps", [g.ids[i] for i in (mixed + mixed_b)], text))
    return out


def _hints(g: MapGraph, targets: list[int]) -> list[Suggestion]:
    out = []
    if g.n >= 3 and not targets:
        out.append(suggestion("hint", [], render("hint_influence")))
    if g.n >= 3 and not any(g.actor(i).on_pole for i in range(g.n)):
        out.append(suggestion("hint", [], render("hint_poles")))
    return out
