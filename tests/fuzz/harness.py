"""The fuzzer: frames sent to a running hub, each answer checked against the protocol.

A fuzzing participant sends generated and mutated frames on its connection, in windows
closed by a ``ping``. For every frame the pure core says what the hub must answer
(:meth:`Fuzzer.expect`): the error code with its ``ref`` and ``board`` for a frame the
decoder refuses; ``sync``, ``pong``, ``forbidden``, ``not_subscribed``... for a valid
message; an ``ack`` or ``conflict`` later for a batch the hub takes; a close with the
documented code for a protocol violation (then the fuzzer reconnects). Some frames are
sent as the first frame of a new connection instead (the hello path).

Meanwhile honest clients edit the same board, and an observer records every ``update``.
At the end: every op the board stored came from a batch the hub acknowledged (nothing
rejected changed anything), the observer's stream rebuilds the stored state exactly,
the honest clients' replicas equal it with every edit acknowledged, no connection was
closed 1011, the hub process is alive with no error in its log, and its RSS stayed
within a bound.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from schakel_client import SchakelClient
from schakel_core import codec
from schakel_core import messages as m
from schakel_core.document import Document
from schakel_core.errors import CloseCode, RequestError, VersionMismatch
from schakel_core.ops import Op
from schakel_core.schema import MAX_BOARDS_PER_CONNECTION, MAX_COUNTER_JUMP, MAX_FRAME_BYTES

from .frames import Mutator

TIMEOUT = 15.0
WINDOW = 40  # frames between two pings
MARKER_BASE = 2**52  # ping numbers of the window markers
REF_BASE = 10**12  # refs the fuzzer gives the batches the hub takes
ASYNC_TYPES = (m.Update, m.PresenceOut, m.Leave, m.WorkshopEvent, m.Sync)


class FuzzFailure(AssertionError):
    pass


@dataclass
class Expect:
    """What the hub must answer to one frame."""

    kind: str  # error | sync | pong | none | pending | close
    code: str | None = None
    ref: int | None = None
    board: str | None = None
    n: int | None = None
    close: int | None = None


@dataclass
class Report:
    frames: int = 0
    first_frames: int = 0
    by_outcome: Counter[str] = field(default_factory=Counter)
    accepted_batches: int = 0
    refused_batches: int = 0
    reconnects: int = 0
    crashes: int = 0  # 1011 closes seen; the test adds a dead hub and errors in its log
    stored_ops: int = 0
    honest_ops: int = 0
    seconds: float = 0.0


class Fuzzer:
    """One fuzzing participant: its connection, what it follows, and what it waits for."""

    def __init__(self, url: str, token: str, client: str, board: str, report: Report) -> None:
        self.url, self.token, self.client, self.board = url, token, client, board
        self.report = report
        self.ws: ClientConnection | None = None
        self.readable: set[str] = set()
        self.writable: set[str] = set()
        self.subs: set[str] = set()
        self.pending: list[tuple[int, list[Op]]] = []  # in send order
        self.accepted: set[bytes] = set()  # ops of acknowledged batches, packed
        self._refs = itertools.count(REF_BASE)
        self._markers = itertools.count(MARKER_BASE)
        self._queued: collections.deque[m.ServerMessage] = collections.deque()

    # ------------------------------------------------------------- connection

    async def connect(self) -> None:
        self._queued.clear()
        self.ws = await connect(self.url, max_size=None, open_timeout=TIMEOUT)
        await self.ws.send(m.encode(m.Hello(self.token, self.client)))
        welcome = await self.recv()
        if not isinstance(welcome, m.Welcome):
            raise FuzzFailure(f"hello answered by {welcome!r}")
        self.readable, self.writable = set(welcome.boards), set(welcome.writable)
        self.subs = set()
        await self.ws.send(m.encode(m.Subscribe(self.board, 0, 1)))
        self.subs.add(self.board)
        await self.until(lambda msg: isinstance(msg, m.Sync) and msg.ref == 1)

    async def recv(self) -> m.ServerMessage:
        """The next message (a hub frame holds one or more)."""
        assert self.ws is not None
        if self._queued:
            return self._queued.popleft()
        data = await asyncio.wait_for(self.ws.recv(decode=False), TIMEOUT)
        if not isinstance(data, bytes):
            raise FuzzFailure(f"the hub sent a text frame: {data!r}")
        try:
            self._queued.extend(m.decode_frame(data))
        except RequestError as exc:
            raise FuzzFailure(f"the hub sent a frame its own decoder refuses: {exc}") from exc
        return self._queued.popleft()

    async def until(self, done: Any) -> m.ServerMessage:
        while True:
            msg = await self.recv()
            if done(msg):
                return msg
            self._async(msg)

    # ---------------------------------------------------------------- oracle

    @staticmethod
    def closes(frame: bytes) -> bool:
        """Frames that close the connection are sent alone (:meth:`closing`), never in
        a window; this tells them apart without touching the fuzzer's state."""
        if len(frame) > MAX_FRAME_BYTES:
            return True
        try:
            return isinstance(m.decode_client(frame), m.Hello)
        except VersionMismatch:
            return True
        except RequestError:
            return False

    def expect(self, frame: bytes) -> tuple[bytes, Expect]:
        """What the hub must answer; a batch it will take is given a fresh ``ref`` (so
        that acks settle it exactly) and counters within ``MAX_COUNTER_JUMP``, so that the
        hub's bound on a counter's jump (``invalid_op``, tested on its own) never refuses
        it: it depends on the board's highest counter, which the honest clients move."""
        if len(frame) > MAX_FRAME_BYTES:
            return frame, Expect("close", close=CloseCode.MESSAGE_TOO_BIG)
        try:
            msg = m.decode_client(frame)
        except VersionMismatch as exc:
            return frame, Expect("close", exc.code, close=exc.close_code)
        except RequestError as exc:
            return frame, Expect("error", exc.code, exc.ref, exc.board)
        match msg:
            case m.Hello():
                return frame, Expect("close", "hello_required", close=CloseCode.PROTOCOL_VIOLATION)
            case m.Subscribe(board=board, ref=ref):
                if board in self.subs:
                    self.subs.discard(board)
                elif len(self.subs) >= MAX_BOARDS_PER_CONNECTION:
                    return frame, Expect("error", "too_large", ref)
                if board not in self.readable:
                    return frame, Expect("error", "forbidden", ref, board)
                self.subs.add(board)
                return frame, Expect("sync", ref=ref, board=board)
            case m.Unsubscribe(board=board):
                self.subs.discard(board)
                return frame, Expect("none")
            case m.Ops(board=board, ref=ref, ops=ops):
                if board not in self.subs:
                    return frame, Expect("error", "not_subscribed", ref, board)
                if board not in self.writable or any(op.client != self.client for op in ops):
                    return frame, Expect("error", "forbidden", ref, board)
                ops = [op._replace(counter=1 + (op.counter - 1) % MAX_COUNTER_JUMP) for op in ops]
                ref = next(self._refs)
                self.pending.append((ref, ops))
                return m.encode(m.Ops(board, ref, ops)), Expect("pending", ref=ref)
            case m.Presence(board=board):
                if board not in self.subs:
                    return frame, Expect("error", "not_subscribed")
                return frame, Expect("none")
            case m.Ping(n=n):
                return frame, Expect("pong", n=n)
            case m.Control(ref=ref):
                return frame, Expect("error", "forbidden", ref)
        raise AssertionError(msg)  # pragma: no cover

    def _async(self, msg: m.ServerMessage) -> None:
        """A message that may come at any time: settles pending batches, or is ignored."""
        match msg:
            case m.Ack(ref=ref):
                refs = [r for r, _ in self.pending]
                if ref not in refs:
                    raise FuzzFailure(f"an ack of {ref}, which was not pending: {refs}")
                upto = refs.index(ref) + 1
                for _, ops in self.pending[:upto]:
                    self.accepted.update(map(packed, ops))
                self.report.accepted_batches += upto
                del self.pending[:upto]
            case m.Error(code="conflict", ref=ref) if ref in {r for r, _ in self.pending}:
                self.pending = [(r, ops) for r, ops in self.pending if r != ref]
                self.report.refused_batches += 1
                self.report.by_outcome["conflict"] += 1
            case _ if isinstance(msg, ASYNC_TYPES):
                pass
            case _:
                raise FuzzFailure(f"unexpected {msg!r}")

    # ---------------------------------------------------------------- sending

    async def window(self, frames: list[bytes]) -> None:
        """Send ``frames`` and a marker ping; check every answer; settle every batch."""
        assert self.ws is not None
        expected: list[tuple[bytes, Expect]] = []
        if self.board not in self.subs:  # (follow the board again, so batches can land)
            again = m.encode(m.Subscribe(self.board, 0, next(self._markers)))
            self.report.frames -= 1  # not a fuzzed frame
            frames = [again, *frames]
        for frame in frames:
            sent, e = self.expect(frame)
            await self.ws.send(sent)
            self.report.frames += 1
            if e.kind == "pending":
                self.report.by_outcome["batch"] += 1
            else:
                self.report.by_outcome[e.code or e.kind] += 1
            if e.kind in ("error", "sync", "pong"):
                expected.append((sent, e))
        marker = next(self._markers)
        await self.ws.send(m.encode(m.Ping(marker)))
        expected.append((b"", Expect("pong", n=marker)))
        for frame, e in expected:
            msg = await self.recv()
            while not self._immediate(msg, e):
                self._async(msg)
                msg = await self.recv()
            if not _matches(msg, e):
                raise FuzzFailure(f"frame {frame[:80]!r}: expected {e}, got {msg!r}")
        while self.pending:
            self._async(await self.recv())

    @staticmethod
    def _immediate(msg: m.ServerMessage, e: Expect) -> bool:
        """Is ``msg`` the answer to a frame (not something that comes at any time)?"""
        if isinstance(msg, m.Sync):
            return e.kind == "sync" and msg.ref == e.ref
        if isinstance(msg, m.Error):
            return msg.code != "conflict"
        return isinstance(msg, m.Pong)

    async def closing(self, frame: bytes | str, e: Expect) -> None:
        """Send a frame the hub answers by closing; check the close; connect again."""
        assert self.ws is not None and not self.pending
        await self.ws.send(frame)
        self.report.frames += 1
        self.report.by_outcome[f"close {e.close}"] += 1
        code, errors = await self._closed()
        if code != e.close or (e.code is not None and errors != [e.code]):
            raise FuzzFailure(f"{frame[:80]!r}: expected close {e}, got {code} after {errors}")
        await self.connect()
        self.report.reconnects += 1

    async def _closed(self) -> tuple[int | None, list[str]]:
        assert self.ws is not None
        errors: list[str] = []
        try:
            while True:
                msg = await self.recv()
                if isinstance(msg, m.Error):
                    errors.append(msg.code)
                else:
                    self._async(msg)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            if code == CloseCode.INTERNAL_ERROR:
                self.report.crashes += 1
            return code, errors

    async def first_frame(self, frame: bytes) -> None:
        """``frame`` as the first message of a new connection (the hello path)."""
        self.report.first_frames += 1
        self.report.frames += 1
        try:
            msg = m.decode_client(frame) if len(frame) <= MAX_FRAME_BYTES else None
            want: tuple[str | None, int | None]
            if msg is None:
                want = (None, CloseCode.MESSAGE_TOO_BIG)
            elif not isinstance(msg, m.Hello):
                want = ("hello_required", CloseCode.PROTOCOL_VIOLATION)
            elif msg.token == self.token:
                want = ("welcome", None)
            else:
                want = ("auth_failed", CloseCode.AUTH_FAILED)
        except VersionMismatch as exc:
            want = (exc.code, exc.close_code)
        except RequestError as exc:
            want = (exc.code, CloseCode.PROTOCOL_VIOLATION)
        async with connect(self.url, max_size=None, open_timeout=TIMEOUT) as ws:
            await ws.send(frame)
            try:
                data = await asyncio.wait_for(ws.recv(decode=False), TIMEOUT)
                first = m.decode_frame(data)[0]  # type: ignore[arg-type]
            except ConnectionClosed as exc:
                got = (None, exc.rcvd.code if exc.rcvd else None)
            else:
                if isinstance(first, m.Welcome):
                    got = ("welcome", None)
                else:
                    assert isinstance(first, m.Error), first
                    with contextlib.suppress(ConnectionClosed):
                        while True:
                            await asyncio.wait_for(ws.recv(), TIMEOUT)
                    code = ws.close_code
                    got = (first.code, code)
        self.report.by_outcome[f"first {want[0]}"] += 1
        if got[1] == CloseCode.INTERNAL_ERROR:
            self.report.crashes += 1
        if got != want:
            raise FuzzFailure(f"first frame {frame[:80]!r}: expected {want}, got {got}")


