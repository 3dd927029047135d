"""The seed's three kinds of players and Brandsma's roles, suggested from the structure.

Each function returns :class:`Suggestion` s: the actors (and ties) it is about, its text
as a question in both languages, and the game changers that fit it. The definitions:

- **Important actors** are those with influence 4 or 5 on the drawn tower; where nobody
  has that, the actors with the highest influence, if it is 3 and not everyone's.
- **Schakels** ("people who can give access to important actors"): the actors with the
  highest betweenness on shortest paths *to* the important actors (at least a quarter of
  the highest such score), and every actor that is the *only* way for some actors to
  reach an important one (an articulation point between them).
- **Pushers and volgers** ("people who clearly take a position, and those who line up
  behind them"): a volger is tied only to actors on one pole (its own, or it has none),
  and at least one of those is on a pole; a pusher is an actor on a pole with a volger,
  or with a negative tie to an actor on the other pole.
- **Movers** ("people who can move the issue forward through knowledge, influence or
  position"): influence 3 or more and reach (the share of the others within two ties) of
  at least a third; ranked by ``influence / 5 + reach``.
- **Brandsma's roles from the ties**: a bridge builder has positive ties to both poles, a
  scapegoat negative ties from both, the silent middle stands in the middle (or nowhere)
  with at most one tie and little influence (at most 2).
- Where the group drew a role and the structure suggests otherwise, a **question** says
  so (``role_question``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .graph import MapGraph
from .paths import Paths
from .texts import POLE_DEFAULT, ROLE_NAMES, THE_GROUP, Text, render

IMPORTANT_INFLUENCE = 4
SCHAKEL_SHARE = 0.25
MOVER_INFLUENCE = 3
MOVER_REACH = 1 / 3
SILENT_MAX_TIES = 1
SILENT_MAX_INFLUENCE = 2
NOT_SILENT_TIES = 3
LOW_INFLUENCE = 1
MAX_PER_KIND = 4

# Which of Brandsma's game changers fits which suggestion.
FITS: dict[str, tuple[str, ...]] = {
    "schakel": ("position",),
    "only_way": ("position",),
    "pusher": ("target_group", "tone"),
    "volger": ("target_group",),
    "mover": ("subject",),
    "bridge_builder": ("position",),
    "scapegoat": ("tone", "subject"),
    "silent": ("target_group",),
    "fragile_link": ("position",),
    "whatif": ("position",),
    "camps": ("subject", "tone"),
    "role_question": (),
    "hint": (),
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str
    actors: list[str]
    text: Text
    relations: list[str] = field(default_factory=list)
    game_changers: list[str] = field(default_factory=list)


def suggestion(
    kind: str, actors: list[str], text: Text, relations: list[str] | None = None
) -> Suggestion:
    return Suggestion(kind, actors, text, relations or [], list(FITS.get(kind, ())))


def pole_label(g: MapGraph, pole: str) -> Text:
    name = g.pole_name(pole)
    return dict.fromkeys(("nl", "en"), name) if name else POLE_DEFAULT[pole]


def _names(g: MapGraph, idx: list[int]) -> list[str]:
    return [g.actor(i).name for i in idx]


def important_actors(g: MapGraph) -> list[int]:
    """The important actors (module docstring)."""
    drawn = [(g.actor(i).influence, i) for i in range(g.n) if g.actor(i).influence is not None]
    if not drawn:
        return []
    high = [i for inf, i in drawn if inf is not None and inf >= IMPORTANT_INFLUENCE]
    if high:
        return high
    top = max(inf for inf, _ in drawn if inf is not None)
    at_top = [i for inf, i in drawn if inf == top]
    if top >= MOVER_INFLUENCE and len(at_top) < g.n:
        return at_top
    return []


def schakels(g: MapGraph, paths: Paths, targets: list[int]) -> list[Suggestion]:
    scores = paths.to_targets
    best = max(scores, default=0.0)
    if best <= 0:
        return []
    ranked = sorted(
        (i for i in range(g.n) if scores[i] >= SCHAKEL_SHARE * best and scores[i] > 0),
        key=lambda i: (-scores[i], g.ids[i]),
    )
    out = []
    for i in ranked[:MAX_PER_KIND]:
        others = [t for t in targets if t != i]
        if not others:
            continue
        x = g.actor(i).name
        text = render("schakel", x=x, targets=_names(g, others))
        out.append(suggestion("schakel", [g.ids[i], *(g.ids[t] for t in others)], text))
    return out


def only_ways(
    g: MapGraph, cut_points: list[int], targets: list[int], lost: dict[int, dict[int, list[int]]]
) -> list[Suggestion]:
    """Actors that are the only way for others to reach an important actor."""
    out = []
    for v in cut_points:
        cut_off = lost.get(v, {})
        if not cut_off:
            continue
        reached = sorted(cut_off)
        others = sorted({a for t in reached for a in cut_off[t]})
        x = g.actor(v).name
        text = render("only_way", x=x, others=_names(g, others), targets=_names(g, reached))
        out.append(suggestion("only_way", [g.ids[v], *(g.ids[a] for a in reached + others)], text))
    out.sort(key=lambda s: -len(s.actors))
    return out[:MAX_PER_KIND]


def _same_side(g: MapGraph, v: int) -> str | None:
    """The pole all of v's ties go to (and v stands on, or v has no stance), else None."""
    if not g.adj[v]:
        return None
    stances = {g.actor(w).stance for w in g.adj[v]}
    poles = stances & {"pole_a", "pole_b"}
    if len(poles) != 1 or not stances <= poles | {"unknown"}:
        return None
    pole = next(iter(poles))
    return pole if g.actor(v).stance in (pole, "unknown") else None


