"""User text is text (never HTML), and screenshots of a realistic map for people to look at."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

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

ACTORS: list[tuple[str, str, str, str, list[str], int, tuple[int, int]]] = [
    # id, label, kind, stance, roles, influence, pos
    ("a01", "Actiegroep Nee tegen azc", "group", "pole_b", ["pusher"], 4, (560, -180)),
    ("a02", "Facebookgroep Wij zijn Oost", "online_community", "pole_b", ["pusher"], 4, (600, 170)),
    ("a03", "Buurtvereniging Oost", "organisation", "pole_b", ["joiner"], 2, (330, -330)),
    ("a04", "Ondernemers winkelcentrum", "group", "unknown", ["silent"], 2, (300, 330)),
    ("a05", "Wijkagent", "person", "middle", ["bridge_builder"], 3, (40, -270)),
    ("a06", "Jongerenwerker", "person", "middle", ["schakel", "mover"], 3, (-10, 80)),
    ("a07", "Wethouder", "person", "middle", ["mover"], 4, (120, 320)),
    ("a08", "Lokale krant", "media", "middle", [], 3, (-120, -420)),
    ("a09", "Stille middengroep", "group", "middle", ["silent"], 2, (230, 20)),
    ("a10", "Imam moskee", "person", "middle", ["schakel"], 2, (-250, -140)),
    ("a11", "Vluchtelingenwerk", "organisation", "pole_a", ["bridge_builder"], 3, (-480, 100)),
    ("a12", "Bewoners azc", "group", "pole_a", ["scapegoat"], 1, (-560, -200)),
    ("a13", "COA", "institution", "pole_a", [], 3, (-720, 280)),
    ("a14", "Kerkgemeenschap", "organisation", "pole_a", ["joiner"], 2, (-330, 380)),
    ("a15", "Schooldirecteur", "person", "middle", ["schakel"], 2, (-180, 290)),
    ("a16", "Landelijke politiek", "institution", "unknown", [], 3, (-380, -430)),
]

RELATIONS: list[tuple[str, str, str, str, str, str, int, str]] = [
    # id, source, target, kind, sign, direction, strength, label
    ("r01", "a01", "a02", "alliance", "+", "both", 3, "zelfde mensen"),
    ("r02", "a02", "a12", "conflict", "-", "forward", 3, "geruchten"),
    ("r03", "a01", "a07", "tension", "-", "forward", 2, "petitie"),
    ("r04", "a03", "a01", "alliance", "+", "none", 1, ""),
    ("r05", "a05", "a01", "access", "+", "forward", 2, "gesprek"),
    ("r06", "a06", "a12", "access", "+", "both", 2, "sportavond"),
    ("r07", "a06", "a02", "influence", "+", "forward", 1, ""),
    ("r08", "a10", "a12", "alliance", "+", "both", 2, ""),
    ("r09", "a07", "a13", "influence", "+", "both", 2, "afspraken"),
    ("r10", "a08", "a01", "influence", "-", "forward", 2, "koppen"),
    ("r11", "a11", "a12", "alliance", "+", "forward", 3, ""),
    ("r12", "a15", "a06", "alliance", "+", "both", 2, "ouderavond"),
    ("r13", "a14", "a11", "alliance", "+", "none", 1, ""),
    ("r14", "a16", "a13", "influence", "+", "forward", 3, "opdracht"),
    ("r15", "a09", "a07", "tension", "-", "forward", 1, "zorgen"),
]


async def seed(hub: Hub, code: str) -> str:
    """Draw a realistic map with the Python client (another participant of the group)."""
    joined = await api_join(hub.http, code, "Sanne")
    board = joined["board"]
    async with SchakelClient(hub.ws, joined["token"], name="Sanne") as c:
        await c.subscribe(board)
        c.edit(
            board,
            "meta",
            "meta",
            title="Azc in de wijk",
            issue="Komst azc",
            pole_a="welkom",
            pole_b="tegen",
        )
        for aid, label, kind, stance, roles, infl, (x, y) in ACTORS:
            fields: dict[str, Any] = {"label": label, "kind": kind, "stance": stance}
            fields |= {"roles": roles, "influence": infl, "pos": [x, y]}
            c.edit(board, aid, "actor", **fields)
        for rid, s, t, kind, sign, direction, strength, label in RELATIONS:
            fields = {"source": s, "target": t, "kind": kind, "sign": sign}
            fields |= {"direction": direction, "strength": strength, "label": label}
            c.edit(board, rid, "relation", **fields)
        c.edit(board, "n1", "note", text="Wie praat er nog met wie?", pos=[-860, -470])
        c.edit(
            board,
            "n2",
            "note",
            text="Schakels: jongerenwerker, imam, school",
            colour="#caffbf",
            pos=[700, -480],
        )
        ring = []
        for i in range(41):
            ang = i / 40 * 2 * math.pi
            ring += [round(-150 + 230 * math.cos(ang), 1), round(40 + 300 * math.sin(ang), 1), 0.6]
        c.edit(board, "i1", "ink", points=ring, colour="#2f6fb3", width=3)
        await c.settled()
    return board


async def shoot(page: Page, path: str) -> None:
    await page.evaluate("() => document.fonts.ready")
    await page.screenshot(path=path)


async def test_screenshots_of_a_realistic_map(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    ws = await create_workshop(hub.http, groups=1, title="Polarisatie in Oost")
    await seed(hub, ws["join_code"])
    total = len(ACTORS) + len(RELATIONS) + 4

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

    await t.tap("#tab-list")
    await shoot(t, str(screenshots / "list-tablet.png"))
    await t.tap("#lang")
    await t.tap("#tab-legend")
    await shoot(t, str(screenshots / "legend-tablet-en.png"))

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
