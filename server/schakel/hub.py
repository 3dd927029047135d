"""The hub: rooms of subscribers, the committer tick, and batched fan-out (protocol v2).

Data flow::

    Connection ──submit(ops, their bytes)──▶ pending ──tick──▶ store.stage(all batches)
                                                          │ merged and numbered; one
                                                          │ write per tick, acks once
                                                          │ it is durable
          ┌───────────────────────────────────────────────┘
          ▼
    deliver(board, seq, ops, bytes, origin) ──▶ Room.pending ──flush──▶ per room: one
          ▲                                        ``update`` for all who wrote none of
          │                                        its ops, each writer its own without
    store feed (ops stored by other hubs)          them (no echo); then the held acks

Each message is encoded once and queued to the connections' Outboxes; a connection's
writer sends all that waits as one frame (messages back to back), so what one tick gives
a connection is one frame. An ack is held until its connection has every op of the board
through the ack's seq (the v2 guarantee a client takes its seq from), and until the
store has the tick on disk (a write that fails instead: its rooms resync, 4408).
Sequence numbers per board are contiguous; a room that sees a gap (a feed that lagged)
repairs it from the store, remembering which of its ops came over which connection.
Subscribers that arrive together (a storm of reconnects) share one load of the board.
Presence goes out on its own, slower tick (``ticks.py``).

A late joiner of a large board gets its ``sync`` in frames of about
:data:`~schakel_core.messages.SYNC_CHUNK_BYTES`, each encoded when the previous one has
left the queue, so that no multi-megabyte frame is built on the event loop and other
boards' updates go out in between.

At shutdown (:meth:`Hub.drain`) the hub takes no more batches, stores what it has, sends
every ack it may, then closes each connection with 1012: an op is stored exactly when its
sender was told so (an ack still held then is not sent: the client sends the batch
again, and ops are idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schakel_core import codec
from schakel_core.errors import NotFound, RequestError, StoreUnavailable
from schakel_core.messages import Ack, Leave, Lost, PresenceOut, encode, encode_update, sync_frames
from schakel_core.ops import Op

from .metrics import Metrics
from .outbox import Flusher
from .single_flight import SingleFlight
from .stores.base import Applied, Batch, Loaded, Staged, Store, StoredOps, workshop_of
from .ticks import Ticks
from .workshop_rooms import WorkshopRooms

if TYPE_CHECKING:
    from .connection import Connection

logger = logging.getLogger(__name__)

SYNC_QUEUED_BYTES = 256 * 1024  # a sync waits while more than this waits to be sent
DRAIN_TIMEOUT_S = 5.0  # at shutdown, how long sockets get to take their last frames
# A commit takes pending batches up to this many ops in all, and up to this many per
# connection (a connection's first batch always), and leaves the rest, in order, to the
# next tick: a burst (a flood, a big paste) is spread over ticks while everyone else's
# batches go in the very next commit, and no commit holds the event loop for long.
MAX_OPS_PER_COMMIT = 2000
# The committer waits this long for a tick's write to be durable before it delivers
# without it (acks follow once it is): on a working disk a tick's updates and acks still
# leave in one frame, and a stalled disk holds peers' updates no longer than this, once
# (while an earlier tick's write is not durable, the committer does not wait at all).
DURABLE_WAIT_S = 0.005
MAX_OPS_PER_CONNECTION = 500


@dataclass(slots=True)
class Subscription:
    """One connection following one board."""

    conn: Connection
    board: str
    writable: bool
    seq: int = 0  # the last sequence number this subscriber has (sent to it, or its own)
    # The last seq its client was told (by the sync, an update or an ack): the next update
    # begins right after it. Behind ``seq`` while its own ops wait for their ack (stored,
    # delivered, not yet durable): those are all that lies between.
    told: int = 0
    syncing: bool = True
    # updates delivered during its sync: (seq, ops, their bytes, origin of each op)
    held: list[tuple[int, list[Op], list[bytes], list[str | None]]] = field(default_factory=list)


@dataclass(slots=True)
class Room:
    """A board's subscribers on this hub, and what waits for the next flush."""

    board: str
    subs: dict[str, Subscription] = field(default_factory=dict)
    seq: int | None = None  # the last sequence number delivered to this room
    pending: list[Op] = field(default_factory=list)
    pending_raw: list[bytes] = field(default_factory=list)  # the msgpack bytes of each
    pending_from: list[str | None] = field(default_factory=list)  # its connection, per op
    # seq -> the connection an op came in over, for ops this hub stored that have not
    # been delivered yet (no echo: they are left out of that connection's update)
    origins: dict[int, str] = field(default_factory=dict)
    presence: dict[str, bytes] = field(default_factory=dict)  # latest frame sent, per conn
    # presence received since the last presence tick, latest per conn; encoded at the
    # tick (what a newer one replaces meanwhile is never encoded)
    presence_dirty: dict[str, tuple[Connection, dict[str, Any]]] = field(default_factory=dict)
    repairing: bool = False


