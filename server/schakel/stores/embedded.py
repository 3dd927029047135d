"""The embedded store: boards merged in memory, made durable in SQLite.

For ``make run`` and single-process deployments; needs no server. Every stored op is
appended to SQLite in one transaction per call (group commit: the hub stages every
batch of a tick in one call). SQLite runs in WAL mode with ``synchronous=FULL`` on a
single worker thread, so the event loop never waits on disk and an acknowledged op
survives a crash of the process or the machine.

**Merged and numbered first, durable next.** :meth:`EmbeddedStore.stage` merges a call's
batches into the boards in memory under the store's lock, numbers them, queues their
write and returns (the hub delivers them), with a future done once they are durable (the
hub acknowledges them then); at most ``max_undurable`` ops wait so. :meth:`apply` holds
the lock until its write is durable. When a write fails (a full disk, an I/O error), the
writes queued behind it fail too, and the boards they touched are dropped from memory and
read again from disk when next needed, their numbers going on past those given; the
callers hear ``store_unavailable``. After a crash every board's head moves past what
peers may have seen (``floors``): see ``docs/design.md``, *Delivery and the disk*.

**Memory is bounded per board and released when idle.** A board in memory is its
document (held to the board limits of :mod:`schakel_core.schema`: objects, bytes of
state, bytes per object), beside each register the bytes of the op that won it (as they
arrived: a full sync and a snapshot send those, nothing is packed again), and a log of
its recent ops for resume, kept as the packed bytes written to disk and bounded by count
(``log_keep``) *and* bytes (``log_keep_bytes``). Boards are read from disk on first use
(not all at start), and a board nobody follows (:meth:`watch`) is dropped from memory
after ``unload_after_s`` (:meth:`housekeep`).

Compaction: once the ops since the last snapshot reach ``2 * log_keep``, or more bytes
than both ``2 * log_keep_bytes`` and the state itself, the state is written as a snapshot
and older log rows are deleted, keeping what the log in memory keeps for resume. A
subscriber further behind gets the full state instead.

**Gone means gone.** Deleting a workshop (or its expiry) erases its rows and marks it
gone, so that a batch still in flight cannot bring a board of it back; rows of boards
whose workshop no longer exists are swept at start and by :meth:`expire`. The database
uses ``secure_delete`` (deleted content is overwritten) and the WAL is checkpointed and
truncated after every deletion, so no copy of deleted content stays in either file.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgpack

from schakel_core import codec
from schakel_core.document import Document, Journal, expand
from schakel_core.errors import Conflict, NotFound, RequestError, StoreUnavailable, TooLarge
from schakel_core.ops import Op
from schakel_core.schema import LEGACY_ROLES_FIELD
from schakel_core.workshop import Workshop

from .base import (
    Applied,
    Batch,
    BoardLimits,
    EventListener,
    LiveListener,
    Loaded,
    PresenceListener,
    Staged,
    UpdateListener,
    durable_now,
    workshop_of,
)

T = TypeVar("T")

logger = logging.getLogger(__name__)

LOG_KEEP = 5000  # ops kept per board for resume...
LOG_KEEP_BYTES = 1024 * 1024  # ...and at most this many bytes of them
MAX_UNDURABLE = 5000  # ops merged (and maybe delivered) and not yet on disk, at most
UNLOAD_AFTER_S = 120.0  # a board nobody follows leaves memory after this long
DB_NAME = "schakel.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ops (
    board TEXT NOT NULL, seq INTEGER NOT NULL, op BLOB NOT NULL,
    PRIMARY KEY (board, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    board TEXT PRIMARY KEY, seq INTEGER NOT NULL, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS workshops (
    id TEXT PRIMARY KEY, join_code TEXT NOT NULL UNIQUE, data BLOB NOT NULL,
    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS floors (board TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    workshop TEXT NOT NULL, n INTEGER NOT NULL, entry BLOB NOT NULL,
    PRIMARY KEY (workshop, n)) WITHOUT ROWID;
"""

# Rows of boards whose workshop is gone (deleted, expired, or written while it went).
_ORPHANS = "substr(board, 1, instr(board, ':') - 1) NOT IN (SELECT id FROM workshops)"

# SQLite failures that mean "the disk cannot take this now" (full, failing, locked by
# another process): an outage the client retries. Anything else is a fault.
_OUTAGE_CODES: tuple[str, ...] = (
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_READONLY",
    "SQLITE_PROTOCOL",
    "SQLITE_NOLFS",
)


