"""The actor map as a graph: actors are nodes, relations are ties.

Input is a board's *visible* objects, ``{id: {"type": ..., field: value, ...}}``, as
:meth:`schakel_core.document.Document.visible` gives them: deleted objects and relations
to deleted actors are already left out. Values come from the wire and passed the schema,
but this module reads them defensively (a missing field gets its documented default), so
that analysis never fails on a valid board.

Ties. A board may hold several relations between the same two actors (an alliance and a
tension, say) and relations from an actor to itself. The structural measures work on the
*simple* graph: one tie per pair of actors, its weight the sum of the relations' strengths
and its sign the sign of the sum of their signed strengths (a tie whose positive and
negative relations cancel out counts as negative: tension is what a polarisation map is
about). Self-relations are kept in the count but never make a tie.

Direction (for brokerage): ``forward`` is source → target, ``backward`` target → source,
``both`` and ``none`` (an undirected relation) go both ways.

Signs: a relation's ``sign`` field; without one, ``tension`` and ``conflict`` are negative
and every other kind positive.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

POLES = ("pole_a", "pole_b")
NEGATIVE_KINDS = frozenset({"tension", "conflict"})
DEFAULT_STRENGTH = 2

Objects = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    label: str
    kind: str
    roles: frozenset[str]
    stance: str  # pole_a | pole_b | middle | unknown
    influence: int | None  # the drawn tower 0..5, None when not drawn

    @property
    def on_pole(self) -> bool:
        return self.stance in POLES

    @property
    def name(self) -> str:
        """The label as people read it (a blank label gets the id)."""
        return self.label.strip() or self.id


@dataclass(frozen=True, slots=True)
class Relation:
    id: str
    source: str
    target: str
    kind: str
    sign: int  # +1 or -1
    strength: int  # 1..3
    direction: str  # none | forward | backward | both


@dataclass(slots=True)
class MapGraph:
    """One board's actors and ties, indexed for the measures.

    ``ids`` lists the actors sorted by id; every per-actor array in the analysis uses
    this order, so results are the same on every run and every machine.
    """

    actors: dict[str, Actor]
    relations: list[Relation]
    self_relations: int
    ids: list[str]
    index: dict[str, int]
    adj: list[set[int]]  # undirected simple graph
    out: list[set[int]]  # directed, for brokerage
    weight: dict[tuple[int, int], int]  # (i, j), i < j: summed strength
    sign: dict[tuple[int, int], int]  # (i, j), i < j: +1 or -1
    pair_relations: dict[tuple[int, int], list[str]]  # relation ids behind each tie
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def m(self) -> int:
        return len(self.weight)

    def actor(self, i: int) -> Actor:
        return self.actors[self.ids[i]]

    def ties(self) -> list[tuple[int, int]]:
        """Every tie once, (i, j) with i < j, sorted."""
        return sorted(self.weight)

    def tie_sign(self, i: int, j: int) -> int:
        return self.sign[(i, j) if i < j else (j, i)]

    def pole(self, name: str) -> list[int]:
        return [i for i, a in enumerate(self.ids) if self.actors[a].stance == name]

    def pole_name(self, pole: str) -> str:
        """The name the group gave a pole (``meta.pole_a``), or empty."""
        return self.meta.get(pole, "").strip()

    def networkx(self, *, positive_only: bool = False) -> Any:
        """The simple graph as a ``networkx.Graph`` (nodes are indices, sorted)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        for (i, j), w in sorted(self.weight.items()):
            if positive_only and self.sign[(i, j)] < 0:
                continue
            g.add_edge(i, j, weight=w)
        return g


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _roles(value: Any) -> frozenset[str]:
    if isinstance(value, list | tuple):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()


def _int(value: Any, lo: int, hi: int) -> int | None:
    if type(value) is int and lo <= value <= hi:
        return value
    return None


def relation_sign(obj: Mapping[str, Any]) -> int:
    sign = obj.get("sign")
    if sign == "-":
        return -1
    if sign == "+":
        return 1
    return -1 if obj.get("kind") in NEGATIVE_KINDS else 1


def build(objects: Objects) -> MapGraph:
    """The graph of a board's visible objects (see the module docstring)."""
    actors: dict[str, Actor] = {}
    for oid in sorted(objects):
        o = objects[oid]
        if o.get("type") != "actor":
            continue
        stance = _text(o.get("stance")) or "unknown"
        actors[oid] = Actor(
            id=oid,
            label=_text(o.get("label")),
            kind=_text(o.get("kind")) or "person",
            roles=_roles(o.get("roles")),
            stance=stance if stance in (*POLES, "middle") else "unknown",
            influence=_int(o.get("influence"), 0, 5),
        )
    ids = sorted(actors)
    index = {a: i for i, a in enumerate(ids)}
    relations: list[Relation] = []
    self_relations = 0
    for oid in sorted(objects):
        o = objects[oid]
        if o.get("type") != "relation":
            continue
        s, t = _text(o.get("source")), _text(o.get("target"))
        if s not in index or t not in index:
            continue  # hidden: an end is not a visible actor (Document.visible drops these)
        if s == t:
            self_relations += 1
            continue
        direction = _text(o.get("direction")) or "none"
        relations.append(
            Relation(
                id=oid,
                source=s,
                target=t,
                kind=_text(o.get("kind")) or "other",
                sign=relation_sign(o),
                strength=_int(o.get("strength"), 1, 3) or DEFAULT_STRENGTH,
                direction=direction if direction in ("forward", "backward", "both") else "none",
            )
        )
    n = len(ids)
    adj: list[set[int]] = [set() for _ in range(n)]
    out: list[set[int]] = [set() for _ in range(n)]
    weight: dict[tuple[int, int], int] = {}
    net: dict[tuple[int, int], int] = {}
    pair_relations: dict[tuple[int, int], list[str]] = {}
    for r in relations:
        i, j = index[r.source], index[r.target]
        key = (i, j) if i < j else (j, i)
        adj[i].add(j)
        adj[j].add(i)
        if r.direction in ("forward", "both", "none"):
            out[i].add(j)
        if r.direction in ("backward", "both", "none"):
            out[j].add(i)
        weight[key] = weight.get(key, 0) + r.strength
        net[key] = net.get(key, 0) + r.sign * r.strength
        pair_relations.setdefault(key, []).append(r.id)
    meta_obj = objects.get("meta", {})
    meta = {k: _text(meta_obj.get(k)) for k in ("issue", "pole_a", "pole_b", "title")}
    return MapGraph(
        actors=actors,
        relations=relations,
        self_relations=self_relations,
        ids=ids,
        index=index,
        adj=adj,
        out=out,
        weight=weight,
        sign={k: 1 if v > 0 else -1 for k, v in net.items()},
        pair_relations=pair_relations,
        meta=meta,
    )


def normalise_label(label: str) -> str:
    """A label as compared across groups: case, spacing, punctuation and diacritics
    ignored (``"Burgemeester "`` and ``"burgeméester"`` are the same)."""
    decomposed = unicodedata.normalize("NFKD", label.casefold())
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        kept.append(ch if ch.isalnum() else " ")
    return " ".join("".join(kept).split())
