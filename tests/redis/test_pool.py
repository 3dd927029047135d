"""The Redis store's bounded pool and how it tells an outage from other failures.

Many more concurrent calls than connections all succeed (they wait their turn), and
Redis never sees more connections than the pool's size plus the feed's; a wait that
outlasts the pool timeout, and Redis being away, are outages (``store_unavailable``),
counted as such; any other Redis error is not, and is counted apart."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from redis import exceptions as rexc

from schakel.stores import failures
from schakel.stores.base import Batch
from schakel.stores.redis import is_outage
from schakel.stores.redis_layout import workshop_key
from schakel_core import messages as m
from schakel_core.errors import CloseCode, StoreUnavailable
from schakel_core.ops import Op
from schakel_core.workshop import Workshop
from tests.e2e.raw import Raw
from tests.support.redis_server import RedisServer
from tests.support.server import create_workshop

from .conftest import MakeStore

pytestmark = pytest.mark.redis


def store_connections(redis_srv: RedisServer) -> int:
    """Connections Redis has open, not counting the test's own."""
    with redis_srv.client() as c:
        return len(c.client_list()) - 1


async def test_a_storm_of_calls_waits_for_a_small_pool(
    make: MakeStore, redis_srv: RedisServer
) -> None:
    store = await make(pool_size=4)
    boards = [f"w0000001:g{i}" for i in range(300)]
    await store.apply([Batch(b, [Op("a1", "actor", "label", b, 1, "c1")]) for b in boards])
    ws = Workshop.create("Pool", 1, now=time.time())
    await store.create_workshop(ws)
    # 300 loads of distinct boards and 300 reads of the record, all at once: with the
    # old pool (redis-py 8: a cap of 100, then MaxConnectionsError) most would fail.
    loads = asyncio.gather(*(store.load(b, 0) for b in boards))
    reads = asyncio.gather(*(store.get_workshop(ws.id) for _ in range(300)))
    loaded, read = await asyncio.gather(loads, reads)
    assert [x.ops[0].value for x in loaded] == boards
    assert all(r is not None and r.id == ws.id for r in read)
    assert store.pool.waits > 0 and store.pool.high_water == 4
    assert store_connections(redis_srv) <= 4 + 1  # the pool and the feed's pub/sub
    assert store.failures.counts == dict.fromkeys(failures.KINDS, 0)


async def test_a_pool_that_never_frees_is_an_outage(make: MakeStore) -> None:
    store = await make(pool_size=1, pool_timeout_s=0.05)
    async with store.pool.lease():  # the only connection stays busy
        with pytest.raises(StoreUnavailable):
            await store.get_workshop("w0000001")
    assert store.failures.counts[failures.POOL_TIMEOUT] == 1
    assert await store.get_workshop("w0000001") is None  # free again: it works


async def test_a_redis_error_is_not_an_outage(make: MakeStore, redis_srv: RedisServer) -> None:
    store = await make()
    with redis_srv.client() as c:
        c.hset(workshop_key("w0000001"), "x", "y")  # a record of the wrong type
    with pytest.raises(rexc.ResponseError, match="WRONGTYPE"):
        await store.get_workshop("w0000001")
    assert store.failures.counts[failures.ERROR] == 1
    assert store.failures.counts[failures.UNAVAILABLE] == 0


async def test_a_hello_meeting_a_redis_error_is_closed_1011_not_1013(
    redis_srv: RedisServer, start_hubs: Callable[..., Any]
) -> None:
    [hub] = await start_hubs(redis_srv.url, 1)
    info = await create_workshop(hub.http)
    with redis_srv.client() as c:  # the record becomes unreadable (a fault, not an outage)
        key = workshop_key(info["workshop"]["id"])
        c.delete(key)
        c.hset(key, "x", "y")
    raw = await Raw.open(hub.ws)
    await raw.send(m.Hello(info["viewer_token"], "plenary", ""))
    code, frames = await raw.closed()
    assert (code, frames) == (CloseCode.INTERNAL_ERROR, [])


def test_what_counts_as_an_outage() -> None:
    assert is_outage(rexc.ConnectionError("refused"))
    assert is_outage(rexc.TimeoutError())
    assert is_outage(rexc.BusyLoadingError("loading"))
    assert is_outage(rexc.ResponseError("BUSY Redis is busy running a script"))
    assert is_outage(rexc.OutOfMemoryError("command not allowed when used memory > maxmemory"))
    assert not is_outage(rexc.MaxConnectionsError("Too many connections"))  # a full pool
    assert not is_outage(rexc.ResponseError("ERR user_script:1: something"))
    assert not is_outage(rexc.DataError("bad argument"))


async def test_an_outage_is_counted_and_logged_once_per_interval(
    make: MakeStore, redis_srv: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = await make()
    redis_srv.stop()
    with caplog.at_level(logging.WARNING, logger="schakel.stores.redis"):
        for _ in range(20):
            with pytest.raises(StoreUnavailable):
                await store.get_workshop("w0000001")
    assert store.failures.counts[failures.UNAVAILABLE] == 20
    lines = [r for r in caplog.records if "store failure (unavailable)" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
