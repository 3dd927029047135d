"""What if one actor drops out, or one tie breaks: the seed's "game changers" in reverse.

Only an actor that is a cut point (an articulation point: taking it off splits a part of
the map) can change who reaches whom, so those are the actors examined; for everyone
else the answer is "nothing changes in who reaches whom". For each cut point: do the
poles lose their last link (some actor of pole A reached some actor of pole B before,
none does after), and which actors lose their way to an important actor.

Fragile links are the ties whose loss splits the map (bridges, with the size of the two
sides) and the *local bridges*: ties between two actors without a shared contact, with
their span (the shortest detour without the tie), as Granovetter's weak ties.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import MapGraph
from .paths import reach_without, span_without_tie

MAX_SPAN = 6
FRAGILE_SPAN = 4


@dataclass(frozen=True, slots=True)
class Removal:
    actor: int
    poles_cut: bool
    lost: dict[int, list[int]]  # important actor -> the actors that lose their way to it
    parts_after: int


@dataclass(frozen=True, slots=True)
class Fragile:
    u: int
    v: int
    bridge: bool
    span: int | None  # None: no detour at all (a bridge), or none within MAX_SPAN
    sides: tuple[int, int]  # a bridge: the actors on each side; else (0, 0)


def cut_points_and_bridges(g: MapGraph) -> tuple[list[int], set[tuple[int, int]]]:
    """Articulation points and bridges of the map in one depth-first search (Hopcroft and
    Tarjan's low-link), iterative so that a long chain of actors cannot exhaust the stack."""
    n = g.n
    order = [-1] * n
    low = [0] * n
    points: set[int] = set()
    bridges: set[tuple[int, int]] = set()
    counter = 0
    nbrs = [sorted(a) for a in g.adj]
    for root in range(n):
        if order[root] >= 0:
            continue
        order[root] = low[root] = counter
        counter += 1
        children = 0
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # (actor, parent, next index)
        while stack:
            v, parent, k = stack[-1]
            if k < len(nbrs[v]):
                stack[-1] = (v, parent, k + 1)
                w = nbrs[v][k]
                if order[w] < 0:
                    order[w] = low[w] = counter
                    counter += 1
                    if v == root:
                        children += 1
                    stack.append((w, v, 0))
                elif w != parent:
                    low[v] = min(low[v], order[w])
                continue
            stack.pop()
            if parent >= 0:
                low[parent] = min(low[parent], low[v])
                if low[v] > order[parent]:
                    bridges.add((min(parent, v), max(parent, v)))
                if parent != root and low[v] >= order[parent]:
                    points.add(parent)
        if children > 1:
            points.add(root)
    return sorted(points), bridges


def removal(g: MapGraph, v: int, targets: list[int]) -> Removal:
    """What changes when ``v`` is taken off the map."""
    whole = reach_without(g, -1, [v]) - {v}  # v's part of the map, without v
    parts: list[set[int]] = []
    placed: set[int] = set()
    for s in sorted(g.adj[v]):
        if s not in placed:
            part = reach_without(g, v, [s])
            placed |= part
            parts.append(part)
    a = set(g.pole("pole_a")) - {v}
    b = set(g.pole("pole_b")) - {v}
    poles_cut = bool(whole & a and whole & b) and not any(p & a and p & b for p in parts)
    lost: dict[int, list[int]] = {}
    for part in parts:
        cut_off = sorted(whole - part)
        if cut_off:
            for t in targets:
                if t in part:
                    lost[t] = cut_off
    return Removal(v, poles_cut, lost, len(parts))


def removals(g: MapGraph, points: list[int], targets: list[int]) -> list[Removal]:
    """The removals that change something, the largest effects first."""
    out = [removal(g, v, targets) for v in points]
    out = [r for r in out if r.poles_cut or r.lost]
    out.sort(key=lambda r: (not r.poles_cut, -sum(map(len, r.lost.values())), g.ids[r.actor]))
    return out


def _short_detour(g: MapGraph, u: int, v: int) -> bool:
    """Whether a detour of three ties u - w - x - v exists (u and v share no contact)."""
    near_v = g.adj[v] - {u}
    return any(g.adj[w] & near_v for w in g.adj[u] if w != v)


def fragile_links(g: MapGraph, bridges: set[tuple[int, int]]) -> list[Fragile]:
    """Bridges (that leave at least two actors on each side) and local bridges with a
    span of at least :data:`FRAGILE_SPAN`, the most telling first."""
    out: list[Fragile] = []
    for i, j in g.ties():
        if (i, j) in bridges:
            side_i = reach_without(g, j, [i])
            side_j = reach_without(g, i, [j])
            if len(side_i) >= 2 and len(side_j) >= 2:
                out.append(Fragile(i, j, True, None, (len(side_i), len(side_j))))
            continue
        if g.adj[i] & g.adj[j] or _short_detour(g, i, j):
            continue  # a shared contact (not a local bridge), or a detour of 3 ties
        span = span_without_tie(g, i, j, MAX_SPAN)
        if span is None or span >= FRAGILE_SPAN:
            out.append(Fragile(i, j, False, span, (0, 0)))
    out.sort(key=lambda f: (not f.bridge, -min(f.sides), -(f.span or MAX_SPAN + 1), f.u, f.v))
    return out
