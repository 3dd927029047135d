"""The Store contract suite runs over every Store implementation.

``STORES`` names the implementations; :func:`open_stores` builds started stores of one
kind that share one backing location (a second store on the same location is how the
durability tests "restart"). ``DURABLE`` are the kinds whose data outlives the process.

The Redis kinds (marked ``redis``) run on a ``redis-server`` started for the test in its
``tmp_path``, and on a three-master Redis Cluster started once per session and emptied
before each test.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from schakel.stores.base import Store
from schakel.stores.embedded import EmbeddedStore
from schakel.stores.redis import RedisStore
from tests.support.redis_server import RedisCluster, redis_server

StoreFactory = Callable[..., Awaitable[Store]]

_REDIS = [
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", marks=pytest.mark.redis),
]
STORES = ["embedded-memory", "embedded-file", *_REDIS]
DURABLE = ["embedded-file", *_REDIS]
SHARED = _REDIS  # several hubs (stores) on one location feed each other


@contextlib.asynccontextmanager
async def open_stores(
    kind: str, tmp_path: Path, redis_url: str = ""
) -> AsyncIterator[StoreFactory]:
    """A factory of started stores of ``kind`` on one location; all closed at the end."""
    opened: list[Store] = []

    async def make(retention_s: float = 3600.0, **options: Any) -> Store:
        """``options``: what every store takes besides (``limits``, ``log_keep_bytes``)."""
        store: Store
        if kind == "embedded-memory":
            store = EmbeddedStore(None, retention_s=retention_s, **options)
        elif kind == "embedded-file":
            store = EmbeddedStore(tmp_path, retention_s=retention_s, **options)
        elif kind.startswith("redis"):
            store = RedisStore(redis_url, retention_s=retention_s, **options)
        else:  # pragma: no cover
            raise AssertionError(kind)
        await store.start()
        opened.append(store)
        return store

    try:
        yield make
    finally:
        for store in reversed(opened):
            await store.close()  # closing twice is allowed


@pytest.fixture(scope="session")
def shared_redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    cluster = RedisCluster(tmp_path_factory.mktemp("redis-cluster"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@contextlib.contextmanager
def _backing(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The Redis URL a store kind needs ("" for the embedded kinds)."""
    if kind == "redis":
        with redis_server(tmp_path / "redis") as server:
            yield server.url
    elif kind == "redis-cluster":
        cluster: RedisCluster = request.getfixturevalue("shared_redis_cluster")
        cluster.flush()
        yield cluster.url
    else:
        yield ""


async def _factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """The factory of stores of the kind the fixture is parametrised with."""
    with _backing(request.param, request, tmp_path) as url:
        async with open_stores(request.param, tmp_path, url) as make:
            yield make


# Every store; the stores whose data outlives the process; the stores several hubs share.
make_store = pytest.fixture(params=STORES, name="make_store")(_factory)
make_durable_store = pytest.fixture(params=DURABLE, name="make_durable_store")(_factory)
make_shared_store = pytest.fixture(params=SHARED, name="make_shared_store")(_factory)


@pytest.fixture
async def store(make_store: StoreFactory) -> Store:
    return await make_store()