@dataclass(slots=True, eq=False)
class _Write:
    """A write queued to the writer thread: merged ops of ``boards`` not yet on disk."""

    epoch: int  # a failed write fails every queued write of its epoch or older
    boards: set[str]
    ops: int
    done: asyncio.Future[None]
    visible: bool  # returned before durable (stage): its numbers may have been seen


def is_outage(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(_OUTAGE_CODES)


def pack_op(op: Op) -> bytes:
    """An op as stored: the msgpack array [id, type, field, value, counter, client]."""
    return codec.pack(op.to_wire())


def unpack_op(raw: bytes) -> Op:
    """A stored op (rows written before were ``{"o": op}``)."""
    value = msgpack.unpackb(raw, raw=False, use_list=True, strict_map_key=True)
    return Op(*(value["o"] if type(value) is dict else value))


_MAP_HEADS = frozenset([*range(0x80, 0x90), 0xDE, 0xDF])


def op_bytes(raw: bytes) -> bytes:
    """A stored row's op as the bytes to send: as stored, or (a row of the older
    ``{"o": op}`` form) packed as the op alone."""
    return pack_op(unpack_op(raw)) if raw[:1] and raw[0] in _MAP_HEADS else raw


def split_snapshot(state: bytes) -> list[bytes]:
    """The ops of a snapshot ``{"ops": [op, ...]}`` as the bytes of each (skipped over,
    not decoded)."""
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(len(state), 1 << 20))
    unpacker.feed(state)
    out: list[bytes] = []
    for _ in range(unpacker.read_map_header()):
        if unpacker.unpack() != "ops":
            unpacker.skip()
            continue
        start = unpacker.tell()
        for _ in range(unpacker.read_array_header()):
            start = unpacker.tell()
            unpacker.skip()
            out.append(state[start : unpacker.tell()])
    return out


def _release_memory() -> None:
    """Give freed heap pages back to the system (glibc keeps them otherwise)."""
    if _libc is not None:
        _libc.malloc_trim(0)


_libc_name = ctypes.util.find_library("c")
_libc = ctypes.CDLL(_libc_name) if _libc_name else None
if _libc is not None and not hasattr(_libc, "malloc_trim"):  # pragma: no cover - not glibc
    _libc = None


class _Board:
    """One board in memory: its document and head sequence number, each register's op
    as stored bytes, the recent log as stored bytes, what its registers weigh, and
    whether anyone follows it."""

    __slots__ = (
        "bytes",
        "doc",
        "idle_since",
        "log",
        "log_bytes",
        "object_bytes",
        "raw",
        "seq",
        "since_snapshot",
        "since_snapshot_bytes",
    )

    def __init__(self) -> None:
        self.doc = Document()
        self.raw: dict[str, dict[str, bytes]] = {}  # id -> field -> the winner's bytes
        self.seq = 0
        self.log: deque[tuple[int, bytes]] = deque()  # (seq, packed op), contiguous to seq
        self.log_bytes = 0
        self.since_snapshot = 0
        self.since_snapshot_bytes = 0
        self.bytes = 0  # packed bytes of every register
        self.object_bytes: dict[str, int] = {}
        self.idle_since: float | None = None  # when the last follower left

    def remember(self, seq: int, raw: bytes, keep: int, keep_bytes: int) -> None:
        self.log.append((seq, raw))
        self.log_bytes += len(raw)
        while self.log and (len(self.log) > keep or self.log_bytes > keep_bytes):
            self.log_bytes -= len(self.log.popleft()[1])

    def written(self, ops: Sequence[Op], packed: Sequence[bytes]) -> dict[tuple[str, str], bytes]:
        """After ``ops`` were merged: the bytes of each register they hold now (an op's
        bytes as stored; a register of an older ``roles`` op, that op's part packed)."""
        out: dict[tuple[str, str], bytes] = {}
        fields = self.doc.fields
        for op, raw in zip(ops, packed, strict=True):
            parts = expand(op)
            for one in parts:
                reg = fields[one.id].get(one.field)
                if reg is not None and reg.counter == one.counter and reg.client == one.client:
                    out[(one.id, one.field)] = raw if one is op else pack_op(one)
        return out

    def keep(self, written: dict[tuple[str, str], bytes]) -> None:
        for (obj_id, field), raw in written.items():
            obj = self.raw.get(obj_id)
            if obj is None:
                obj = self.raw[obj_id] = {}
            obj[field] = raw

    def measure(self) -> None:
        """Weigh every register (after a load from disk)."""
        self.object_bytes = {
            obj_id: sum(len(raw) for raw in obj.values()) for obj_id, obj in self.raw.items()
        }
        self.bytes = sum(self.object_bytes.values())

    def weigh(
        self, journal: Journal, written: dict[tuple[str, str], bytes], limits: BoardLimits
    ) -> dict[str, int]:
        """What the merges in ``journal`` (whose registers now hold ``written``) add per
        object; raise TooLarge (naming the limit) if the board or an object would grow
        past its limit."""
        first: dict[tuple[str, str], Any] = {}
        for change in journal.changes:
            first.setdefault((change.id, change.field), change.before)
        delta: dict[str, int] = {}
        for (obj_id, field), before in first.items():
            after = len(written[(obj_id, field)])
            old = 0 if before is None else len(self.raw[obj_id][field])
            delta[obj_id] = delta.get(obj_id, 0) + after - old
        new_objects = sum(1 for c in journal.changes if c.new_object)
        if new_objects and len(self.doc.types) > limits.objects:
            raise TooLarge(f"a board holds at most {limits.objects} objects (maxBoardObjects)")
        grown = sum(delta.values())
        if grown > 0 and self.bytes + grown > limits.state_bytes:
            raise TooLarge(
                f"a board holds at most {limits.state_bytes} bytes (maxBoardBytes); "
                "erase ink or notes to make room"
            )
        for obj_id, d in delta.items():
            if d > 0 and self.object_bytes.get(obj_id, 0) + d > limits.object_bytes:
                raise TooLarge(
                    f"object {obj_id!r} would hold more than {limits.object_bytes} bytes "
                    "(maxObjectBytes)"
                )
        return delta

    def adopt(self, delta: dict[str, int]) -> None:
        for obj_id, d in delta.items():
            self.object_bytes[obj_id] = self.object_bytes.get(obj_id, 0) + d
            self.bytes += d


