"""Every class of bad input gets its typed error and harms nobody.

For each bad frame: the error code, the ``ref`` echoed where there was one, the socket
still open (a ping gets its pong), another subscriber of the board sees nothing, and the
stored state is unchanged. Protocol violations close with their close code.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest
import pytest_asyncio

from schakel_client import ClientError, SchakelClient
from schakel_core import codec
from schakel_core import messages as m
from schakel_core.errors import CloseCode
from schakel_core.ops import Op
from schakel_core.schema import MAX_FRAME_BYTES, MAX_OPS_PER_BATCH
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, join, running_hub
from tests.support.server import hub_settings as settings_for

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "vectors"
BAD_VECTORS = [
    v
    for v in json.loads((VECTORS / "index.json").read_text())["messages"]
    if "error" in v and v["direction"] == "client" and v["error"] != "version_mismatch"
]
VERSION_VECTORS = [
    v
    for v in json.loads((VECTORS / "index.json").read_text())["messages"]
    if v.get("error") == "version_mismatch"
]
ME = "alice"  # the client id of the bad client: the vectors' ops carry it


@dataclass
class Scene:
    hub: Hub
    board: str
    other_board: str
    bad: Raw
    other: Raw
    before: Any

    async def unharmed(self) -> None:
        """The other subscriber saw nothing, and the board's stored state is unchanged."""
        await self.other.quiet()
        assert await self.hub.service.store.load(self.board, 0) == self.before


# One hub for the whole module (each test makes its own workshop): dozens of cases stay fast.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared_hub(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    async with running_hub(settings_for(tmp_path_factory.mktemp("bad-input"))) as hub:
        yield hub


@pytest_asyncio.fixture(loop_scope="module")
async def scene(shared_hub: Hub) -> AsyncIterator[Scene]:
    hub = shared_hub
    ws = await create_workshop(hub.http, groups=2)
    a = await join(hub.http, ws["join_code"], "Alice")
    b = await join(hub.http, ws["join_code"], "Bob")
    board = a["board"]
    async with (
        await Raw.hello(hub.ws, a["token"], ME) as bad,
        await Raw.hello(hub.ws, b["token"], "bob") as other,
    ):
        await bad.subscribe(board)
        await other.subscribe(board)
        # Some state: a1 label at clock 1/alice, a2, and a relation between them.
        await bad.send_ops(
            board,
            [
                bad.op("a1", "actor", "label", "Imam"),
                bad.op("a2", "actor", "label", "Wijkagent"),
                bad.op("r1", "relation", "source", "a1"),
                bad.op("r1", "relation", "target", "a2"),
            ],
        )
        ack = await bad.expect(m.Ack)  # (no update: its own ops are not sent back)
        assert (ack.seq, ack.applied) == (4, 4)
        await other.expect(m.Update)
        before = await hub.service.store.load(board, 0)
        yield Scene(hub, board, ws["workshop"]["boards"][1], bad, other, before)


def _vector_frame(v: dict[str, Any], board: str) -> bytes:
    data = (VECTORS / v["file"]).read_bytes()
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except (ValueError, TypeError):
        return data
    if type(value) is dict and value.get("board") == "b":
        value["board"] = board  # aim the bad frame at a board the client follows
        return codec.pack(value)
    return data


@pytest.mark.parametrize("vector", BAD_VECTORS, ids=[v["name"] for v in BAD_VECTORS])
async def test_bad_vector(scene: Scene, vector: dict[str, Any]) -> None:
    frame = _vector_frame(vector, scene.board)
    await scene.bad.send_bytes(frame)
    err = await scene.bad.expect(m.Error)
    assert err.code == vector["error"]
    sent = msgpack.unpackb(frame, raw=False, strict_map_key=False) if err.code != "malformed" else 0
    ref = sent.get("ref") if type(sent) is dict else None
    assert err.ref == (ref if type(ref) is int and type(sent.get("t")) is str else None)
    await scene.bad.quiet()
    await scene.unharmed()


def _ops(board: str, *ops: list[Any], ref: Any = 7) -> bytes:
    return codec.pack({"t": "ops", "board": board, "ref": ref, "ops": list(ops)})


