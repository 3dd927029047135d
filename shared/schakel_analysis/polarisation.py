"""How polarised is this map: camps, balance, the E-I index and one headline score.

- **Communities**: Louvain on the positive ties (weights = strengths) with a fixed seed,
  so every screen and every export shows the same result; compared with the two poles
  the group drew.
- **Signed balance** (Heider; Cartwright and Harary): a triangle of ties is balanced when
  the product of its signs is positive ("the enemy of my enemy is my friend"). The share
  of balanced triangles says how well the map fits camps.
- **The best two-camp split**: the division of the actors into two camps with the fewest
  *frustrated* ties (a positive tie between the camps, or a negative tie inside one). A map
  is split part by part (frustration adds up over its connected parts). A part of up to
  :data:`EXACT_MAX_ACTORS` actors is split exactly, by branch and bound; a larger part is
  split by local search from three starts (the drawn poles, a breadth-first signing, all
  in one camp), which gives an upper bound, marked ``exact: false``.
- **Krackhardt's E-I index** of the poles: ``(E - I) / (E + I)`` over the ties between
  actors on a pole, E the ties from pole A to pole B and I those within a pole; -1 means
  two closed camps, +1 that ties run only across.
- **The polarisation score** (0-100) of the drawn poles, the mean of three parts, each
  0..1 (documented in ``docs/analysis.md``):
  *closure* ``(1 - EI) / 2`` (the poles' ties stay inside),
  *hostility*, the share of ties between the poles that are negative (1 when the poles
  have no tie between them at all), and
  *distance*, the share of pairs (an actor of pole A, an actor of pole B) that no path of
  positive ties connects, through anyone.
  A map without actors on both poles has no score (None) and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import MapGraph
from .paths import components

LOUVAIN_SEED = 20250611
EXACT_MAX_ACTORS = 24
_CAMP_OF_POLE = {"pole_a": 0, "pole_b": 1}


@dataclass(frozen=True, slots=True)
class Split:
    camp: list[int | None]  # 0 or 1 per actor; None for an actor without ties
    frustrated: list[tuple[int, int]]  # ties that break the split
    exact: bool


@dataclass(frozen=True, slots=True)
class Balance:
    triangles: int
    balanced: int

    @property
    def share(self) -> float | None:
        return self.balanced / self.triangles if self.triangles else None


@dataclass(frozen=True, slots=True)
class Score:
    value: int | None
    closure: float | None
    hostility: float | None
    distance: float | None
    reason: str  # "" or why there is no score: "no_poles"


def communities(g: MapGraph) -> list[list[int]]:
    """Louvain communities of the positive ties, largest first; every actor in one."""
    import networkx as nx

    parts = nx.community.louvain_communities(
        g.networkx(positive_only=True), weight="weight", seed=LOUVAIN_SEED
    )
    out = [sorted(p) for p in parts]
    out.sort(key=lambda p: (-len(p), p[0]))
    return out


def balance(g: MapGraph) -> Balance:
    """Count triangles of ties and the balanced ones among them."""
    total = balanced = 0
    for i, j in g.ties():
        for k in g.adj[i] & g.adj[j]:
            if k > j:
                total += 1
                if g.tie_sign(i, j) * g.tie_sign(j, k) * g.tie_sign(i, k) > 0:
                    balanced += 1
    return Balance(total, balanced)


def _signed(g: MapGraph, part: list[int]) -> dict[int, list[tuple[int, bool]]]:
    """Each actor's ties within ``part`` as (other, positive)."""
    return {a: [(w, g.tie_sign(a, w) > 0) for w in sorted(g.adj[a])] for a in part}


def _exact(g: MapGraph, part: list[int], upper: dict[int, int]) -> dict[int, int]:
    """The camps (0/1) with the fewest frustrated ties, exactly: branch and bound.

    Actors are placed in breadth-first order from the best-connected one. The bound is
    the frustration among placed actors plus, for every actor not yet placed, the lower
    of what its ties to placed actors would cost in either camp (a valid lower bound:
    ties between unplaced actors are not counted). ``upper`` is a known split (from local
    search) to beat.
    """
    ties = _signed(g, part)
    start = max(part, key=lambda a: (len(ties[a]), -a))
    order, seen = [start], {start}
    for a in order:
        for w, _ in ties[a]:
            if w not in seen:
                seen.add(w)
                order.append(w)
    best = _frustration(ties, upper)
    best_camp = dict(upper)
    # cost[a][c]: frustration a's ties to placed actors would cause with a in camp c
    cost = {a: [0, 0] for a in part}
    camp: dict[int, int] = {}

    def place(k: int, frustration: int, bound: int) -> None:
        nonlocal best, best_camp
        if bound >= best:
            return
        if k == len(order):
            best, best_camp = frustration, dict(camp)
            return
        a = order[k]
        ca = cost[a]
        rest = bound - min(ca)
        choices = sorted((0, 1) if k else (0,), key=lambda c: ca[c])
        for c in choices:
            camp[a] = c
            delta = 0
            changed = []
            for w, positive in ties[a]:
                if w in camp:
                    continue
                cw = cost[w]
                before = min(cw)
                # w in the same camp as a frustrates a negative tie, apart a positive one
                if positive:
                    cw[1 - c] += 1
                else:
                    cw[c] += 1
                delta += min(cw) - before
                changed.append((w, positive))
            place(k + 1, frustration + ca[c], rest + ca[c] + delta)
            for w, positive in changed:
                if positive:
                    cost[w][1 - c] -= 1
                else:
                    cost[w][c] -= 1
            del camp[a]

    place(0, 0, 0)
    return best_camp