@dataclass(slots=True)
class _Submitted:
    """A batch waiting for the next commit: from a connection (acked on its socket), or
    from the hub itself (an import; ``done`` resolves with the outcome)."""

    conn: Connection | None
    board: str
    ref: int
    ops: list[Op]
    done: asyncio.Future[Applied] | None = None
    packed: list[bytes] | None = None  # the bytes of each op as it came

    def packed_of(self, stored: list[Op]) -> list[bytes]:
        """The bytes of the ops of this batch that the store took (as they came; the
        store hands back the very ops it was given)."""
        packed = self.packed
        if not packed:
            return [codec.pack(op) for op in stored]
        if len(stored) == len(self.ops):
            return packed
        at = {id(op): i for i, op in enumerate(self.ops)}
        out: list[bytes] = []
        for op in stored:
            i = at.get(id(op))
            out.append(codec.pack(op) if i is None else packed[i])
        return out


@dataclass(slots=True)
class _HeldAck:
    """A connection's cumulative ack of one board, held until the connection has every
    op of the board through ``seq`` (the v2 ack guarantee)."""

    conn: Connection
    board: str
    ref: int
    seq: int
    applied: int
    lost: list[Lost] = field(default_factory=list)


def lost_ops(ops: list[Op], stored: list[Op]) -> list[Lost]:
    """The ops of a batch that were not stored (beaten by a higher clock, or stored
    before: a batch sent again), as ``(id, field, counter)``."""
    if len(stored) == len(ops):
        return []
    kept = {(op.id, op.field, op.counter) for op in stored}
    return [key for op in ops if (key := (op.id, op.field, op.counter)) not in kept]


