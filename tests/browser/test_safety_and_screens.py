"""User text is text (never HTML), and screenshots of a realistic map for people to look at."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from schakel_client import SchakelClient
from tests.browser.board import (
    BEAMER,
    TABLET,
    add_actor_by_click,
    join,
    open_context,
    screen_of,
    settled,
    state,
)
from tests.browser.maps import OBJECTS, draw_map
from tests.browser.screens import axe
from tests.support.server import Hub, create_workshop
from tests.support.server import join as api_join

EVIL = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.browser


async def test_markup_in_labels_is_shown_as_text(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    ca = await open_context(browser)
    cb = await open_context(browser)
    a = await join(ca, hub.http, ws["join_code"], "Ann")
    b = await join(cb, hub.http, ws["join_code"], "<b>Bo</b><script>alert(2)</script>")
    actor = await add_actor_by_click(a, 0.5, 0.5)
    await a.fill("#field-label", EVIL)
    await a.fill("#field-note", EVIL)
    await settled(a)
    await b.wait_for_function(
        "([id, v]) => window.schakel.state()[id]?.label === v", arg=[actor, EVIL]
    )
    for page in (a, b):
        # The full label (tooltip) and the wrapped lines on the canvas are the text itself.
        await expect(page.locator(f'.actor[data-id="{actor}"] > title')).to_have_text(EVIL)
        lines = await page.locator(f'.actor[data-id="{actor}"] .label tspan').all_text_contents()
        assert " ".join(lines) == EVIL
        await page.click("#tab-list")
        await expect(page.locator(".list-view")).to_contain_text(EVIL)
        assert await page.locator("#app img").count() == 0
        assert await page.locator("#app script").count() == 0
    # The nickname with markup shows as text in the presence list.
    await expect(a.locator("#peers")).to_contain_text("<b>Bo</b><script>alert(2)</script>")
    assert await a.locator("#peers b").count() == 0
    # A sticky note with markup, seen by the other participant.
    await b.click('[data-tool="note"]')
    box = await b.locator("#board-canvas").bounding_box()
    assert box is not None
    await b.mouse.click(box["x"] + 100, box["y"] + 100)
    await b.fill("#field-text", EVIL)
    await settled(b)
    await expect(a.locator(".note .note-text")).to_have_text(EVIL)
    assert await a.locator("#app img").count() == 0
    assert a.errors == [] and b.errors == []  # type: ignore[attr-defined]
    await ca.close()
    await cb.close()


# ------------------------------------------------------------------ screenshots


async def seed(hub: Hub, code: str) -> str:
    """Draw a realistic map with the Python client (another participant of the group)."""
    joined = await api_join(hub.http, code, "Sanne")
    async with SchakelClient(hub.ws, joined["token"], name="Sanne") as c:
        await draw_map(c, joined["board"])
    board: str = joined["board"]
    return board


async def shoot(page: Page, path: str) -> None:
    await page.evaluate("() => document.fonts.ready")
    await page.screenshot(path=path)


async def test_screenshots_of_a_realistic_map(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    ws = await create_workshop(hub.http, groups=1, title="Polarisatie in Oost")
    await seed(hub, ws["join_code"])
    total = OBJECTS

    tablet = await open_context(browser, **TABLET)
    join_page = await tablet.new_page()
    await join_page.goto(f"{hub.http}/join/{ws['join_code']}")
    await join_page.fill("#join-nickname", "Ann")
    await shoot(join_page, str(screenshots / "join-tablet.png"))
    await join_page.close()

    t = await join(tablet, hub.http, ws["join_code"], "Ann")
    await t.wait_for_function(f"() => Object.keys(window.schakel.state()).length === {total}")
    # A second participant on a laptop points at an actor and selects another.
    laptop = await open_context(browser)
    other = await join(laptop, hub.http, ws["join_code"], "Bo")
    await other.wait_for_function(f"() => Object.keys(window.schakel.state()).length === {total}")
    await other.locator('.actor[data-id="a10"] .shape').click()
    x, y = await screen_of(other, "a09")
    await other.mouse.move(x + 20, y + 10)
    await expect(t.locator(".peer-cursor")).to_have_count(1)
    await expect(t.locator(".peer-sel")).to_have_count(1)
    await t.tap("#zoom-fit")
    await t.locator('.actor[data-id="a06"] .shape').tap()
    await expect(t.locator("#field-label")).to_have_value("Jongerenwerker")
    await shoot(t, str(screenshots / "board-tablet.png"))

    await axe(t, "the board with a realistic map")
    await t.tap("#tab-list")
    await shoot(t, str(screenshots / "list-tablet.png"))
    await axe(t, "the list view")
    await t.tap("#lang")
    await t.tap("#tab-legend")
    await shoot(t, str(screenshots / "legend-tablet-en.png"))
    await axe(t, "the legend, in English")

    portrait = await open_context(
        browser, viewport={"width": 820, "height": 1180}, has_touch=True, is_mobile=True
    )
    p = await join(portrait, hub.http, ws["join_code"], "Cas")
    await p.wait_for_function(f"() => Object.keys(window.schakel.state()).length === {total}")
    await p.tap("#zoom-fit")
    await shoot(p, str(screenshots / "board-tablet-portrait.png"))

    # A group of four is full, so the beamer shows the board as Ann (her saved session).
    beamer = await browser.new_context(
        locale="nl-NL", storage_state=await tablet.storage_state(), **BEAMER
    )
    bm = await beamer.new_page()
    await bm.goto(f"{hub.http}/board")
    await expect(bm.locator("#status")).to_have_attribute("data-status", "connected")
    await bm.wait_for_function(f"() => Object.keys(window.schakel.state()).length === {total}")
    await bm.click("#panel-toggle")
    await bm.click("#zoom-fit")
    await shoot(bm, str(screenshots / "board-beamer.png"))

    # Offline: the state is visible at all times, with the count of pending edits.
    await laptop.set_offline(True)
    await expect(other.locator("#status")).to_have_attribute("data-status", "offline")
    await add_actor_by_click(other, 0.85, 0.15)
    await other.fill("#field-label", "Nieuwe buurman")
    await expect(other.locator("#status")).to_contain_text("wachten")
    await shoot(other, str(screenshots / "board-laptop-offline.png"))
    await laptop.set_offline(False)
    await expect(other.locator("#status")).to_have_attribute("data-status", "connected")
    assert len(await state(other)) == total + 1
    await asyncio.gather(*(c.close() for c in (tablet, laptop, portrait, beamer)))