def _frustration(ties: dict[int, list[tuple[int, bool]]], camp: dict[int, int]) -> int:
    return sum(
        1
        for a, tl in ties.items()
        for w, positive in tl
        if a < w and positive != (camp[a] == camp[w])
    )


def _starts(
    g: MapGraph, part: list[int], ties: dict[int, list[tuple[int, bool]]]
) -> list[dict[int, int]]:
    drawn = {a: _CAMP_OF_POLE.get(g.actor(a).stance, 0) for a in part}
    signed: dict[int, int] = {}
    for root in part:
        if root in signed:
            continue
        signed[root] = 0
        queue = [root]
        for a in queue:
            for w, positive in ties[a]:
                if w not in signed:
                    signed[w] = signed[a] if positive else 1 - signed[a]
                    queue.append(w)
    return [drawn, signed]


def _local_search(
    part: list[int], ties: dict[int, list[tuple[int, bool]]], starts: list[dict[int, int]]
) -> dict[int, int]:
    """Move single actors while that lowers the frustration; the best of the starts."""
    best: dict[int, int] = {}
    best_cost = -1
    for start in starts:
        camp = dict(start)
        improved = True
        while improved:
            improved = False
            for a in part:
                ca = camp[a]
                gain = 0  # frustration removed by moving a, minus frustration added
                for w, positive in ties[a]:
                    same = camp[w] == ca
                    gain += 1 if positive != same else -1
                if gain > 0:
                    camp[a] = 1 - ca
                    improved = True
        cost = _frustration(ties, camp)
        if best_cost < 0 or cost < best_cost:
            best, best_cost = camp, cost
    return best


def best_split(g: MapGraph) -> Split:
    """The two camps with the fewest frustrated ties (see the module docstring)."""
    camp: list[int | None] = [None] * g.n
    exact = True
    for part in components(g):
        if len(part) < 2:
            continue
        ties = _signed(g, part)
        chosen = _local_search(part, ties, _starts(g, part, ties))
        if len(part) <= EXACT_MAX_ACTORS:
            chosen = _exact(g, part, chosen)
        else:
            exact = False
        # Camp 0 is the side where the drawn pole A stands, where the drawing says so.
        votes = sum(
            (1 if chosen[a] == _CAMP_OF_POLE[g.actor(a).stance] else -1)
            for a in part
            if g.actor(a).on_pole
        )
        flip = votes < 0
        for a in part:
            camp[a] = 1 - chosen[a] if flip else chosen[a]
    frustrated = [(i, j) for i, j in g.ties() if (g.tie_sign(i, j) > 0) != (camp[i] == camp[j])]
    return Split(camp, frustrated, exact)


def ei_index(g: MapGraph) -> float | None:
    """Krackhardt's E-I index of the drawn poles (None without ties between pole actors)."""
    external = internal = 0
    for i, j in g.ties():
        si, sj = g.actor(i).stance, g.actor(j).stance
        if si in _CAMP_OF_POLE and sj in _CAMP_OF_POLE:
            if si == sj:
                internal += 1
            else:
                external += 1
    if external + internal == 0:
        return None
    return (external - internal) / (external + internal)


def _positive_parts(g: MapGraph) -> list[int]:
    """For each actor, a label of its part of the map through positive ties only."""
    label = [-1] * g.n
    for s in range(g.n):
        if label[s] >= 0:
            continue
        label[s] = s
        stack = [s]
        while stack:
            a = stack.pop()
            for w in g.adj[a]:
                if label[w] < 0 and g.tie_sign(a, w) > 0:
                    label[w] = s
                    stack.append(w)
    return label


def score(g: MapGraph, ei: float | None) -> Score:
    """The headline polarisation score of the drawn poles (module docstring)."""
    a, b = g.pole("pole_a"), g.pole("pole_b")
    if not a or not b:
        return Score(None, None, None, None, "no_poles")
    closure = None if ei is None else (1 - ei) / 2
    across = [g.tie_sign(i, j) for i in a for j in g.adj[i] if g.actor(j).stance == "pole_b"]
    hostility = 1.0 if not across else sum(1 for s in across if s < 0) / len(across)
    label = _positive_parts(g)
    apart = sum(1 for i in a for j in b if label[i] != label[j])
    distance = apart / (len(a) * len(b))
    parts = [x for x in (closure, hostility, distance) if x is not None]
    value = round(100 * sum(parts) / len(parts))
    return Score(value, closure, hostility, distance, "")