def _matches(msg: m.ServerMessage, e: Expect) -> bool:
    match msg:
        case m.Error(code=code, ref=ref, board=board):
            return e.kind == "error" and (code, ref, board) == (e.code, e.ref, e.board)
        case m.Pong(n=n):
            return e.kind == "pong" and n == e.n
        case m.Sync(ref=ref, board=board):
            return e.kind == "sync" and (ref, board) == (e.ref, e.board)
    return False


class Observer:
    """A plenary connection recording every update of the board, checking the numbers."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.seq = 0
        self.task: asyncio.Task[None] | None = None

    async def start(self, url: str, token: str, board: str) -> None:
        ws = await connect(url, max_size=None, open_timeout=TIMEOUT)
        await ws.send(m.encode(m.Hello(token, "observer")))
        await ws.send(m.encode(m.Subscribe(board, 0, 1)))
        ready = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._read(ws, ready))
        await asyncio.wait_for(ready, TIMEOUT)

    async def _read(self, ws: ClientConnection, ready: asyncio.Future[None]) -> None:
        async with ws:
            async for data in ws:
                for msg in m.decode_frame(data):  # type: ignore[arg-type]
                    if isinstance(msg, m.Sync):
                        self.ops, self.seq = list(msg.ops), msg.seq
                        ready.set_result(None)
                    elif isinstance(msg, m.Update):
                        # (the observer writes nothing: every op reaches it)
                        if msg.first != self.seq + 1 or msg.seq - msg.first + 1 != len(msg.ops):
                            raise FuzzFailure(f"updates skipped from {self.seq} to {msg.first}")
                        self.ops += msg.ops
                        self.seq = msg.seq

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class Honest:
    """Participants editing the board all along, as people do."""

    def __init__(self, clients: list[SchakelClient], board: str) -> None:
        self.clients, self.board = clients, board
        self.written: list[Op] = []
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._edit())

    async def _edit(self) -> None:
        for k in itertools.count():
            for c in self.clients:
                self.written += c.edit(
                    self.board, f"{c.client_id}-{k % 40}", "actor", label=f"v{k}"
                )
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        for c in self.clients:
            await c.settled(timeout=30)


async def fuzz(
    fuzzer: Fuzzer,
    corpus: list[bytes],
    hellos: list[bytes],
    frames: int,
    seed: int,
    mutator: Mutator,
) -> None:
    """Send ``frames`` frames: corpus frames, mutations of them, first frames of new
    connections, and now and then a frame the hub closes on."""
    rnd = random.Random(seed)
    start = time.monotonic()
    while fuzzer.report.frames < frames:
        roll = rnd.random()
        if roll < 0.04:  # the hello path: a first frame, mostly damaged
            hello = rnd.choice(hellos)
            if roll < 0.03:
                hello = mutator.mutate(hello, rnd.choice(corpus))
            await fuzzer.first_frame(hello)
        elif roll < 0.043:
            await fuzzer.closing(
                "{}", Expect("close", "binary_only", close=CloseCode.UNSUPPORTED_DATA)
            )
        elif roll < 0.046:  # a second hello (a damaged one is just refused)
            hello = rnd.choice(hellos)
            if fuzzer.closes(hello):
                await fuzzer.closing(*fuzzer.expect(hello))
            else:
                await fuzzer.window([hello])
        elif roll < 0.047:
            huge = codec.pack({"t": "ping", "pad": "x" * MAX_FRAME_BYTES})
            await fuzzer.closing(huge, Expect("close", close=CloseCode.MESSAGE_TOO_BIG))
        else:
            batch = []
            for _ in range(WINDOW):
                frame, how = rnd.choice(corpus), rnd.random()
                if how < 0.25:
                    frame = mutator.crossover(frame, rnd.choice(corpus))
                elif how < 0.75:
                    frame = mutator.mutate(frame, rnd.choice(corpus))
                if not fuzzer.closes(frame):
                    batch.append(frame)
            await fuzzer.window(batch)
    fuzzer.report.seconds = time.monotonic() - start


def packed(op: Op) -> bytes:
    """An op's identity (its values may be lists: not hashable as they are)."""
    return codec.pack(list(op))


def check_stream(observer: Observer, fuzzer: Fuzzer, honest: Honest, stored: list[Op]) -> None:
    """Nothing rejected reached the board; the stream rebuilds what is stored."""
    allowed = fuzzer.accepted | set(map(packed, honest.written))
    strays = [op for op in observer.ops if packed(op) not in allowed]
    if strays:
        raise FuzzFailure(f"stored ops from no acknowledged batch: {strays[:5]}")
    if Document(observer.ops).state() != Document(stored).state():
        raise FuzzFailure("the update stream does not rebuild the stored board")