def _presence(board: str, data: Any) -> bytes:
    return codec.pack({"t": "presence", "board": board, "data": data})


# (name, frame from (board, other board), expected code, expected ref)
CASES: list[tuple[str, Callable[[str, str], bytes], str, int | None]] = [
    ("trailing-bytes", lambda b, o: codec.pack({"t": "ping"}) + b"\x00", "malformed", None),
    ("int-keys", lambda b, o: msgpack.packb({1: "ping"}), "malformed", None),
    ("ext-type", lambda b, o: msgpack.packb(msgpack.ExtType(1, b"x")), "malformed", None),
    # Nesting past any decoder's depth, where the one-pass decodes look first.
    (
        "presence-nested-deep",
        lambda b, o: _presence(b, None)[:-1] + b"\x91" * 100_000 + b"\x00",
        "malformed",
        None,
    ),
    (
        "ops-nested-deep",
        lambda b, o: (
            codec.pack({"t": "ops", "board": b, "ref": 3, "ops": [[]]})[:-1]
            + b"\x91" * 100_000
            + b"\x00"
        ),
        "malformed",
        None,
    ),
    ("no-type", lambda b, o: codec.pack({"board": b, "ref": 3}), "unknown_message", 3),
    ("unknown-type-ref", lambda b, o: codec.pack({"t": "dance", "ref": 5}), "unknown_message", 5),
    ("type-not-str", lambda b, o: codec.pack({"t": 1}), "unknown_message", None),
    (
        "ops-no-ops",
        lambda b, o: codec.pack({"t": "ops", "board": b, "ref": 3}),
        "invalid_message",
        3,
    ),
    (
        "ops-ref-str",
        lambda b, o: _ops(b, ["x", "actor", "label", "x", 9, ME], ref="1"),
        "invalid_message",
        None,
    ),
    (
        "ops-ref-negative",
        lambda b, o: _ops(b, ["x", "actor", "label", "x", 9, ME], ref=-1),
        "invalid_message",
        None,
    ),
    (
        "ops-bad-board",
        lambda b, o: _ops("no board!", ["x", "actor", "label", "x", 9, ME]),
        "invalid_message",
        7,
    ),
    (
        "ops-not-list",
        lambda b, o: codec.pack({"t": "ops", "board": b, "ref": 7, "ops": {}}),
        "invalid_message",
        7,
    ),
    ("unknown-kind", lambda b, o: _ops(b, ["x", "planet", "label", "x", 9, ME]), "invalid_op", 7),
    ("unknown-field", lambda b, o: _ops(b, ["a1", "actor", "size", 3, 9, ME]), "invalid_op", 7),
    (
        "strength-range",
        lambda b, o: _ops(b, ["r1", "relation", "strength", 4, 9, ME]),
        "invalid_op",
        7,
    ),
    (
        "influence-negative",
        lambda b, o: _ops(b, ["a1", "actor", "influence", -1, 9, ME]),
        "invalid_op",
        7,
    ),
    (
        "influence-float",
        lambda b, o: _ops(b, ["a1", "actor", "influence", 2.0, 9, ME]),
        "invalid_op",
        7,
    ),
    (
        "influence-bool",
        lambda b, o: _ops(b, ["a1", "actor", "influence", True, 9, ME]),
        "invalid_op",
        7,
    ),
    (
        "pos-out-of-range",
        lambda b, o: _ops(b, ["a1", "actor", "pos", [2e6, 0], 9, ME]),
        "invalid_op",
        7,
    ),
    (
        "pos-nan",
        lambda b, o: _ops(b, ["a1", "actor", "pos", [0, math.nan], 9, ME]),
        "invalid_op",
        7,
    ),
    ("width-inf", lambda b, o: _ops(b, ["i1", "ink", "width", -math.inf, 9, ME]), "invalid_op", 7),
    (
        "ink-points-nan",
        lambda b, o: _ops(b, ["i1", "ink", "points", [0, 0, math.nan], 9, ME]),
        "invalid_op",
        7,
    ),
    (
        "counter-too-big",
        lambda b, o: _ops(b, ["a1", "actor", "label", "x", 2**53, ME]),
        "invalid_op",
        7,
    ),
    (
        "client-id-bad",
        lambda b, o: _ops(b, ["a1", "actor", "label", "x", 9, "ali ce"]),
        "invalid_op",
        7,
    ),
    (
        "note-too-long",
        lambda b, o: _ops(b, ["a1", "actor", "note", "x" * 2001, 9, ME]),
        "too_large",
        7,
    ),
    (
        "ink-too-many-points",
        lambda b, o: _ops(b, ["i1", "ink", "points", [0] * 6003, 9, ME]),
        "too_large",
        7,
    ),
    (
        "batch-too-big",
        lambda b, o: _ops(
            b, *[["a1", "actor", "influence", 1, 9 + i, ME] for i in range(MAX_OPS_PER_BATCH + 1)]
        ),
        "too_large",
        7,
    ),
    (
        "name-too-long-hello",
        lambda b, o: codec.pack(
            {"t": "hello", "v": 2, "token": "t", "client": ME, "name": "x" * 41}
        ),
        "too_large",
        None,
    ),
    ("presence-nan", lambda b, o: _presence(b, {"cursor": [math.nan, 0]}), "invalid_message", None),
    ("presence-unknown-key", lambda b, o: _presence(b, {"mood": "happy"}), "invalid_message", None),
    ("presence-not-map", lambda b, o: _presence(b, [1, 2]), "invalid_message", None),
    (
        "presence-big-selection",
        lambda b, o: _presence(b, {"sel": ["a1"] * 51}),
        "invalid_message",
        None,
    ),
    (
        "presence-not-subscribed",
        lambda b, o: _presence(o, {"cursor": [0, 0]}),
        "not_subscribed",
        None,
    ),
    (
        "ops-not-subscribed",
        lambda b, o: _ops(o, ["x", "actor", "label", "x", 9, ME]),
        "not_subscribed",
        7,
    ),
    (
        "ops-other-client",
        lambda b, o: _ops(b, ["x", "actor", "label", "x", 9, "bob"]),
        "forbidden",
        7,
    ),
    (
        "ops-mixed-clients",
        lambda b, o: _ops(
            b, ["x", "actor", "label", "x", 9, ME], ["y", "actor", "label", "y", 10, "bob"]
        ),
        "forbidden",
        7,
    ),
    (
        "clock-reused",
        lambda b, o: _ops(b, ["a1", "actor", "label", "Pastoor", 1, ME]),
        "conflict",
        7,
    ),
    (
        "type-changes",
        lambda b, o: _ops(b, ["a1", "note", "text", "now a note", 9, ME]),
        "conflict",
        7,
    ),
    (
        "batch-two-types",
        lambda b, o: _ops(
            b, ["n9", "note", "text", "x", 9, ME], ["n9", "actor", "label", "y", 10, ME]
        ),
        "conflict",
        7,
    ),
    (
        "batch-clock-twice",
        lambda b, o: _ops(
            b, ["n9", "note", "text", "x", 9, ME], ["n9", "note", "text", "y", 9, ME]
        ),
        "conflict",
        7,
    ),
    (
        "conflict-after-good-ops",
        lambda b, o: _ops(
            b, ["a3", "actor", "label", "ok", 9, ME], ["a1", "note", "text", "x", 10, ME]
        ),
        "conflict",
        7,
    ),
    (
        "subscribe-foreign-board",
        lambda b, o: codec.pack({"t": "subscribe", "board": "nope:g1", "since": 0, "ref": 4}),
        "forbidden",
        4,
    ),
    (
        "subscribe-bad-board",
        lambda b, o: codec.pack({"t": "subscribe", "board": "a b", "since": 0, "ref": 4}),
        "invalid_message",
        4,
    ),
    (
        "subscribe-since-negative",
        lambda b, o: codec.pack({"t": "subscribe", "board": b, "since": -1}),
        "invalid_message",
        None,
    ),
    (
        "control-not-facilitator",
        lambda b, o: codec.pack({"t": "control", "ref": 8, "action": "lock", "args": {}}),
        "forbidden",
        8,
    ),
]


