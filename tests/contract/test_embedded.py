"""What only the embedded store does: snapshots and log trimming in SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from schakel.stores.base import Batch
from schakel.stores.embedded import DB_NAME, EmbeddedStore
from schakel_core import codec
from schakel_core.document import Document
from schakel_core.errors import StoreUnavailable
from schakel_core.ops import Op
from schakel_core.workshop import Workshop

WS = Workshop.create("Embedded", 1, now=time.time())
BOARD = WS.group_board(1)


async def test_snapshots_trim_the_log_and_survive_a_restart(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path, log_keep=10)
    await store.start()
    await store.create_workshop(WS)
    ops = [Op(f"a{c % 7}", "actor", "influence", c % 6, c, "c1") for c in range(1, 61)]
    for i in range(0, 60, 4):
        await store.apply([Batch(BOARD, ops[i : i + 4])])
    await store.close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    rows = db.execute("SELECT min(seq), max(seq), count(*) FROM ops").fetchone()
    snaps = db.execute("SELECT seq FROM snapshots").fetchall()
    db.close()
    assert snaps == [(60,)]  # one snapshot every 2 * log_keep ops: at 20, 40, 60
    assert rows == (51, 60, 10)  # the log keeps log_keep ops behind it

    again = EmbeddedStore(tmp_path, log_keep=10)
    await again.start()
    full = await again.load(BOARD, 0)
    assert full.seq == 60
    assert Document(full.ops) == Document(ops)
    assert (await again.load(BOARD, 55)).ops == ops[55:]
    assert (await again.load(BOARD, 49)).full
    [r] = await again.apply([Batch(BOARD, [Op("z", "actor", "label", "after", 61, "c1")])])
    assert r.seq == 61
    await again.close()


async def test_boards_stored_with_roles_lists_are_migrated(tmp_path: Path) -> None:
    """Before each role had its own register, an actor's roles were one ``roles`` list."""
    store = EmbeddedStore(tmp_path)
    await store.start()
    await store.create_workshop(WS)
    await store.close()
    old = [
        Op("a1", "actor", "label", "Imam", 1, "c1"),
        Op("a1", "actor", "roles", ["pusher", "mover"], 2, "c1"),
    ]
    db = sqlite3.connect(tmp_path / DB_NAME)
    with db:
        state = codec.pack({"ops": [o.to_wire() for o in old]})
        db.execute("INSERT INTO snapshots VALUES (?, ?, ?)", (BOARD, 2, state))
        later = codec.pack({"o": ["a2", "actor", "roles", ["joiner"], 3, "c2"]})  # old rows
        db.execute("INSERT INTO ops VALUES (?, ?, ?)", (BOARD, 3, later))
    db.close()

    again = EmbeddedStore(tmp_path)
    await again.start()
    loaded = await again.load(BOARD, 0)
    visible = Document(loaded.ops).visible()
    assert visible["a1"]["roles"] == ["pusher", "mover"]
    assert visible["a2"] == {"type": "actor", "roles": ["joiner"]}
    assert all(o.field != "roles" for o in loaded.ops)
    # A resume through an old row gets the op itself, as every row's bytes are sent.
    [raw] = (await again.load(BOARD, 2)).packed()
    assert raw == codec.pack(["a2", "actor", "roles", ["joiner"], 3, "c2"])
    # A toggle of one role now merges with the migrated registers.
    [r] = await again.apply([Batch(BOARD, [Op("a1", "actor", "role_mover", False, 4, "c2")])])
    assert r.error is None
    assert Document((await again.load(BOARD, 0)).ops).visible()["a1"]["roles"] == ["pusher"]
    await again.close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    (snap,) = db.execute("SELECT state FROM snapshots WHERE board = ?", (BOARD,)).fetchone()
    db.close()
    assert all(o[2] != "roles" for o in codec.unpack(snap, limit=None)["ops"])


