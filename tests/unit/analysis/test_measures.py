"""The structural measures against networkx and against answers computed by hand."""

from __future__ import annotations

import itertools
import math

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from schakel_analysis.brokerage import constraint_and_effective_size, gould_fernandez
from schakel_analysis.graph import MapGraph, build
from schakel_analysis.paths import MAX_PATH_ACTORS, components, shortest_paths, span_without_tie
from schakel_analysis.polarisation import (
    EXACT_MAX_ACTORS,
    balance,
    best_split,
    communities,
    ei_index,
    score,
)
from schakel_analysis.whatif import cut_points_and_bridges

from .maps import actor, board, clique, clique_ties, tie

EXAMPLES = settings(max_examples=150, deadline=None)
STANCES = ("pole_a", "pole_b", "middle", "unknown")


@st.composite
def graphs(draw: st.DrawFn, max_actors: int = 12, max_ties: int = 30) -> MapGraph:
    """A random map: actors with random stances, ties with random signs and strengths,
    duplicates and self-relations included."""
    n = draw(st.integers(0, max_actors))
    actors = {f"a{i:02d}": actor(f"A{i}", stance=draw(st.sampled_from(STANCES))) for i in range(n)}
    ties = []
    if n:
        for _ in range(draw(st.integers(0, max_ties))):
            a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            ties.append(
                tie(
                    f"a{a:02d}",
                    f"a{b:02d}",
                    sign=draw(st.sampled_from("+-")),
                    strength=draw(st.integers(1, 3)),
                    direction=draw(st.sampled_from(["none", "forward", "backward", "both"])),
                )
            )
    return build(board(actors, ties))


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@EXAMPLES
@given(graphs(), st.data())
def test_betweenness_equals_networkx(g: MapGraph, data: st.DataObject) -> None:
    targets = data.draw(st.lists(st.integers(0, max(0, g.n - 1)), unique=True)) if g.n else []
    paths = shortest_paths(g, targets)
    assert paths is not None
    nxg = g.networkx()
    full = nx.betweenness_centrality(nxg)
    subset = nx.betweenness_centrality_subset(
        nxg, sources=list(range(g.n)), targets=targets, normalized=True
    )
    for i in range(g.n):
        assert close(paths.betweenness[i], full[i])
        assert close(paths.to_targets[i], subset[i])
        lengths = nx.single_source_shortest_path_length(nxg, i)
        for j in range(g.n):
            assert paths.dist[i, j] == lengths.get(j, -1)


def test_paths_are_skipped_above_the_limit() -> None:
    g = build(board({f"a{i:04d}": actor("x") for i in range(MAX_PATH_ACTORS + 1)}, []))
    assert shortest_paths(g, []) is None


@EXAMPLES
@given(graphs())
def test_burt_equals_networkx(g: MapGraph) -> None:
    constraint, effective = constraint_and_effective_size(g)
    nxg = g.networkx()
    want_c = nx.constraint(nxg, weight="weight")
    want_e = nx.effective_size(nxg, weight="weight")
    for i in range(g.n):
        if g.adj[i]:
            assert close(constraint[i], want_c[i])
            assert close(effective[i], want_e[i])
        else:
            assert constraint[i] is None and effective[i] is None


def test_burt_by_hand_on_a_star_and_a_triangle() -> None:
    # A star: the centre's contacts are not tied to each other, so every contact counts
    # (effective size 3) and the constraint is 3 * (1/3)^2 = 1/3.
    star = build(board(clique("s", 4), [tie("s0", "s1"), tie("s0", "s2"), tie("s0", "s3")]))
    c, e = constraint_and_effective_size(star)
    assert close(c[0], 1 / 3) and close(e[0], 3.0)
    # A triangle: each contact is tied to the other: p = 1/2, constraint per contact
    # (1/2 + 1/2 * 1/2)^2 = 9/16, twice = 9/8; effective size 2 - 2 * 1/2 = 1.
    tri = build(board(clique("t", 3), clique_ties("t", 3)))
    c, e = constraint_and_effective_size(tri)
    assert close(c[0], 9 / 8) and close(e[0], 1.0)


@EXAMPLES
@given(graphs())
def test_cut_points_and_bridges_equal_networkx(g: MapGraph) -> None:
    points, bridges = cut_points_and_bridges(g)
    nxg = g.networkx()
    assert set(points) == set(nx.articulation_points(nxg))
    assert bridges == {(min(u, v), max(u, v)) for u, v in nx.bridges(nxg)}