@pytest.mark.parametrize(
    ("frame", "code", "ref"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_request(
    scene: Scene, frame: Callable[[str, str], bytes], code: str, ref: int | None
) -> None:
    board, other = scene.board, scene.other_board
    data = frame(board, other)
    assert len(data) <= MAX_FRAME_BYTES
    await scene.bad.send_bytes(data)
    err = await scene.bad.expect(m.Error)
    assert (err.code, err.ref) == (code, ref), err
    sent = codec.unpack(data) if code != "malformed" else {}
    if sent.get("t") in ("ops", "subscribe") and sent.get("board") in (board, other, "nope:g1"):
        assert err.board == sent["board"], err  # the sender can tell which batch it was
    await scene.bad.quiet()
    await scene.unharmed()
    # The connection goes on working: a good batch is still stored and fanned out.
    good = scene.bad.op("ok1", "note", "text", "still here")
    ref = await scene.bad.send_ops(scene.board, [good], ref=1000)
    assert (await scene.bad.expect(m.Ack)).ref == 1000
    assert (await scene.other.expect(m.Update)).ops == [good]


async def test_text_frame_closes_with_1003(scene: Scene) -> None:
    await scene.bad.send_bytes('{"t": "ping"}')
    code, frames = await scene.bad.closed()
    assert code == CloseCode.UNSUPPORTED_DATA
    assert [(f.code, f.ref) for f in frames if isinstance(f, m.Error)] == [("binary_only", None)]
    assert len(frames) == 1
    await scene.unharmed()


async def test_frame_over_the_limit_closes_with_1009(scene: Scene) -> None:
    huge = _ops(scene.board, ["a1", "actor", "note", "x" * MAX_FRAME_BYTES, 9, ME])
    assert len(huge) > MAX_FRAME_BYTES
    await scene.bad.send_bytes(huge)
    code, frames = await scene.bad.closed()
    assert code == CloseCode.MESSAGE_TOO_BIG
    # Refused by the WebSocket layer before the hub reads it: no error message first
    # (PROTOCOL.md, Frames).
    assert frames == []
    await scene.unharmed()


async def test_second_hello_closes_with_4400(scene: Scene) -> None:
    await scene.bad.send(m.Hello("whatever", ME))
    code, frames = await scene.bad.closed()
    assert code == CloseCode.PROTOCOL_VIOLATION
    assert [(f.code) for f in frames if isinstance(f, m.Error)] == ["hello_required"]
    await scene.unharmed()


@pytest.mark.parametrize(
    "first",
    [m.Ping(1), m.Subscribe("w:g1", 0, 1), m.Ops("w:g1", 1, [])],
    ids=["ping", "subscribe", "ops"],
)
async def test_message_before_hello_closes_with_4400(
    shared_hub: Hub, first: m.ClientMessage
) -> None:
    raw = await Raw.open(shared_hub.ws)
    async with raw:
        if isinstance(first, m.Ops):
            await raw.send_map(
                {
                    "t": "ops",
                    "board": "w:g1",
                    "ref": 1,
                    "ops": [["x", "actor", "label", "x", 1, "raw"]],
                }
            )
        else:
            await raw.send(first)
        code, frames = await raw.closed()
    assert code == CloseCode.PROTOCOL_VIOLATION
    assert [type(f) for f in frames] == [m.Error]
    assert frames[0].code == "hello_required"  # type: ignore[union-attr]


@pytest.mark.parametrize("token", ["", "garbage", "x" * 2048], ids=["empty", "garbage", "long"])
async def test_bad_token_in_hello_closes_with_4401(scene: Scene, token: str) -> None:
    raw = await Raw.open(scene.hub.ws)
    async with raw:
        await raw.send(m.Hello(token, "intruder"))
        code, frames = await raw.closed()
    assert code == CloseCode.AUTH_FAILED
    assert [(f.code) for f in frames if isinstance(f, m.Error)] == ["auth_failed"]
    assert len(frames) == 1
    await scene.unharmed()
    await scene.bad.quiet()


async def test_no_hello_in_time_closes_with_4400(tmp_path: Path) -> None:
    async with running_hub(settings_for(tmp_path, hello_timeout_s=0.2)) as hub:
        raw = await Raw.open(hub.ws)
        async with raw:
            code, frames = await raw.closed()
        assert code == CloseCode.PROTOCOL_VIOLATION
        assert [(f.code) for f in frames if isinstance(f, m.Error)] == ["hello_required"]


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ({"t": "hello", "v": 2, "token": 5, "client": ME}, "invalid_message"),
        ({"t": "hello", "v": 2, "token": "t", "client": "no spaces"}, "invalid_message"),
        (b"\xc1", "malformed"),
    ],
    ids=["token-type", "client-id", "garbage"],
)
async def test_an_invalid_hello_closes_with_4400(
    shared_hub: Hub, first: dict[str, Any] | bytes, code: str
) -> None:
    raw = await Raw.open(shared_hub.ws)
    async with raw:
        await raw.send_bytes(first if isinstance(first, bytes) else codec.pack(first))
        close, frames = await raw.closed()
    assert close == CloseCode.PROTOCOL_VIOLATION
    assert [(f.code) for f in frames if isinstance(f, m.Error)] == [code]


