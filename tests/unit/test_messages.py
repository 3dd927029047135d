"""Message types: round trips, validation, and the decode entry points."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schakel_core import codec
from schakel_core import messages as m
from schakel_core.errors import (
    FrameTooLarge,
    InvalidMessage,
    InvalidOp,
    Malformed,
    RequestError,
    TooLarge,
    UnknownMessage,
    VersionMismatch,
)
from schakel_core.ops import Op
from schakel_core.schema import MAX_FRAME_BYTES

from .strategies import writes as write_strategy

OP = Op("a1", "actor", "label", "x", 1, "c1")

CLIENT_MESSAGES: list[m.ClientMessage] = [
    m.Hello("tok", "c1", "Ann"),
    m.Subscribe("w:g1", 5, 2),
    m.Subscribe("w:g1"),
    m.Unsubscribe("w:g1"),
    m.Ops("w:g1", 3, [OP]),
    m.Presence(
        "w:g1", {"cursor": [1, 2.5], "sel": ["a1"], "stroke": [1, 2, 0.5], "colour": "#ff0000"}
    ),
    m.Presence("w:g1", {"cursor": None}),
    m.Ping(4),
    m.Control(5, "extend", {"minutes": 5}),
    m.Control(6, "start"),
]

SERVER_MESSAGES: list[m.ServerMessage] = [
    m.Welcome("c", "viewer", "w", None, ["w:g1"], [], 1.5, {"maxFrameBytes": 1}),
    m.Sync("w:g1", 3, True, [OP], 2),
    m.Update("w:g1", 3, 3, [OP]),
    m.Update("w:g1", 1, 3, [OP]),
    m.Ack("w:g1", 3, 9, 1),
    m.Ack("w:g1", 3, 9, 0, (("a1", "label", 4),)),
    m.PresenceOut("w:g1", "c", "c1", "Ann", {"cursor": [1, 2]}),
    m.Leave("w:g1", "c"),
    m.Error("forbidden", "no", 3, "w:g1"),
    m.Pong(4, 12.5),
    m.WorkshopEvent("w", {"round": 1}),
    m.Done(5),
]


@pytest.mark.parametrize("msg", CLIENT_MESSAGES, ids=lambda x: type(x).__name__)
def test_client_messages_round_trip(msg: m.ClientMessage) -> None:
    assert m.decode_client(m.encode(msg)) == msg


@pytest.mark.parametrize("msg", SERVER_MESSAGES, ids=lambda x: type(x).__name__)
def test_server_messages_round_trip(msg: m.ServerMessage) -> None:
    assert m.decode_server(m.encode(msg)) == msg


def frame(value: Any) -> bytes:
    data: bytes = msgpack.packb(value)
    return data


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ({"t": 3}, UnknownMessage, "unknown message type"),
        ({"x": 1}, UnknownMessage, "unknown message type"),
        ({"t": "hello", "v": 2, "client": "c"}, InvalidMessage, "'token' is missing"),
        ({"t": "hello", "v": 2, "token": "t", "client": "c c"}, InvalidMessage, "client must be"),
        ({"t": "hello", "v": 2, "token": "t" * 3000, "client": "c"}, TooLarge, "longer than"),
        ({"t": "hello", "v": 2, "token": "t", "client": "c", "name": "n" * 41}, TooLarge, "longer"),
        ({"t": "subscribe", "board": "b b", "since": 0}, InvalidMessage, "board must be"),
        ({"t": "subscribe", "board": "b", "since": -1}, InvalidMessage, "must be 0.."),
        ({"t": "subscribe", "board": "b", "since": 0, "ref": "x"}, InvalidMessage, "wrong type"),
        ({"t": "ops", "board": "b", "ops": [OP.to_wire()]}, InvalidMessage, "'ref' is missing"),
        ({"t": "ops", "board": "b", "ref": 1, "ops": "x"}, InvalidMessage, "wrong type"),
        ({"t": "presence", "board": "b", "data": []}, InvalidMessage, "must be a map"),
        ({"t": "presence", "board": "b", "data": {"x": 1}}, InvalidMessage, "unknown keys"),
        ({"t": "presence", "board": "b", "data": {"cursor": [1]}}, InvalidMessage, "cursor"),
        (
            {"t": "presence", "board": "b", "data": {"cursor": [1, float("nan")]}},
            InvalidMessage,
            "cursor",
        ),
        ({"t": "presence", "board": "b", "data": {"sel": ["a"] * 51}}, InvalidMessage, "sel"),
        ({"t": "presence", "board": "b", "data": {"sel": ["a b"]}}, InvalidMessage, "sel"),
        ({"t": "presence", "board": "b", "data": {"stroke": [1] * 601}}, InvalidMessage, "stroke"),
        ({"t": "presence", "board": "b", "data": {"colour": 5}}, InvalidMessage, "colour"),
        ({"t": "ping", "n": "x"}, InvalidMessage, "wrong type"),
    ],
)
def test_invalid_client_messages(value: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        m.decode_client(frame(value))


def test_a_control_error_carries_the_ref() -> None:
    with pytest.raises(InvalidMessage) as info:
        m.decode_client(frame({"t": "control", "ref": 9, "action": 3}))
    assert info.value.ref == 9


def test_an_ops_error_carries_the_ref() -> None:
    bad = {"t": "ops", "board": "b", "ref": 7, "ops": [["x", "actor", "influence", 9, 1, "c"]]}
    with pytest.raises(InvalidOp) as info:
        m.decode_client(frame(bad))
    assert info.value.ref == 7
    with pytest.raises(UnknownMessage) as unknown:
        m.decode_client(frame({"t": "nope", "ref": 8}))
    assert unknown.value.ref == 8


@pytest.mark.parametrize(
    "data", [b"", b"\xc1", b"\x92\x01", frame([1]), frame({1: 2}), frame({"t": 1}) + b"x"]
)
def test_malformed_frames(data: bytes) -> None:
    with pytest.raises(Malformed):
        codec.unpack(data)


def test_oversized_frames_are_a_protocol_violation() -> None:
    with pytest.raises(FrameTooLarge):
        codec.unpack(b"\x00" * (MAX_FRAME_BYTES + 1))


def test_unknown_server_message() -> None:
    with pytest.raises(UnknownMessage):
        m.decode_server(frame({"t": "hello"}))
    with pytest.raises(UnknownMessage):
        m.decode_server(frame({"t": None}))


def test_error_reasons_are_capped() -> None:
    assert len(m.Error("x", "r" * 9999).to_map()["reason"]) == m.MAX_REASON_LEN


def test_optional_fields_default() -> None:
    assert m.decode_client(frame({"t": "ping"})) == m.Ping(0)
    assert m.decode_client(frame({"t": "hello", "v": 2, "token": "t", "client": "c"})) == m.Hello(
        "t", "c"
    )


@pytest.mark.parametrize("v", [1, 3, 0, None, True, 2.0, "2", [2]])
def test_a_hello_of_another_version_is_a_version_mismatch(v: Any) -> None:
    """Checked before anything else: a v1 hello with a bad token still hears 'reload'."""
    hello = {"t": "hello", "v": v, "token": 5, "client": ""}
    with pytest.raises(VersionMismatch) as info:
        m.decode_client(frame(hello))
    assert info.value.code == "version_mismatch"
    assert info.value.close_code == 4426
    assert info.value.reason == "this hub speaks protocol version 2: reload"
    with pytest.raises(VersionMismatch):
        m.decode_client(frame({k: x for k, x in hello.items() if k != "v"}))


def test_a_frame_of_several_messages_decodes_in_order() -> None:
    frames = [m.encode(msg) for msg in SERVER_MESSAGES]
    assert m.decode_frame(b"".join(frames)) == SERVER_MESSAGES
    with pytest.raises(RequestError, match=r"whole msgpack values"):
        m.decode_frame(b"".join(frames)[:-1])
    with pytest.raises(RequestError):
        m.decode_frame(b"")
    with pytest.raises(RequestError):
        m.decode_frame(frames[0] + msgpack.packb([1, 2]))
    with pytest.raises(RequestError):  # a client frame stays one message
        m.decode_client(m.encode(CLIENT_MESSAGES[1]) * 2)


def test_errors_have_codes_and_repr() -> None:
    from schakel_core.errors import ERROR_CODES, Forbidden

    exc = Forbidden("no", ref=3, board="b")
    assert (exc.code, exc.reason, exc.ref, exc.board) == ("forbidden", "no", 3, "b")
    assert repr(exc) == "Forbidden('no')"
    assert len(set(ERROR_CODES)) == len(ERROR_CODES)


def test_a_large_sync_comes_in_frames_that_join_to_the_answer() -> None:
    ops = [Op(f"a{i}", "actor", "label", "x" * 100, i, "c1") for i in range(1, 41)]
    packed = [codec.pack(op.to_wire()) for op in ops]
    frames = list(m.sync_frames("w:g1", 40, True, packed, 7, chunk_bytes=1000))
    decoded = [m.decode_server(f) for f in frames]
    assert len(frames) > 1
    assert all(isinstance(d, m.Sync) for d in decoded)
    syncs = [d for d in decoded if isinstance(d, m.Sync)]
    assert [s.more for s in syncs] == [True] * (len(syncs) - 1) + [False]
    assert {(s.board, s.seq, s.full, s.ref) for s in syncs} == {("w:g1", 40, True, 7)}
    assert [op for s in syncs for op in s.ops] == ops
    assert all(len(s.ops) >= 1 for s in syncs)
    # No ops: one frame; a small answer: one frame, without ``more``.
    [empty] = m.sync_frames("w:g1", 0, True, [], None)
    assert m.decode_server(empty) == m.Sync("w:g1", 0, True, [], None)
    [one] = m.sync_frames("w:g1", 40, False, packed[:3], 2)
    assert "more" not in codec.unpack(one)


def test_sync_more_round_trips() -> None:
    sync = m.Sync("w:g1", 3, True, [OP], 2, more=True)
    assert m.encode(sync) == codec.pack({**sync.to_map()})
    assert m.decode_server(m.encode(sync)) == sync
    assert "more" not in m.Sync("w:g1", 3, True, [OP], 2).to_map()


def test_maps_and_arrays_of_values_packed_before() -> None:
    parts = {"b": codec.pack([1, 2]), "c": codec.pack({"d": "e"})}
    assert codec.unpack(codec.pack_map({"t": "x", "a": 1}, parts)) == {
        "t": "x",
        "a": 1,
        "b": [1, 2],
        "c": {"d": "e"},
    }
    assert codec.unpack_value(codec.pack_array([codec.pack(1), codec.pack("two")])) == [1, "two"]
    assert codec.unpack_value(codec.pack(OP.to_wire())) == list(OP)


@settings(max_examples=200, deadline=None)
@given(writes=st.lists(write_strategy(), min_size=1, max_size=5), ref=st.integers(0, 2**53 - 1))
def test_an_ops_message_keeps_each_ops_bytes_as_they_came(
    writes: list[tuple[str, str, str, Any]], ref: int
) -> None:
    """The one-pass decode of ``ops`` gives what the general one gives, plus each op's
    bytes exactly as sent (a float32 stays a float32: the hub forwards, never rewrites)."""
    ops = [Op(*w, i + 1, "c1") for i, w in enumerate(writes)]
    data = m.encode(m.Ops("w:g1", ref, ops))
    msg = m.decode_client(data)
    assert isinstance(msg, m.Ops) and msg == m.Ops.from_map(codec.unpack(data))
    assert [msgpack.unpackb(raw) for raw in msg.packed] == [list(op) for op in ops]
    assert b"".join(msg.packed) in data
    # Keys in another order: the general decode, the same message, no bytes kept.
    other = msgpack.packb({"ref": ref, "board": "w:g1", "t": "ops", "ops": [list(o) for o in ops]})
    again = m.decode_client(other)
    assert again == msg and isinstance(again, m.Ops) and again.packed == []


def test_the_one_pass_decode_refuses_what_the_general_one_refuses() -> None:
    good = m.encode(m.Ops("w:g1", 3, [OP]))
    single = msgpack.Packer(use_single_float=True).pack(
        {"t": "ops", "board": "w:g1", "ref": 3, "ops": [["a1", "actor", "pos", [1.5, 2.5], 1, "c"]]}
    )
    raw = m.decode_client(single)
    assert isinstance(raw, m.Ops) and raw.packed[0] in single and b"\xca" in raw.packed[0]
    for bad in (good + b"\x00", good[:-1], good.replace(b"\xa3ops", b"\xa3opz", 1)):
        assert codec.unpack_ops(bad) is None
        with pytest.raises(RequestError):
            m.decode_client(bad)
    dup = b"\x85" + good[1:] + msgpack.packb("ops") + msgpack.packb([])
    assert codec.unpack_ops(dup) is None  # a key twice: the general decode decides
