"""A client's protocol session as a pure state machine: bytes in, frames and events out.

No I/O and no clock, in the manner of the ``websockets`` library's sans-I/O protocol: the
caller opens the socket, feeds every frame the hub sends to :meth:`ClientSession.receive`
(which returns :class:`Event` values to act on), and sends what
:meth:`ClientSession.data_to_send` hands out. Timers (a retry after ``rate_limited``) are
events too (:class:`RetryLater`): the caller waits, then calls :meth:`ClientSession.flush`.
The Python client (``schakel_client``) and the load generator (``bench``) share it.

What it keeps (protocol version 2, ``shared/PROTOCOL.md``):

- ``hello`` first; after ``welcome``, a ``subscribe`` for every board it follows, from the
  last seq it has (resume), and every unacknowledged batch again (ops are idempotent);
- per board (:class:`BoardSession`): the last seq, the ops not sent yet and the batches in
  flight by ``ref``; ``sync`` chunks are joined; an ``update`` must start at last seq + 1
  (``from``), else the board is subscribed again; an ``ack`` settles every batch up to its
  ``ref`` (cumulative) and moves the last seq to ``max(last seq, ack.seq)``;
- the Lamport counter: above every counter seen or made;
- errors: a batch refused for now (``rate_limited``, ``store_unavailable``) is sent again
  later, any other refusal drops it; close 4426 means "reload the code".

The board state holds no document: what to apply comes out as events, so that a load
generator pays for no merge. :class:`BoardSession` is the base of the Python client's
replica, which adds the document and undo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from . import messages as m
from .errors import CloseCode
from .ops import Op
from .schema import MAX_OPS_PER_BATCH

RETRY_CODES = frozenset({"store_unavailable", "rate_limited"})
FATAL_CODES = frozenset({"auth_failed", "not_found", "version_mismatch"})
RATE_LIMITED_RETRY_S = 0.5  # a batch refused by a rate limit is sent again after this
STORE_RETRY_S = 0.2  # a batch or subscribe refused by an absent store: again after this


class BoardSession:
    """One board's side of the session: last seq, unsent ops, batches in flight. Pure."""

    def __init__(self, board: str) -> None:
        self.board = board
        self.seq = 0  # the last seq: from a sync or update, or max(seq, ack.seq)
        self.unsent: list[Op] = []
        self.inflight: dict[int, list[Op]] = {}  # ref -> ops, unacknowledged, in order
        self.synced = False

    # ----------------------------------------------------------- own ops

    def queue(self, ops: Iterable[Op]) -> None:
        """Own ops to send (already applied by whoever keeps a document)."""
        self.unsent.extend(ops)

    def take_batch(self, ref: int) -> list[Op] | None:
        """Move up to one batch of unsent ops to in-flight under ``ref``."""
        if not self.unsent:
            return None
        batch, self.unsent = self.unsent[:MAX_OPS_PER_BATCH], self.unsent[MAX_OPS_PER_BATCH:]
        self.inflight[ref] = batch
        return batch

    def acked(self, ref: int) -> list[Op]:
        """An ack of ``ref`` covers every batch sent before it on this board
        (cumulative); returns their ops."""
        if ref not in self.inflight:
            return []  # requeued meanwhile: it will be sent again
        done: list[Op] = []
        for key in list(self.inflight):
            done += self.inflight.pop(key)
            if key == ref:
                break
        return done

    def refused(self, ref: int) -> list[Op]:
        """The hub refused batch ``ref``; it will not be retried."""
        return self.inflight.pop(ref, [])

    def requeue(self, ref: int) -> None:
        """Batch ``ref`` was refused for now (a rate limit): send it again, first. The
        batches sent after it are answered on their own."""
        self.unsent = self.inflight.pop(ref, []) + self.unsent

    def requeue_inflight(self) -> None:
        """After a reconnect: everything unacknowledged is sent again (ops are idempotent)."""
        again = [op for ref in sorted(self.inflight) for op in self.inflight[ref]]
        self.inflight.clear()
        self.unsent = again + self.unsent

    def own_pending(self) -> list[Op]:
        """Own ops not yet acknowledged, in the order made."""
        return [op for ref in sorted(self.inflight) for op in self.inflight[ref]] + self.unsent

    @property
    def pending(self) -> int:
        return len(self.unsent) + sum(len(b) for b in self.inflight.values())

    # ---------------------------------------------------------- from the hub

    def on_sync(self, seq: int, full: bool, ops: list[Op]) -> None:
        """A whole (joined) ``sync``; subclasses apply ``ops``."""
        self.seq = seq
        self.synced = True

    def on_update(self, first: int, seq: int, ops: list[Op]) -> bool:
        """An ``update`` covering ``first .. seq``; False when it does not continue the
        last seq (a gap: subscribe again). Subclasses apply ``ops`` when True."""
        if seq <= self.seq:
            return True  # nothing new (a late copy)
        if first > self.seq + 1:
            return False
        self.seq = seq
        return True

    def on_ack(self, ref: int, seq: int) -> list[Op]:
        """The v2 ack: every op through ``seq`` has arrived; settles batches to ``ref``."""
        self.seq = max(self.seq, seq)
        return self.acked(ref)