def _weight(g: MapGraph, v: int) -> tuple[int, int]:
    return (g.actor(v).influence or 0, len(g.adj[v]))


def volger_leaders(g: MapGraph) -> dict[int, list[int]]:
    """Each volger and the actors it lines up behind: its contacts on its pole that
    weigh more than it (influence, then number of ties)."""
    out: dict[int, list[int]] = {}
    for v in range(g.n):
        pole = _same_side(g, v)
        if pole is None:
            continue
        leaders = sorted(
            w for w in g.adj[v] if g.actor(w).stance == pole and _weight(g, w) > _weight(g, v)
        )
        if leaders:
            out[v] = leaders
    return out


def pushers_and_volgers(g: MapGraph) -> list[Suggestion]:
    leaders_of = volger_leaders(g)
    followers_of: dict[int, list[int]] = {}
    for v, leaders in leaders_of.items():
        for p in leaders:
            followers_of.setdefault(p, []).append(v)
    pushers: list[Suggestion] = []
    for p in range(g.n):
        a = g.actor(p)
        if not a.on_pole or p in leaders_of:
            continue
        other = "pole_b" if a.stance == "pole_a" else "pole_a"
        followers = sorted(followers_of.get(p, []))
        only = [v for v in followers if leaders_of[v] == [p]]  # who follow p and nobody else
        opponents = sorted(
            w for w in g.adj[p] if g.actor(w).stance == other and g.tie_sign(p, w) < 0
        )
        if followers:
            named = only or followers
            one = len(named) == 1
            text = render(
                "pusher_followers" if only else "pusher_shared",
                x=a.name,
                pole=pole_label(g, a.stance),
                followers=_names(g, named),
                verb={"nl": "sluit" if one else "sluiten", "en": "lines" if one else "line"},
            )
        elif opponents:
            text = render(
                "pusher_hostile",
                x=a.name,
                pole=pole_label(g, a.stance),
                opponents=_names(g, opponents),
            )
        else:
            continue
        pushers.append(suggestion("pusher", [g.ids[p], *(g.ids[v] for v in followers)], text))
    pushers.sort(key=lambda s: (-len(s.actors), s.actors[0]))
    volgers = []
    for v, leaders in sorted(leaders_of.items(), key=lambda kv: g.ids[kv[0]]):
        pole = g.actor(leaders[0]).stance
        text = render(
            "volger", x=g.actor(v).name, leaders=_names(g, leaders), pole=pole_label(g, pole)
        )
        volgers.append(suggestion("volger", [g.ids[v], *(g.ids[w] for w in leaders)], text))
    return pushers[:MAX_PER_KIND] + volgers[: 2 * MAX_PER_KIND]


def mover_scores(g: MapGraph, paths: Paths | None) -> list[float | None]:
    """influence / 5 + reach for actors that qualify as movers, else None."""
    out: list[float | None] = []
    for i in range(g.n):
        inf = g.actor(i).influence
        reach = paths.reach2[i] if paths is not None else 0.0
        if inf is None or inf < MOVER_INFLUENCE or reach < MOVER_REACH or g.n < 3:
            out.append(None)
        else:
            out.append(inf / 5 + reach)
    return out


def movers(g: MapGraph, paths: Paths | None) -> list[Suggestion]:
    scores = mover_scores(g, paths)
    ranked = sorted(
        (i for i in range(g.n) if scores[i] is not None),
        key=lambda i: (-(scores[i] or 0), g.ids[i]),
    )
    out = []
    for i in ranked[:MAX_PER_KIND]:
        a = g.actor(i)
        assert paths is not None
        reach = round(paths.reach2[i] * (g.n - 1))
        text = render("mover", x=a.name, influence=a.influence or 0, reach=reach, others=g.n - 1)
        out.append(suggestion("mover", [g.ids[i]], text))
    return out


