"""Fixtures of the Redis suite: a fresh ``redis-server`` (or cluster) and hub processes
per test, all stopped in ``finally``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from schakel.stores.redis import RedisStore
from tests.support.redis_server import RedisCluster, RedisServer
from tests.support.server import HubProcess

MakeStore = Callable[..., Awaitable[RedisStore]]


@pytest.fixture
def redis_srv(tmp_path: Path) -> Iterator[RedisServer]:
    """A standalone Redis with AOF on and ``appendfsync always``."""
    server = RedisServer(tmp_path / "redis", appendonly=True, appendfsync="always")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def redis_cluster(tmp_path: Path) -> Iterator[RedisCluster]:
    cluster = RedisCluster(tmp_path / "cluster")
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
async def make(redis_srv: RedisServer) -> AsyncIterator[MakeStore]:
    """``await make(**options)``: a started RedisStore on ``redis_srv``, closed at the end."""
    opened: list[RedisStore] = []

    async def make_store(**options: object) -> RedisStore:
        store = RedisStore(redis_srv.url, **options)  # type: ignore[arg-type]
        await store.start()
        opened.append(store)
        return store

    try:
        yield make_store
    finally:
        for store in opened:
            await store.close()


@pytest.fixture
async def start_hubs(tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    """``await start_hubs(redis_url, n)``: n hub processes on one Redis, started together."""
    started: list[HubProcess] = []

    async def start(redis_url: str, n: int) -> list[HubProcess]:
        hubs = [
            HubProcess(tmp_path / f"hub{len(started) + i}", redis_url=redis_url) for i in range(n)
        ]
        started.extend(hubs)
        await asyncio.gather(*(asyncio.to_thread(h.start) for h in hubs))
        return hubs

    try:
        yield start
    finally:
        for hub in started:
            hub.kill()