B = TypeVar("B", bound=BoardSession)


# ------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Event:
    """Something the caller may act on."""


@dataclass(frozen=True, slots=True)
class Welcomed(Event):
    welcome: m.Welcome


@dataclass(frozen=True, slots=True)
class HelloRefused(Event):
    """``hello`` was answered with an error; ``retry``: connect again later (with
    back-off); else give up (``reload``: the hub speaks another protocol version)."""

    code: str
    reason: str
    retry: bool
    reload: bool = False


@dataclass(frozen=True, slots=True)
class Synced(Event):
    """A board's whole ``sync`` arrived: ``full`` → replace the document with ``ops``,
    then apply ``pending`` (own ops not yet acknowledged); else apply ``ops``."""

    board: str
    seq: int
    full: bool
    ops: list[Op]
    pending: list[Op]


@dataclass(frozen=True, slots=True)
class Updated(Event):
    """Others' ops to apply (never one's own: the hub does not echo them)."""

    board: str
    seq: int
    ops: list[Op]


@dataclass(frozen=True, slots=True)
class Acked(Event):
    """Batches up to ``ref`` are stored; ``ops`` theirs, ``lost`` those not stored."""

    board: str
    ref: int
    seq: int
    ops: list[Op]
    lost: tuple[m.Lost, ...]


@dataclass(frozen=True, slots=True)
class Refused(Event):
    """A batch or subscribe refused for good (``ops``: the batch's, [] for a subscribe)."""

    board: str | None
    ref: int | None
    error: m.Error
    ops: list[Op]
    subscribe: bool = False


@dataclass(frozen=True, slots=True)
class RetryLater(Event):
    """Something was refused for now: call :meth:`ClientSession.flush` after
    ``delay_s`` (a batch), or :meth:`ClientSession.resubscribe` (``board`` set)."""

    delay_s: float
    board: str | None = None


@dataclass(frozen=True, slots=True)
class Received(Event):
    """Any other message (presence, leave, workshop, done, pong, an error without a
    batch); also every message above, for callers that watch the raw stream."""

    message: m.ServerMessage


# ------------------------------------------------------------------ session


