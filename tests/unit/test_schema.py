"""Schema validation of op values, and the exported schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schakel_core import schema
from schakel_core.errors import InvalidOp, TooLarge
from schakel_core.ops import Op, op_from_wire

ROOT = Path(__file__).resolve().parents[2]


def test_a_roles_list_is_checked_as_one() -> None:
    assert schema.roles_as_fields(["mover"])["role_mover"] is True
    for bad in ("pusher", ["hero"], ["mover", "mover"]):
        with pytest.raises(InvalidOp):
            schema.roles_as_fields(bad)


def test_schema_json_is_up_to_date() -> None:
    on_disk = json.loads((ROOT / "shared" / "schema.json").read_text())
    assert on_disk == schema.to_json(), "run `make schema`"


@pytest.mark.parametrize(
    ("typ", "field", "value"),
    [
        ("actor", "label", ""),
        ("actor", "label", "x" * 120),
        ("actor", "kind", "online_community"),
        ("actor", "role_pusher", True),
        ("actor", "role_bridge_builder", False),
        ("actor", "stance", "pole_b"),
        ("actor", "influence", 0),
        ("actor", "influence", 5),
        ("actor", "pos", [0, -1_000_000.0]),
        ("actor", "colour", "#A0b1C2"),
        ("actor", "deleted", False),
        ("relation", "source", "a-1.x:y_z"),
        ("relation", "sign", "-"),
        ("relation", "direction", "both"),
        ("relation", "strength", 3),
        ("ink", "points", []),
        ("ink", "points", [1, 2.5, 0.5]),
        ("ink", "width", 0.5),
        ("note", "question", "r1q2"),
        ("meta", "pole_a", "voor"),
    ],
)
def test_valid_values(typ: str, field: str, value: Any) -> None:
    obj_id = "meta" if typ == "meta" else "x1"
    assert op_from_wire([obj_id, typ, field, value, 1, "c"]) == Op(
        obj_id, typ, field, value, 1, "c"
    )


@pytest.mark.parametrize(
    ("typ", "field", "value", "error"),
    [
        ("actor", "label", 3, InvalidOp),
        ("actor", "label", "x" * 121, TooLarge),
        ("actor", "kind", "alien", InvalidOp),
        ("actor", "roles", ["pusher"], InvalidOp),  # one register per role now
        ("actor", "role_pusher", 1, InvalidOp),
        ("actor", "role_hero", True, InvalidOp),
        ("actor", "influence", 6, InvalidOp),
        ("actor", "influence", True, InvalidOp),
        ("actor", "influence", 2.0, InvalidOp),
        ("actor", "pos", [1], InvalidOp),
        ("actor", "pos", [1, float("nan")], InvalidOp),
        ("actor", "pos", [1, 1e7], InvalidOp),
        ("actor", "pos", (1, 2), InvalidOp),
        ("actor", "colour", "#fff", InvalidOp),
        ("actor", "deleted", 1, InvalidOp),
        ("relation", "source", "", InvalidOp),
        ("relation", "sign", "+-", InvalidOp),
        ("ink", "points", [1, 2], InvalidOp),
        ("ink", "points", "1,2,3", InvalidOp),
        ("ink", "points", [1, 2, float("inf")], InvalidOp),
        ("ink", "points", [0] * 6003, TooLarge),
        ("ink", "width", float("-inf"), InvalidOp),
        ("ink", "width", 100, InvalidOp),
        ("ink", "width", "2", InvalidOp),
    ],
)
def test_invalid_values(typ: str, field: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        op_from_wire(["x1", typ, field, value, 1, "c"])


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ("nope", "an op is an array"),
        (["x"] * 5, "an op is an array"),
        (["x y", "actor", "label", "", 1, "c"], "id must be"),
        ([1, "actor", "label", "", 1, "c"], "id must be"),
        (["x", "planet", "label", "", 1, "c"], "unknown object type"),
        (["x", 3, "label", "", 1, "c"], "unknown object type"),
        (["x", "actor", "size", "", 1, "c"], "unknown field"),
        (["x", "actor", 4, "", 1, "c"], "unknown field"),
        (["x", "meta", "issue", "", 1, "c"], "meta object"),
        (["meta", "actor", "label", "", 1, "c"], "meta object"),
        (["x", "actor", "label", "", -1, "c"], "counter"),
        (["x", "actor", "label", "", 2**53, "c"], "counter"),
        (["x", "actor", "label", "", 1.0, "c"], "counter"),
        (["x", "actor", "label", "", 1, ""], "client must be"),
        (["x", "actor", "label", "", 1, "é"], "client must be"),
    ],
)
def test_invalid_ops(raw: Any, match: str) -> None:
    with pytest.raises(InvalidOp, match=match):
        op_from_wire(raw)


def test_op_clock_and_wire() -> None:
    op = Op("a", "actor", "label", "x", 3, "c")
    assert op.clock == (3, "c")
    assert op.to_wire() == ["a", "actor", "label", "x", 3, "c"]


def test_every_field_exports() -> None:
    exported = schema.to_json()
    assert exported["roles"] == list(schema.ROLES)
    assert [f for f in exported["types"]["actor"] if f.startswith("role_")] == [
        schema.ROLE_PREFIX + r for r in schema.ROLES
    ]
    assert exported["types"]["ink"]["points"]["group"] == 3
    assert exported["types"]["relation"]["source"]["refType"] == "actor"
    assert exported["types"]["actor"]["pos"]["maxAbs"] == schema.MAX_COORD
    assert schema.dumps().endswith("}\n")
