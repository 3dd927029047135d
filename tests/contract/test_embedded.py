"""What only the embedded store does: snapshots and log trimming in SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from schakel.stores.base import Batch
from schakel.stores.embedded import DB_NAME, EmbeddedStore
from schakel_core.document import Document
from schakel_core.ops import Op

BOARD = "w0000001:g1"


async def test_snapshots_trim_the_log_and_survive_a_restart(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path, log_keep=10)
    await store.start()
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
