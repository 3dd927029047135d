"""The Store seam: one protocol per concern, an embedded and a Redis implementation.

The hub talks to storage only through these protocols; each part of the hub asks for
the narrowest one it uses. A store implements every part (:class:`Store`), and every
implementation passes the same contract suite (``tests/contract``), one module per part.

=====================  =====================================================  ==========
part                   what                                                   used by
=====================  =====================================================  ==========
:class:`Boards`        per board: the merged state, a number per stored op,   hub,
                       the op log for resume; memory held for boards          analyses,
                                                                              api
:class:`Workshops`     workshop records, join codes, figures' history;        api,
                       deletion and expiry (which erase their boards too)     workshop
                                                                              rooms
:class:`Secrets`       the token-signing secret shared by the hubs            service
:class:`BoardFeed`     what other hubs store and publish on watched boards:   hub
                       their ops (fed without gaps), their presence
:class:`WorkshopFeed`  workshop events (a change, a deletion) between hubs,   workshop
                       on a channel of each workshop's own                    rooms
:class:`Lifecycle`     start, close, ping, housekeeping                       service
=====================  =====================================================  ==========

Data flow of an op batch::

    hub committer ──apply([Batch, ...])──▶ store: merge (core rule), number, make durable
         ▲                                   │
         └──── [Applied, ...] ◀──────────────┘   then: ack senders, deliver to rooms

**Bytes stay bytes.** The hub validates each op once, when it arrives, and may hand the
store the op's msgpack bytes as they arrived (:attr:`Batch.packed`). The store keeps,
logs and feeds those bytes, and gives them back (:attr:`Applied.packed`,
:meth:`Loaded.packed`, :attr:`StoredOps.packed`), so the fan-out builds frames from them
without packing an op again; ops are decoded only where something reads them (the
merge, or a caller reading ``.ops``).

A store that is shared by several hubs (Redis) *feeds* each hub what other hubs stored
and published, for the boards (:meth:`BoardFeed.watch`) and workshops
(:meth:`WorkshopFeed.watch_workshop`) that hub follows; the embedded store lives in one
process, where there is no other hub: its feeds carry nothing, and are never down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from schakel_core import codec, schema
from schakel_core.errors import RequestError
from schakel_core.ops import Op
from schakel_core.workshop import Workshop

T = TypeVar("T")


def unpack_ops(packed: Sequence[bytes]) -> list[Op]:
    """Packed ops (each the msgpack array ``[id, type, field, value, counter, client]``
    the hub validated once) as Ops."""
    return [Op(*codec.unpack_value(raw)) for raw in packed]


class StoredOps:
    """Ops another hub stored, as the packed bytes the store keeps; decoded only if
    someone reads :attr:`ops`."""

    __slots__ = ("_ops", "packed")

    def __init__(self, packed: list[bytes], ops: list[Op] | None = None) -> None:
        self.packed = packed
        self._ops = ops

    @property
    def ops(self) -> list[Op]:
        if self._ops is None:
            self._ops = unpack_ops(self.packed)
        return self._ops

    def __len__(self) -> int:
        return len(self.packed)

    def __repr__(self) -> str:
        return f"StoredOps({len(self.packed)} ops)"


UpdateListener = Callable[[str, int, StoredOps], None]
"""Called with (board, seq, ops): ops numbered ``seq - len(ops) + 1 .. seq``."""

PresenceListener = Callable[[str, bytes], None]
"""Called with (board, encoded presence or leave frame) published by another hub."""

EventListener = Callable[[str, bytes], None]
"""Called with (workshop id, encoded event) published by another hub."""

LiveListener = Callable[[str, bool], None]
"""Called with a followed workshop whose feed of events from other hubs has just started
(True; what they published before may have been missed) or stopped (False; what they
publish now is missed)."""


@dataclass(frozen=True, slots=True)
class Batch:
    """A validated batch of ops for one board, to be merged whole or not at all.

    ``seen``: the highest counter its writer is known to have seen (what the hub sent it
    or took from it); a counter more than ``MAX_COUNTER_JUMP`` above both that and the
    board's highest is refused (``invalid_op``). None: no such check (the hub's own
    writes, which take their counters from the board).

    ``packed``: each op as the msgpack bytes it arrived in (the hub validated them once;
    they must decode to ``ops``, item for item). The store stores, logs and feeds these
    bytes as they are. None: the store packs the ops itself.
    """

    board: str
    ops: Sequence[Op]
    seen: int | None = None
    packed: Sequence[bytes] | None = None

    def __post_init__(self) -> None:
        if self.packed is not None and len(self.packed) != len(self.ops):
            raise ValueError(f"{len(self.ops)} ops but {len(self.packed)} packed")

    def packed_ops(self) -> Sequence[bytes]:
        """Each op as msgpack bytes: as they arrived, or packed now."""
        if self.packed is not None:
            return self.packed
        pack = codec.pack
        return [pack(op.to_wire()) for op in self.ops]


@dataclass(frozen=True, slots=True)
class BoardLimits:
    """What one board may hold; a batch that would grow it past a limit is refused
    (``too_large``, naming the limit) and nothing of it is stored."""

    objects: int = schema.MAX_BOARD_OBJECTS
    state_bytes: int = schema.MAX_BOARD_BYTES
    object_bytes: int = schema.MAX_OBJECT_BYTES


def workshop_of(board: str) -> str:
    """The workshop a board belongs to (board ids are ``<workshop>:<local>``)."""
    return board.split(":", 1)[0]


@dataclass(slots=True)
class Applied:
    """The outcome of one batch: the ops that changed the board, and their numbers.

    ``stored`` holds the ops numbered ``seq - len(stored) + 1 .. seq``; ops that changed
    nothing (duplicates, or beaten by a higher clock) are not stored and get no number.
    ``packed`` holds the same ops as the bytes the store kept (those of the batch).
    ``error`` is set, and nothing stored, when the batch was refused.
    """

    board: str
    seq: int
    stored: list[Op] = field(default_factory=list)
    error: RequestError | None = None
    packed: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class Staged:
    """Batches merged and numbered (``results``: what may be delivered now), and
    ``durable``: done once they are on disk, or failed (StoreUnavailable) if they never
    will be; then the boards they touched read again as the disk holds them."""

    results: list[Applied]
    durable: asyncio.Future[None]


def durable_now(results: list[Applied]) -> Staged:
    """Staged batches that were durable before they were numbered (merge and write in
    one step, as Redis does)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return Staged(results, done)


