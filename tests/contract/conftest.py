"""The Store contract suite runs over every Store implementation.

``STORES`` names the implementations; the ``store`` fixture builds a fresh, started one
for each test (and ``reopen`` builds a second one on the same data, for durability).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from schakel.stores.base import Store
from schakel.stores.embedded import EmbeddedStore

StoreFactory = Callable[[], Awaitable[Store]]

STORES = [
    pytest.param("embedded-memory", id="embedded-memory"),
    pytest.param("embedded-file", id="embedded-file"),
]


@pytest.fixture(params=STORES)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """A factory of started stores sharing one backing location; all closed at the end."""
    kind: str = request.param
    opened: list[Store] = []

    async def make() -> Store:
        store: Store
        if kind == "embedded-memory":
            if opened:
                pytest.skip("an in-memory store has nothing to reopen")
            store = EmbeddedStore(None)
        elif kind == "embedded-file":
            store = EmbeddedStore(tmp_path)
        else:  # pragma: no cover
            raise AssertionError(kind)
        await store.start()
        opened.append(store)
        return store

    yield make
    for store in reversed(opened):
        await store.close()


@pytest.fixture
async def store(make_store: StoreFactory) -> Store:
    return await make_store()