@pytest.mark.parametrize("vector", VERSION_VECTORS, ids=[v["name"] for v in VERSION_VECTORS])
async def test_a_hello_of_another_version_closes_with_4426(
    shared_hub: Hub, vector: dict[str, Any]
) -> None:
    """A tablet still running the old page hears "reload", whatever else its hello
    holds (a v1 hello with a valid token too), and nothing else."""
    raw = await Raw.open(shared_hub.ws)
    async with raw:
        await raw.send_bytes((VECTORS / vector["file"]).read_bytes())
        close, frames = await raw.closed()
    assert close == CloseCode.VERSION_MISMATCH == 4426
    assert frames == [m.Error("version_mismatch", "this hub speaks protocol version 2: reload")]


async def test_a_valid_v1_hello_is_told_to_reload(scene: Scene) -> None:
    token = await _participant_token(scene)
    raw = await Raw.open(scene.hub.ws)
    async with raw:
        await raw.send_map({"t": "hello", "v": 1, "token": token, "client": "old-tablet"})
        close, frames = await raw.closed()
    assert close == 4426
    assert [f.code for f in frames if isinstance(f, m.Error)] == ["version_mismatch"]
    # The Python client stops (it cannot reload itself) and says why.
    hello = m.Hello.to_map

    def v1(self: m.Hello) -> dict[str, Any]:
        return {**hello(self), "v": 1}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(m.Hello, "to_map", v1)
        with pytest.raises(ClientError) as info:
            async with SchakelClient(scene.hub.ws, token, client_id="old-tablet"):
                pass
    assert info.value.code == "version_mismatch"