@EXAMPLES
@given(graphs())
def test_components_and_spans_equal_networkx(g: MapGraph) -> None:
    nxg = g.networkx()
    assert sorted(map(tuple, components(g))) == sorted(
        tuple(sorted(c)) for c in nx.connected_components(nxg)
    )
    for u, v in g.ties():
        h = nxg.copy()
        h.remove_edge(u, v)
        try:
            want: int | None = nx.shortest_path_length(h, u, v)
        except nx.NetworkXNoPath:
            want = None
        got = span_without_tie(g, u, v, cap=g.n + 1)
        assert got == want


def test_gould_fernandez_by_hand() -> None:
    """Groups X = {x1, x2, x3} (pole A), Y = {y1, y2} (pole B), Z = {z1} (middle).
    Ties x1->x2, x2->y1, y1->y2, x1->y1, y2->z1, z1->x1, x2->x3, y2->x1. The open
    two-paths, by broker:
      x1: z1->x1->x2 gatekeeper, z1->x1->y1 liaison, y2->x1->x2 gatekeeper,
          y2->x1->y1 itinerant
      x2: x1->x2->x3 coordinator (x1->x2->y1 is closed by x1->y1)
      y1: x2->y1->y2 gatekeeper, x1->y1->y2 gatekeeper
      y2: y1->y2->z1 representative, y1->y2->x1 representative
      z1: y2->z1->x1 is closed by y2->x1
    """
    actors = {
        "x1": actor("x1", "pole_a"),
        "x2": actor("x2", "pole_a"),
        "x3": actor("x3", "pole_a"),
        "y1": actor("y1", "pole_b"),
        "y2": actor("y2", "pole_b"),
        "z1": actor("z1", "middle"),
    }
    edges = [
        ("x1", "x2"), ("x2", "y1"), ("y1", "y2"), ("x1", "y1"),
        ("y2", "z1"), ("z1", "x1"), ("x2", "x3"), ("y2", "x1"),
    ]  # fmt: skip
    g = build(board(actors, [tie(a, b, direction="forward") for a, b in edges]))
    counts = gould_fernandez(g.out, [g.actor(i).stance for i in range(g.n)])
    got = {g.ids[i]: {k: v for k, v in c.items() if v} for i, c in enumerate(counts)}
    assert got == {
        "x1": {"gatekeeper": 2, "liaison": 1, "itinerant": 1},
        "x2": {"coordinator": 1},
        "x3": {},
        "y1": {"gatekeeper": 2},
        "y2": {"representative": 2},
        "z1": {},
    }


def test_gould_fernandez_backward_and_undirected_ties() -> None:
    # b <- a written as a "backward" relation from b to a; an undirected tie counts both
    # ways, so the open path a - m - b is brokered in both directions.
    actors = {"a": actor("a", "pole_a"), "m": actor("m", "middle"), "b": actor("b", "pole_b")}
    g = build(board(actors, [tie("m", "a", direction="backward"), tie("m", "b")]))
    counts = {
        g.ids[i]: c for i, c in enumerate(gould_fernandez(g.out, ["pole_a", "middle", "pole_b"]))
    }
    assert counts["m"]["liaison"] == 1  # a -> m -> b only: m -> a is not a tie
    g2 = build(board(actors, [tie("a", "m"), tie("m", "b")]))
    counts2 = {
        g2.ids[i]: c for i, c in enumerate(gould_fernandez(g2.out, ["pole_a", "middle", "pole_b"]))
    }
    assert counts2["m"]["liaison"] == 2


def test_balanced_map_splits_into_its_two_camps_with_no_frustration() -> None:
    actors = {**clique("a", 3, stance="pole_a"), **clique("b", 3, stance="pole_b")}
    ties = clique_ties("a", 3) + clique_ties("b", 3) + [tie("a0", "b0", "-"), tie("a1", "b2", "-")]
    g = build(board(actors, ties))
    split = best_split(g)
    assert split.exact and split.frustrated == []
    camps = {g.ids[i]: c for i, c in enumerate(split.camp)}
    assert camps == {"a0": 0, "a1": 0, "a2": 0, "b0": 1, "b1": 1, "b2": 1}
    bal = balance(g)
    assert bal.triangles == 2 and bal.share == 1.0