class Loaded:
    """A board as read for a subscriber: the whole state or the ops after ``since``.

    A store may give the ops as the msgpack bytes it keeps (``wire``); they are decoded
    only if someone reads :attr:`ops`, and a ``sync`` forwards them as they are.
    """

    __slots__ = ("_ops", "_wire", "clock", "full", "seq")

    def __init__(
        self,
        seq: int,
        full: bool,
        ops: list[Op] | None = None,
        *,
        wire: list[bytes] | None = None,
        clock: int | None = None,
    ) -> None:
        self.seq = seq
        self.full = full
        self._ops = ops
        self._wire = wire
        self.clock = clock  # the board's highest counter, if the store knows it

    @property
    def ops(self) -> list[Op]:
        if self._ops is None:
            self._ops = unpack_ops(self._wire or ())
        return self._ops

    def packed(self) -> Iterator[bytes]:
        """Each op as msgpack bytes (as kept, or packed now)."""
        if self._wire is not None:
            yield from self._wire
            return
        for op in self.ops:
            yield codec.pack(op.to_wire())

    def max_counter(self) -> int:
        """The highest counter a subscriber sees in this answer (or on the board)."""
        if self.clock is not None:
            return self.clock
        return max((op.counter for op in self.ops), default=0)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Loaded):
            return NotImplemented
        return (self.seq, self.full, self.ops) == (other.seq, other.full, other.ops)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Loaded(seq={self.seq}, full={self.full}, ops={len(self.ops)})"


# ------------------------------------------------------------------- the parts


class Lifecycle(Protocol):
    """Opening, closing and minding the store. All methods of every part may raise
    StoreUnavailable."""

    kind: str

    async def start(self) -> None:
        """Open connections and files; called once before use."""

    async def close(self) -> None:
        """Flush and release everything; no acknowledged op may be lost."""

    async def ping(self) -> None:
        """Raise StoreUnavailable if the store cannot be used now."""

    async def housekeep(self, now: float | None = None) -> int:
        """Release what the store holds in memory for boards and workshops nobody uses
        now (``now``: ``time.monotonic()``); return how many boards it let go."""