async def test_a_failed_write_leaves_nothing_in_memory(tmp_path: Path) -> None:
    """What the disk refused is neither kept, numbered nor acknowledged: a resend of the
    same batch is stored (and numbered) once the disk takes it."""
    store = EmbeddedStore(tmp_path)
    await store.start()
    await store.create_workshop(WS)
    first = Op("a1", "actor", "label", "kept", 1, "c1")
    await store.apply([Batch(BOARD, [first])])
    refused = Op("a2", "actor", "label", "refused by the disk", 2, "c1")
    db_path = tmp_path / DB_NAME
    # Another connection holds the write lock: SQLite cannot commit (SQLITE_BUSY).
    blocker = sqlite3.connect(db_path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    store._conn().execute("PRAGMA busy_timeout = 0")
    try:
        with pytest.raises(StoreUnavailable):
            await store.apply([Batch(BOARD, [refused])])
        loaded = await store.load(BOARD, 0)
        assert (loaded.seq, Document(loaded.ops).get("a2")) == (1, None)
    finally:
        blocker.rollback()
        blocker.close()
    [r] = await store.apply([Batch(BOARD, [refused])])
    assert (r.seq, r.stored) == (2, [refused])
    await store.close()


async def test_boards_nobody_follows_leave_memory_and_come_back_from_disk(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path, unload_after_s=30)
    await store.start()
    await store.create_workshop(WS)
    followed, idle = BOARD, WS.personal_board("nobody")
    await store.apply(
        [Batch(b, [Op("a1", "actor", "label", b, 1, "c1")]) for b in (followed, idle)]
    )
    store.watch(followed)
    assert sorted(store.loaded_boards()) == sorted([followed, idle])
    assert await store.housekeep(time.monotonic() + 10) == 0  # not idle long enough
    assert await store.housekeep(time.monotonic() + 31) == 1
    assert store.loaded_boards() == [followed]
    assert Document((await store.load(idle, 0)).ops).get("a1") == {"label": idle}
    store.unwatch(followed)
    await store.housekeep(time.monotonic() + 60)
    assert store.boards_in_memory() == 0
    await store.close()


def _label(obj: str, counter: int) -> Op:
    return Op(obj, "actor", "label", f"{obj} {counter}", counter, "c1")


async def test_a_failed_write_fails_those_queued_behind_it_and_the_head_moves_on(
    tmp_path: Path,
) -> None:
    """Staged batches are numbered (and may be delivered) before they are durable. When
    a write fails, the writes queued behind it, numbered on top of it, fail too; the
    board reads again as the disk holds it, and its numbers go on past those given, so
    that a peer holding them resumes with the full state."""
    store = EmbeddedStore(tmp_path)
    await store.start()
    await store.create_workshop(WS)
    await store.apply([Batch(BOARD, [_label("a", 1)])])
    gate = threading.Event()
    write = store._write
    calls: list[int] = []

    def failing_once(statements: list[tuple[str, Any]]) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            gate.wait(10)
            raise StoreUnavailable("the disk is full")
        write(statements)

    store._write = failing_once  # type: ignore[method-assign]
    first = await store.stage([Batch(BOARD, [_label("b", 2)])])
    second = await store.stage([Batch(BOARD, [_label("c", 3)])])
    assert [first.results[0].seq, second.results[0].seq] == [2, 3]
    assert not first.durable.done()
    gate.set()
    for staged in (first, second):
        with pytest.raises(StoreUnavailable):
            await staged.durable
    resumed = await store.load(BOARD, 3)  # a peer that was sent 2 and 3
    assert resumed.full and resumed.seq == 4
    assert Document(resumed.ops) == Document([_label("a", 1)])
    third = await store.stage([Batch(BOARD, [_label("d", 4)])])
    await third.durable
    assert third.results[0].seq == 5
    assert (await store.load(BOARD, 3)).full  # the log starts past what was given
    assert (await store.load(BOARD, 4)).ops == [_label("d", 4)]
    await store.close()


async def test_after_a_crash_every_head_moves_past_what_peers_may_have_seen(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path, max_undurable=10)
    await store.start()
    await store.create_workshop(WS)
    await store.apply([Batch(BOARD, [_label("a", 1), _label("b", 2)])])
    # A crash: the process dies, nothing of close() runs.
    store._pool.shutdown(wait=True)

    again = EmbeddedStore(tmp_path, max_undurable=10)
    await again.start()
    loaded = await again.load(BOARD, 2)  # a peer at the durable head
    assert loaded.full and loaded.seq == 2 + 10 + 1
    assert (await again.load(BOARD, 7)).full  # or inside the range it may have seen
    assert (await again.load(BOARD, 13)).ops == []
    [r] = await again.apply([Batch(BOARD, [_label("c", 3)])])
    assert r.seq == 14
    assert (await again.load(BOARD, 13)).ops == [_label("c", 3)]
    empty = WS.group_board(2)  # nothing on disk: it starts past the range too
    assert (await again.load(empty, 0)).seq == 11
    await again.close()

    clean = EmbeddedStore(tmp_path, max_undurable=10)  # a clean shutdown moves nothing
    await clean.start()
    assert (await clean.load(BOARD, 13)).ops == [_label("c", 3)]
    assert (await clean.load(BOARD, 14)).seq == 14
    await clean.close()
