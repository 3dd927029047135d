"""Four people on one board at once, bad Wi-Fi, and a page reload with edits pending."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from tests.browser.board import (
    actor_ids,
    add_actor_by_click,
    canonical,
    drag,
    join,
    open_context,
    screen_of,
    settled,
    state,
)
from tests.support.server import Hub, create_workshop

SMALL = {"viewport": {"width": 1100, "height": 760}}

pytestmark = pytest.mark.browser


async def converged(pages: list[Page], actors: int, relations: int) -> str:
    """Wait until every page has the counts, nothing pending, and the same map."""
    counts = "([a, r]) => { const s = Object.values(window.schakel.state());"
    counts += " return window.schakel.pending() === 0"
    counts += " && s.filter(o => o.type === 'actor').length === a"
    counts += " && s.filter(o => o.type === 'relation').length === r; }"
    for p in pages:
        await p.wait_for_function(counts, arg=[actors, relations], timeout=15_000)
    # Same seq everywhere means every stored op reached every page.
    for _ in range(200):
        seqs = {await p.evaluate("() => window.schakel.seq()") for p in pages}
        if len(seqs) == 1:
            break
        await pages[0].wait_for_timeout(50)
    maps = [await canonical(p) for p in pages]
    assert all(m == maps[0] for m in maps), "the four maps differ"
    return maps[0]


async def connect_by_drag(page: Page, a: str, b: str) -> None:
    await page.click('[data-tool="relation"]')
    await drag(page, await screen_of(page, a), await screen_of(page, b))
    await page.click('[data-tool="select"]')


async def test_four_participants_draw_one_map(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    contexts = [await open_context(browser, **SMALL) for _ in range(4)]
    names = ["Ann", "Bo", "Cas", "Dewi"]
    pages = await asyncio.gather(
        *(join(c, hub.http, ws["join_code"], n) for c, n in zip(contexts, names, strict=True))
    )
    # Everyone sees everyone in the presence list.
    for p in pages:
        for n in names:
            await expect(p.locator("#peers")).to_contain_text(n)

    async def work(i: int, page: Page) -> None:
        fx = 0.15 + 0.2 * i
        a = await add_actor_by_click(page, fx, 0.25)
        b = await add_actor_by_click(page, fx, 0.7)
        # Move one: drag it a little to the right.
        x, y = await screen_of(page, a)
        await drag(page, (x, y), (x + 40, y + 20))
        await connect_by_drag(page, a, b)

    await asyncio.gather(*(work(i, p) for i, p in enumerate(pages)))
    final = json.loads(await converged(pages, actors=8, relations=4))
    # Every relation joins two actors of the same person (drawn by drag).
    for obj in final.values():
        if obj["type"] == "relation":
            assert obj["source"] in final and obj["target"] in final

    # All four drag the same actor at the same moment: one position wins everywhere.
    shared = (await actor_ids(pages[0]))[0]

    async def tug(i: int, page: Page) -> None:
        x, y = await screen_of(page, shared)
        await drag(page, (x, y), (x + 30 * (i - 1.5), y + 25 * (i - 1.5)))

    await asyncio.gather(*(tug(i, p) for i, p in enumerate(pages)))
    await converged(pages, actors=8, relations=4)
    for p in pages:
        assert p.errors == []  # type: ignore[attr-defined]
    for c in contexts:
        await c.close()


async def test_offline_edits_merge_on_reconnect(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    ca, cb = await open_context(browser, **SMALL), await open_context(browser, **SMALL)
    a = await join(ca, hub.http, ws["join_code"], "Ann")
    b = await join(cb, hub.http, ws["join_code"], "Bo")
    shared = await add_actor_by_click(a, 0.5, 0.5)
    await b.wait_for_function(f"() => '{shared}' in window.schakel.state()")

    await cb.set_offline(True)
    await expect(b.locator("#status")).to_have_attribute("data-status", "offline")
    offline_actor = await add_actor_by_click(b, 0.2, 0.3)
    await b.fill("#field-label", "Buurtvader")
    await expect(b.locator("#status")).to_contain_text("wachten")
    assert await b.evaluate("() => window.schakel.pending()") > 0
    # Meanwhile A, online, relabels the shared actor and adds one more.
    await a.locator(f'.actor[data-id="{shared}"]').click()
    await a.fill("#field-label", "Wijkagent")
    await add_actor_by_click(a, 0.8, 0.3)
    await settled(a)
    assert offline_actor not in await state(a)

    await cb.set_offline(False)
    await expect(b.locator("#status")).to_have_attribute("data-status", "connected")
    final = json.loads(await converged([a, b], actors=3, relations=0))
    assert final[offline_actor]["label"] == "Buurtvader"
    assert final[shared]["label"] == "Wijkagent"
    await ca.close()
    await cb.close()


async def test_pending_edits_survive_a_reload(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    ctx = await open_context(browser, **SMALL)
    page = await join(ctx, hub.http, ws["join_code"], "Ann")
    blocked = {"on": False}

    async def handler(route: WebSocketRoute) -> None:
        if blocked["on"]:
            await route.close(code=1011)  # the hub cannot be reached
        else:
            route.connect_to_server()

    await page.route_web_socket("**/ws", handler)
    await page.reload()
    await expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    kept = await add_actor_by_click(page, 0.4, 0.4)
    await settled(page)

    blocked["on"] = True
    await page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    await expect(page.locator("#status")).not_to_have_attribute("data-status", "connected")
    pending = await add_actor_by_click(page, 0.6, 0.6)
    await page.fill("#field-label", "Jongerenwerker")
    assert await page.evaluate("() => window.schakel.pending()") > 0

    await page.reload()  # the page itself loads; the hub's socket still does not
    await page.wait_for_function(f"() => window.schakel && '{pending}' in window.schakel.state()")
    assert (await state(page))[pending]["label"] == "Jongerenwerker"
    await expect(page.locator("#status")).to_contain_text("wachten")

    blocked["on"] = False
    await page.evaluate("() => window.dispatchEvent(new Event('online'))")
    await expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    await settled(page)
    # A second participant who never saw the first page gets both actors.
    other = await join(await open_context(browser, **SMALL), hub.http, ws["join_code"], "Bo")
    await other.wait_for_function(
        f"() => ['{kept}', '{pending}'].every(id => id in window.schakel.state())"
    )
    assert (await state(other))[pending]["label"] == "Jongerenwerker"
    await ctx.close()


async def test_a_hub_upgrade_reloads_the_page_and_keeps_its_edits(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    """Close 4426 (the hub speaks a newer protocol than the page's code): the page keeps its
    unacknowledged edits, reloads itself and sends them again; a second 4426 within 30 s
    does not reload again (no loop against a mis-deployed hub) but says what to do."""
    ws = await create_workshop(hub.http, groups=1)
    ctx = await open_context(browser, **SMALL)
    mode = {"v": "pass"}  # pass: a normal hub; hold: the page's frames never arrive
    routes: list[WebSocketRoute] = []

    async def handler(route: WebSocketRoute) -> None:
        if mode["v"] == "upgraded":
            await route.close(code=4426, reason="this hub speaks protocol version 2: reload")
            return
        server = route.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if mode["v"] == "pass":
                server.send(message)

        route.on_message(from_page)
        routes.append(route)

    await ctx.route_web_socket("**/ws", handler)
    page = await join(ctx, hub.http, ws["join_code"], "Ann")
    mode["v"] = "hold"
    pending = await add_actor_by_click(page, 0.5, 0.5)
    await page.fill("#field-label", "Wijkagent")
    await page.wait_for_timeout(300)  # sent, never acknowledged
    assert await page.evaluate("() => window.schakel.pending()") > 0

    # The hub is upgraded: the page's connection closes with 4426, and the page reloads.
    mode["v"] = "pass"
    async with page.expect_navigation():
        await routes[-1].close(code=4426, reason="this hub speaks protocol version 2: reload")
    await expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    await settled(page)
    other = await join(await open_context(browser, **SMALL), hub.http, ws["join_code"], "Bo")
    await other.wait_for_function(f"() => '{pending}' in window.schakel.state()")
    assert (await state(other))[pending]["label"] == "Wijkagent"

    # Again within 30 s: no second reload; the page says the hub was updated.
    await page.evaluate("() => { window.notReloaded = true; }")
    mode["v"] = "upgraded"
    await routes[-1].close(code=4426, reason="this hub speaks protocol version 2: reload")
    await expect(page.locator("#status")).to_contain_text("De hub is bijgewerkt")
    await expect(page.locator("#reload")).to_have_text("Herladen")
    assert await page.evaluate("() => window.notReloaded === true")
    await page.screenshot(path=str(screenshots / "tablet-hub-updated.png"))
    await ctx.close()
