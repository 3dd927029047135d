"""The embedded store: boards merged in memory, made durable in SQLite.

For ``make run`` and single-process deployments; needs no server. Each board's document
lives in memory (the core merge rule); every stored op is appended to SQLite before
:meth:`EmbeddedStore.apply` returns, in one transaction per call (group commit: the hub
calls ``apply`` once per tick with every batch of that tick). SQLite runs in WAL mode with
``synchronous=FULL`` on a single worker thread, so the event loop never waits on disk
and an acknowledged op survives a crash of the process or the machine.

Compaction: every ``2 * LOG_KEEP`` stored ops of a board, its state is written as a
snapshot and older log rows are deleted, keeping ``LOG_KEEP`` ops for resume. A
subscriber further behind than the kept log gets the full state instead.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from schakel_core import codec
from schakel_core.document import Document
from schakel_core.errors import Conflict, NotFound, RequestError, StoreUnavailable
from schakel_core.ops import Op
from schakel_core.workshop import Workshop

from .base import Applied, Batch, FeedListener, Loaded, PresenceListener, UpdateListener

T = TypeVar("T")

logger = logging.getLogger(__name__)

LOG_KEEP = 5000  # ops kept per board for resume; a snapshot every 2 * LOG_KEEP ops
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
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    workshop TEXT NOT NULL, n INTEGER NOT NULL, entry BLOB NOT NULL,
    PRIMARY KEY (workshop, n)) WITHOUT ROWID;
"""


class _Board:
    """One board in memory: its document, its head sequence number, the recent log."""

    __slots__ = ("doc", "log", "seq", "since_snapshot")

    def __init__(self, log_keep: int) -> None:
        self.doc = Document()
        self.seq = 0
        self.log: deque[Op] = deque(maxlen=log_keep)  # ops numbered seq-len+1 .. seq
        self.since_snapshot = 0


