"""What only the Redis store does: the atomic merge shared by several stores, key layout
(one slot per board), TTLs, the cross-hub feed with its gap repair, and outages."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from redis.crc import key_slot

from schakel.stores.base import Batch, Loaded
from schakel.stores.redis import RedisStore
from schakel.stores.redis_layout import (
    LIVE_KEY,
    board_channel,
    board_gone_key,
    board_keys,
    join_code_key,
    workshop_boards_key,
    workshop_key,
)
from schakel_core import codec
from schakel_core.document import Document
from schakel_core.errors import NotFound, StoreUnavailable
from schakel_core.ops import Op
from schakel_core.schema import MAX_COUNTER
from schakel_core.workshop import Workshop
from tests.contract.test_feeds import Heard
from tests.support.redis_server import RedisServer

from .conftest import MakeStore

pytestmark = pytest.mark.redis

BOARD = "w0000001:g1"


def op(obj: str, value: object, counter: int, client: str = "c1", field: str = "label") -> Op:
    return Op(obj, "actor", field, value, counter, client)


async def watch(store: RedisStore, board: str) -> Loaded:
    """What a hub does when a room opens: watch, then load."""
    store.watch(board)
    return await store.load(board, 0)


async def test_concurrent_stores_lose_no_update(make: MakeStore) -> None:
    """Several stores (hubs) merge concurrent batches into one board, each atomically:
    every register ends at its highest clock, every stored op has one number."""
    stores = [await make() for _ in range(3)]
    expected = Document()
    batches: list[list[tuple[RedisStore, Batch]]] = []
    for c in range(1, 41):
        tick = []
        for i, store in enumerate(stores):
            ops = [op(f"a{c % 5}", f"{i}/{c}", c, f"h{i}"), op(f"own{i}-{c}", "x", c, f"h{i}")]
            for o in ops:
                expected.apply(o)
            tick.append((store, Batch(BOARD, ops)))
        batches.append(tick)
    results = []
    for tick in batches:
        results += await asyncio.gather(*(s.apply([b]) for s, b in tick))
    seqs = [r.seq for [r] in results]
    numbered = sum(len(r.stored) for [r] in results)
    loaded = await stores[0].load(BOARD, 0)
    assert loaded.seq == numbered == max(seqs)
    assert Document(loaded.ops) == expected
    log = await stores[1].load(BOARD, 1)  # the log, in order, replays to the same state
    assert Document([*(await stores[1].load(BOARD, 0)).ops]) == Document(
        [o for [r] in results for o in r.stored]
    )
    assert len(log.ops) == numbered - 1


async def test_clock_order_is_bytewise_and_counters_exact(make: MakeStore) -> None:
    store = await make()
    # "B" < "a" in ASCII (a locale-aware compare would say otherwise)
    await store.apply([Batch(BOARD, [op("a1", "from a", 5, "a"), op("a1", "from B", 5, "B")])])
    assert Document((await store.load(BOARD, 0)).ops).get("a1") == {"label": "from a"}
    big = MAX_COUNTER - 1
    [r] = await store.apply([Batch(BOARD, [op("a2", "high", big + 1), op("a2", "low", big)])])
    assert [o.value for o in r.stored] == ["high"]
    [r] = await store.apply([Batch(BOARD, [op("a2", "lower", big)])])
    assert r.stored == []
    # equal values in another encoding are not a reused clock (1 == 1.0, as in Python)
    await store.apply([Batch(BOARD, [op("a3", [1, 2], 7, field="pos")])])
    [r] = await store.apply([Batch(BOARD, [op("a3", [1.0, 2.0], 7, field="pos")])])
    assert (r.error, r.stored) == (None, [])


async def test_keys_of_a_board_share_one_slot_and_expire(
    make: MakeStore, redis_srv: RedisServer
) -> None:
    store = await make(retention_s=3600)
    ws = Workshop.create("Slots", 2, now=time.time())
    await store.create_workshop(ws)
    await store.get_workshop(ws.id)
    board = ws.group_board(1)
    await store.apply([Batch(board, [op("a1", "x", 1)])])
    keys = board_keys(board)
    assert len({key_slot(k.encode()) for k in [*keys, board_channel(board)]}) == 1
    with redis_srv.client() as r:
        assert sorted(k.decode() for k in r.keys("*")) == sorted(
            [
                *keys,
                workshop_key(ws.id),
                workshop_boards_key(ws.id),
                join_code_key(ws.join_code),
                LIVE_KEY,  # the live workshops (the cap counts them)
            ]
        )
        deadline_ms = (ws.created + 3600) * 1000
        for key in r.keys("*"):
            assert abs(r.pexpiretime(key) - deadline_ms) < 2000, key  # the workshop's end
        await store.delete_workshop(ws.id)
        # Only the markers that refuse a batch still in flight remain: no content, and
        # they end with the workshop.
        gone = sorted(board_gone_key(b) for b in {*ws.boards(), board})
        assert sorted(k.decode() for k in r.keys("*")) == gone
        for key in gone:
            assert r.get(key) == b"1"
            assert abs(r.pexpiretime(key) - deadline_ms) < 2000, key
    [late] = await store.apply([Batch(board, [op("a2", "y", 2)])])
    assert isinstance(late.error, NotFound)


async def test_feed_crosses_stores_in_order_and_presence_too(make: MakeStore) -> None:
    a, b = await make(), await make()
    feed_a, feed_b = Heard(a), Heard(b)
    assert (await watch(b, BOARD)).seq == 0
    await watch(a, BOARD)
    await feed_a.until(lambda: BOARD in a._confirmed and BOARD in b._confirmed)
    await b.publish_presence([(BOARD, b"presence-frame")])
    await feed_a.until(lambda: feed_a.presence == [(BOARD, b"presence-frame")])
    for c in range(1, 21):
        await a.apply([Batch(BOARD, [op(f"a{c}", "x", c)])])
    await feed_b.until(lambda: feed_b.seq == 20)
    assert feed_b.doc == Document((await b.load(BOARD, 0)).ops)
    assert feed_a.updates == []  # a hub is not fed what it stored itself
    assert feed_b.presence == []  # nor its own presence
    b.unwatch(BOARD)
    await a.apply([Batch(BOARD, [op("late", "x", 99)])])
    await asyncio.sleep(0.2)
    assert feed_b.seq == 20  # a hub reads only the boards it watches


async def test_a_lost_notification_is_repaired_from_the_log(
    make: MakeStore, redis_srv: RedisServer
) -> None:
    a, b = await make(), await make()
    feed = Heard(b)
    await watch(b, BOARD)
    await feed.until(lambda: BOARD in b._confirmed)
    with redis_srv.client() as r:
        r.client_kill_filter(_type="pubsub")  # b's subscription drops...
        await a.apply([Batch(BOARD, [op(f"a{c}", "x", c)]) for c in range(1, 6)])
    await feed.until(lambda: feed.seq == 5)  # ...and b catches up from the log
    assert set(feed.doc.fields) == {f"a{c}" for c in range(1, 6)}


async def test_local_results_never_leave_a_gap(make: MakeStore) -> None:
    """When another hub stored ops between what this hub has and its own new ops, the
    store feeds those first, so the hub delivers its own ops without a gap."""
    a, b = await make(), await make()
    feed = Heard(a)
    await watch(a, BOARD)
    await b.apply([Batch(BOARD, [op("other", "x", 1, "c2")])])
    [r] = await a.apply([Batch(BOARD, [op("mine", "y", 2)])])
    # whether the notification came first or not: op 1 was fed (without a gap: Heard
    # checks) before a's result returned
    assert r.seq == 2
    assert feed.seq >= 1 and feed.doc.get("other") == {"label": "x"}


async def test_unavailable_then_back(make: MakeStore, redis_srv: RedisServer) -> None:
    store = await make()
    feed = Heard(store)
    await watch(store, BOARD)
    other = await make()
    redis_srv.stop()
    with pytest.raises(StoreUnavailable, match="store unavailable, retrying"):
        await store.apply([Batch(BOARD, [op("a1", "x", 1)])])
    with pytest.raises(StoreUnavailable):
        await store.ping()
    await store.publish_presence([(BOARD, b"dropped")])  # ephemeral: no error
    redis_srv.start()  # Redis forgot its script cache: scripts are loaded again
    [r] = await store.apply([Batch(BOARD, [op("a1", "x", 1)])])
    assert r.seq == 1
    feed.seq = r.seq  # (the hub delivers its own results)
    await other.apply([Batch(BOARD, [op("a2", "y", 2, "c2")])])
    await feed.until(lambda: feed.seq == 2)  # the feed reconnected by itself


async def test_compaction_keeps_the_log_short(make: MakeStore, redis_srv: RedisServer) -> None:
    store = await make(log_keep=10)
    for c in range(1, 61, 3):
        await store.apply([Batch(BOARD, [op("a1", c, c, field="influence")] * 1)])
        await store.apply([Batch(BOARD, [op(f"x{c}", "x", c + 1), op(f"y{c}", "y", c + 2)])])
    with redis_srv.client() as r:
        entries = r.xrange(board_keys(BOARD)[3])
    first = int(entries[0][0].split(b"-")[0]) - int(entries[0][1][b"n"]) + 1
    assert 60 - 10 - 2 <= first <= 60 - 10 + 1  # whole entries, about log_keep ops
    assert (await store.load(BOARD, 55)).full is False
    old = await store.load(BOARD, 45)
    assert old.full and Document(old.ops).get("a1") == {"influence": 58}


async def test_a_password_in_the_url(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "pw", password="s3cret")
    try:
        server.start()
        store = RedisStore(server.url)
        await store.start()
        try:
            [r] = await store.apply([Batch(BOARD, [op("a1", "x", 1)])])
            assert r.seq == 1
        finally:
            await store.close()
    finally:
        server.stop()


async def test_boards_stored_with_roles_lists_are_migrated(
    make: MakeStore, redis_srv: RedisServer
) -> None:
    """Before each role had its own register, an actor's roles were one ``roles`` list:
    the first merge into such a board turns it into one register per role."""
    state, types = board_keys(BOARD)[:2]
    legacy = Op("a1", "actor", "roles", ["pusher", "schakel"], 4, "old")
    newer = Op("a1", "actor", "role_schakel", False, 5, "new")  # already toggled since
    with redis_srv.client() as r:
        r.hset(state, "a1\0label", codec.pack(["a1", "actor", "label", "Imam", 1, "old"]))
        r.hset(state, "a1\0roles", codec.pack(legacy.to_wire()))
        r.hset(state, "a1\0role_schakel", codec.pack(newer.to_wire()))
        r.hset(types, "a1", "actor")
        r.set(board_keys(BOARD)[2], 3)
    store = await make()
    before = Document((await store.load(BOARD, 0)).ops)  # read as is: replicas migrate
    assert before.visible()["a1"]["roles"] == ["pusher"]
    [res] = await store.apply([Batch(BOARD, [op("a2", "x", 6)])])
    assert res.error is None
    after = await store.load(BOARD, 0)
    assert all(o.field != "roles" for o in after.ops)
    assert Document(after.ops).state()["a1"] == before.state()["a1"]
    with redis_srv.client() as r:
        assert r.hget(state, "a1\0roles") is None
        assert int(r.hget(board_keys(BOARD)[4], "clock")) == 6


async def test_a_feed_that_fails_is_heard_at_warning_not_flooded(
    make: MakeStore, redis_srv: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = await make()
    Heard(store)
    await watch(store, BOARD)
    caplog.set_level(logging.WARNING, logger="schakel.stores.redis")
    redis_srv.stop()
    deadline = time.monotonic() + 10
    while store.feed_failures.counts["unavailable"] < 5:  # it retries, with back-off
        assert time.monotonic() < deadline, store.feed_failures.counts
        await asyncio.sleep(0.05)
    lines = [r for r in caplog.records if "redis feed failure" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING  # heard, once
    assert "(unavailable)" in lines[0].getMessage()
    redis_srv.start()


async def test_per_board_maps_do_not_grow_for_the_hubs_life(make: MakeStore) -> None:
    store = await make()
    boards = [f"w0000001:g{i}" for i in range(1, 41)]
    await store.apply([Batch(b, [op("a1", "x", 1)]) for b in boards])
    assert len(store._indexed) == 40
    store.watch(boards[0])
    await store.housekeep()
    assert store._indexed == {boards[0]}  # only boards someone here follows
