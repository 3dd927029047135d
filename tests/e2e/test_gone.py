"""Gone means gone: deleting a workshop (or its expiry) with edits in flight leaves no
row, key, stream, WAL page or AOF command holding its content, on both stores.

Writers keep sending batches with a secret word in them while the facilitator deletes
the workshop (or while its retention runs out): batches waiting for the committer, and
batches sent just before the socket closes. Afterwards the test looks at everything the
store keeps: every table, the SQLite file and its WAL byte for byte, every Redis key and
the AOF after its rewrite; and at what the hub keeps in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.exceptions import ConnectionClosed

from schakel.stores.embedded import DB_NAME
from schakel_core import messages as m
from schakel_core.errors import CloseCode
from tests.e2e.raw import Raw
from tests.support.redis_server import RedisServer
from tests.support.server import (
    TWO_PARTS,
    Hub,
    create_workshop,
    hub_settings,
    join,
    running_hub,
)

WRITERS = 3
RETENTION_S = 6  # of the workshop that expires


@contextlib.contextmanager
def backing(kind: str, tmp_path: Path) -> Iterator[RedisServer | None]:
    if kind == "embedded":
        yield None
        return
    server = RedisServer(tmp_path / "redis", appendonly=True, appendfsync="always").start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def hub_on(kind: str, tmp_path: Path, **settings: Any) -> AsyncIterator[tuple[Hub, Any]]:
    with backing(kind, tmp_path) as server:
        url = server.url if server else ""
        async with running_hub(
            hub_settings(tmp_path / "data", redis_url=url, tick_ms=20, **settings)
        ) as hub:
            yield hub, server


async def write_until_closed(raw: Raw, board: str, secret: str, ready: asyncio.Event) -> int:
    """Send batches holding ``secret``, several in flight at any time, until the hub
    closes the socket (reading what it sends meanwhile); returns the close code."""

    async def send() -> None:
        k = 0
        with contextlib.suppress(ConnectionClosed):
            while True:
                k += 1
                ops = [raw.op(f"{raw.client}-{k}", "actor", "label", f"{secret} {k}")]
                ops.append(raw.op(f"{raw.client}-{k}", "actor", "note", f"{secret} note {k}"))
                await raw.send_ops(board, ops)
                if k % 8 == 0:
                    ready.set()  # batches are in flight: the test may go on
                    # 160 batches (320 ops) a second: within the connection's rate
                    # (PROTOCOL.md, Limits), so that only the workshop's end closes it
                    await asyncio.sleep(0.05)

    sender = asyncio.create_task(send())
    try:
        code, _ = await raw.closed(timeout=30)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return code or 0


async def a_workshop_in_use(hub: Hub, secret: str) -> tuple[dict[str, Any], list[Raw], str]:
    ws = await create_workshop(hub.http, groups=2, title=f"{secret} title")
    people = [await join(hub.http, ws["join_code"], f"{secret[:8]}{i}") for i in range(WRITERS)]
    board = people[0]["board"]
    raws = [await Raw.hello(hub.ws, p["token"], f"w{i}") for i, p in enumerate(people)]
    for raw in raws:
        await raw.subscribe(board)
    fac = {"authorization": f"Bearer {ws['facilitator_token']}"}
    async with httpx.AsyncClient(base_url=hub.http, headers=fac) as http:
        # something in the history and in the analysis cache
        first = [raws[0].op("seed", "actor", "label", f"{secret} seed")]
        await raws[0].send_ops(board, first)
        await raws[0].until(m.Ack)
        assert (await http.get(f"/api/boards/{board}/analysis")).status_code == 200
    async with await Raw.hello(hub.ws, ws["facilitator_token"], "fac") as fac_raw:
        # a part that ends: its figures go into the workshop's history
        await fac_raw.send(m.Control(1, "programme", {"programme": TWO_PARTS}))
        await fac_raw.until(m.Done)
        await fac_raw.send(m.Control(2, "next"))
        await fac_raw.until(m.Done)
    return ws, raws, board


def leftovers_sqlite(data: Path, wid: str, secret: str) -> dict[str, int]:
    db = sqlite3.connect(data / DB_NAME)
    try:
        rows = {
            "ops": db.execute("SELECT count(*) FROM ops WHERE board LIKE ?", (f"{wid}:%",)),
            "snapshots": db.execute(
                "SELECT count(*) FROM snapshots WHERE board LIKE ?", (f"{wid}:%",)
            ),
            "workshops": db.execute("SELECT count(*) FROM workshops WHERE id = ?", (wid,)),
            "history": db.execute("SELECT count(*) FROM history WHERE workshop = ?", (wid,)),
        }
        out = {table: cur.fetchone()[0] for table, cur in rows.items()}
    finally:
        db.close()
    for path in data.glob(f"{DB_NAME}*"):  # the database, its WAL and shared memory
        out[f"copies in {path.name}"] = path.read_bytes().count(secret.encode())
    return out


def leftovers_redis(server: RedisServer, wid: str, secret: str) -> dict[str, int]:
    with server.client() as r:
        keys = [k.decode() for k in r.scan_iter(match=f"*{wid}*")]
        wait_for_rewrite(r)
        holding = sum(1 for k in r.scan_iter() if secret.encode() in dump(r, k))
    return {
        "keys with content": len([k for k in keys if not k.endswith(":gone")]),
        "keys holding the text": holding,
        "copies in the AOF": sum(p.read_bytes().count(secret.encode()) for p in aof_files(server)),
    }


def aof_files(server: RedisServer) -> list[Path]:
    """The files the AOF is made of now: its manifest's base and increments. (After a
    rewrite the old ones become history, which Redis deletes in the background a moment
    later; they are no longer part of the AOF.)"""
    aof = server.dir / "appendonlydir"
    manifest = next(aof.glob("*.manifest")).read_text().split("\n")
    out = []
    for line in manifest:
        words = line.split()
        fields = dict(zip(words[::2], words[1::2], strict=False))
        if fields.get("type") in ("b", "i"):
            out.append(aof / fields["file"])
    return out


def dump(r: redis.Redis, key: bytes) -> bytes:
    value = r.dump(key)
    return value if isinstance(value, bytes) else b""


def wait_for_rewrite(r: redis.Redis, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        info = r.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return
        assert time.monotonic() < deadline, "the AOF rewrite did not end"
        time.sleep(0.05)


async def nothing_left(
    hub: Hub, server: RedisServer | None, data: Path, ws: dict[str, Any], board: str, secret: str
) -> dict[str, int]:
    """Once the workshop went: nothing in the store, nor in the hub; what is left where
    (all zero)."""
    wid = ws["workshop"]["id"]
    await hub.service.hub.commit()  # nothing is left waiting, nor can be
    assert (await hub.service.store.load(board, 0)).ops == []
    assert hub_keeps(hub, wid) == []
    if server is None:
        return leftovers_sqlite(data, wid, secret)
    store = hub.service.store
    async with asyncio.timeout(30):
        while store._rewrite_aof:  # one was already running: the hub asks again (every
            await store.housekeep()  # 10 s, by its housekeeping), here at once
            await asyncio.sleep(0.1)
    return leftovers_redis(server, wid, secret)


def hub_keeps(hub: Hub, wid: str) -> list[str]:
    service = hub.service
    kept = [b for b in hub.service.hub.rooms if b.startswith(wid)]
    kept += [f"analysis {k[0]}" for k in service.analyses._cache if k[0].startswith(wid)]
    kept += [f"record {w}" for w in service.hub.workshops.cache if w == wid]
    loaded = getattr(service.store, "loaded_boards", list)
    kept += [f"memory {b}" for b in loaded() if b.startswith(wid)]
    return kept


@pytest.mark.parametrize("kind", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
async def test_deleting_a_workshop_with_edits_in_flight_leaves_nothing(
    tmp_path: Path, kind: str
) -> None:
    secret = "geheim-" + secrets.token_hex(6)
    async with hub_on(kind, tmp_path) as (hub, server):
        ws, raws, board = await a_workshop_in_use(hub, secret)
        wid = ws["workshop"]["id"]
        ready = asyncio.Event()
        writers = [asyncio.create_task(write_until_closed(r, board, secret, ready)) for r in raws]
        await ready.wait()
        async with httpx.AsyncClient(base_url=hub.http) as http:
            r = await http.delete(
                f"/api/workshops/{wid}",
                headers={"authorization": f"Bearer {ws['facilitator_token']}"},
            )
            assert r.status_code == 204
        codes = await asyncio.wait_for(asyncio.gather(*writers), 20)
        assert set(codes) == {CloseCode.GONE}
        left = await nothing_left(hub, server, tmp_path / "data", ws, board, secret)
    print(f"\nafter deletion with edits in flight ({kind}): {left}")
    assert set(left.values()) == {0}, left
    if server is None:  # and after a restart: no orphan comes back
        async with running_hub(hub_settings(tmp_path / "data")) as again:
            assert (await again.service.store.load(board, 0)).ops == []
        assert set(leftovers_sqlite(tmp_path / "data", wid, secret).values()) == {0}


@pytest.mark.parametrize("kind", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
async def test_an_expired_workshop_with_edits_in_flight_leaves_nothing(
    tmp_path: Path, kind: str
) -> None:
    secret = "verlopen-" + secrets.token_hex(6)
    # (long enough for the setup, the analysis worker's start included, on a busy machine)
    async with hub_on(kind, tmp_path, retention_hours=RETENTION_S / 3600) as (hub, server):
        ws, raws, board = await a_workshop_in_use(hub, secret)
        wid = ws["workshop"]["id"]
        ready = asyncio.Event()
        writers = [asyncio.create_task(write_until_closed(r, board, secret, ready)) for r in raws]
        await ready.wait()
        end = ws["workshop"]["created"] + RETENTION_S
        assert time.time() < end, "the setup took longer than the workshop lived"
        await asyncio.sleep(max(0.0, end - time.time()) + 0.05)
        gone = await hub.service.sweep()  # what the hub's sweep does every few minutes
        assert wid in gone
        codes = await asyncio.wait_for(asyncio.gather(*writers), 20)
        assert set(codes) == {CloseCode.GONE}
        left = await nothing_left(hub, server, tmp_path / "data", ws, board, secret)
    print(f"\nafter expiry with edits in flight ({kind}): {left}")
    assert set(left.values()) == {0}, left
