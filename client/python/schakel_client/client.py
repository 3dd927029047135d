"""An asyncio client for the Schakel hub: for scripts, tests and the load generator.

::

    async with SchakelClient("ws://127.0.0.1:8000/ws", token) as client:
        board = await client.subscribe("3abeef35a276:g1")
        client.edit(board.board, "a1", "actor", label="Youth worker", pos=[0, 0])
        await client.settled()          # every own op acknowledged
        print(board.view())

The protocol (hello, subscribe and resume, batches and acks, the v2 seq rules) is the
core's pure :class:`~schakel_core.client_session.ClientSession`; this module is its I/O:
a ``websockets`` connection, reconnects with back-off, timers, and waiting. The client
keeps a :class:`~schakel_client.replica.Replica` per board, applies own edits at once,
sends them in batches (one per event-loop turn and board) and reconnects by itself: it
resubscribes from the last sequence number it has and sends again whatever was not
acknowledged (ops are idempotent, so nothing doubles). A hub of another protocol
version (close 4426) stops it: :class:`ClientError` ``version_mismatch``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from schakel_core import client_session as cs
from schakel_core import messages as m
from schakel_core.errors import RequestError
from schakel_core.ops import Op
from schakel_core.schema import roles_as_fields

from .replica import Replica

logger = logging.getLogger(__name__)

RETRY_CODES = cs.RETRY_CODES
RATE_LIMITED_RETRY_S = cs.RATE_LIMITED_RETRY_S


class ClientError(Exception):
    """The hub refused something this client cannot retry (e.g. a bad token)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


class SchakelClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        client_id: str | None = None,
        name: str = "",
        reconnect: bool = True,
        backoff_s: tuple[float, float] = (0.05, 2.0),
    ) -> None:
        self.url, self.token, self.name = url, token, name
        self.client_id = client_id or "py-" + secrets.token_hex(6)
        self.session: cs.ClientSession[Replica] = cs.ClientSession(
            token, self.client_id, name, make_board=Replica
        )
        self.reconnect = reconnect
        self.backoff_s = backoff_s
        self.replicas: dict[str, Replica] = self.session.boards
        self.presence: dict[str, dict[str, m.PresenceOut]] = {}
        self.errors: list[m.Error] = []
        self.workshop: dict[str, Any] | None = None  # the latest ``workshop`` state
        self.lost: list[m.Lost] = []  # own ops the hub acknowledged without storing
        self.connected = asyncio.Event()
        self.attempts = 0  # sockets opened (or tried)
        self.connects = 0  # hellos answered with welcome
        self.refused = 0  # hellos answered "try again later" (store_unavailable: 1013)
        self.on_message: Callable[[m.ServerMessage], None] | None = None
        self._ws: ClientConnection | None = None
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._fatal: ClientError | None = None
        self._send_scheduled = False
        self._subscribe_waiters: dict[str, asyncio.Future[Replica]] = {}
        self._done: set[int] = set()
        self._tasks: set[asyncio.Future[None]] = set()
        self._write_lock = asyncio.Lock()  # frames leave in the order the session made them

    @property
    def welcome(self) -> m.Welcome | None:
        return self.session.welcome

    @property
    def counter(self) -> int:
        return self.session.counter

    @counter.setter
    def counter(self, value: int) -> None:
        self.session.counter = value

    # ------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> SchakelClient:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self, timeout: float = 10) -> None:
        self._task = asyncio.create_task(self._run())
        waiter = asyncio.ensure_future(self.connected.wait())
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=timeout, return_when="FIRST_COMPLETED"
        )
        if waiter not in done:
            waiter.cancel()
            if self._fatal is not None:
                raise self._fatal
            if self._task in done:
                self._task.result()
            raise TimeoutError(f"could not connect to {self.url}")

    async def close(self) -> None:
        self.reconnect = False
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def drop_connection(self) -> None:
        """Close the socket abruptly (tests of reconnect); the client reconnects by itself."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def _run(self) -> None:
        delay = self.backoff_s[0]
        while True:
            self.attempts += 1
            try:
                async with connect(self.url, max_size=None, open_timeout=5) as ws:
                    self._ws = ws
                    await self._session(ws)
                    delay = self.backoff_s[0]
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                logger.debug("client %s: connection lost: %s", self.client_id, exc)
            except InvalidURI as exc:
                self._fatal = ClientError("bad_url", str(exc))
                return
            finally:
                self._ws = None
                self.connected.clear()
            if self._fatal is not None or not self.reconnect:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_s[1])

    async def _session(self, ws: ClientConnection) -> None:
        session = self.session
        session.connect()
        try:
            await self._write(ws)
            first = True
            async for frame in ws:
                if not isinstance(frame, bytes):
                    logger.error("client %s: the hub sent a text frame; ignored", self.client_id)
                    continue
                try:
                    events = session.receive(frame)
                except RequestError as exc:
                    logger.error(
                        "client %s: undecodable frame from the hub: %s", self.client_id, exc
                    )
                    continue
                for event in events:
                    self._on_event(event)
                if self._fatal is not None:
                    return
                if first and session.open:
                    first = False
                    self.connects += 1
                    self.connected.set()
                await self._write(ws)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            if session.must_reload(code):
                self._fatal = ClientError(
                    "version_mismatch", "the hub speaks another protocol version"
                )
            raise
        finally:
            session.connection_lost()

    async def _write(self, ws: ClientConnection) -> None:
        async with self._write_lock:
            for frame in self.session.data_to_send():
                await ws.send(frame)

    # ------------------------------------------------------------- receiving

    def _on_event(self, event: cs.Event) -> None:
        loop = asyncio.get_running_loop()
        match event:
            case cs.Received(message=msg):
                self._on_message(msg)
            case cs.Synced(board=board):
                waiter = self._subscribe_waiters.pop(board, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(self.replicas[board])
                self._schedule_send()
            case cs.Acked(lost=lost):
                self.lost += lost
            case cs.HelloRefused(code=code, reason=reason, retry=retry):
                if retry:  # e.g. the store is away for a moment: reconnect
                    self.refused += 1
                    raise ConnectionClosed(None, None)
                self._fatal = ClientError(code, reason)
            case cs.RetryLater(delay_s=delay, board=board):
                if board is not None:
                    loop.call_later(delay, self._resubscribe, board)
                else:
                    loop.call_later(delay, self._schedule_send)
            case cs.Refused(board=board, error=err, subscribe=True):
                waiter = self._subscribe_waiters.pop(board or "", None)
                if waiter is not None and not waiter.done():
                    waiter.set_exception(ClientError(err.code, err.reason))

    def _on_message(self, msg: m.ServerMessage) -> None:
        match msg:
            case m.PresenceOut(board=board, conn=conn):
                self.presence.setdefault(board, {})[conn] = msg
            case m.Leave(board=board, conn=conn):
                self.presence.get(board, {}).pop(conn, None)
            case m.Error():
                self.errors.append(msg)
                logger.debug("client %s: error %s %s", self.client_id, msg.code, msg.reason)
            case m.WorkshopEvent(state=state):
                self.workshop = state
            case m.Done(ref=ref):
                self._done.add(ref)
        if self.on_message is not None:
            self.on_message(msg)
        self._notify()

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        self._spawn(notify())

    # --------------------------------------------------------------- sending

    async def subscribe(self, board: str, timeout: float = 10) -> Replica:
        """Follow a board; returns its replica once the first sync arrived."""
        r = self.replicas.get(board)
        if r is not None and r.synced:
            return r
        fut: asyncio.Future[Replica] = asyncio.get_running_loop().create_future()
        self._subscribe_waiters[board] = fut
        self.session.subscribe(board)
        await self._flush_out()
        try:
            return await asyncio.wait_for(fut, timeout)
        except ClientError:
            self.replicas.pop(board, None)
            raise

    def _resubscribe(self, board: str) -> None:
        r = self.replicas.get(board)
        if r is None or r.synced:
            return
        self.session.resubscribe(board)
        self._spawn(self._flush_out())

    async def control(self, action: str, timeout: float = 10, **args: Any) -> None:
        """A facilitator control; returns once done, raises ClientError if refused."""
        ref = self.session.next_ref()
        await self._send(m.Control(ref, action, args))

        def answered() -> bool:
            return ref in self._done or any(e.ref == ref for e in self.errors)

        await self.wait_for(answered, timeout)
        for err in self.errors:
            if err.ref == ref:
                raise ClientError(err.code, err.reason)

    def next_clock(self) -> int:
        return self.session.next_counter()

    def edit(self, board: str, obj_id: str, obj_type: str, **fields: Any) -> list[Op]:
        """Set fields of one object (creating it if new); applied at once, sent soon.

        ``roles=[...]`` sets an actor's roles to exactly that list: it writes every role
        register (``role_<name>``); to toggle one role, write its register alone."""
        if "roles" in fields:
            fields = {k: v for k, v in fields.items() if k != "roles"} | roles_as_fields(
                fields["roles"]
            )
        r = self.replicas[board]
        ops = [
            Op(obj_id, obj_type, name, value, self.next_clock(), self.client_id)
            for name, value in fields.items()
        ]
        r.local(ops)
        self._schedule_send()
        return ops

    def delete(self, board: str, obj_id: str) -> list[Op]:
        obj_type = self.replicas[board].doc.types[obj_id]
        return self.edit(board, obj_id, obj_type, deleted=True)

    def undo(self, board: str) -> list[Op]:
        return self._undo_redo(board, redo=False)

    def redo(self, board: str) -> list[Op]:
        return self._undo_redo(board, redo=True)

    def _undo_redo(self, board: str, *, redo: bool) -> list[Op]:
        r = self.replicas[board]
        stack = r.redo_stack if redo else r.undo_stack
        if not stack:
            return []
        start = self.counter + 1
        ops = r.redo(start, self.client_id) if redo else r.undo(start, self.client_id)
        self.counter = start + len(ops)
        self._schedule_send()
        return ops

    def send_raw_ops(self, board: str, ops: list[Op]) -> int:
        """Send ops as given (no local apply); returns the ref. For tests and tools."""
        ref = self.session.send_raw_ops(board, ops)
        self._spawn(self._flush_out())
        return ref

    async def send_presence(self, board: str, **data: Any) -> None:
        await self._send(m.Presence(board, data))

    async def send_bytes(self, frame: bytes | str) -> None:
        """Send a raw frame (tests of bad input)."""
        if self._ws is None:
            raise ConnectionError("not connected")
        await self._ws.send(frame)

    async def _send(self, msg: m.ClientMessage) -> None:
        if self._ws is None:
            return  # sent again after reconnect
        self.session.send(msg)
        await self._flush_out()

    async def _flush_out(self) -> None:
        """Send what the session has queued, if connected (else it is asked again)."""
        ws = self._ws
        if ws is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await self._write(ws)

    def _schedule_send(self) -> None:
        if not self._send_scheduled:
            self._send_scheduled = True
            asyncio.get_running_loop().call_soon(self._send_batches)

    def _send_batches(self) -> None:
        self._send_scheduled = False
        if self._ws is None or not self.connected.is_set():
            return
        self.session.flush()
        self._spawn(self._flush_out())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --------------------------------------------------------------- waiting

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``predicate()`` holds: checked after every message, and every 50 ms
        (so that a predicate over several clients works too)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)

    async def settled(self, timeout: float = 10) -> None:
        """Wait until every own op has been acknowledged."""
        await self.wait_for(lambda: all(r.pending == 0 for r in self.replicas.values()), timeout)

    async def ping(self, n: int = 0, timeout: float = 5) -> m.Pong:
        got: list[m.Pong] = []

        def seen() -> bool:
            return bool(got)

        previous = self.on_message

        def catch(msg: m.ServerMessage) -> None:
            if isinstance(msg, m.Pong) and msg.n == n:
                got.append(msg)
            if previous is not None:
                previous(msg)

        self.on_message = catch
        try:
            await self._send(m.Ping(n))
            await self.wait_for(seen, timeout)
        finally:
            self.on_message = previous
        return got[0]

    def last_error(self) -> m.Error | None:
        return self.errors[-1] if self.errors else None
