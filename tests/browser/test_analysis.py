"""Reading the map in the browser: the analysis layer on the beamer and on a tablet, the
figures and files in the console, downloading before deleting, and the report rendered
in Chromium. Screenshots of each go to artifacts/screenshots/."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from tests.browser.board import BEAMER, TABLET, join, open_context
from tests.browser.screens import axe, text_sizes
from tests.e2e.test_reading import draw
from tests.support.maps import azc_group1, azc_group2
from tests.support.server import Hub, create_workshop
from tests.unit.analysis.maps import tie

pytestmark = pytest.mark.browser

PORTRAIT = {"viewport": {"width": 768, "height": 1024}, "has_touch": True, "is_mobile": True}


def watch(page: Page, errors: list[str]) -> Page:
    """Collect page errors and console errors (a CSP violation is one)."""

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(f"console: {msg.text}")

    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", on_console)
    return page


async def workshop(hub: Hub) -> dict[str, Any]:
    data = await create_workshop(hub.http, groups=2, title="Polarisatie in de wijk")
    wid = data["workshop"]["id"]
    await draw(hub, data["facilitator_token"], f"{wid}:g1", azc_group1())
    await draw(hub, data["facilitator_token"], f"{wid}:g2", azc_group2())
    return data


async def test_the_analysis_layer_on_the_beamer_and_in_the_console(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    data = await workshop(hub)
    wid = data["workshop"]["id"]
    g1 = f"{wid}:g1"
    errors: list[str] = []
    fctx = await open_context(browser, locale="nl-NL", viewport={"width": 1366, "height": 900})
    console = watch(await fctx.new_page(), errors)
    await console.goto(f"{hub.http}/facilitator#{data['facilitator_token']}")
    await expect(console.locator("#status")).to_have_attribute("data-status", "connected")
    # Each group's headline figures arrive in its card.
    headline = console.locator(f'.group-analysis .headline[data-board="{g1}"]')
    await expect(headline).to_contain_text("/100")
    await expect(headline).to_contain_text("12 actoren")
    await expect(console.locator("#download-report")).to_be_visible()

    pctx = await open_context(browser, locale="nl-NL", **BEAMER)
    plenary = watch(await pctx.new_page(), errors)
    await plenary.goto(data["viewer_url"])
    await expect(plenary.locator(".p-tile")).to_have_count(2)
    await expect(plenary.locator("#p-analysis")).to_have_count(0)  # off until switched on

    # The facilitator puts the analysis on the beamer: the overview shows the scores and
    # the actors several groups named.
    await console.click("#analysis-toggle")
    await expect(console.locator("#analysis-toggle")).to_have_attribute("aria-pressed", "true")
    await expect(plenary.locator("#p-shared")).to_contain_text("Burgemeester")
    await expect(plenary.locator("#p-shared")).to_contain_text("Wijkagent")
    await expect(plenary.locator(f'.p-tile[data-board="{g1}"] .p-tile-score')).to_contain_text(
        "Polarisatie"
    )
    await plenary.screenshot(path=str(screenshots / "analysis-beamer-overview.png"))
    smallest = await text_sizes(plenary, "#plenary")
    assert smallest and smallest[0][0] >= 24, smallest[:5]
    await axe(plenary, "the beamer's overview with the analysis layer")
    await axe(console, "the console with the results")

    # Group 1 to the beamer: the marks on its map, the questions beside it, large.
    await console.click("#spotlight-g1")
    await expect(plenary.locator("#p-spot")).to_have_attribute("data-board", g1)
    panel = plenary.locator("#p-analysis")
    await expect(panel.locator(".an-score-value")).to_contain_text("Polarisatie")
    await expect(panel.locator(".an-questions li").first).to_be_visible()
    assert await panel.locator(".an-questions li").count() >= 3
    assert all(
        t.strip().endswith("?") for t in await panel.locator(".an-questions li").all_text_contents()
    )
    marks = plenary.locator("#p-spot .an-mark")
    await expect(marks.first).to_be_attached()
    schakel = plenary.locator('#p-spot .an-mark[data-actor="agent"]')
    await expect(schakel).to_have_attribute("data-marks", re.compile(r"^schakel\b"))
    await expect(plenary.locator("#p-spot .an-fragile").first).to_be_attached()
    # Read from the back of the room: the questions and tags are large on screen.
    size = await panel.locator(".an-questions li").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 26
    tag = await plenary.locator("#p-spot .an-tag text").first.bounding_box()
    assert tag is not None and tag["height"] >= 20
    await plenary.screenshot(path=str(screenshots / "analysis-beamer.png"))
    # Nothing on the beamer below its minimum text size (24 px), the layer included.
    smallest = await text_sizes(plenary, "#plenary")
    assert smallest and smallest[0][0] >= 24, smallest[:5]
    await axe(plenary, "the beamer with the analysis layer")

    # A map that changes is read again: a new actor tied to both poles is a bridge builder.
    new = {
        "nieuw": {
            "type": "actor",
            "label": "Buurtcoach",
            "stance": "middle",
            "influence": 2,
            "pos": [-40, 420],
        }
    }
    await draw(hub, data["facilitator_token"], g1, new)
    ties = {f"rn{i}": tie("nieuw", other) for i, other in enumerate(("coa", "bewoners"))}
    await draw(hub, data["facilitator_token"], g1, ties)
    await expect(plenary.locator('#p-spot .an-mark[data-actor="nieuw"]')).to_have_attribute(
        "data-marks", re.compile(r"\bbridge_builder\b")
    )
    # Off again: the layer goes.
    await console.click("#analysis-toggle")
    await expect(plenary.locator("#p-analysis")).to_have_count(0)
    await expect(plenary.locator("#p-spot .an-mark")).to_have_count(0)

    # The console's link opens the full analysis of a group's map.
    async with fctx.expect_page() as popup:
        await console.click("#analysis-g1")
    page = watch(await popup.value, errors)
    await expect(page.locator("#an-side .an-group").first).to_be_visible()
    await expect(page.locator("#an-shared")).to_contain_text("Burgemeester")
    await expect(page.locator(".an-mark").first).to_be_attached()
    await page.screenshot(path=str(screenshots / "analysis-page.png"), full_page=True)
    await axe(page, "the analysis page")
    assert errors == []


async def test_the_analysis_layer_on_a_tablet(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    data = await workshop(hub)
    wid = data["workshop"]["id"]
    errors: list[str] = []
    for name, kind in (("landscape", TABLET), ("portrait", PORTRAIT)):
        ctx = await open_context(browser, locale="nl-NL", **kind)
        ann = watch(await join(ctx, hub.http, data["join_code"], f"Ann {name}"), errors)
        assert (
            await ann.evaluate("() => JSON.parse(localStorage.getItem('schakel.session')).board")
            == f"{wid}:g1"
        )
        toggle = ann.locator("#analysis-toggle")
        await expect(toggle).to_have_attribute("aria-pressed", "false")  # drawing comes first
        await expect(ann.locator(".an-mark")).to_have_count(0)
        await toggle.click()
        await expect(ann.locator("#analysis-toggle")).to_have_attribute("aria-pressed", "true")
        await expect(ann.locator("#tab-analysis")).to_have_attribute("aria-selected", "true")
        await expect(ann.locator("#tabpanel .an-group").first).to_be_visible()
        await expect(ann.locator(".an-mark").first).to_be_attached()
        await expect(ann.locator("#tabpanel")).to_contain_text("schakel")
        await ann.locator("button[aria-label='Passend maken'], #zoom-fit").first.click()
        await ann.screenshot(path=str(screenshots / f"analysis-tablet-{name}.png"))
        await axe(ann, f"the tablet with the analysis ({name})")
        await ann.locator("#analysis-toggle").click()
        await expect(ann.locator(".an-mark")).to_have_count(0)
        await expect(ann.locator("#tab-analysis")).to_have_count(0)
        await ctx.close()
    assert errors == []


async def test_delete_offers_the_results_first(hub: Hub, browser: Browser) -> None:
    data = await workshop(hub)
    wid = data["workshop"]["id"]
    errors: list[str] = []
    ctx = await open_context(
        browser, locale="nl-NL", accept_downloads=True, viewport={"width": 1366, "height": 900}
    )
    console = watch(await ctx.new_page(), errors)
    await console.goto(f"{hub.http}/facilitator#{data['facilitator_token']}")
    await expect(console.locator("#status")).to_have_attribute("data-status", "connected")
    await console.click("#delete-workshop")
    dialog = console.locator("#delete-dialog")
    await expect(dialog).to_be_visible()
    await expect(console.locator("#delete-download")).to_be_focused()
    await axe(console, "the question before deleting")
    async with console.expect_download() as got:
        await console.click("#delete-download")
    download = await got.value
    path = await download.path()
    assert download.suggested_filename == "polarisatie-in-de-wijk.zip"
    assert path is not None and len(await asyncio.to_thread(Path(path).read_bytes)) > 10_000
    await console.click("#delete-cancel")
    await expect(dialog).to_have_count(0)
    assert await hub.service.store.get_workshop(wid) is not None
    await console.click("#delete-workshop")
    await console.click("#delete-confirm")
    await expect(console).to_have_url(f"{hub.http}/facilitator/new")
    assert await hub.service.store.get_workshop(wid) is None
    assert errors == []


async def test_the_report_renders_in_chromium(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    data = await workshop(hub)
    wid = data["workshop"]["id"]
    async with httpx.AsyncClient(base_url=hub.http, timeout=60) as http:
        r = await http.get(
            f"/api/workshops/{wid}/export/report.html",
            headers={"authorization": f"Bearer {data['facilitator_token']}"},
        )
    assert r.status_code == 200
    errors: list[str] = []
    ctx = await open_context(browser, locale="nl-NL", viewport={"width": 900, "height": 1270})
    page = watch(await ctx.new_page(), errors)
    # Served as the hub serves it: with its own strict CSP (no script, images as data:).
    await page.route(
        "**/report",
        lambda route: route.fulfill(status=200, body=r.content, headers=dict(r.headers)),
    )
    await page.goto(f"{hub.http}/report")
    maps = page.locator("img.map")
    await expect(maps).to_have_count(2)
    for i in range(2):
        assert await maps.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    await expect(page.locator("h2")).to_contain_text(["Programma", "Groep 1", "Groep 2"])
    await expect(page.locator("#shared")).to_contain_text("Burgemeester")
    await expect(page.locator("#over-time img.chart")).to_have_count(1)
    await page.emulate_media(media="print")
    await page.screenshot(path=str(screenshots / "report-page1.png"))
    await page.locator("#board-g1").scroll_into_view_if_needed()
    await page.screenshot(path=str(screenshots / "report-page2.png"))
    assert errors == []


async def test_a_map_is_imported_from_the_console(
    hub: Hub, browser: Browser, tmp_path: Path
) -> None:
    data = await workshop(hub)
    wid = data["workshop"]["id"]
    async with httpx.AsyncClient(base_url=hub.http, timeout=60) as http:
        r = await http.get(
            f"/api/boards/{wid}:g1/export/json",
            headers={"authorization": f"Bearer {data['facilitator_token']}"},
        )
    exported = tmp_path / "groep-1.json"
    await asyncio.to_thread(exported.write_bytes, r.content)
    bad = tmp_path / "kapot.json"
    await asyncio.to_thread(
        bad.write_text, '{"format": "schakel-board", "version": 1, "objects": 3}'
    )
    errors: list[str] = []
    ctx = await open_context(browser, locale="nl-NL", viewport={"width": 1366, "height": 900})
    console = watch(await ctx.new_page(), errors)
    await console.goto(f"{hub.http}/facilitator#{data['facilitator_token']}")
    await expect(console.locator("#status")).to_have_attribute("data-status", "connected")
    await console.locator("#import-file").set_input_files(str(bad))
    await expect(console.locator("#console-error")).to_contain_text("niet geïmporteerd")
    await console.locator("#import-file").set_input_files(str(exported))
    # Both groups hold a map: the import opens group 3, and the console shows it.
    await expect(console.locator("#console-error")).to_contain_text("groep 3")
    await expect(console.locator('.group[data-group="3"] .thumb .actor')).to_have_count(12)
    # The browser reports the refused file's answer (400) on its console; nothing else.
    assert [e for e in errors if "status of 400" not in e] == []
    assert len(errors) == 1
