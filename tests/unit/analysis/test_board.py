"""The whole analysis of a board: it never fails on a valid board, is deterministic,
JSON-ready, and every suggestion is a question in both languages."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schakel_analysis import analyse_board
from schakel_core import schema
from schakel_core.document import Document
from schakel_core.ops import Op, op_from_wire
from schakel_core.schema import Field
from tests.unit.strategies import field_values

from .maps import actor, board, clique, clique_ties, tie

IDS = {
    "actor": [f"a{i}" for i in range(8)],
    "relation": [f"r{i}" for i in range(12)],
    "note": ["n1"],
    "ink": ["i1"],
    "meta": ["meta"],
}


def values(f: Field) -> st.SearchStrategy[Any]:
    """Every value the schema accepts for a field (within small bounds)."""
    return field_values(f, refs=[*IDS["actor"], "n1", "missing"])


@st.composite
def boards(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Any board the hub could hold: ops over the whole schema, through the merge rule."""
    doc = Document()
    for counter in range(1, draw(st.integers(0, 60)) + 1):
        obj_type = draw(st.sampled_from(sorted(schema.TYPES)))
        field = draw(st.sampled_from(sorted(schema.TYPES[obj_type])))
        value = draw(values(schema.TYPES[obj_type][field]))
        obj_id = draw(st.sampled_from(IDS[obj_type]))
        op = op_from_wire([obj_id, obj_type, field, value, counter, "c"])
        doc.apply(Op(*op))
    return doc.visible()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(boards())
def test_analysis_never_fails_on_a_valid_board(objects: dict[str, dict[str, Any]]) -> None:
    result = analyse_board(objects).to_dict()
    text = json.dumps(result, allow_nan=False)  # plain data, no NaN or infinity
    assert json.loads(text) == result
    for s in result["suggestions"]:
        assert set(s["text"]) == {"nl", "en"}
        assert all("?" in t for t in s["text"].values())
        assert set(s["actors"]) <= {a["id"] for a in result["actors"]}
    actors = {k for k, o in objects.items() if o["type"] == "actor"}
    assert {a["id"] for a in result["actors"]} == actors
    assert result["headline"]["actors"] == len(actors)


def test_empty_board_and_lonely_actors() -> None:
    empty = analyse_board({})
    assert empty.headline.actors == 0 and empty.suggestions == [] and empty.headline.score is None
    lonely = analyse_board({"a": actor("A"), "b": actor("B", "pole_a"), "c": actor("C", "pole_b")})
    assert lonely.headline.relations == 0
    assert lonely.polarisation.score == 100  # two poles with nothing between them


def test_self_relations_and_duplicates_count_once_as_ties() -> None:
    objects = board(
        {"a": actor("A", "pole_a"), "b": actor("B", "pole_b")},
        [tie("a", "a"), tie("a", "b"), tie("b", "a", "-", strength=3), tie("a", "b")],
    )
    r = analyse_board(objects)
    assert r.headline.relations == 4
    assert r.limits["self_relations"] == 1
    assert {a.id: a.ties for a in r.actors} == {"a": 1, "b": 1}
    # +2 +2 -3: the tie's net sign is positive.
    assert r.polarisation.hostility == 0.0


def test_the_same_map_in_another_order_gives_the_same_analysis() -> None:
    actors = {
        **clique("a", 5, stance="pole_a", influence=3),
        **clique("b", 5, stance="pole_b", influence=4),
        "m": actor("Midden", "middle"),
    }
    ties = (
        clique_ties("a", 5)
        + clique_ties("b", 5)
        + [tie("a0", "m"), tie("m", "b0"), tie("a1", "b1", "-")]
    )
    objects = board(actors, ties, pole_a="Voor", pole_b="Tegen", issue="Een azc in de wijk")
    first = analyse_board(objects).to_dict()
    items = list(objects.items())
    for seed in range(5):
        random.Random(seed).shuffle(items)
        assert analyse_board(dict(items)).to_dict() == first
    assert first["meta"]["issue"] == "Een azc in de wijk"
