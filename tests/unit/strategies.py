"""Hypothesis strategies for ops of a small board, so that writes collide often."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from schakel_core.ops import Op
from schakel_core.schema import Field

HEX = "0123456789abcdefABCDEF"
COLOURS = st.lists(st.sampled_from(HEX), min_size=6, max_size=6).map(lambda c: "#" + "".join(c))

CLIENTS = ("alice", "bob", "carol", "dave")

# Ids carry their type, so that generated ops never give one id two types.
ACTORS = ("a1", "a2", "a3")
IDS: dict[str, tuple[str, ...]] = {"actor": ACTORS, "relation": ("r1", "r2"), "note": ("n1",)}

FIELD_VALUES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "actor": {
        "label": st.sampled_from(["Imam", "Wijkagent", "Jongerenwerker", ""]),
        "stance": st.sampled_from(["pole_a", "pole_b", "middle", "unknown"]),
        "influence": st.integers(0, 5),
        "pos": st.lists(st.integers(-500, 500), min_size=2, max_size=2),
        "role_pusher": st.booleans(),
        "role_joiner": st.booleans(),
        "role_schakel": st.booleans(),
        "deleted": st.booleans(),
    },
    "relation": {
        "source": st.sampled_from(ACTORS),
        "target": st.sampled_from(ACTORS),
        "sign": st.sampled_from(["+", "-"]),
        "deleted": st.booleans(),
    },
    "note": {"text": st.sampled_from(["Waarom?", "Wie?"]), "deleted": st.booleans()},
}


@st.composite
def writes(draw: st.DrawFn) -> tuple[str, str, str, Any]:
    """(id, type, field, value) of one write."""
    obj_type = draw(st.sampled_from(sorted(IDS)))
    obj_id = draw(st.sampled_from(IDS[obj_type]))
    field = draw(st.sampled_from(sorted(FIELD_VALUES[obj_type])))
    value = draw(FIELD_VALUES[obj_type][field])
    return obj_id, obj_type, field, value


@st.composite
def op_lists(draw: st.DrawFn, max_size: int = 30, tag: int = 0) -> list[Op]:
    """Ops with unique clocks (each client's counter only grows), as real clients make.

    Lists drawn with different ``tag`` (0..9) never share a clock."""
    n = draw(st.integers(0, max_size))
    ops = []
    for i in range(n):
        obj_id, obj_type, field, value = draw(writes())
        client = draw(st.sampled_from(CLIENTS))
        # Counters collide across clients on purpose (ties broken by client id);
        # (counter, client) stays unique because i is unique.
        counter = draw(st.integers(1, 5)) * 1000 + i * 10 + tag
        ops.append(Op(obj_id, obj_type, field, value, counter, client))
    return ops


def field_values(
    f: Field,
    *,
    refs: Sequence[str],
    coord: float = 1000.0,
    max_text: int = 20,
    max_numbers: int = 9,
) -> st.SearchStrategy[Any]:
    """Every value the schema accepts for field ``f`` (within the bounds given)."""
    number = st.floats(-coord, coord, allow_nan=False)
    match f.type:
        case "string":
            return st.text(max_size=min(f.max_len, max_text))
        case "enum":
            return st.sampled_from(f.values)
        case "bool":
            return st.booleans()
        case "int":
            return st.integers(int(f.min), int(f.max))
        case "number":
            return st.floats(f.min, f.max, allow_nan=False)
        case "point":
            return st.lists(number, min_size=2, max_size=2)
        case "tags":
            return st.lists(st.sampled_from(f.values), unique=True)
        case "ref":
            return st.sampled_from(list(refs))
        case "colour":
            return COLOURS
        case "numbers":
            return st.lists(number, max_size=max_numbers).map(
                lambda xs: xs[: len(xs) // f.group * f.group]
            )
    raise AssertionError(f.type)