class EmbeddedStore:
    """Store implementation for one process; ``path=None`` keeps everything in memory."""

    kind = "embedded"

    def __init__(
        self,
        data_dir: str | Path | None,
        *,
        retention_s: float = 72 * 3600,
        log_keep: int = LOG_KEEP,
        log_keep_bytes: int = LOG_KEEP_BYTES,
        unload_after_s: float = UNLOAD_AFTER_S,
        limits: BoardLimits | None = None,
        read_only: bool = False,
        commit_delay_s: float = 0.0,
        commit_stall_every_s: float = 0.0,
        max_undurable: int = MAX_UNDURABLE,
    ) -> None:
        self.log_keep = log_keep
        # W: ops merged, numbered (and maybe delivered) but not yet on disk, at most.
        self.max_undurable = max_undurable
        self._writes: deque[_Write] = deque()  # queued, in order
        self._undurable = 0  # their ops
        self._epoch = 0
        self._dead_epoch = -1  # (writer thread) the newest epoch whose write failed
        self._floor = 0  # where a board with nothing on disk starts (moved by crashes)
        # board -> one past the last seq given before a failed write: read again, it
        # goes on from there, as peers may hold ops of those numbers the disk has not
        self._heads: dict[str, int] = {}
        # Tests and benchmarks only (bench/slow_disk.py): a write waits commit_delay_s in
        # the writer thread before it commits, as behind a disk whose fsync stalls; every
        # write, or (commit_stall_every_s) the first write after each such interval.
        self.commit_delay_s = commit_delay_s
        self.commit_stall_every_s = commit_stall_every_s
        self._next_stall = 0.0
        self.log_keep_bytes = log_keep_bytes
        self.unload_after_s = unload_after_s
        self.limits = limits or BoardLimits()
        self._read_only = read_only
        self._path = Path(data_dir) / DB_NAME if data_dir is not None else None
        self._retention_s = retention_s
        self._boards: dict[str, _Board] = {}  # the boards in memory
        self._watchers: dict[str, int] = {}
        self._workshops: dict[str, Workshop] = {}
        self._codes: dict[str, str] = {}
        self._gone: dict[str, float] = {}  # deleted or expired workshop -> when it went
        self._db: sqlite3.Connection | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schakel-sqlite")
        # Held while boards are merged and written, and while they are read: a reader
        # never sees a merge that is not yet durable.
        self._lock = asyncio.Lock()
        self._ws_lock = asyncio.Lock()

    # ------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        if self._path is None:
            db = sqlite3.connect(":memory:", check_same_thread=False)
        elif self._read_only:
            if not self._path.is_file():
                raise StoreUnavailable(f"no Schakel database at {self._path}")
            db = sqlite3.connect(
                f"{self._path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        else:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self._path, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
        now = time.time()
        if not self._read_only:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA secure_delete=ON")
            db.executescript(_SCHEMA)
            with db:
                db.execute("DELETE FROM workshops WHERE expires < ?", (now,))
                self._delete_orphans(db)
                # 'running' is there from start to clean shutdown: there now, the last
                # run crashed (a new or older database has none).
                if db.execute("SELECT 1 FROM settings WHERE key = 'running'").fetchone():
                    self._raise_floors(db)
                db.execute("INSERT OR REPLACE INTO settings VALUES ('running', '1')")
        self._db = db
        with contextlib.suppress(sqlite3.OperationalError):  # (read-only, older database)
            row = db.execute("SELECT value FROM settings WHERE key = 'floor'").fetchone()
            self._floor = int(row[0]) if row is not None else 0
        for (data,) in db.execute("SELECT data FROM workshops WHERE expires >= ?", (now,)):
            ws = Workshop.from_dict(codec.unpack(data, limit=None))
            self._workshops[ws.id] = ws
            self._codes[ws.join_code] = ws.id
        if not self._read_only:
            self._checkpoint(db)
        logger.info(
            "embedded store open at %s: %d workshops", self._path or "memory", len(self._workshops)
        )

    def _raise_floors(self, db: sqlite3.Connection) -> None:
        """After a crash (the last run ended without a clean shutdown): peers may have seen up to
        ``max_undurable`` ops of a board past what the disk holds, under numbers the
        disk never got. Each board's head moves past all of them, so that its log
        starts there and a client resuming from inside that range gets the full state.
        A board with nothing on disk starts at the ``floor`` setting, which moves as far
        at every crash."""
        step = self.max_undurable + 1
        db.execute(
            "INSERT INTO settings (key, value) VALUES ('floor', ?) ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + ?",
            (str(step), step),
        )
        n = db.execute(
            "INSERT OR REPLACE INTO floors (board, seq) SELECT board, MAX(seq) + ? FROM ("
            " SELECT board, seq FROM ops UNION ALL SELECT board, seq FROM snapshots"
            " UNION ALL SELECT board, seq FROM floors) GROUP BY board",
            (step,),
        ).rowcount
        if n:
            logger.warning("no clean shutdown: the heads of %d boards moved past their logs", n)

    @staticmethod
    def _delete_orphans(db: sqlite3.Connection) -> int:
        n = 0
        for table in ("ops", "snapshots", "floors"):
            n += db.execute(f"DELETE FROM {table} WHERE {_ORPHANS}").rowcount
        n += db.execute(
            "DELETE FROM history WHERE workshop NOT IN (SELECT id FROM workshops)"
        ).rowcount
        return n

    @staticmethod
    def _checkpoint(db: sqlite3.Connection) -> None:
        """Copy the WAL into the database and truncate it to nothing: no old page (with
        deleted content) stays in the WAL file."""
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            logger.warning("the WAL could not be truncated: another process is reading")

    async def close(self) -> None:
        if self._writes:
            await asyncio.wait([w.done for w in self._writes])
        if self._db is not None and self._path is not None and not self._read_only:
            # A clean shutdown: every write has ended, nothing was seen that the disk
            # does not hold (a failed write's boards were resynced).
            try:
                await self._run(self._write, [("DELETE FROM settings WHERE key = 'running'", [()])])
            except StoreUnavailable as exc:
                logger.warning("no clean-shutdown marker written: %s", exc.reason)
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._pool.shutdown(wait=True)

    async def ping(self) -> None:
        if self._db is None:
            raise StoreUnavailable("the embedded store is not open")

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreUnavailable("the embedded store is closed")
        return self._db

    def _write(self, statements: list[tuple[str, Any]]) -> None:
        """Run ``(sql, rows)`` pairs in one transaction (worker thread). A disk that
        cannot take it now is StoreUnavailable; nothing of it is stored."""
        db = self._conn()
        if self.commit_delay_s:
            self._stall()
        try:
            with db:
                for sql, rows in statements:
                    db.executemany(sql, rows)
        except sqlite3.Error as exc:
            if not is_outage(exc):
                raise
            raise StoreUnavailable(f"the disk cannot store this now ({exc})") from exc

    def _stall(self) -> None:
        """The injected slow disk (tests and benchmarks only; writer thread)."""
        now = time.monotonic()
        if self.commit_stall_every_s and now < self._next_stall:
            return
        self._next_stall = now + self.commit_stall_every_s
        time.sleep(self.commit_delay_s)

    # ---------------------------------------------------------------- boards

    async def _board(self, board: str) -> _Board:
        """The board in memory, read from disk first if it is not (hold ``_lock``)."""
        b = self._boards.get(board)
        if b is None:
            b = await self._run(self._read_board, board)
            if (head := self._heads.pop(board, 0)) > b.seq:
                b.seq = head
                b.log.clear()
                b.log_bytes = 0
            if not self._watchers.get(board):
                b.idle_since = time.monotonic()
            self._boards[board] = b
        return b

    def _read_board(self, board: str) -> _Board:
        """A board from its snapshot and log rows (worker thread)."""
        db = self._conn()
        b = _Board()
        legacy = False
        row = db.execute("SELECT seq, state FROM snapshots WHERE board = ?", (board,)).fetchone()
        if row is not None:
            packed = split_snapshot(bytes(row[1]))
            ops = [Op(*codec.unpack_value(raw)) for raw in packed]
            legacy = any(o.field == LEGACY_ROLES_FIELD for o in ops)
            b.doc = Document(ops)
            b.keep(b.written(ops, packed))
            b.seq = row[0]
        rows = db.execute("SELECT seq, op FROM ops WHERE board = ? ORDER BY seq", (board,))
        for seq, stored in rows:
            raw = op_bytes(bytes(stored))
            if b.log and seq != b.log[-1][0] + 1:  # past a floor: the log starts anew
                b.log.clear()
                b.log_bytes = 0
            b.remember(seq, raw, self.log_keep, self.log_keep_bytes)
            if seq <= b.seq:
                continue  # rows up to a snapshot's seq are kept for resume only
            op = unpack_op(raw)
            legacy = legacy or op.field == LEGACY_ROLES_FIELD
            if b.doc.apply(op):
                b.keep(b.written([op], [raw]))
            b.seq = seq
            b.since_snapshot += 1
            b.since_snapshot_bytes += len(raw)
        try:
            floor = db.execute("SELECT seq FROM floors WHERE board = ?", (board,)).fetchone()
        except sqlite3.OperationalError:  # (read-only, a database from before floors)
            floor = None
        start = floor[0] if floor is not None else 0 if b.seq or b.log else self._floor
        if start > b.seq:
            b.seq = start
            b.log.clear()
            b.log_bytes = 0
        b.measure()
        if legacy and not self._read_only:
            self._migrate(board, b)
        return b

    def _migrate(self, board: str, b: _Board) -> None:
        """A board stored before each role had its own register: its state as it reads
        now (one register per role) becomes its snapshot. Rows kept for resume still
        hold ``roles`` ops, which every replica applies the same way."""
        try:
            self._write(
                [("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", [_snapshot(board, b)])]
            )
        except StoreUnavailable as exc:
            logger.warning("board %s: roles not migrated yet: %s", board, exc.reason)
            return
        b.since_snapshot = b.since_snapshot_bytes = 0
        logger.info("board %s: roles migrated to one register per role", board)

    def _gone_reason(self, board: str) -> str | None:
        wid = workshop_of(board)
        return f"workshop {wid} was deleted" if wid in self._gone else None

    async def apply(self, batches: Sequence[Batch]) -> list[Applied]:
        """Merge, number and write; return once durable, holding the lock until then,
        so that no reader sees this call's merges before they are on disk."""
        async with self._lock:
            results, write = await self._stage(batches, visible=False)
            if write is not None:
                await write.done
            return results

    async def stage(self, batches: Sequence[Batch]) -> Staged:
        """Merge and number under the lock and return; the write goes on in the writer
        thread (``durable``). At most ``max_undurable`` ops are merged and not yet on
        disk: beyond that this waits for earlier writes, and a call of more ops than
        that returns only once durable, as :meth:`apply`."""
        async with self._lock:
            results, write = await self._stage(batches, visible=True)
            if write is None:
                return durable_now(results)
            if write.ops > self.max_undurable:
                write.visible = False
                await write.done
            return Staged(results, write.done)

    async def _stage(
        self, batches: Sequence[Batch], *, visible: bool
    ) -> tuple[list[Applied], _Write | None]:
        """Merge, number, and queue the write (hold ``_lock``)."""
        n = sum(len(batch.ops) for batch in batches)
        while self._writes and self._undurable + n > self.max_undurable:
            await asyncio.wait([self._writes[0].done])
        # Every board read first: from here to the queued write nothing awaits, so no
        # failed write drops a board in the middle of this merge.
        boards = {b.board for b in batches if self._gone_reason(b.board) is None}
        while missing := [board for board in boards if board not in self._boards]:
            for board in missing:
                await self._board(board)
        results: list[Applied] = []
        rows: list[tuple[str, int, bytes]] = []
        snapshots: list[tuple[str, int, bytes]] = []
        logged: list[tuple[_Board, int, bytes]] = []
        touched: set[str] = set()
        for batch in batches:
            gone = self._gone_reason(batch.board)
            if gone is not None:
                results.append(Applied(batch.board, 0, error=NotFound(gone)))
                continue
            b = self._boards[batch.board]
            journal = Journal(b.doc)
            try:
                stored = b.doc.apply_batch(batch.ops, jump_from=batch.seen, journal=journal)
                packed = _packed_of(batch, stored)
                written = b.written(stored, packed)
                delta = b.weigh(journal, written, self.limits)
            except RequestError as exc:
                b.doc.rollback(journal)
                exc.board = batch.board
                results.append(Applied(batch.board, b.seq, error=exc))
                continue
            touched.add(batch.board)
            b.adopt(delta)
            b.keep(written)
            for raw in packed:
                b.seq += 1
                rows.append((batch.board, b.seq, raw))
                logged.append((b, b.seq, raw))
                b.since_snapshot += 1
                b.since_snapshot_bytes += len(raw)
            due = b.since_snapshot >= 2 * self.log_keep or b.since_snapshot_bytes >= max(
                2 * self.log_keep_bytes, b.bytes
            )
            if stored and due:
                snapshots.append(_snapshot(batch.board, b))
                b.since_snapshot = b.since_snapshot_bytes = 0
            results.append(Applied(batch.board, b.seq, stored, packed=packed))
        if not rows:
            return results, None
        for b, seq, raw in logged:
            b.remember(seq, raw, self.log_keep, self.log_keep_bytes)
        # Behind a new snapshot, the disk keeps the rows the log in memory keeps.
        keep = [(board, self._boards[board].log[0][0]) for board, _, _ in snapshots]
        statements: list[tuple[str, Any]] = [
            ("INSERT INTO ops (board, seq, op) VALUES (?, ?, ?)", rows),
            ("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", snapshots),
            ("DELETE FROM ops WHERE board = ? AND seq < ?", keep),
        ]
        return results, self._queue(statements, touched, len(rows), visible)

    def _queue(
        self, statements: list[tuple[str, Any]], boards: set[str], ops: int, visible: bool
    ) -> _Write:
        """Queue a write of merged ops to the writer thread (one thread: in order)."""
        loop = asyncio.get_running_loop()
        write = _Write(self._epoch, boards, ops, loop.create_future(), visible)
        self._writes.append(write)
        self._undurable += ops
        job = loop.run_in_executor(self._pool, self._write_staged, write.epoch, statements)
        job.add_done_callback(lambda f: self._written(write, f))
        return write

    def _write_staged(self, epoch: int, statements: list[tuple[str, Any]]) -> None:
        """A queued write (writer thread): refused if an earlier write of its epoch
        failed, as it numbers on top of ops that are not on disk."""
        if epoch <= self._dead_epoch:
            raise StoreUnavailable("an earlier write failed; nothing of this was stored")
        try:
            self._write(statements)
        except BaseException:
            self._dead_epoch = max(self._dead_epoch, epoch)
            raise

    def _written(self, write: _Write, job: asyncio.Future[None]) -> None:
        """A queued write ended (event loop). If it failed, every board merged and not
        yet durable up to it leaves memory (read again from disk when next needed), and
        the writes queued after it fail too; later merges start a new epoch."""
        self._writes.remove(write)
        self._undurable -= write.ops
        exc = job.exception() if not job.cancelled() else StoreUnavailable("write cancelled")
        if exc is None:
            write.done.set_result(None)
            return
        if write.epoch >= self._epoch:
            self._epoch = write.epoch + 1
            failed = [w for w in (write, *self._writes) if w.epoch <= write.epoch]
            seen = {board for w in failed if w.visible for board in w.boards}
            for board in {board for w in failed for board in w.boards}:
                b = self._boards.pop(board, None)
                if b is not None and board in seen:
                    self._heads[board] = max(self._heads.get(board, 0), b.seq + 1)
        write.done.set_exception(exc)
        write.done.exception()  # (retrieved: a caller may have gone)

    async def load(self, board: str, since: int) -> Loaded:
        async with self._lock:
            if self._gone_reason(board) is not None:
                return Loaded(0, True, [])
            b = await self._board(board)
            if 0 < since <= b.seq and (since == b.seq or (b.log and b.log[0][0] <= since + 1)):
                kept = [raw for seq, raw in b.log if seq > since]  # as stored, not decoded
                return Loaded(b.seq, False, wire=kept, clock=b.doc.max_counter)
            # The whole state: each register's bytes as stored (nothing is packed).
            wire = [raw for obj in b.raw.values() for raw in obj.values()]
            return Loaded(b.seq, True, wire=wire, clock=b.doc.max_counter)

    async def delete_board(self, board: str) -> None:
        async with self._lock:
            self._boards.pop(board, None)
            await self._run(
                self._write,
                [
                    ("DELETE FROM ops WHERE board = ?", [(board,)]),
                    ("DELETE FROM snapshots WHERE board = ?", [(board,)]),
                    ("DELETE FROM floors WHERE board = ?", [(board,)]),
                ],
            )

    # ---------------------------------------------------------- memory

    def loaded_boards(self) -> list[str]:
        """The boards held in memory now."""
        return list(self._boards)

    def boards_in_memory(self) -> int:
        """Boards whose document this process holds (``/healthz``, ``/metrics``)."""
        return len(self._boards)

    async def housekeep(self, now: float | None = None) -> int:
        """Drop from memory the boards nobody has followed for ``unload_after_s``;
        return how many went."""
        now = time.monotonic() if now is None else now
        async with self._lock:
            idle = [
                board
                for board, b in self._boards.items()
                if not self._watchers.get(board)
                and b.idle_since is not None
                and now - b.idle_since >= self.unload_after_s
            ]
            for board in idle:
                del self._boards[board]
        if idle:
            _release_memory()
            logger.debug("unloaded %d idle boards", len(idle))
        return len(idle)

    # ------------------------------------------------------------- workshops

    def _save_row(self, ws: Workshop) -> tuple[str, Any]:
        return (
            "INSERT OR REPLACE INTO workshops (id, join_code, data, expires) VALUES (?,?,?,?)",
            [(ws.id, ws.join_code, codec.pack(ws.to_dict()), ws.created + self._retention_s)],
        )

    async def create_workshop(self, workshop: Workshop) -> None:
        async with self._ws_lock:
            if workshop.id in self._workshops or workshop.join_code in self._codes:
                raise Conflict("workshop id or join code already taken; try again")
            await self._run(self._write, [self._save_row(workshop)])
            self._workshops[workshop.id] = Workshop.from_dict(workshop.to_dict())
            self._codes[workshop.join_code] = workshop.id

    def _live(self, workshop_id: str) -> Workshop | None:
        ws = self._workshops.get(workshop_id)
        if ws is not None and ws.created + self._retention_s < time.time():
            return None
        return ws

    async def get_workshop(self, workshop_id: str) -> Workshop | None:
        ws = self._live(workshop_id)
        # A copy, so that a caller's changes never reach the store unsaved.
        return None if ws is None else Workshop.from_dict(ws.to_dict())

    async def find_join_code(self, code: str) -> str | None:
        wid = self._codes.get(code)
        return wid if wid is not None and self._live(wid) is not None else None

    async def update_workshop(self, workshop_id: str, change: Callable[[Workshop], T]) -> T:
        async with self._ws_lock:
            current = self._live(workshop_id)
            if current is None:
                raise NotFound(f"no workshop {workshop_id!r}")
            ws = Workshop.from_dict(current.to_dict())
            result = change(ws)
            await self._run(self._write, [self._save_row(ws)])
            self._workshops[workshop_id] = ws
            return result

    async def delete_workshop(self, workshop_id: str) -> None:
        async with self._ws_lock, self._lock:
            self._gone[workshop_id] = time.time()  # from now on its boards take nothing
            ws = self._workshops.pop(workshop_id, None)
            if ws is not None:
                self._codes.pop(ws.join_code, None)
            for board in [b for b in self._boards if workshop_of(b) == workshop_id]:
                del self._boards[board]
            prefix = f"{workshop_id}:%"
            await self._run(self._erase, workshop_id, prefix)
        _release_memory()

    async def count_workshops(self) -> int:
        return sum(1 for wid in self._workshops if self._live(wid) is not None)

    def _erase(self, workshop_id: str, prefix: str) -> None:
        """Every row of a workshop, then the WAL's old pages (worker thread)."""
        self._write(
            [
                ("DELETE FROM workshops WHERE id = ?", [(workshop_id,)]),
                ("DELETE FROM history WHERE workshop = ?", [(workshop_id,)]),
                ("DELETE FROM ops WHERE board LIKE ?", [(prefix,)]),
                ("DELETE FROM snapshots WHERE board LIKE ?", [(prefix,)]),
                ("DELETE FROM floors WHERE board LIKE ?", [(prefix,)]),
            ]
        )
        self._checkpoint(self._conn())

    async def expire(self) -> list[str]:
        """Delete workshops past their retention, and rows of boards whose workshop is
        gone; return the ids of the workshops that went."""
        now = time.time()
        old = [w.id for w in self._workshops.values() if w.created + self._retention_s < now]
        for wid in old:
            await self.delete_workshop(wid)
        # What is gone stays refused for a day after its retention would have ended,
        # longer than any batch can be in flight.
        for wid, when in list(self._gone.items()):
            if when + self._retention_s + 86400 < now:
                del self._gone[wid]
        if not self._read_only:

            def sweep() -> int:
                with self._conn() as db:
                    n = self._delete_orphans(db)
                if n:
                    self._checkpoint(self._conn())
                return n

            async with self._lock:
                if n := await self._run(sweep):
                    logger.info("swept %d rows of boards whose workshop is gone", n)
        return old

    async def add_history(self, workshop_id: str, entry: bytes) -> None:
        async with self._ws_lock:
            if self._live(workshop_id) is None:
                raise NotFound(f"no workshop {workshop_id!r}")

            def append() -> None:
                db = self._conn()
                with db:
                    (n,) = db.execute(
                        "SELECT COALESCE(MAX(n), 0) + 1 FROM history WHERE workshop = ?",
                        (workshop_id,),
                    ).fetchone()
                    db.execute("INSERT INTO history VALUES (?, ?, ?)", (workshop_id, n, entry))

            await self._run(append)

    async def history(self, workshop_id: str) -> list[bytes]:
        def read() -> list[bytes]:
            rows = self._conn().execute(
                "SELECT entry FROM history WHERE workshop = ? ORDER BY n", (workshop_id,)
            )
            return [bytes(r[0]) for r in rows]

        if self._live(workshop_id) is None:
            return []
        return await self._run(read)

    # ---------------------------------------------------------- cross-hub
    # One process holds every board and workshop: nothing to feed, nobody to publish
    # to, and a feed that is never down. Watching a board only tells the store which
    # boards someone follows (the others may leave memory).

    def listen(self, on_update: UpdateListener, on_presence: PresenceListener) -> None:
        pass

    def listen_events(self, on_event: EventListener, on_live: LiveListener) -> None:
        pass

    def watch_workshop(self, workshop_id: str) -> None:
        pass

    def unwatch_workshop(self, workshop_id: str) -> None:
        pass

    async def publish_event(self, workshop_id: str, event: bytes) -> None:
        pass

    def watch(self, board: str) -> None:
        self._watchers[board] = self._watchers.get(board, 0) + 1
        if (b := self._boards.get(board)) is not None:
            b.idle_since = None

    def unwatch(self, board: str) -> None:
        n = self._watchers.get(board, 0) - 1
        if n > 0:
            self._watchers[board] = n
            return
        self._watchers.pop(board, None)
        if (b := self._boards.get(board)) is not None:
            b.idle_since = time.monotonic()

    async def publish_presence(self, frames: Sequence[tuple[str, bytes]]) -> None:
        pass

    # -------------------------------------------------------------- secrets

    async def shared_secret(self, make: Callable[[], str]) -> str:
        """The token-signing secret kept with the data, made once by ``make``."""

        def get_or_set() -> str:
            db = self._conn()
            with db:
                db.execute(
                    "INSERT OR IGNORE INTO settings (key, value) VALUES ('secret', ?)", (make(),)
                )
                row = db.execute("SELECT value FROM settings WHERE key = 'secret'").fetchone()
            return str(row[0])

        return await self._run(get_or_set)


def _packed_of(batch: Batch, stored: list[Op]) -> list[bytes]:
    """The bytes of the stored ops: those the batch carried (as they arrived), or packed
    now. ``stored`` holds ops of ``batch.ops`` themselves, in order."""
    if batch.packed is None:
        return [pack_op(op) for op in stored]
    if len(stored) == len(batch.ops):
        return list(batch.packed)
    at = {id(op): i for i, op in enumerate(batch.ops)}
    return [batch.packed[at[id(op)]] for op in stored]


def _snapshot(board: str, b: _Board) -> tuple[str, int, bytes]:
    """The board's state as ``{"ops": [op, ...]}``, each register's bytes as stored."""
    wire = [raw for obj in b.raw.values() for raw in obj.values()]
    return (board, b.seq, codec.pack_map({}, {"ops": codec.pack_array(wire)}))
