"""One WebSocket connection: hello, then a reader loop that dispatches messages; on the
hub's socket a message that arrives while the loop waits is handled where it arrives,
in the socket's callback, and only what must wait (a subscribe, a pause) goes to the
loop (docs/design.md, *Messages handled where they arrive*). What it is sent waits in
its :class:`~schakel.outbox.Outbox` and is written by the hub's
:class:`~schakel.outbox.Flusher` straight to the socket (:mod:`schakel.sockets`), or,
behind another ASGI server, by a writer task per connection.

Errors about one message become an ``error`` message and the connection goes on;
protocol violations close it with the code in :class:`~schakel_core.errors.CloseCode`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from schakel_core import codec
from schakel_core import messages as m
from schakel_core.errors import (
    AuthFailed,
    BinaryOnly,
    CloseCode,
    Forbidden,
    HelloRequired,
    NotFound,
    NotSubscribed,
    ProtocolViolation,
    RateLimited,
    RequestError,
    SchakelError,
    StoreUnavailable,
    TooLarge,
)
from schakel_core.schema import MAX_BOARDS_PER_CONNECTION, check_id
from schakel_core.session import apply_control
from schakel_core.workshop import Access, Role, Workshop

from .auth import Claims, token_problem
from .limits import CLOSE_PENALTY, MAX_PAUSE_S, LimitReached, TooManyRequests
from .outbox import Outbox
from .sockets import EXTENSION, WAKE, HubSocket

if TYPE_CHECKING:
    from .hub import Subscription
    from .service import Service

logger = logging.getLogger(__name__)

# Messages one connection handles before it lets the event loop run others: a chunk of a
# socket can hold a thousand small frames, all waiting in uvicorn's queue, and reading
# them without a pause would hold up every other connection meanwhile.
FAIR_SHARE = 32

# What a message leaves to the connection's loop: nothing, seconds to read nothing (a
# refusal by a rate limit), or a request that waits on the store.
Step = float | Coroutine[Any, Any, None] | None


class Connection:
    def __init__(self, ws: WebSocket, service: Service, address: str = "") -> None:
        self.id = secrets.token_hex(4)
        self.ws = ws
        self.service = service
        self.hub = service.hub
        self.address = address  # the client address its limits are kept by
        self.rates = service.quotas.connection()
        self.metrics = service.metrics
        settings = service.settings
        extension = ws.scope.get("extensions", {}).get(EXTENSION)
        self.socket: HubSocket | None = extension["socket"] if extension else None
        self.outbox = Outbox(
            settings.send_queue_frames,
            settings.send_queue_bytes,
            notify=self._want_flush if self.socket is not None else None,
        )
        self.subs: dict[str, Subscription] = {}
        self.inflight = 0
        self.seen = 0  # the highest counter sent to this connection or taken from it
        self._writer_task: asyncio.Task[None] | None = None
        self._resume: Step | BaseException = None  # left for the loop by _arrived
        self.client = ""
        self.name = ""
        self.claims: Claims | None = None
        self.close_code: int = CloseCode.NORMAL
        # Drop the socket without a close handshake: after a close frame the server goes
        # on reading (and parsing) whatever the peer sends until it answers, for up to
        # ten seconds; a flooder is not owed that.
        self.drop = False
        self.close_reason = ""
        self.log = logging.LoggerAdapter(logger, {"conn": self.id})

    # ----------------------------------------------------------- sending

    def send(self, frame: bytes, *, alone: bool = False) -> None:
        """Queue one encoded message (``alone``: as a frame of its own)."""
        already = self.outbox.overflowed
        if not self.outbox.put(frame, alone=alone) and self.outbox.overflowed and not already:
            self.log.warning("conn %s: send queue overflowed; cutting it off to resync", self.id)

    def send_error(self, exc: SchakelError) -> None:
        self.metrics.errors[exc.code] += 1
        self.send(m.encode(m.Error(exc.code, exc.reason, exc.ref, exc.board)))

    def resync(self, board: str) -> None:
        """The hub cannot bring this connection up to date: it must reconnect and resync."""
        self.metrics.resyncs += 1
        self.send(m.encode(m.Error("resync", f"resubscribe to {board} from 0", board=board)))
        self.outbox.close()
        self.close_code, self.close_reason = CloseCode.TOO_SLOW, "resync"

    def gone(self, reason: str) -> None:
        """The workshop was deleted: say so and close."""
        self.send(m.encode(m.Error("not_found", reason)))
        self.outbox.close()
        self.close_code, self.close_reason = CloseCode.GONE, "workshop deleted"

    def fail(self, reason: str) -> None:
        """The hub failed on one of this connection's requests: close it (it reconnects)."""
        self.outbox.close()
        self.close_code, self.close_reason = CloseCode.INTERNAL_ERROR, reason

    def revoked(self, reason: str) -> None:
        """Its token no longer holds (removed participant, revoked key): say so, close."""
        self.send(m.encode(m.Error("auth_failed", reason)))
        self.outbox.close()
        self.close_code, self.close_reason = CloseCode.AUTH_FAILED, "token revoked"

    def shutdown(self) -> asyncio.Future[None]:
        """The hub is stopping: send what is queued, then close with 1012. Returns what
        to wait for: the writer being done."""
        if not self.outbox.closed:
            self.outbox.close()
            self.close_code, self.close_reason = CloseCode.RESTARTING, "the hub is restarting"
        if self._writer_task is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return self._writer_task

    def _want_flush(self) -> None:
        self.hub.flusher.want(self)

    def flush(self) -> None:
        """Write what waits, now, as frames (the hub's socket only); while the socket's
        buffer is full, it waits, and the socket calls this again once it drains."""
        socket = self.socket
        if socket is None or not socket.can_write or self.outbox.closed:
            return  # (once closed, the writer task sends the rest and the close)
        frames = self.outbox.take()
        if frames:
            self._count(frames)
            for frame in frames:
                socket.write_frame(frame)

    def _count(self, frames: list[bytes]) -> None:
        self.metrics.frames_out += len(frames)
        self.metrics.bytes_out += sum(map(len, frames))

    async def _writer(self) -> None:
        if self.socket is not None:
            # Frames are written by flush(); this task only ends the connection.
            await self.outbox.ended()
        while True:
            frames = await self.outbox.drain()
            if not frames:
                break
            self._count(frames)
            for frame in frames:
                await self.ws.send_bytes(frame)
        if self.outbox.overflowed:
            self.metrics.resyncs += 1
            self.close_code, self.close_reason = CloseCode.TOO_SLOW, "too slow: resync"
            err = m.Error("too_slow", "you fell too far behind; reconnect and resync")
            await self.ws.send_bytes(m.encode(err))
        if not self.drop:
            await self.ws.close(self.close_code, self.close_reason)

    # ----------------------------------------------------------- receiving

    async def _receive(self) -> bytes | None:
        """The next binary frame, or None when the peer has gone; b"" when a message
        handled where it arrived left the loop something to do (``self._resume``)."""
        socket = self.socket  # (read directly: Starlette's state checks add nothing here)
        message = await (self.ws.receive() if socket is None else socket.receive())
        if message is WAKE:
            return b""
        if message["type"] == "websocket.disconnect":
            return None
        data = message.get("bytes")
        if data is None:
            raise BinaryOnly("frames must be binary msgpack, not text")
        assert isinstance(data, bytes)
        return data

    async def run(self) -> None:
        await self.ws.accept()
        if self.socket is not None:
            self.socket.on_writable = self.flush
        writer = self._writer_task = asyncio.create_task(self._writer())
        self.hub.connections.add(self)
        try:
            await self._session()
        except WebSocketDisconnect:
            pass
        except ProtocolViolation as exc:
            self.log.info("conn %s: protocol violation: %s", self.id, exc.reason)
            self.send_error(exc)
            self.close_code, self.close_reason = exc.close_code, exc.code
            if isinstance(exc, TooManyRequests):  # its address waits before it reconnects
                self.service.quotas.connects.charge(self.address, CLOSE_PENALTY)
                self.drop = True
        except Exception:
            # A bug, or the store failing in a way that is not an outage: the client gets
            # a close it reconnects after (1011), never a stack trace, never 1013.
            self.log.exception("conn %s: failed", self.id)
            self.fail("internal error")
        finally:
            if self.socket is not None:
                self.socket.on_message = None
            if isinstance(self._resume, Coroutine):
                self._resume.close()  # (a request the connection ended before)
            self.hub.drop(self)
            if self.claims is not None:
                self.hub.workshops.leave(self, self.claims.workshop)
            self.outbox.close()
            try:
                await asyncio.wait_for(writer, timeout=5)
            except (TimeoutError, RuntimeError, OSError, WebSocketDisconnect):
                writer.cancel()
            self.metrics.closes[self.close_code] += 1
            self.metrics.presence_dropped += self.outbox.dropped
            self.log.debug("conn %s closed (%s)", self.id, self.close_code)

    async def _session(self) -> None:
        timeout = self.service.settings.hello_timeout_s
        try:
            data = await asyncio.wait_for(self._receive(), timeout)
        except TimeoutError:
            raise HelloRequired(f"no hello within {timeout:g} s") from None
        if data is None:
            return
        if not await self._hello(data):
            return
        if self.socket is not None:
            self.socket.on_message = self._arrived
        handled = 0
        while not self.outbox.closed:
            data = await self._receive()
            if data is None:
                return
            step: Step
            if not data and self._resume is not None:  # WAKE: nothing queued before it
                left, self._resume = self._resume, None
                if isinstance(left, BaseException):
                    raise left
                step = left
            else:
                handled += 1
                if handled % FAIR_SHARE == 0:
                    await asyncio.sleep(0)
                step = self._handle(data)
            if step is not None:
                await self._finish(step)

    def _arrived(self, data: bytes) -> bool:
        """The socket's ``on_message``: a message that arrived while the loop waits on an
        empty queue, handled now, in the socket's callback (no task woken). What it leaves
        (a pause, a request that waits on the store, an error that ends the connection)
        goes to the loop, which is woken for it; messages arriving meanwhile queue."""
        if self.outbox.closed or self.socket is None:
            return False  # (the loop takes it as before, then ends)
        try:
            step: Step | BaseException = self._handle(data)
        except Exception as exc:  # a protocol violation, or a bug: the loop raises it
            step = exc
        if step is not None:
            self._resume = step
            self.socket.queue.put_nowait(WAKE)
        return True

    def _handle(self, data: bytes) -> Step:
        """One message, as far as it goes without waiting. Returns None when it is done,
        or what is left: seconds to read nothing (a refusal by a rate limit), or the
        coroutine of a request that waits on the store. Raises ProtocolViolation."""
        try:
            if not self.rates.message():
                raise self._over_limit(data)
            return self._dispatch(m.decode_client(data))
        except ProtocolViolation:
            raise
        except LimitReached as exc:
            return self._refused(exc)
        except RequestError as exc:
            self.send_error(exc)
            return None

    async def _finish(self, step: float | Coroutine[Any, Any, None]) -> None:
        if not isinstance(step, Coroutine):
            # Read nothing more until the allowance is back: the rest of a flood then
            # waits in the sender's own socket (TCP back-pressure), at no cost here.
            await asyncio.sleep(step)
            return
        try:
            await step
        except ProtocolViolation:
            raise
        except LimitReached as exc:
            await asyncio.sleep(self._refused(exc))
        except RequestError as exc:
            self.send_error(exc)

    def _refused(self, exc: LimitReached) -> float:
        """A refusal by a rate limit: the error, and how long to read nothing."""
        if not self.rates.refused():
            raise TooManyRequests(
                "too many messages refused by the rate limit; reconnect later"
            ) from None
        self.send_error(exc)
        return min(MAX_PAUSE_S, exc.wait_s)

    def _over_limit(self, data: bytes) -> LimitReached:
        """The message over the rate limit, refused without validating it (a flood must
        cost the hub little): its ``ref`` and ``board`` if it has them, for the sender."""
        self.service.quotas.refuse("messages")
        ref = board = None
        try:
            value = codec.unpack(data)
        except RequestError:
            value = None
        if type(value) is dict:
            r = value.get("ref")
            ref = r if type(r) is int and 0 <= r <= m.MAX_REF else None
            try:
                board = check_id(value.get("board"), "board")
            except RequestError:
                board = None
        rate = self.service.quotas.limits.messages
        return LimitReached(
            f"more than {rate.per_s:g} messages a second; slow down",
            self.rates.wait_messages(),
            limit="messages",
            ref=ref,
            board=board,
        )

    async def _hello(self, data: bytes) -> bool:
        try:
            msg = m.decode_client(data)
            if not isinstance(msg, m.Hello):
                raise HelloRequired("the first message must be hello")
            claims = self.service.tokens.verify(msg.token)
            ws = await self.hub.workshops.record(claims.workshop)
            if ws is None:
                raise NotFound("this workshop has ended and was erased")
            problem = token_problem(claims, ws)
            if problem is not None:
                raise AuthFailed(problem)
        except ProtocolViolation:
            raise
        except RequestError as exc:
            if not isinstance(exc, StoreUnavailable):
                exc = self._bad_hello(exc)
            self.send_error(exc)
            close = CloseCode.PROTOCOL_VIOLATION
            if isinstance(exc, AuthFailed):
                close = CloseCode.AUTH_FAILED
            elif isinstance(exc, NotFound):
                close = CloseCode.GONE
            elif isinstance(exc, StoreUnavailable):
                close = CloseCode.TRY_AGAIN_LATER
            elif isinstance(exc, LimitReached):
                close = CloseCode.RATE_LIMITED
            self.close_code, self.close_reason = close, exc.code
            return False
        self.claims, self.client = claims, msg.client
        self.name = self._presence_name(claims, ws, msg.name)
        self.send(
            m.encode(
                m.Welcome(
                    conn=self.id,
                    role=claims.role.value,
                    workshop=ws.id,
                    participant=claims.participant,
                    boards=ws.readable_boards(claims.role, claims.participant),
                    writable=ws.writable_boards(claims.role, claims.participant),
                    time=time.time() * 1000,
                    limits=self.service.limits(),
                )
            )
        )
        self.hub.workshops.join(self, ws)
        self.log.info("conn %s: hello %s as %s in %s", self.id, msg.client, claims.role, ws.id)
        return True

    def _bad_hello(self, exc: RequestError) -> RequestError:
        """A hello without a valid token counts against the client's address; once the
        address has spent its allowance, the answer is ``rate_limited`` (close 4429)."""
        quotas = self.service.quotas
        if quotas.bad_hellos.take(self.address):
            return exc
        quotas.refuse("bad_hellos")
        return LimitReached(
            "too many hellos without a valid token from your address; wait a while",
            quotas.bad_hellos.retry_after(self.address),
            limit="bad_hellos",
        )

    @staticmethod
    def _presence_name(claims: Claims, ws: Workshop, asked: str) -> str:
        """The name others see in this connection's presence: a participant's is the
        name it joined with (hello cannot claim another); the facilitator's the one it
        gives; the plenary screen sends no presence."""
        if claims.role == Role.PARTICIPANT:
            p = ws.participants.get(claims.participant or "")
            return p.name if p is not None else ""
        return asked if claims.role == Role.FACILITATOR else ""

    def _dispatch(self, msg: m.ClientMessage) -> Coroutine[Any, Any, None] | None:
        """Handles ``msg``; a request that waits on the store is returned as a coroutine."""
        assert self.claims is not None
        match msg:
            case m.Ops(board=board, ref=ref, ops=ops, packed=packed):
                sub = self.subs.get(board)
                if sub is None:
                    raise NotSubscribed(
                        f"subscribe to {board} before sending ops", ref=ref, board=board
                    )
                if not sub.writable:
                    reason = self.hub.workshops.lock_reason(self)
                    raise Forbidden(reason, ref=ref, board=board)
                client = self.client
                if (
                    ops[0].client != client
                    if len(ops) == 1
                    else any(o.client != client for o in ops)
                ):
                    raise Forbidden("ops must carry your own client id", ref=ref, board=board)
                if self.inflight >= self.service.settings.max_inflight_batches:
                    raise RateLimited(
                        "too many unacknowledged batches; wait for acks", ref=ref, board=board
                    )
                if not self.rates.take_ops(len(ops)):
                    self.service.quotas.refuse("ops")
                    rate = self.service.quotas.limits.ops
                    raise LimitReached(
                        f"more than {rate.per_s:g} ops a second; slow down",
                        self.rates.wait_ops(len(ops)),
                        limit="ops",
                        ref=ref,
                        board=board,
                    )
                self.metrics.ops_in += len(ops)
                self.hub.submit(self, board, ref, ops, packed)
            case m.Presence(board=board, data=data):
                if board not in self.subs:
                    raise NotSubscribed(f"subscribe to {board} before sending presence")
                if self.claims.role == Role.VIEWER:
                    raise Forbidden("the plenary screen sends no presence", board=board)
                self.hub.presence(self, board, data)
            case m.Subscribe(board=board, since=since, ref=ref):
                return self._subscribe(board, since, ref)
            case m.Unsubscribe(board=board):
                self.hub.unsubscribe(self, board)
            case m.Ping(n=n):
                self.send(m.encode(m.Pong(n, time.time() * 1000)))
            case m.Control(ref=ref, action=action, args=args):
                return self._control(ref, action, args)
            case m.Hello():
                raise HelloRequired("hello was already sent")
            case _:  # pragma: no cover - decode_client returns only the types above
                raise AssertionError(msg)
        return None

    async def _control(self, ref: int, action: str, args: dict[str, Any]) -> None:
        assert self.claims is not None
        role = self.claims.role
        if role == Role.PARTICIPANT or (role == Role.VIEWER and action != "spotlight"):
            raise Forbidden("only the facilitator controls the workshop", ref=ref)
        now_ms = time.time() * 1000

        def change(ws: Workshop) -> tuple[tuple[int, int], Workshop]:
            before = (ws.session.round, ws.session.part)
            apply_control(ws, action, args, now_ms, by_viewer=role == Role.VIEWER)
            return before, ws

        try:
            before, ws = await self.service.store.update_workshop(self.claims.workshop, change)
        except RequestError as exc:
            exc.ref = ref
            raise
        self.send(m.encode(m.Done(ref)))
        self.hub.workshops.changed(ws)
        if before != (ws.session.round, ws.session.part):
            # A part of the programme ended: keep every map's figures for the report.
            self.hub.spawn(self.service.analyses.snapshot(ws, *before))

    async def _subscribe(self, board: str, since: int, ref: int | None) -> None:
        assert self.claims is not None
        if board in self.subs:
            self.hub.unsubscribe(self, board)
        elif len(self.subs) >= MAX_BOARDS_PER_CONNECTION:
            raise TooLarge(f"at most {MAX_BOARDS_PER_CONNECTION} boards per connection", ref=ref)
        try:
            ws = await self.hub.workshops.record(self.claims.workshop)
            access = (
                Access.NONE
                if ws is None
                else ws.board_access(self.claims.role, self.claims.participant, board)
            )
            if access == Access.NONE:
                raise Forbidden(f"you may not open board {board}")
            await self.hub.subscribe(self, board, since, ref, writable=access == Access.WRITE)
        except RequestError as exc:
            # (store_unavailable too: the client tells which subscribe to send again)
            exc.ref, exc.board = ref, board
            raise
