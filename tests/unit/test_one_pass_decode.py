"""The one-pass decodes of the two common messages (presence, ``ops``) against the
general decode: for any frame, near-valid or hostile, ``decode_client`` gives exactly what
``decode_general`` gives (the same message, or the same error with the same reason, ref
and board), and an ``ops`` message's kept bytes are its ops as sent."""

from __future__ import annotations

import math
from typing import Any

import msgpack
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schakel_core import messages as m
from schakel_core.errors import FrameTooLarge, Malformed, RequestError, SchakelError
from schakel_core.schema import MAX_COORD, MAX_FRAME_BYTES, MAX_SELECTION, MAX_STROKE_NUMBERS

from .strategies import writes as write_strategy


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` three times in four, else ``bad``: most frames get far enough to matter."""
    return st.integers(0, 3).flatmap(lambda i: bad if i == 2 else good)


IDS = mostly(
    st.sampled_from(["a1", "w:g1", "w0123456789abcdef:b01", "A.b_c-d:e", "x" * 64]),
    st.one_of(
        st.sampled_from(["", "a b", "x" * 65, "abc\n", "é", "a/b", "\x00"]),
        st.text(alphabet="ab:._- \n", max_size=6),
    ),
)
NUMBERS = mostly(
    st.one_of(
        st.integers(-1000, 1000),
        st.floats(-MAX_COORD, MAX_COORD),
        st.sampled_from([MAX_COORD, -MAX_COORD, 0.5, -0.0]),
    ),
    st.one_of(
        st.sampled_from([2**53, -(2**63), 2**64 - 1, 1_000_001, -1_000_001]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.just(math.nextafter(MAX_COORD, math.inf)),
    ),
)
# Values that no field takes: a wrong type for any of them.
ODD = st.sampled_from([None, True, False, "s", b"bin", 3, 2.5, [], {}, {"k": 1}, {1: 2}])


def rarely(one_in: int) -> st.SearchStrategy[bool]:
    """True about once in ``one_in`` (not at a bound, which Hypothesis draws often)."""
    return st.integers(0, one_in - 1).map(lambda i: i == one_in // 2)


def numbers(max_size: int) -> st.SearchStrategy[list[Any]]:
    return st.lists(NUMBERS, max_size=max_size)


PRESENCE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "cursor": mostly(
        st.one_of(st.none(), st.tuples(NUMBERS, NUMBERS).map(list)), st.one_of(numbers(3), ODD)
    ),
    "sel": mostly(
        st.one_of(st.lists(IDS, max_size=4), st.just(["a1"] * MAX_SELECTION)),
        st.one_of(st.just(["a1"] * (MAX_SELECTION + 1)), ODD),
    ),
    "stroke": mostly(
        st.one_of(st.none(), numbers(7), st.just([1.5] * MAX_STROKE_NUMBERS)),
        st.one_of(st.just([1] * (MAX_STROKE_NUMBERS + 1)), ODD),
    ),
    "colour": mostly(
        st.one_of(st.none(), st.sampled_from(["#aabbcc", "#AABBCC", "#09fA0b"])),
        st.one_of(st.sampled_from(["#aabbc", "#aabbcc\n", "aabbcc", "#gg0000"]), ODD),
    ),
}
UNKNOWN_KEY = "x"


def envelope(
    draw: st.DrawFn,
    tags: list[str],
    fields: dict[str, st.SearchStrategy[Any]],
    extra: tuple[str, st.SearchStrategy[Any]],
) -> dict[str, Any]:
    """A message map: ``t`` first (mostly the right one), then its fields in any order,
    each now and then left out, and now and then a key it does not have."""
    message: dict[str, Any] = {"t": draw(st.sampled_from(tags))}
    for key in draw(st.permutations([*fields, extra[0]])):
        if key == extra[0]:
            if draw(rarely(6)):
                message[key] = draw(extra[1])
        elif not draw(rarely(10)):
            message[key] = draw(fields[key])
    return message


@st.composite
def presence_maps(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(PRESENCE_FIELDS)), unique=True, max_size=4))
    data: Any = {k: draw(PRESENCE_FIELDS[k]) for k in keys}
    if draw(rarely(10)):
        data[UNKNOWN_KEY] = draw(ODD)
    if draw(rarely(10)):
        data = draw(ODD)
    fields = {"board": st.one_of(IDS, ODD), "data": st.just(data)}
    return envelope(draw, ["presence"] * 5 + ["ops", "Presence"], fields, ("client", IDS))


@st.composite
def ops_maps(draw: st.DrawFn) -> dict[str, Any]:
    ops: list[Any] = []
    for i, (obj_id, obj_type, field, value) in enumerate(
        draw(st.lists(write_strategy(), max_size=3))
    ):
        op: Any = [obj_id, obj_type, field, value, i + 1, "c1"]
        match draw(st.integers(0, 30)):
            case 10:
                op = op[:5]
            case 11:
                op[3] = draw(ODD)
            case 12:
                op[4] = draw(st.one_of(NUMBERS, ODD))
            case 13:
                op[0] = draw(IDS)
            case 14:
                op = {"id": obj_id}
            case 15:
                op[3] = {1: "int key"}
        ops.append(op)
    if draw(rarely(16)):
        ops = draw(ODD)
    fields = {
        "board": st.one_of(IDS, ODD),
        "ref": mostly(st.integers(0, 2**53 - 1), st.one_of(NUMBERS, ODD)),
        "ops": st.just(ops),
    }
    return envelope(draw, ["ops"] * 5 + ["presence"], fields, ("n", ODD))


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """A frame of a presence or ops map, packed the usual way or with float32s, and
    sometimes damaged: a byte changed, cut short, or something after the map."""
    message = draw(st.one_of(presence_maps(), ops_maps()))
    try:
        data = msgpack.packb(message, use_single_float=draw(st.booleans()))
    except OverflowError:  # (a float32 cannot hold it)
        data = msgpack.packb(message)
    match draw(st.integers(0, 17)):
        case 10 if data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        case 11:
            data = data[: draw(st.integers(0, len(data)))]
        case 12:
            data += draw(st.binary(min_size=1, max_size=3))
    return data


def outcome(decode: Any, data: bytes) -> tuple[Any, ...]:
    try:
        msg = decode(data)
    except SchakelError as exc:
        return (
            "refused",
            type(exc),
            str(exc),
            getattr(exc, "ref", None),
            getattr(exc, "board", None),
        )
    return ("taken", msg)


def check_same(data: bytes) -> None:
    fast, general = outcome(m.decode_client, data), outcome(m.decode_general, data)
    assert fast == general
    if fast[0] == "taken" and isinstance(fast[1], m.Ops) and fast[1].packed:
        ops = fast[1]
        assert [msgpack.unpackb(raw) for raw in ops.packed] == [list(op) for op in ops.ops]
        assert all(raw in data for raw in ops.packed)


@settings(max_examples=2000, deadline=None)
@given(data=frames())
@example(data=msgpack.packb({"t": "presence", "board": "b", "data": {"cursor": [1, 2]}}))
@example(data=msgpack.packb({"t": "presence", "board": "b", "data": {"cursor": [2**63, 1]}}))
@example(data=msgpack.packb({"t": "presence", "board": "b", "data": {"sel": None}}))
@example(data=b"\x83\xa1t\xa8presence\xa5board\xa1b\xa4data\x82\xa6cursor\xc0\xa6cursor\x91\x01")
@example(data=b"\x83\xa1t\xa8presence\xa5board\xa1b\xa5board\xa1c")  # a key twice
@example(data=b"\x84\xa1t\xa3ops\xa5board\xa1b\xa3ref\x01\xa3ref\x02")  # a key twice
def test_the_one_pass_decodes_give_what_the_general_decode_gives(data: bytes) -> None:
    check_same(data)


EDGES: list[dict[str, Any]] = [
    {"stroke": [1.5] * MAX_STROKE_NUMBERS},
    {"stroke": [1.5] * (MAX_STROKE_NUMBERS + 1)},
    {"sel": ["a1"] * MAX_SELECTION},
    {"sel": ["a1"] * (MAX_SELECTION + 1)},
    {"sel": ["x" * 64, "x" * 65]},
    {"cursor": [MAX_COORD, -MAX_COORD]},
    {"cursor": [math.nextafter(MAX_COORD, math.inf), 0]},
    {"cursor": [2**63, 0]},
    {"cursor": [0, math.nan]},
    {"cursor": [True, 0]},
    {"cursor": [1, 2, 3]},
    {"colour": "#aAbB09"},
    {"colour": "#aabbcc\n"},
    {"colour": None, "cursor": None, "stroke": None},
]


@pytest.mark.parametrize("data", EDGES)
@pytest.mark.parametrize("float32", [False, True])
def test_the_one_pass_presence_decode_at_each_limit(data: dict[str, Any], float32: bool) -> None:
    """Each limit of presence, on either side, as the general decode decides it."""
    message = {"t": "presence", "board": "w:g1", "data": data}
    try:
        frame = msgpack.packb(message, use_single_float=float32)
    except OverflowError:
        frame = msgpack.packb(message)
    check_same(frame)


def test_the_common_messages_take_the_one_pass_decodes() -> None:
    """What the clients send most is taken in one pass (else this is no fast path)."""
    presence = msgpack.packb({"t": "presence", "board": "w:g1", "data": {"cursor": [1, 2.5]}})
    assert m._presence_fast(presence) == m.Presence("w:g1", {"cursor": [1, 2.5]})
    op = ["a1", "actor", "pos", [1.5, 2], 7, "c1"]
    ops = msgpack.packb({"t": "ops", "board": "w:g1", "ref": 3, "ops": [op]})
    decoded = m.decode_client(ops)
    assert isinstance(decoded, m.Ops) and decoded.packed == [msgpack.packb(op)]
    for data in (presence, ops):
        check_same(data)


def test_a_presence_over_the_frame_limit_is_refused_as_any_frame() -> None:
    """Valid data cannot fill a frame, but one key repeated can (the last one counts)."""
    n = MAX_FRAME_BYTES // 10
    data = b"\x83\xa1t\xa8presence\xa5board\xa1b\xa4data\xdf" + n.to_bytes(4, "big")
    data += (msgpack.packb("cursor") + msgpack.packb([1, 2])) * n
    assert len(data) > MAX_FRAME_BYTES
    assert m._presence_fast(data) is None
    with pytest.raises(FrameTooLarge):
        m.decode_client(data)
    check_same(data[: MAX_FRAME_BYTES - 20])  # (cut short: refused the same way)


@pytest.mark.parametrize("depth", [100, 5_000, 200_000])
def test_deep_nesting_is_malformed_as_in_the_general_decode(depth: int) -> None:
    """msgspec stops at Python's recursion limit with a RecursionError, msgpack at its
    own depth with an error of its own: either way the frame is malformed, never a bug
    that ends the connection."""
    nested = b"\x91" * depth + b"\x00"
    presence = b"\x83\xa1t\xa8presence\xa5board\xa1b\xa4data" + nested
    in_data = b"\x83\xa1t\xa8presence\xa5board\xa1b\xa4data\x81\xa6stroke" + nested
    ops = b"\x84\xa1t\xa3ops\xa5board\xa1b\xa3ref\x01\xa3ops\x91" + nested
    for data in (presence, in_data, ops):
        check_same(data)
        with pytest.raises(SchakelError):
            m.decode_client(data)


def test_a_client_frame_nests_at_most_1024_deep() -> None:
    """PROTOCOL.md, *Frames*: 1,024 maps and arrays deep, the message's map counting."""

    def control(depth: int) -> bytes:  # the message map, args, a map in it: 3 levels
        head = b"\x84\xa1t\xa7control\xa3ref\x01\xa6action\xa1x\xa4args\x81\xa1k"
        return head + b"\x81\xa1k" + b"\x91" * (depth - 3) + b"\x00"

    message = m.decode_client(control(1024))
    assert isinstance(message, m.Control) and message.action == "x"
    with pytest.raises(Malformed):
        m.decode_client(control(1025))
    for depth in (1024, 1025):  # presence and ops too (refused later, or malformed)
        head = b"\x83\xa1t\xa8presence\xa5board\xa1b\xa4data\x81\xa6stroke"  # 2 levels
        presence = head + b"\x91" * (depth - 2) + b"\x00"
        ops = b"\x84\xa1t\xa3ops\xa5board\xa1b\xa3ref\x01\xa3ops" + b"\x91" * (depth - 1) + b"\x00"
        for data in (presence, ops):
            check_same(data)
            with pytest.raises(Malformed if depth > 1024 else RequestError):
                m.decode_client(data)
