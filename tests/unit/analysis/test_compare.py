"""Across a workshop's boards: spelling variants meet, distinct actors stay apart."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schakel_analysis.compare import edit_distance, same_actor, shared_actors
from schakel_analysis.graph import normalise_label

from .maps import actor, board

LABELS = {
    "g1": {"nl": "Groep 1", "en": "Group 1"},
    "g2": {"nl": "Groep 2", "en": "Group 2"},
    "g3": {"nl": "Groep 3", "en": "Group 3"},
}


def test_spelling_variants_meet() -> None:
    boards = [
        ("g1", board({"a": actor("Burgemeester", "middle", influence=5)}, [])),
        ("g2", board({"x": actor("burgemeester ", "middle", influence=5)}, [])),
        ("g3", board({"y": actor("Burgmeester", "middle", influence=4)}, [])),
    ]
    shared = shared_actors(boards, LABELS)
    assert len(shared) == 1
    s = shared[0]
    assert s.name in ("Burgemeester", "burgemeester")
    assert s.boards == ["g1", "g2", "g3"]
    assert sorted(s.variants) == ["Burgemeester", "Burgmeester", "burgemeester"]
    assert s.disagree == []


def test_distinct_actors_stay_apart() -> None:
    names = [
        "Imam",
        "Iman",
        "Wijkagent",
        "Wijkteam",
        "Jongeren",
        "Jongerenwerker",
        "Politie",
        "Moskee",
    ]
    boards = [
        ("g1", board({f"a{i}": actor(n) for i, n in enumerate(names)}, [])),
        ("g2", board({f"b{i}": actor(n) for i, n in enumerate(names)}, [])),
    ]
    shared = shared_actors(boards, LABELS)
    assert sorted(s.name for s in shared) == sorted(names)
    assert all(len(s.placements) == 2 for s in shared)


def test_placeholders_and_one_board_only_do_not_count() -> None:
    boards = [
        (
            "g1",
            board(
                {"a": actor("Nieuwe actor"), "b": actor("Wijkagent"), "c": actor("wijkagent")}, []
            ),
        ),
        ("g2", board({"x": actor("New actor"), "y": actor(" ")}, [])),
    ]
    assert shared_actors(boards) == []


def test_disagreements_are_named_and_asked() -> None:
    boards = [
        (
            "g1",
            board(
                {"a": actor("Imam", "pole_a", influence=4, roles=("pusher",))}, [], pole_a="Moskee"
            ),
        ),
        ("g2", board({"b": actor("imam", "middle", influence=1, roles=("bridge_builder",))}, [])),
    ]
    [s] = shared_actors(boards, LABELS)
    assert s.disagree == ["roles", "stance", "influence"]
    assert s.text is not None
    assert s.text["nl"].startswith("De groepen plaatsen Imam verschillend")
    assert "Groep 1: pusher; Moskee; invloed 4" in s.text["nl"]
    assert "Group 2: bridge builder; in the middle; influence 1" in s.text["en"]
    assert s.text["en"].endswith("?")


def test_same_named_poles_agree_across_boards() -> None:
    boards = [
        ("g1", board({"a": actor("Ouders", "pole_a")}, [], pole_a="Voor het azc")),
        ("g2", board({"b": actor("Ouders", "pole_b")}, [], pole_b="voor het AZC")),
    ]
    [s] = shared_actors(boards)
    assert s.disagree == []


def test_normalise_label() -> None:
    assert normalise_label("  Burgeméester\t") == "burgemeester"
    assert normalise_label("Gemeente-Utrecht!") == "gemeente utrecht"
    assert same_actor("gemeente utrecht", "utrecht gemeente")


@settings(max_examples=200, deadline=None)
@given(st.text("abcde", max_size=9), st.text("abcde", max_size=9), st.integers(0, 3))
def test_bounded_edit_distance(a: str, b: str, limit: int) -> None:
    # Against the plain dynamic programme, capped at limit + 1.
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if i == 0 or j == 0:
                d[i][j] = i + j
            else:
                d[i][j] = min(
                    d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
                )
    assert edit_distance(a, b, limit) == min(d[-1][-1], limit + 1)