class Hub:
    def __init__(
        self,
        store: Store,
        *,
        tick_s: float = 0.005,
        ticks: Ticks | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.ticks = ticks or Ticks(op_s=tick_s, op_max_s=max(tick_s, 4 * tick_s))
        self.metrics = metrics or Metrics()
        self._apply_seconds = self.metrics.store_seconds.labels("apply")
        self._load_seconds = self.metrics.store_seconds.labels("load")
        self.rooms: dict[str, Room] = {}
        self._pending: list[_Submitted] = []
        self._dirty: set[str] = set()
        self._presence_dirty: set[str] = set()
        self._presence_due = 0.0  # loop time when presence may next be sent
        self._presence_timer: asyncio.TimerHandle | None = None
        self._acks: dict[tuple[str, str], _HeldAck] = {}
        self._applying = False
        self._fed: list[tuple[str, int, list[Op]]] = []  # delivered while applying
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._commit_lock = asyncio.Lock()
        # Ticks delivered and not yet durable, in order: acked (or refused) once durable.
        self._undurable: deque[tuple[list[_Submitted], list[Applied], asyncio.Future[None]]] = (
            deque()
        )
        self.draining = False
        self.connections: set[Connection] = set()
        self.flusher = Flusher()  # writes what a tick queued, all connections in one pass
        self.workshops = WorkshopRooms(self, store)
        # (board, since, room seq when the load began) -> one load for all who ask
        self._loads: SingleFlight[tuple[str, int, int | None], Loaded] = SingleFlight()
        store.listen(self._from_feed, self._remote_presence)

    @property
    def tick_s(self) -> float:
        return self.ticks.op_s

    # ------------------------------------------------------------ committer

    async def run(self) -> None:
        """The committer loop; runs for the hub's lifetime (cancel to stop)."""
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            tick = self.ticks.op
            if tick > 0:
                start = loop.time()
                await asyncio.sleep(tick)
                self.ticks.observe(loop.time() - start - tick)
            await self.commit()

    def _take(self) -> list[_Submitted]:
        """The pending batches of this commit; a connection's batches stay in order."""
        taken: list[_Submitted] = []
        rest: list[_Submitted] = []
        total = 0
        used: dict[int, int] = {}  # ops taken per connection (0: the hub's own writes)
        held: set[int] = set()  # connections with a batch left for the next tick
        for s in self._pending:
            key, n = (0 if s.conn is None else id(s.conn)), len(s.ops)
            mine = used.get(key, 0)
            defer = key in held or (
                bool(taken)
                and (total + n > MAX_OPS_PER_COMMIT or (mine and mine + n > MAX_OPS_PER_CONNECTION))
            )
            if defer:
                rest.append(s)
                held.add(key)
                continue
            taken.append(s)
            total += n
            used[key] = mine + n
        self._pending = rest
        if rest:
            self._wake.set()  # the rest goes in the next tick
        return taken

    async def commit_all(self) -> None:
        """Commit until nothing is pending, and every commit is durable (at shutdown)."""
        await self.commit()
        while self._pending:
            await self.commit()
        while self._undurable:
            await asyncio.wait([self._undurable[-1][2]])
            self._settle_durable()

    async def commit(self) -> None:
        """Merge the pending batches in one call, deliver, flush; acknowledge once the
        store has them on disk."""
        async with self._commit_lock:  # (the committer's, and the one at shutdown)
            await self._commit()

    async def _stage(self, pending: list[_Submitted]) -> Staged:
        """The store's stage; what the store feeds meanwhile (another hub's ops it
        catches up on, which may include this commit's own) waits until the origins of
        this commit's ops are known, so that none is echoed to its sender."""
        self._applying = True
        try:
            with self._apply_seconds.time():
                return await self.store.stage(
                    [
                        Batch(s.board, s.ops, s.conn.seen if s.conn else None, s.packed)
                        for s in pending
                    ]
                )
        finally:
            self._applying = False

    async def _commit(self) -> None:
        pending = self._take()
        if pending:
            durable: asyncio.Future[None] | None = None
            try:
                staged = await self._stage(pending)
                results, durable = staged.results, staged.durable
                if not durable.done() and not self._undurable:
                    await asyncio.wait([durable], timeout=DURABLE_WAIT_S)
            except StoreUnavailable as exc:
                results = self._refuse(pending, exc.reason)
            except Exception:
                # Not an outage (a bug, or Redis refusing a command): nothing of this tick
                # was stored, and the same batches would fail alike on the same sockets.
                # Their senders are closed (1011); they reconnect and send them again.
                logger.exception("the store failed on %d batches", len(pending))
                results = self._fail(pending)
            self._settle_durable()  # an earlier tick's failed write first: rooms resync
            if self._fed:  # (rare: another hub's ops caught up on, maybe with these)
                for s, r in zip(pending, results, strict=False):
                    if s.conn is not None and r.error is None and r.stored:
                        self._remember_origin(r.board, r.seq, len(r.stored), s.conn.id)
                self._deliver_fed()
            for s, r in zip(pending, results, strict=False):
                if s.conn is not None and r.error is not None:
                    s.conn.inflight -= 1
                    r.error.ref, r.error.board = s.ref, s.board
                    s.conn.send_error(r.error)
                    continue
                if r.error is None and r.stored:
                    self.metrics.ops_stored += len(r.stored)
                    if s.conn is None:
                        self.deliver(r.board, r.seq, r.stored)
                        continue
                    packed = r.packed if len(r.packed) == len(r.stored) else s.packed_of(r.stored)
                    self.deliver(r.board, r.seq, r.stored, packed, s.conn.id)
                if s.conn is not None:
                    top = s.ops[0].counter if len(s.ops) == 1 else max(op.counter for op in s.ops)
                    if top > s.conn.seen:
                        s.conn.seen = top
            if durable is not None:
                self._undurable.append((pending, results, durable))
                if not durable.done():
                    durable.add_done_callback(lambda _: self._settle_durable())
        elif self._fed:
            self._deliver_fed()
        self.flush()
        self._settle_durable()

    def _settle_durable(self) -> None:
        """Acknowledge the ticks whose write is durable, in order; a tick whose write
        failed was delivered but is not stored: its senders hear ``store_unavailable``
        (and send it again), and its rooms' subscribers resync from what the disk holds."""
        while self._undurable and self._undurable[0][2].done():
            pending, results, durable = self._undurable.popleft()
            failed = durable.exception()
            for s, r in zip(pending, results, strict=False):
                if r.error is not None and s.conn is not None:
                    continue  # (told at once)
                if failed is None:
                    if s.conn is None:
                        self._settle(s, r)
                    else:
                        s.conn.inflight -= 1
                        self._hold_ack(s, r)
                    continue
                reason = (
                    failed.reason
                    if isinstance(failed, RequestError)
                    else "the hub failed to store the batch"
                )
                error = StoreUnavailable(reason, ref=s.ref, board=s.board)
                if s.conn is None:
                    if s.done is not None and not s.done.done():
                        s.done.set_exception(error)
                else:
                    s.conn.inflight -= 1
                    s.conn.send_error(error)
                if r.error is None and r.stored:
                    self._resync_room(r.board)
        self._send_acks()

    def _resync_room(self, board: str) -> None:
        """Ops delivered to this room were not stored: every subscriber must reload the
        board from what the store holds (which read it again from disk)."""
        room = self.rooms.get(board)
        if room is None:
            return
        room.seq = None
        room.pending, room.pending_raw, room.pending_from = [], [], []
        room.origins.clear()
        for sub in list(room.subs.values()):
            sub.conn.resync(board)

    def _deliver_fed(self) -> None:
        fed, self._fed = self._fed, []
        for board, seq, ops in fed:
            self.deliver(board, seq, ops)

    def _remember_origin(self, board: str, seq: int, n: int, conn_id: str) -> None:
        """Ops numbered ``seq - n + 1 .. seq`` came over ``conn_id``, for a delivery
        that may come later than this commit's (a gap repaired, a feed caught up)."""
        room = self.rooms.get(board)
        if room is not None:
            for k in range(seq - n + 1, seq + 1):
                room.origins[k] = conn_id

    def _hold_ack(self, s: _Submitted, r: Applied) -> None:
        """One cumulative ack per connection and board, sent once the connection has
        every op of the board through the batch's seq."""
        assert s.conn is not None
        key = (s.conn.id, s.board)
        held = self._acks.get(key)
        lost = lost_ops(s.ops, r.stored)
        if held is None:
            self._acks[key] = _HeldAck(s.conn, s.board, s.ref, r.seq, len(r.stored), lost)
        else:
            held.ref, held.seq = s.ref, max(held.seq, r.seq)
            held.applied += len(r.stored)
            held.lost += lost

    def _send_acks(self) -> None:
        """Send the held acks whose connection has the board through their seq."""
        if not self._acks:
            return
        for key, held in list(self._acks.items()):
            conn = held.conn
            if conn.outbox.closed or conn.outbox.overflowed:
                del self._acks[key]
                continue
            sub = conn.subs.get(held.board)
            if sub is not None and (sub.syncing or sub.seq < held.seq):
                continue  # not yet: the room delivers through its seq first
            seq = held.seq
            if sub is not None:
                seq = sub.told = sub.seq
            conn.send(encode(Ack(held.board, held.ref, seq, held.applied, tuple(held.lost))))
            del self._acks[key]

    def _settle(self, s: _Submitted, r: Applied) -> None:
        """The outcome of the hub's own batch (delivered already): tell the writer."""
        if s.done is not None and not s.done.done():
            if r.error is not None:
                s.done.set_exception(r.error)
            else:
                s.done.set_result(r)

    @staticmethod
    def _refuse(pending: list[_Submitted], reason: str) -> list[Applied]:
        """Nothing of this tick was stored: every sender hears so and may retry."""
        for s in pending:
            error = StoreUnavailable(reason, ref=s.ref, board=s.board)
            if s.conn is None:
                if s.done is not None and not s.done.done():
                    s.done.set_exception(error)
                continue
            s.conn.inflight -= 1
            s.conn.send_error(error)
        return []

    @staticmethod
    def _fail(pending: list[_Submitted]) -> list[Applied]:
        for s in pending:
            if s.conn is None:
                if s.done is not None and not s.done.done():
                    s.done.set_exception(StoreUnavailable("the hub failed to store the batch"))
                continue
            s.conn.inflight -= 1
            s.conn.fail("the hub failed to store your ops; reconnect and send them again")
        return []

    def submit(
        self,
        conn: Connection,
        board: str,
        ref: int,
        ops: list[Op],
        packed: list[bytes] | None = None,
    ) -> None:
        """Queue a validated, authorised batch for the next commit (no await); ``packed``:
        the bytes of each op as it came. While the hub drains, nothing more is taken: the
        sender sends it again to another hub."""
        if self.draining:
            return
        conn.inflight += 1
        self._pending.append(_Submitted(conn, board, ref, ops, packed=packed))
        self._wake.set()

    async def write(self, board: str, ops: list[Op]) -> Applied:
        """Store a batch the hub itself makes (an import) through the same commit as every
        client's, so subscribers see it like any edit; raises the batch's error."""
        done: asyncio.Future[Applied] = asyncio.get_running_loop().create_future()
        self._pending.append(_Submitted(None, board, 0, ops, done))
        self._wake.set()
        return await done

    # ------------------------------------------------------------- fan-out

    def deliver(
        self,
        board: str,
        seq: int,
        ops: list[Op],
        packed: list[bytes] | None = None,
        origin: str | None = None,
    ) -> None:
        """Stored ops numbered ``seq - len(ops) + 1 .. seq`` reach the room's next flush;
        ``packed``: their bytes, if known; ``origin``: the connection they came over."""
        if self._applying:
            self._fed.append((board, seq, ops))  # after the commit knows its origins
            return
        room = self.rooms.get(board)
        if room is None or not ops:
            return
        first = seq - len(ops) + 1
        if room.seq is not None:
            if seq <= room.seq:
                return  # already delivered (local apply and feed both report it)
            if first > room.seq + 1:
                if origin is not None:
                    self._remember_origin(board, seq, len(ops), origin)
                self._repair(room)  # a gap: fetch what is missing from the store
                return
            if first <= room.seq:
                cut = room.seq + 1 - first
                ops, first = ops[cut:], room.seq + 1
                packed = packed[cut:] if packed is not None else None
        room.pending.extend(ops)
        room.pending_raw.extend(packed if packed is not None else map(codec.pack, ops))
        origins = room.origins
        if origin is not None:
            room.pending_from.extend([origin] * len(ops))
        elif origins:
            room.pending_from.extend(origins.pop(n, None) for n in range(first, seq + 1))
        else:
            room.pending_from.extend([None] * len(ops))
        room.seq = seq
        self._dirty.add(board)
        self._wake.set()

    def flush(self) -> None:
        """Send each dirty room's pending ops (one encoding per distinct content), and,
        when the presence tick is due, the presence changes."""
        for board in self._dirty:
            room = self.rooms.get(board)
            if room is None:
                continue
            if room.pending and room.seq is not None:
                self._flush_ops(room)
                room.pending, room.pending_raw, room.pending_from = [], [], []
            if room.origins and room.seq is not None:  # (ops never delivered here)
                for n in [n for n in room.origins if n <= room.seq]:
                    del room.origins[n]
        self._dirty.clear()
        if self._presence_dirty:
            self._flush_presence()

    def _flush_presence(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now < self._presence_due:
            if self._presence_timer is None:
                self._presence_timer = loop.call_at(self._presence_due, self._presence_wake)
            return
        self._presence_due = now + self.ticks.presence
        publish: list[tuple[str, bytes]] = []
        for board in self._presence_dirty:
            room = self.rooms.get(board)
            if room is None:
                continue
            for conn_id, (conn, data) in room.presence_dirty.items():
                frame = encode(PresenceOut(board, conn_id, conn.client, conn.name, data))
                room.presence[conn_id] = frame
                publish.append((board, frame))
                for sub in room.subs.values():
                    if sub.conn.id != conn_id and not sub.syncing:
                        sub.conn.outbox.put_droppable(frame)
            room.presence_dirty.clear()
        self._presence_dirty.clear()
        if publish:
            self._spawn(self.store.publish_presence(publish))

    def _presence_wake(self) -> None:
        self._presence_timer = None
        self._wake.set()

    def _flush_ops(self, room: Room) -> None:
        """One encoding of the room's new ops for every subscriber that wrote none of
        them; the writers each get theirs without their own ops (no echo)."""
        seq, ops, packed, origins = room.seq, room.pending, room.pending_raw, room.pending_from
        assert seq is not None
        first = seq - len(ops) + 1
        writers = set(origins)
        shared: bytes | None = None
        top = max(op.counter for op in ops)
        for sub in room.subs.values():
            if sub.conn.seen < top:
                sub.conn.seen = top
            if sub.syncing:
                sub.held.append((seq, ops, packed, origins))
            elif sub.told == sub.seq < first and sub.conn.id not in writers:
                if shared is None:
                    shared = encode_update(room.board, first, seq, packed)
                sub.seq = sub.told = seq
                sub.conn.send(shared)
                self.metrics.ops_out += len(ops)
            elif sub.seq < seq:  # its own ops are in it, or it has part of it already
                self._send_slice(sub, seq, packed, origins)

    def _send_slice(
        self, sub: Subscription, seq: int, packed: list[bytes], origins: list[str | None]
    ) -> None:
        """Send ``sub`` the part of ops ``.. seq`` it does not have, less its own; the
        update begins right after what its client was last told (what lies between is
        its own ops, not yet acknowledged)."""
        first = seq - len(packed) + 1
        skip = max(0, sub.seq + 1 - first)
        mine = sub.conn.id
        rest = [raw for raw, o in zip(packed[skip:], origins[skip:], strict=True) if o != mine]
        sub.seq = seq
        if rest:
            sub.conn.send(encode_update(sub.board, sub.told + 1, seq, rest))
            sub.told = seq
            self.metrics.ops_out += len(rest)

    def _repair(self, room: Room) -> None:
        if room.repairing or room.seq is None:
            return
        room.repairing = True

        async def repair() -> None:
            try:
                since = room.seq or 0
                loaded = await self.store.load(room.board, since)
                room.repairing = False
                if loaded.seq <= since:
                    return
                if loaded.full:  # the log no longer reaches back: subscribers resync
                    for sub in list(room.subs.values()):
                        sub.conn.resync(room.board)
                else:
                    self.deliver(room.board, loaded.seq, loaded.ops)
            except RequestError as exc:
                logger.warning("repair of %s failed: %s", room.board, exc.reason)
            finally:
                room.repairing = False

        self._spawn(repair())

    # ---------------------------------------------------------- subscribers

    async def subscribe(
        self, conn: Connection, board: str, since: int, ref: int | None, *, writable: bool
    ) -> None:
        """Add ``conn`` to the board's room and send it what it missed since ``since``."""
        room = self.rooms.get(board)
        if room is None:
            room = self.rooms[board] = Room(board)
            self.store.watch(board)
        sub = Subscription(conn, board, writable, seq=since, told=since)
        room.subs[conn.id] = sub
        conn.subs[board] = sub
        # A load shared with others must have begun after this room's last delivery:
        # updates delivered later are held for this subscriber and must follow it.
        key = (board, since, room.seq)

        async def load() -> Loaded:
            with self._load_seconds.time():
                return await self.store.load(board, since)

        try:
            loaded = await self._loads.run(key, load)
        except BaseException:
            self._remove(conn, board)
            raise
        if room.seq is None:
            room.seq = loaded.seq
        sub.seq = sub.told = loaded.seq
        conn.seen = max(conn.seen, loaded.max_counter())
        if not await self._send_sync(sub, loaded, ref):
            return  # the connection went, or fell behind, meanwhile
        held, sub.held = sub.held, []
        sub.syncing = False
        for seq, _, packed, origins in held:
            if seq > sub.seq:
                self._send_slice(sub, seq, packed, origins)
        for conn_id, frame in room.presence.items():
            if conn_id != conn.id:
                conn.outbox.put_droppable(frame)
        if room.seq > sub.seq:
            self._repair_sub(sub)
        else:
            self._send_acks()  # acks held while it synced

    async def _send_sync(self, sub: Subscription, loaded: Loaded, ref: int | None) -> bool:
        """Queue the sync a frame at a time; between frames, let the loop serve the other
        boards, and wait while more than a few frames of this one wait to be sent."""
        conn = sub.conn
        frames = sync_frames(sub.board, loaded.seq, loaded.full, loaded.packed(), ref)
        pace = SYNC_QUEUED_BYTES
        for i, frame in enumerate(frames):
            if i and not await conn.outbox.wait_below(pace):
                return False
            conn.send(frame, alone=True)
            if i:
                await asyncio.sleep(0)
            if conn.subs.get(sub.board) is not sub:
                return False  # unsubscribed (or resubscribed) meanwhile
        return True

    def _repair_sub(self, sub: Subscription) -> None:
        async def repair() -> None:
            loaded = await self.store.load(sub.board, sub.seq)
            if loaded.seq > sub.seq:
                if loaded.full:
                    sub.conn.resync(sub.board)
                else:
                    # (which connection these came over is forgotten: the subscriber's
                    # own ops are known by their client id, which holds them all)
                    client = sub.conn.client
                    origins = [sub.conn.id if op.client == client else None for op in loaded.ops]
                    packed = [codec.pack(op) for op in loaded.ops]
                    self._send_slice(sub, loaded.seq, packed, origins)
            self._send_acks()

        self._spawn(repair())

    def unsubscribe(self, conn: Connection, board: str) -> None:
        self._remove(conn, board)

    def presence(self, conn: Connection, board: str, data: dict[str, Any]) -> None:
        room = self.rooms.get(board)
        if room is None:
            return
        room.presence_dirty[conn.id] = (conn, data)
        self._presence_dirty.add(board)
        self._wake.set()

    def drop(self, conn: Connection) -> None:
        """The connection is gone: leave every room, tell the others."""
        self.connections.discard(conn)
        for board in list(conn.subs):
            self._remove(conn, board)
        for key in [key for key, held in self._acks.items() if held.conn is conn]:
            del self._acks[key]

    def forget_workshop(self, workshop_id: str) -> None:
        """The workshop is gone: its batches still waiting for the committer are dropped
        (their senders are being closed; the store would refuse them anyway)."""
        keep: list[_Submitted] = []
        for s in self._pending:
            if workshop_of(s.board) != workshop_id:
                keep.append(s)
            elif s.conn is not None:
                s.conn.inflight -= 1
            elif s.done is not None and not s.done.done():
                s.done.set_exception(NotFound(f"workshop {workshop_id} was deleted"))
        self._pending = keep

    def _remove(self, conn: Connection, board: str) -> None:
        conn.subs.pop(board, None)
        room = self.rooms.get(board)
        if room is None or room.subs.pop(conn.id, None) is None:
            return
        room.presence_dirty.pop(conn.id, None)  # (never sent: nobody needs its leave)
        if room.presence.pop(conn.id, None) is not None:
            frame = encode(Leave(board, conn.id))
            for sub in room.subs.values():
                sub.conn.send(frame)
            self._spawn(self.store.publish_presence([(board, frame)]))
        if not room.subs:
            del self.rooms[board]
            self.store.unwatch(board)

    def _from_feed(self, board: str, seq: int, stored: StoredOps) -> None:
        """Ops another hub stored, with their bytes as stored (sent on as they are)."""
        self.deliver(board, seq, stored.ops, stored.packed)

    def _remote_presence(self, board: str, frame: bytes) -> None:
        room = self.rooms.get(board)
        if room is None:
            return
        for sub in room.subs.values():
            if not sub.syncing:
                sub.conn.outbox.put_droppable(frame)

    # ------------------------------------------------------------- helpers

    def spawn(self, coro: Awaitable[None]) -> None:
        """Run a background task that the hub cancels at shutdown; failures are logged."""
        self._spawn(coro)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("hub task failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Shutdown: take no more batches, store and acknowledge what was taken, then
        close every connection with 1012 once its last frames are sent (or after
        ``DRAIN_TIMEOUT_S``). Clients reconnect, to any hub, and resume."""
        self.draining = True
        await self.commit_all()
        writers = [conn.shutdown() for conn in list(self.connections)]
        if writers:
            await asyncio.wait(writers, timeout=DRAIN_TIMEOUT_S)

    async def close(self) -> None:
        """Cancel and await every background task (the workshop layer's too)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