def _sides(g: MapGraph, v: int, sign: int) -> dict[str, list[int]]:
    sides: dict[str, list[int]] = {"pole_a": [], "pole_b": []}
    for w in sorted(g.adj[v]):
        st = g.actor(w).stance
        if st in sides and g.tie_sign(v, w) == sign:
            sides[st].append(w)
    return sides


def brandsma(g: MapGraph) -> tuple[list[Suggestion], dict[int, str]]:
    """Bridge builders, scapegoats and the silent middle; and the role each actor's ties
    suggest (for the role questions)."""
    out: list[Suggestion] = []
    structural: dict[int, str] = {}
    for v in range(g.n):
        a = g.actor(v)
        pos = _sides(g, v, 1)
        neg = _sides(g, v, -1)
        if pos["pole_a"] and pos["pole_b"]:
            structural[v] = "bridge_builder"
            text = render(
                "bridge_builder",
                x=a.name,
                side_a=_names(g, pos["pole_a"]),
                side_b=_names(g, pos["pole_b"]),
            )
            out.append(suggestion("bridge_builder", [g.ids[v]], text))
        elif neg["pole_a"] and neg["pole_b"]:
            structural[v] = "scapegoat"
            text = render(
                "scapegoat",
                x=a.name,
                side_a=_names(g, neg["pole_a"]),
                side_b=_names(g, neg["pole_b"]),
            )
            out.append(suggestion("scapegoat", [g.ids[v]], text))
        elif (
            a.stance in ("middle", "unknown")
            and len(g.adj[v]) <= SILENT_MAX_TIES
            and (a.influence or 0) <= SILENT_MAX_INFLUENCE
        ):
            structural[v] = "silent"
            if g.adj[v]:
                contact = g.actor(next(iter(g.adj[v]))).name
                text = render("silent_one", x=a.name, contact=contact)
            else:
                text = render("silent_alone", x=a.name)
            out.append(suggestion("silent", [g.ids[v]], text))
    by_kind: dict[str, list[Suggestion]] = {}
    for s in out:
        by_kind.setdefault(s.kind, []).append(s)
    kept = [
        s
        for kind in ("bridge_builder", "scapegoat", "silent")
        for s in by_kind.get(kind, [])[:MAX_PER_KIND]
    ]
    return kept, structural


def role_questions(
    g: MapGraph,
    structural: dict[int, str],
    paths: Paths | None,
    targets: list[int],
    gatekeepers: set[int],
    who: Text | None,
) -> list[Suggestion]:
    """Where the group drew a role and the ties suggest another: a question."""
    who = who or THE_GROUP
    out: list[Suggestion] = []
    for v in range(g.n):
        a = g.actor(v)
        x = a.name
        roles = a.roles
        text: Text | None = None
        if structural.get(v) == "bridge_builder" and roles & {"pusher", "joiner"}:
            drawn = ROLE_NAMES["pusher" if "pusher" in roles else "joiner"]
            text = render("role_bridge", who=who, x=x, drawn=drawn)
        elif "bridge_builder" in roles and structural.get(v) != "bridge_builder":
            pos = _sides(g, v, 1)
            ties = {g.actor(w).stance for w in g.adj[v]} & {"pole_a", "pole_b"}
            if len(ties) == 1:
                text = render("role_one_side", who=who, x=x, pole=pole_label(g, next(iter(ties))))
            elif not ties:
                text = render("role_no_side", who=who, x=x)
            elif not (pos["pole_a"] and pos["pole_b"]):
                text = None  # ties to both poles, some negative: the group knows best
        elif "silent" in roles and len(g.adj[v]) >= NOT_SILENT_TIES:
            text = render("role_not_silent", who=who, x=x, degree=len(g.adj[v]))
        elif "scapegoat" in roles and structural.get(v) != "scapegoat":
            neg = _sides(g, v, -1)
            missing = [k for k in ("pole_a", "pole_b") if not neg[k]]
            label = {
                lang: " / ".join(pole_label(g, k)[lang] for k in missing) for lang in ("nl", "en")
            }
            text = render("role_no_pressure", who=who, x=x, missing=label)
        elif (
            "schakel" in roles
            and paths is not None
            and targets
            and paths.to_targets[v] <= 0
            and v not in gatekeepers
            and [t for t in targets if t != v]
        ):
            others = [g.actor(t).name for t in targets if t != v]
            text = render("role_no_access", who=who, x=x, targets=others)
        elif roles & {"pusher", "joiner"} and not a.on_pole:
            drawn = ROLE_NAMES["pusher" if "pusher" in roles else "joiner"]
            text = render("role_no_position", who=who, x=x, drawn=drawn)
        elif "mover" in roles and a.influence is not None and a.influence <= LOW_INFLUENCE:
            text = render("role_low_influence", who=who, x=x, influence=a.influence)
        if text is not None:
            out.append(suggestion("role_question", [g.ids[v]], text))
    return out
