"""A tablet whose workshop is deleted forgets it: no map, no pending edits, no session
left in its storage, and one clear message in the page's language."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.board import TABLET, add_actor_by_click, join, open_context, settled
from tests.support.server import Hub, create_workshop

pytestmark = pytest.mark.browser

STORAGE = "() => Object.fromEntries(Object.entries(localStorage))"


async def test_a_deleted_workshop_leaves_nothing_on_the_tablet(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    wid = ws["workshop"]["id"]
    ctx = await open_context(browser, **TABLET)
    page = await join(ctx, hub.http, ws["join_code"], "Tablet")
    actor = await add_actor_by_click(page, 0.4, 0.4)
    await settled(page)
    await page.evaluate("() => dispatchEvent(new Event('pagehide'))")  # saved, as on leaving
    stored: dict[str, Any] = await page.evaluate(STORAGE)
    assert any(k.startswith(f"schakel.v1.board.{wid}:") for k in stored), stored
    assert "schakel.session" in stored

    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.delete(
            f"/api/workshops/{wid}",
            headers={"authorization": f"Bearer {ws['facilitator_token']}"},
        )
        assert r.status_code == 204

    status = page.locator("#status")
    await expect(status).to_have_attribute("data-gone", "true")
    await expect(status).to_contain_text("Deze workshop is afgelopen en gewist")
    stored = await page.evaluate(STORAGE)
    assert [k for k in stored if wid in k or k == "schakel.session"] == []
    assert actor not in str(stored)
    # Nothing more is queued: the board takes no edits.
    await page.click('[data-tool="actor"]')
    await page.mouse.click(300, 300)
    assert await page.evaluate("() => window.schakel.pending()") == 0
    await page.evaluate("() => dispatchEvent(new Event('pagehide'))")
    assert [k for k in await page.evaluate(STORAGE) if wid in k] == []
    # A reload finds no map and no way back to it: the join page.
    await page.reload()
    await expect(page.locator("#join-nickname")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
    await ctx.close()
