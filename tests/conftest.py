"""Fixtures for every suite. Each test that needs a hub gets its own on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.server import Hub, hub_settings, running_hub


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    """A real uvicorn + hub on the embedded store (SQLite in tmp_path), in this loop."""
    async with running_hub(hub_settings(tmp_path)) as h:
        yield h
