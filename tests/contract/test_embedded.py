"""What only the embedded store does: snapshots and log trimming in SQLite."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

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
