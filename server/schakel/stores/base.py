"""The Store seam: one protocol, an embedded and a Redis implementation.

The hub talks to storage only through :class:`Store`. A store owns, per board, the merged
state, a sequence number per stored op, and an op log for resume; and, per workshop, its
record. Every implementation passes the same contract suite (``tests/contract``).

Data flow of an op batch::

    hub committer ──apply([Batch, ...])──▶ store: merge (core rule), number, make durable
         ▲                                   │
         └──── [Applied, ...] ◀──────────────┘   then: ack senders, deliver to rooms

A store that is shared by several hubs (Redis) also *feeds* each hub the ops that other
hubs stored, for the boards that hub watches (:meth:`Store.watch`), through the listener
the hub registers; the embedded store lives in one process and never needs to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from schakel_core import codec, schema
from schakel_core.errors import RequestError
from schakel_core.ops import Op
from schakel_core.workshop import Workshop

from .redis_pool import DEFAULT_POOL_SIZE, DEFAULT_POOL_TIMEOUT_S

T = TypeVar("T")

UpdateListener = Callable[[str, int, list[Op]], None]
"""Called with (board, seq, ops): ops numbered ``seq - len(ops) + 1 .. seq``."""

PresenceListener = Callable[[str, bytes], None]
"""Called with (board, encoded presence or leave frame) published by another hub."""

FeedListener = Callable[[str, bool], None]
"""Called with a watched board (or channel) whose feed from other hubs has just started
(True; what they published before may have been missed) or stopped (False; what they
publish now is missed). Stored ops are caught up by the store itself; this is for what
is only published, like workshop events."""


@dataclass(frozen=True, slots=True)
class Batch:
    """A validated batch of ops for one board, to be merged whole or not at all.

    ``seen``: the highest counter its writer is known to have seen (what the hub sent it
    or took from it); a counter more than ``MAX_COUNTER_JUMP`` above both that and the
    board's highest is refused (``invalid_op``). None: no such check (the hub's own
    writes, which take their counters from the board).
    """

    board: str
    ops: Sequence[Op]
    seen: int | None = None


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
    ``error`` is set, and nothing stored, when the batch was refused.
    """

    board: str
    seq: int
    stored: list[Op] = field(default_factory=list)
    error: RequestError | None = None


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
            self._ops = [Op(*codec.unpack_value(raw)) for raw in self._wire or ()]
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


class Store(Protocol):
    """Storage of boards and workshops. All methods may raise StoreUnavailable."""

    kind: str
    log_keep: int
    """The log keeps at least this many recent ops per board for resume."""

    async def start(self) -> None:
        """Open connections and files; called once before use."""

    async def close(self) -> None:
        """Flush and release everything; no acknowledged op may be lost."""

    async def ping(self) -> None:
        """Raise StoreUnavailable if the store cannot be used now."""

    # ---------------------------------------------------------------- boards

    async def apply(self, batches: Sequence[Batch]) -> list[Applied]:
        """Merge each batch atomically, number what changed, and make it durable.

        Returns one Applied per batch, in order, only once everything is durable.
        """

    async def load(self, board: str, since: int) -> Loaded:
        """Ops after ``since`` if the log still reaches back, else the full state."""

    async def delete_board(self, board: str) -> None:
        """Erase a board's state and log."""

    # ------------------------------------------------------------- workshops

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

    async def housekeep(self, now: float | None = None) -> int:
        """Release what the store holds in memory for boards and workshops nobody uses
        now (``now``: ``time.monotonic()``); return how many boards it let go."""

    def boards_in_memory(self) -> int:
        """How many boards the store holds in this process's memory now."""

    async def add_history(self, workshop_id: str, entry: bytes) -> None:
        """Keep one packed snapshot of the workshop's figures (at the end of a part);
        erased with the workshop."""

    async def history(self, workshop_id: str) -> list[bytes]:
        """The workshop's snapshots, oldest first (empty for an unknown workshop)."""

    async def shared_secret(self, make: Callable[[], str]) -> str:
        """The token-signing secret shared by every hub on this store, made once by
        ``make`` when there is none yet."""

    # ---------------------------------------------------------- cross-hub

    def listen(
        self,
        on_update: UpdateListener,
        on_presence: PresenceListener,
        on_feed: FeedListener | None = None,
    ) -> None:
        """Register the hub's listeners for what other hubs store and publish."""

    def watch(self, board: str) -> None:
        """Start feeding this board's updates from other hubs to the listener."""

    def unwatch(self, board: str) -> None:
        """Stop feeding this board."""

    async def publish_presence(self, frames: Sequence[tuple[str, bytes]]) -> None:
        """Send encoded (board, presence or leave frame) pairs to the other hubs."""


def open_store(
    *,
    redis_url: str = "",
    data_dir: str | None = None,
    retention_s: float = 72 * 3600,
    read_only: bool = False,
    redis_pool_size: int = DEFAULT_POOL_SIZE,
    redis_pool_timeout_s: float = DEFAULT_POOL_TIMEOUT_S,
    redis_wait_replicas: int = 0,
    redis_wait_timeout_ms: int = 1000,
    unload_after_s: float = 120.0,
) -> Store:
    """Choose the store from configuration: Redis when a URL is given, else embedded.
    ``read_only`` (for ``schakel export`` beside a running hub): the embedded store opens
    its database read-only and writes nothing; Redis is only read by such a caller anyway.

    Backends are imported lazily so that the embedded store needs no Redis client.
    """
    if redis_url:
        from .redis import RedisStore

        return RedisStore(
            redis_url,
            retention_s=retention_s,
            pool_size=redis_pool_size,
            pool_timeout_s=redis_pool_timeout_s,
            wait_replicas=redis_wait_replicas,
            wait_timeout_ms=redis_wait_timeout_ms,
        )
    from .embedded import EmbeddedStore

    return EmbeddedStore(
        data_dir, retention_s=retention_s, read_only=read_only, unload_after_s=unload_after_s
    )