class Boards(Protocol):
    """Per board: the merged state, a sequence number per stored op, the log for resume."""

    log_keep: int
    """The log keeps at least this many recent ops per board for resume."""

    async def apply(self, batches: Sequence[Batch]) -> list[Applied]:
        """Merge each batch atomically, number what changed, and make it durable.

        Returns one Applied per batch, in order, only once everything is durable.
        """

    async def stage(self, batches: Sequence[Batch]) -> Staged:
        """Merge and number each batch as :meth:`apply` does, and return before the
        write is durable (a store that writes as it merges returns it durable). Stages
        are written in the order they were made; a failed write fails every later one
        made before it was known."""

    async def load(self, board: str, since: int) -> Loaded:
        """Ops after ``since`` if the log still reaches back, else the full state."""

    async def delete_board(self, board: str) -> None:
        """Erase a board's state and log."""

    def boards_in_memory(self) -> int:
        """How many boards the store holds in this process's memory now."""


class Workshops(Protocol):
    """Workshop records, their join codes and their history."""

    async def create_workshop(self, workshop: Workshop) -> None:
        """Store a new workshop (its id and join code are unique)."""

    async def get_workshop(self, workshop_id: str) -> Workshop | None:
        """The workshop, or None if it does not exist (deleted or expired)."""

    async def find_join_code(self, code: str) -> str | None:
        """The id of the workshop with this join code, or None."""

    async def update_workshop(self, workshop_id: str, change: Callable[[Workshop], T]) -> T:
        """Apply ``change`` to the workshop atomically (retrying on concurrent changes)."""

    async def delete_workshop(self, workshop_id: str) -> None:
        """Erase the workshop, its join code, its history and all its boards, and refuse
        from now on any batch for a board of it (``not_found``): one still in flight must
        not bring a board back."""

    async def count_workshops(self) -> int:
        """How many workshops are live (not deleted, not past their retention)."""

    async def expire(self) -> list[str]:
        """Erase workshops past their retention (if the backend does not expire them by
        itself) and what is left of boards whose workshop is gone; return the ids of the
        workshops that went."""

    async def add_history(self, workshop_id: str, entry: bytes) -> None:
        """Keep one packed snapshot of the workshop's figures (at the end of a part);
        erased with the workshop."""

    async def history(self, workshop_id: str) -> list[bytes]:
        """The workshop's snapshots, oldest first (empty for an unknown workshop)."""


class Secrets(Protocol):
    async def shared_secret(self, make: Callable[[], str]) -> str:
        """The token-signing secret shared by every hub on this store, made once by
        ``make`` when there is none yet."""


class BoardFeed(Protocol):
    """What other hubs store and publish on the boards this hub follows."""

    def listen(self, on_update: UpdateListener, on_presence: PresenceListener) -> None:
        """Register the hub's listeners: ops other hubs stored (without gaps: what the
        hub has not been handed yet, in order), and presence they published. A hub is
        never handed what it stored or published itself."""

    def watch(self, board: str) -> None:
        """Start feeding this board (its room opened here; the room's first load tells
        the store where the feed starts)."""

    def unwatch(self, board: str) -> None:
        """Stop feeding this board."""

    async def publish_presence(self, frames: Sequence[tuple[str, bytes]]) -> None:
        """Send encoded (board, presence or leave frame) pairs to the other hubs (dropped,
        not raised, while the store is away: presence is ephemeral)."""


class WorkshopFeed(Protocol):
    """Workshop events between hubs, on a channel of each workshop's own."""

    def listen_events(self, on_event: EventListener, on_live: LiveListener) -> None:
        """Register the listeners of workshop events published by other hubs, and of the
        feed of a followed workshop starting or stopping."""

    def watch_workshop(self, workshop_id: str) -> None:
        """Start feeding this workshop's events (its first connection came here)."""

    def unwatch_workshop(self, workshop_id: str) -> None:
        """Stop feeding this workshop's events."""

    async def publish_event(self, workshop_id: str, event: bytes) -> None:
        """Send an encoded event of the workshop to the other hubs (dropped, not raised,
        while the store is away: a hub that missed it rereads the record when its feed
        comes back)."""


class Store(Lifecycle, Boards, Workshops, Secrets, BoardFeed, WorkshopFeed, Protocol):
    """Every part: what a backend implements, and what the service holds."""