def test_one_negative_tie_inside_a_camp_gives_frustration_one() -> None:
    actors = {**clique("a", 4, stance="pole_a"), **clique("b", 3, stance="pole_b")}
    ties = clique_ties("a", 4) + clique_ties("b", 3) + [tie("a0", "b0", "-")]
    ties[0] = tie("a0", "a1", "-")  # one quarrel inside camp A
    g = build(board(actors, ties))
    split = best_split(g)
    assert split.exact
    assert [(g.ids[i], g.ids[j]) for i, j in split.frustrated] == [("a0", "a1")]
    assert {g.ids[i] for i, c in enumerate(split.camp) if c == 0} == {"a0", "a1", "a2", "a3"}


def brute_force_frustration(g: MapGraph) -> int:
    best = len(g.weight)
    for camps in itertools.product((0, 1), repeat=g.n):
        f = sum(1 for i, j in g.ties() if (g.tie_sign(i, j) > 0) != (camps[i] == camps[j]))
        best = min(best, f)
    return best


@settings(max_examples=120, deadline=None)
@given(graphs(max_actors=9, max_ties=24))
def test_exact_split_is_optimal(g: MapGraph) -> None:
    split = best_split(g)
    assert split.exact
    assert len(split.frustrated) == brute_force_frustration(g)
    for i, c in enumerate(split.camp):
        assert (c is None) == (not g.adj[i])


def test_a_part_above_the_exact_size_is_split_by_local_search() -> None:
    n = EXACT_MAX_ACTORS + 6
    actors = {f"a{i:02d}": actor(str(i), "pole_a" if i % 2 else "pole_b") for i in range(n)}
    ties = [tie(f"a{i:02d}", f"a{(i + 1) % n:02d}", "-") for i in range(n)]  # an even ring
    g = build(board(actors, ties))
    split = best_split(g)
    assert not split.exact
    assert split.frustrated == []  # alternating camps satisfy every negative tie


def test_ei_index_and_score_by_hand() -> None:
    actors = {
        **clique("a", 2, stance="pole_a"),
        **clique("b", 2, stance="pole_b"),
        "m": actor("m", "middle"),
    }
    # Inside: a0-a1, b0-b1 (I = 2). Across: a0-b0 negative (E = 1). The middle links a1 and
    # b1 positively, so every A-B pair is joined through positive ties except via a0-b0.
    ties = [tie("a0", "a1"), tie("b0", "b1"), tie("a0", "b0", "-"), tie("a1", "m"), tie("m", "b1")]
    g = build(board(actors, ties))
    ei = ei_index(g)
    assert ei is not None and close(ei, (1 - 2) / 3)
    s = score(g, ei)
    assert close(s.closure or 0, (1 - ei) / 2)
    assert s.hostility == 1.0
    assert s.distance == 0.0  # a positive path a - a1 - m - b1 - b joins every pair
    assert s.value == round(100 * ((1 - ei) / 2 + 1.0 + 0.0) / 3)


def test_no_score_without_both_poles() -> None:
    g = build(board({"a": actor("a", "pole_a"), "b": actor("b", "middle")}, [tie("a", "b")]))
    s = score(g, ei_index(g))
    assert s.value is None and s.reason == "no_poles"


def test_two_poles_without_any_tie_are_fully_apart() -> None:
    g = build(board({"a": actor("a", "pole_a"), "b": actor("b", "pole_b")}, []))
    s = score(g, ei_index(g))
    assert s.closure is None and s.hostility == 1.0 and s.distance == 1.0 and s.value == 100


@settings(max_examples=40, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_louvain_gives_the_same_result_on_every_run(g: MapGraph, rnd: object) -> None:
    first = communities(g)
    assert communities(g) == first
    # The same map entered in another order: the same communities (by actor id).
    objects = {
        **{a: {"type": "actor", "label": x.label, "stance": x.stance} for a, x in g.actors.items()},
        **{
            r.id: tie(r.source, r.target, "+" if r.sign > 0 else "-", strength=r.strength)
            for r in g.relations
        },
    }
    items = list(objects.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    again = build(dict(items))
    assert [[again.ids[v] for v in c] for c in communities(again)] == [
        [g.ids[v] for v in c] for c in first
    ]
    assert sorted(v for c in first for v in c) == list(range(g.n))