class EmbeddedStore:
    """Store implementation for one process; ``path=None`` keeps everything in memory."""

    kind = "embedded"

    def __init__(
        self,
        data_dir: str | Path | None,
        *,
        retention_s: float = 72 * 3600,
        log_keep: int = LOG_KEEP,
        read_only: bool = False,
    ) -> None:
        self.log_keep = log_keep
        self._read_only = read_only
        self._path = Path(data_dir) / DB_NAME if data_dir is not None else None
        self._retention_s = retention_s
        self._boards: dict[str, _Board] = {}
        self._workshops: dict[str, Workshop] = {}
        self._codes: dict[str, str] = {}
        self._db: sqlite3.Connection | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schakel-sqlite")
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
            db.executescript(_SCHEMA)
            db.execute("DELETE FROM workshops WHERE expires < ?", (now,))
            db.execute("DELETE FROM history WHERE workshop NOT IN (SELECT id FROM workshops)")
        self._db = db
        for (data,) in db.execute("SELECT data FROM workshops WHERE expires >= ?", (now,)):
            ws = Workshop.from_dict(codec.unpack(data, limit=None))
            self._workshops[ws.id] = ws
            self._codes[ws.join_code] = ws.id
        for board, seq, state in db.execute("SELECT board, seq, state FROM snapshots"):
            b = self._boards.setdefault(board, _Board(self.log_keep))
            b.doc = Document(Op(*o) for o in codec.unpack(state, limit=None)["ops"])
            b.seq = seq
        for board, seq, raw in db.execute("SELECT board, seq, op FROM ops ORDER BY board, seq"):
            b = self._boards.setdefault(board, _Board(self.log_keep))
            op = Op(*codec.unpack(raw)["o"])
            b.log.append(op)  # rows up to a snapshot's seq are kept for resume only
            if seq <= b.seq:
                continue
            b.doc.apply(op)
            b.seq = seq
            b.since_snapshot += 1
        if not self._read_only:
            db.commit()
        logger.info(
            "embedded store open at %s: %d workshops, %d boards",
            self._path or "memory",
            len(self._workshops),
            len(self._boards),
        )

    async def close(self) -> None:
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._pool.shutdown(wait=True)

    async def ping(self) -> None:
        if self._db is None:
            raise StoreUnavailable("the embedded store is not open")

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _write(self, statements: list[tuple[str, Any]]) -> None:
        """Run ``(sql, rows)`` pairs in one transaction (worker thread)."""
        db = self._db
        if db is None:
            raise StoreUnavailable("the embedded store is closed")
        with db:
            for sql, rows in statements:
                db.executemany(sql, rows)

    # ---------------------------------------------------------------- boards

    def _board(self, board: str) -> _Board:
        b = self._boards.get(board)
        if b is None:
            b = self._boards[board] = _Board(self.log_keep)
        return b

    async def apply(self, batches: Sequence[Batch]) -> list[Applied]:
        results: list[Applied] = []
        rows: list[tuple[str, int, bytes]] = []
        snapshots: list[tuple[str, int, bytes]] = []
        trims: list[tuple[str, int]] = []
        for batch in batches:
            b = self._board(batch.board)
            try:
                stored = b.doc.apply_batch(batch.ops)
            except RequestError as exc:
                exc.board = batch.board
                results.append(Applied(batch.board, b.seq, error=exc))
                continue
            for op in stored:
                b.seq += 1
                b.log.append(op)
                rows.append((batch.board, b.seq, codec.pack({"o": list(op)})))
            b.since_snapshot += len(stored)
            if b.since_snapshot >= 2 * self.log_keep:
                snapshots.append((batch.board, b.seq, _pack_state(b.doc)))
                trims.append((batch.board, b.seq - self.log_keep))
                b.since_snapshot = 0
            results.append(Applied(batch.board, b.seq, stored))
        if rows:
            await self._run(
                self._write,
                [
                    ("INSERT INTO ops (board, seq, op) VALUES (?, ?, ?)", rows),
                    ("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", snapshots),
                    ("DELETE FROM ops WHERE board = ? AND seq <= ?", trims),
                ],
            )
        return results

    async def load(self, board: str, since: int) -> Loaded:
        b = self._boards.get(board)
        if b is None:
            return Loaded(0, True, [])
        first = b.seq - len(b.log) + 1  # the oldest op still in the log
        if 0 < since <= b.seq and since + 1 >= first:
            skip = since + 1 - first
            return Loaded(b.seq, False, [b.log[i] for i in range(skip, len(b.log))])
        return Loaded(b.seq, True, list(b.doc.ops()))

    async def delete_board(self, board: str) -> None:
        self._boards.pop(board, None)
        await self._run(
            self._write,
            [
                ("DELETE FROM ops WHERE board = ?", [(board,)]),
                ("DELETE FROM snapshots WHERE board = ?", [(board,)]),
            ],
        )

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
        async with self._ws_lock:
            ws = self._workshops.pop(workshop_id, None)
            if ws is None:
                return
            self._codes.pop(ws.join_code, None)
            boards = [b for b in self._boards if b.startswith(f"{workshop_id}:")]
            for board in boards:
                del self._boards[board]
            prefix = f"{workshop_id}:%"
            await self._run(
                self._write,
                [
                    ("DELETE FROM workshops WHERE id = ?", [(workshop_id,)]),
                    ("DELETE FROM history WHERE workshop = ?", [(workshop_id,)]),
                    ("DELETE FROM ops WHERE board LIKE ?", [(prefix,)]),
                    ("DELETE FROM snapshots WHERE board LIKE ?", [(prefix,)]),
                ],
            )

    async def expire(self) -> int:
        """Delete workshops past their retention; return how many went."""
        now = time.time()
        old = [w.id for w in self._workshops.values() if w.created + self._retention_s < now]
        for wid in old:
            await self.delete_workshop(wid)
        return len(old)

    async def add_history(self, workshop_id: str, entry: bytes) -> None:
        async with self._ws_lock:
            if self._live(workshop_id) is None:
                raise NotFound(f"no workshop {workshop_id!r}")

            def append() -> None:
                db = self._db
                if db is None:
                    raise StoreUnavailable("the embedded store is closed")
                with db:
                    (n,) = db.execute(
                        "SELECT COALESCE(MAX(n), 0) + 1 FROM history WHERE workshop = ?",
                        (workshop_id,),
                    ).fetchone()
                    db.execute("INSERT INTO history VALUES (?, ?, ?)", (workshop_id, n, entry))

            await self._run(append)

    async def history(self, workshop_id: str) -> list[bytes]:
        def read() -> list[bytes]:
            db = self._db
            if db is None:
                raise StoreUnavailable("the embedded store is closed")
            rows = db.execute(
                "SELECT entry FROM history WHERE workshop = ? ORDER BY n", (workshop_id,)
            )
            return [bytes(r[0]) for r in rows]

        if self._live(workshop_id) is None:
            return []
        return await self._run(read)

    # ---------------------------------------------------------- cross-hub
    # One process holds every board: nothing to feed, nobody to publish to.

    def listen(
        self,
        on_update: UpdateListener,
        on_presence: PresenceListener,
        on_feed: FeedListener | None = None,
    ) -> None:
        pass

    def watch(self, board: str) -> None:
        pass

    def unwatch(self, board: str) -> None:
        pass

    async def publish_presence(self, frames: Sequence[tuple[str, bytes]]) -> None:
        pass

    # -------------------------------------------------------------- secrets

    async def shared_secret(self, make: Callable[[], str]) -> str:
        """The token-signing secret kept with the data, made once by ``make``."""

        def get_or_set() -> str:
            db = self._db
            assert db is not None
            with db:
                db.execute(
                    "INSERT OR IGNORE INTO settings (key, value) VALUES ('secret', ?)", (make(),)
                )
                row = db.execute("SELECT value FROM settings WHERE key = 'secret'").fetchone()
            return str(row[0])

        return await self._run(get_or_set)


def _pack_state(doc: Document) -> bytes:
    return codec.pack({"ops": [list(op) for op in doc.ops()]})
