"""What `make run` offers a new user: start a workshop, join it, draw the first actor."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.board import TABLET, add_actor_by_click, open_context, state
from tests.browser.screens import axe
from tests.support.server import Hub

pytestmark = pytest.mark.browser


async def test_start_join_and_draw_from_the_front_page(hub: Hub, browser: Browser) -> None:
    ctx = await open_context(browser, locale="en-GB", **TABLET)
    page = await ctx.new_page()
    await page.goto(hub.http + "/")
    await expect(page.locator("h1")).to_have_text("Join your group's actor map")  # English browser
    await axe(page, "the join page")
    # One way to start a workshop: the start page, then the console with code and QR code.
    await page.click("#start-link")
    await expect(page).to_have_url(hub.http + "/facilitator/new")
    await page.fill("#new-title", "Evening session")
    await page.click("#new-submit")
    await expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    code = (await page.locator("#join-code-big").text_content() or "").strip()
    assert len(code) == 9 and code[4] == "-", code
    await expect(page.locator("#join-box svg.qr")).to_be_visible()
    join_url = await page.locator("#join-url").get_attribute("href")
    assert join_url and join_url.endswith("/join/" + code.replace("-", ""))
    await page.goto(join_url)
    await expect(page.locator("#join-code")).to_have_value(code.replace("-", ""))
    await page.fill("#join-nickname", "Noor")
    await page.click("#join-submit")
    await expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    await expect(page.locator("#board-title")).to_have_text("Evening session")
    # The introductions come first, in pairs: on one's own map.
    await expect(page.locator("#ws-round")).to_have_text("Introductions")
    actor = await add_actor_by_click(page, 0.5, 0.5)
    await page.fill("#field-label", "Youth worker")
    await page.click('#tabpanel [data-field="roles"] [data-value="schakel"]')
    await page.wait_for_function(
        "id => (window.schakel.state()[id].roles || []).includes('schakel')", arg=actor
    )
    s = await state(page)
    assert s[actor]["label"] == "Youth worker"
    await axe(page, "the board")
    # Dutch browsers get Dutch; the choice can be switched and is remembered.
    await page.click("#lang")
    await expect(page.locator("#tab-list")).to_have_text("Lijst")
    await page.reload()
    await expect(page.locator("#tab-list")).to_have_text("Lijst")
    await expect(page.locator(f'.actor[data-id="{actor}"] .role')).to_have_count(1)
    await ctx.close()
