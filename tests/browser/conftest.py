"""Browser tests: Debian's Chromium (never a downloaded browser) driven by Playwright.

Each test gets a real hub in this event loop (the ``hub`` fixture) serving the built web
client, and one headless Chromium. ``make test`` builds ``client/web/dist`` first.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from schakel.config import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def _web_client_and_chromium() -> None:
    index = Path(Settings().web_dir) / "index.html"
    assert index.is_file(), f"{index} is missing: run `make web` (make test builds it first)"
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make system-deps` installs it"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
