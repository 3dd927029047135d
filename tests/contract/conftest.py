"""The Store contract suite runs over every Store implementation.

``STORES`` names the implementations; :func:`open_stores` builds started stores of one
kind that share one backing location (a second store on the same location is how the
durability tests "restart"). ``DURABLE`` are the kinds whose data outlives the process.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from schakel.stores.base import Store
from schakel.stores.embedded import EmbeddedStore

StoreFactory = Callable[..., Awaitable[Store]]

STORES = ["embedded-memory", "embedded-file"]
DURABLE = ["embedded-file"]


@contextlib.asynccontextmanager
async def open_stores(kind: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """A factory of started stores of ``kind`` on one location; all closed at the end."""
    opened: list[Store] = []

    async def make(retention_s: float = 3600.0) -> Store:
        store: Store
        if kind == "embedded-memory":
            store = EmbeddedStore(None, retention_s=retention_s)
        elif kind == "embedded-file":
            store = EmbeddedStore(tmp_path, retention_s=retention_s)
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


@pytest.fixture(params=STORES)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    async with open_stores(request.param, tmp_path) as make:
        yield make


@pytest.fixture(params=DURABLE)
async def make_durable_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreFactory]:
    async with open_stores(request.param, tmp_path) as make:
        yield make


@pytest.fixture
async def store(make_store: StoreFactory) -> Store:
    return await make_store()