@dataclass
class ClientSession(Generic[B]):
    """One client's protocol session, across reconnects (pure; see the module doc)."""

    token: str
    client_id: str
    name: str = ""
    make_board: Callable[[str], B] = field(default=BoardSession)  # type: ignore[assignment]
    boards: dict[str, B] = field(default_factory=dict)
    counter: int = 0  # the Lamport counter: the highest seen or made
    welcome: m.Welcome | None = None
    open: bool = False  # welcome received on the current connection
    _out: list[bytes] = field(default_factory=list)
    _ref: int = 0
    _subscribe_refs: dict[int, str] = field(default_factory=dict)
    _sync_parts: dict[str, list[Op]] = field(default_factory=dict)

    # ------------------------------------------------------------ connection

    def connect(self) -> None:
        """A socket is open: say hello (the caller sends :meth:`data_to_send`)."""
        self.open = False
        self._out = [m.encode(m.Hello(self.token, self.client_id, self.name))]

    def connection_lost(self) -> None:
        """The socket is gone: what was in flight goes again after the next welcome."""
        self.open = False
        self._out.clear()
        self._sync_parts.clear()  # (a sync cut off is asked again)
        self._subscribe_refs.clear()
        for board in self.boards.values():
            board.synced = False

    @staticmethod
    def must_reload(close_code: int | None) -> bool:
        """Close 4426: this code speaks another protocol version than the hub."""
        return close_code == CloseCode.VERSION_MISMATCH

    def data_to_send(self) -> list[bytes]:
        """The frames to send now, in order (each one message)."""
        out, self._out = self._out, []
        return out

    def next_ref(self) -> int:
        self._ref += 1
        return self._ref

    def next_counter(self) -> int:
        self.counter += 1
        return self.counter

    def send(self, message: m.ClientMessage) -> None:
        """Queue any message (presence, ping, control...) for sending."""
        self._out.append(m.encode(message))

    # ----------------------------------------------------------------- boards

    def subscribe(self, board: str) -> B:
        """Follow ``board`` (from its last seq, if followed before)."""
        state = self.boards.get(board)
        if state is None:
            state = self.boards[board] = self.make_board(board)
        if self.open:
            self._send_subscribe(state)
        return state

    def resubscribe(self, board: str) -> None:
        """Subscribe again (after a gap, or a subscribe refused for now)."""
        state = self.boards.get(board)
        if state is not None and self.open:
            state.synced = False
            self._send_subscribe(state)

    def unsubscribe(self, board: str) -> None:
        if self.boards.pop(board, None) is not None and self.open:
            self._out.append(m.encode(m.Unsubscribe(board)))

    def _send_subscribe(self, state: BoardSession) -> None:
        ref = self.next_ref()
        self._subscribe_refs[ref] = state.board
        self._sync_parts.pop(state.board, None)
        self._out.append(m.encode(m.Subscribe(state.board, state.seq, ref)))

    def flush(self) -> None:
        """Queue every unsent op of every synced board as batches."""
        if not self.open:
            return
        for state in self.boards.values():
            while state.synced and state.unsent:
                ref = self.next_ref()
                batch = state.take_batch(ref)
                assert batch is not None
                self._out.append(m.encode(m.Ops(state.board, ref, batch)))

    def send_raw_ops(self, board: str, ops: list[Op]) -> int:
        """Send ops as given, tracked as a batch (tools and tests); returns its ref."""
        ref = self.next_ref()
        self.boards[board].inflight[ref] = list(ops)
        self._out.append(m.encode(m.Ops(board, ref, list(ops))))
        return ref

    # -------------------------------------------------------------- receiving

    def receive(self, frame: bytes) -> list[Event]:
        """One frame from the hub (one or more messages): the events it causes, in
        order. Raises :class:`~schakel_core.errors.RequestError` on a frame that is not
        valid protocol (the caller logs it and goes on, or drops the connection)."""
        events: list[Event] = []
        for msg in m.decode_frame(frame):
            self._handle(msg, events)
        return events

    def _see(self, ops: list[Op]) -> None:
        top = self.counter
        for op in ops:
            if op.counter > top:
                top = op.counter
        self.counter = top

    def _handle(self, msg: m.ServerMessage, events: list[Event]) -> None:
        match msg:
            case m.Update(board=board, first=first, seq=seq, ops=ops):
                self._see(ops)
                state = self.boards.get(board)
                if state is not None and state.synced and seq > state.seq:  # (else a copy)
                    if state.on_update(first, seq, ops):
                        if ops:
                            events.append(Updated(board, seq, ops))
                    else:
                        self.resubscribe(board)  # a gap: ask for what is missing
            case m.Ack(board=board, ref=ref, seq=seq, lost=lost):
                state = self.boards.get(board)
                if state is not None:
                    events.append(Acked(board, ref, seq, state.on_ack(ref, seq), lost))
            case m.Sync(board=board, more=True, ops=ops):
                self._see(ops)
                self._sync_parts.setdefault(board, []).extend(ops)  # more frames follow
            case m.Sync(board=board, seq=seq, full=full, ops=ops, ref=ref):
                self._see(ops)
                ops = self._sync_parts.pop(board, []) + ops
                if ref is not None:
                    self._subscribe_refs.pop(ref, None)
                state = self.boards.get(board)
                if state is not None:
                    state.on_sync(seq, full, ops)
                    events.append(Synced(board, seq, full, ops, state.own_pending()))
                    self.flush()
            case m.Welcome():
                self.welcome, self.open = msg, True
                for state in self.boards.values():
                    state.requeue_inflight()
                    state.synced = False
                    self._send_subscribe(state)
                events.append(Welcomed(msg))
            case m.Error():
                self._on_error(msg, events)
        events.append(Received(msg))

    def _on_error(self, err: m.Error, events: list[Event]) -> None:
        if not self.open:  # the answer to hello
            retry = err.code in RETRY_CODES
            events.append(HelloRefused(err.code, err.reason, retry, err.code == "version_mismatch"))
            return
        if err.ref is not None and err.ref in self._subscribe_refs:
            board = self._subscribe_refs.pop(err.ref)
            if err.code in RETRY_CODES:  # the store is away for a moment: ask again
                events.append(RetryLater(STORE_RETRY_S, board))
            else:
                events.append(Refused(board, err.ref, err, [], subscribe=True))
            return
        state = self.boards.get(err.board or "")
        if state is None or err.ref is None:
            return
        if err.code == "rate_limited":  # this batch only, when the hub has room again
            state.requeue(err.ref)
            events.append(RetryLater(RATE_LIMITED_RETRY_S))
        elif err.code in RETRY_CODES:  # nothing of the tick was stored: all again
            state.requeue_inflight()
            events.append(RetryLater(STORE_RETRY_S))
        else:
            events.append(Refused(err.board, err.ref, err, state.refused(err.ref)))
