"""Identifiers, colours and map keys are checked whole, wherever a client sends them."""

from __future__ import annotations

import string
from typing import Any

import msgpack
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schakel_core import codec
from schakel_core import messages as m
from schakel_core.errors import InvalidMessage, InvalidOp, Malformed, RequestError
from schakel_core.ops import op_from_wire
from schakel_core.schema import MAX_ID_LEN, check_id

# The alphabet PROTOCOL.md documents for object, board and client ids.
ID_ALPHABET = frozenset(string.ascii_letters + string.digits + "_.:-")
# Characters that a regular expression's ``$`` or a careless class might let through.
NEAR_MISSES = ["\n", "\r", "\r\n", "\x00", " ", "\t", "é", "\u2028", "\uff41", "\u0661"]


def frame(value: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(value, use_bin_type=True)
    return data


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(ID_ALPHABET) + NEAR_MISSES) | st.characters(), max_size=70).map(
        "".join
    )
)
@example("nl-1\n")
@example("a" * MAX_ID_LEN + "\n")
def test_an_accepted_identifier_holds_only_the_documented_alphabet(text: str) -> None:
    try:
        check_id(text)
    except InvalidOp:
        assert not text or len(text) > MAX_ID_LEN or not set(text) <= ID_ALPHABET
    else:
        assert 1 <= len(text) <= MAX_ID_LEN and set(text) <= ID_ALPHABET


def _op(obj: str = "a1", field: str = "label", value: Any = "a", client: str = "c") -> Any:
    return [obj, "relation" if field == "source" else "actor", field, value, 1, client]


# Every place a client sends an identifier, as a frame with ``x`` in that place.
PLACES: dict[str, Any] = {
    "object-id": lambda x: {"t": "ops", "board": "w:g1", "ref": 1, "ops": [_op(obj=x)]},
    "ref-value": lambda x: {
        "t": "ops",
        "board": "w:g1",
        "ref": 1,
        "ops": [_op("r1", "source", x)],
    },
    "op-client": lambda x: {"t": "ops", "board": "w:g1", "ref": 1, "ops": [_op(client=x)]},
    "ops-board": lambda x: {"t": "ops", "board": x, "ref": 1, "ops": [_op()]},
    "presence-selection": lambda x: {"t": "presence", "board": "w:g1", "data": {"sel": [x]}},
    "presence-board": lambda x: {"t": "presence", "board": x, "data": {}},
    "hello-client": lambda x: {"t": "hello", "v": 2, "token": "t", "client": x},
    "subscribe-board": lambda x: {"t": "subscribe", "board": x, "since": 0},
    "unsubscribe-board": lambda x: {"t": "unsubscribe", "board": x},
}


@pytest.mark.parametrize("tail", NEAR_MISSES)
@pytest.mark.parametrize("place", sorted(PLACES))
def test_an_identifier_with_a_trailing_character_is_refused(place: str, tail: str) -> None:
    build = PLACES[place]
    good = build("nl-1")
    assert m.decode_client(frame(good)) is not None
    with pytest.raises((InvalidMessage, InvalidOp)):
        m.decode_client(frame(build("nl-1" + tail)))


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#12345g", "#abcdef\n", 0xFF0000])
def test_a_presence_colour_is_exactly_rrggbb(colour: Any) -> None:
    with pytest.raises(InvalidMessage, match="colour"):
        m.decode_client(frame({"t": "presence", "board": "w:g1", "data": {"colour": colour}}))
    with pytest.raises(InvalidOp, match="colour"):
        op_from_wire(["a1", "actor", "colour", colour, 1, "c"])


@pytest.mark.parametrize("colour", ["#a0B1c2", "#000000"])
def test_presence_and_op_colours_accept_rrggbb(colour: str) -> None:
    msg = m.decode_client(frame({"t": "presence", "board": "w:g1", "data": {"colour": colour}}))
    assert isinstance(msg, m.Presence) and msg.data["colour"] == colour
    assert op_from_wire(["a1", "actor", "colour", colour, 1, "c"]).value == colour
    with pytest.raises(InvalidOp):
        op_from_wire(["a1", "actor", "colour", colour + "\n", 1, "c"])


@pytest.mark.parametrize(
    "value",
    [
        {b"t": "ping"},
        {"t": "ping", b"n": 1},
        {"t": "presence", "board": "w:g1", "data": {b"cursor": [1, 2]}},
        {"t": "presence", "board": "w:g1", "data": {1: [1, 2]}},
        {"t": "control", "ref": 1, "action": "start", "args": {b"minutes": 1}},
        {"t": "control", "ref": 1, "action": "start", "args": {None: 1}},
        {"t": "ping", "n": b"\x01"},
    ],
)
def test_a_map_key_that_is_not_a_string_is_malformed(value: dict[Any, Any]) -> None:
    with pytest.raises(Malformed):
        m.decode_client(frame(value))
    with pytest.raises(Malformed):
        codec.unpack(frame(value))


def test_every_refusal_is_a_request_error() -> None:
    with pytest.raises(RequestError):
        m.decode_client(frame({"t": "unsubscribe", "board": "w:g1\n"}))