async def test_the_python_client_settles_after_a_refused_batch(scene: Scene) -> None:
    """A refused batch names its board and ref, so a client drops it instead of waiting."""
    token = await _participant_token(scene)
    async with SchakelClient(scene.hub.ws, token, client_id="carol", reconnect=False) as c:
        replica = await c.subscribe(scene.board)
        bad = Op("a9", "actor", "influence", 9, c.next_clock(), "carol")  # influence is 0..5
        ref = c.send_raw_ops(scene.board, [bad])
        await c.settled()
        err = c.last_error()
        assert err is not None and (err.code, err.ref, err.board) == (
            "invalid_op",
            ref,
            scene.board,
        )
        c.edit(scene.board, "a9", "actor", influence=5)
        await c.settled()
        await c.wait_for(lambda: replica.seq == scene.before.seq + 1)
    update, skipped = await scene.other.until(m.Update)  # Carol's join came first
    assert update.ops[0].value == 5
    assert all(isinstance(f, m.WorkshopEvent) for f in skipped)


async def _participant_token(scene: Scene) -> str:
    wid = scene.board.split(":")[0]
    ws = await scene.hub.service.store.get_workshop(wid)
    assert ws is not None
    p = await join(scene.hub.http, ws.join_code, "Carol")
    assert p["board"] == scene.board
    token: str = p["token"]
    return token
