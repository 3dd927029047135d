"""A facilitator runs the default programme: console, plenary screen, tablets, timer.

One browser, one light context per screen: the facilitator console and the plenary
screen at beamer size, two tablets (one per group). The other six participants are
Python clients on the same hub, so that eight people join and form two groups of four
and both groups draw, without eight Chromium pages on two cores.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from schakel_client import SchakelClient
from tests.browser.board import (
    BEAMER,
    TABLET,
    add_actor_by_click,
    join,
    one_socket,
    open_context,
    state,
)
from tests.browser.screens import axe, scrolls_sideways, small_controls
from tests.support.server import ONE_GROUP_ROUND, Hub
from tests.support.server import join as join_http

LAPTOP_1366 = {"viewport": {"width": 1366, "height": 768}}
LONG_NAME = "Marie-Louise van den Berg-Oosterhuis gem"  # 40 characters, the most

pytestmark = pytest.mark.browser


async def labels(page: Page) -> list[str]:
    return sorted(o.get("label", "") for o in (await state(page)).values() if o["type"] == "actor")


async def session_board(page: Page) -> str:
    board: str = await page.evaluate(
        "() => JSON.parse(localStorage.getItem('schakel.session')).board"
    )
    return board


async def remaining(page: Page) -> dict[str, Any]:
    r: dict[str, Any] = await page.evaluate("() => window.schakelWorkshop.remaining()")
    return r


def seconds(text: str) -> int:
    m, s = text.split(":")[-2:]
    return int(m) * 60 + int(s)


@contextlib.asynccontextmanager
async def participants(hub: Hub, code: str, names: list[str]) -> AsyncIterator[dict[str, Any]]:
    """Participants on the Python client: joined over HTTP, connected over the socket."""
    async with contextlib.AsyncExitStack() as stack:
        out: dict[str, Any] = {}
        for name in names:
            j = await join_http(hub.http, code, name)
            c = await stack.enter_async_context(SchakelClient(hub.ws, j["token"], name=name))
            out[name] = (c, j)
        yield out


async def test_a_facilitator_runs_the_default_programme(
    hub: Hub, browser: Browser, screenshots: Any
) -> None:
    # --- The facilitator starts a workshop on the one start page (Dutch browser, laptop).
    fctx = await open_context(browser, locale="nl-NL", **LAPTOP_1366)
    console = await fctx.new_page()
    errors: list[str] = []
    console.on("pageerror", lambda e: errors.append(str(e)))
    await console.goto(hub.http + "/new")  # the old address opens the same page
    await expect(console.locator("#new-title")).to_be_focused()
    await axe(console, "the start page")
    await console.fill("#new-title", "Lokale netwerken in tijden van polarisatie")
    await console.fill("#new-people", "8")
    await expect(console.locator("#new-people-hint")).to_contain_text("2 groepen")
    await console.click("#new-submit")
    await expect(console.locator("#status")).to_have_attribute("data-status", "connected")
    await expect(console.locator("#round-title")).to_have_text("Even voorstellen")
    # The code with its dash, the link and a QR code.
    shown = await console.locator("#join-code-big").text_content() or ""
    assert len(shown) == 9 and shown[4] == "-", shown
    code = shown.replace("-", "")
    await expect(console.locator("#join-box svg.qr")).to_be_visible()
    token = console.url.split("#", 1)[1]
    await console.reload()  # the console link survives a reload
    await expect(console.locator("#status")).to_have_attribute("data-status", "connected")
    await expect(console.locator("#join-code-big")).to_have_text(shown)
    ws = await console.evaluate("() => window.schakelWorkshop.state().id")

    # --- The plenary screen, opened with the viewer link from the console.
    viewer_url = await console.locator("#open-plenary").get_attribute("href")
    assert viewer_url and "/plenary#" in viewer_url and token not in viewer_url
    pctx = await open_context(browser, locale="nl-NL", **BEAMER)
    plenary = await pctx.new_page()
    plenary.on("pageerror", lambda e: errors.append(str(e)))
    await plenary.goto(viewer_url)
    await expect(plenary.locator("#p-title")).to_have_text(
        "Lokale netwerken in tijden van polarisatie"
    )

    # Keyboard focus in the console survives people joining (its cards are re-rendered).
    await console.focus("#next-part")

    # --- Eight participants join (one with a 40-character nickname); groups of four form.
    tablets = await open_context(browser, locale="nl-NL", **TABLET)
    tablets2 = await open_context(browser, locale="nl-NL", **TABLET)
    ann = await join(tablets, hub.http, code, "Ann")
    async with participants(hub, code, ["Bo", "Cas", "Dirk"]) as first:
        eva = await join(tablets2, hub.http, code, "Eva")
        async with participants(hub, code, ["Fay", "Gus", LONG_NAME]) as second:
            people = {**first, **second}
            await expect(console.locator("#groups-count")).to_contain_text("8 deelnemers")
            await expect(console.locator('.group[data-group="1"] .members > li')).to_have_count(4)
            await expect(console.locator('.group[data-group="2"] .members > li')).to_have_count(4)
            assert await console.evaluate("() => document.activeElement.id") == "next-part"
            bo_id = people["Bo"][1]["participant"]["id"]
            ann_id = await ann.evaluate(
                "() => JSON.parse(localStorage.getItem('schakel.session')).participant"
            )
            # The introductions are in pairs: Ann talks with Bo, and sees it.
            assert await session_board(ann) == f"{ws}:intro:p{ann_id}"
            await expect(ann.locator("#ws-round")).to_have_text("Even voorstellen")
            await expect(ann.locator('#ws-part .mode-pill[data-mode="pair"]')).to_be_visible()
            await expect(ann.locator(f'[data-partner="{ws}:intro:p{bo_id}"]')).to_have_text(
                "Kaart van Bo"
            )
            # The console fits a laptop and an iPad, a 40-character nickname included, and
            # every control is big enough for a finger.
            for width in (1366, 1236):
                await console.set_viewport_size({"width": width, "height": 900})
                await expect(console.locator("#group-list")).to_contain_text(LONG_NAME[:20])
                assert not await scrolls_sideways(console), width
                assert await small_controls(console, ".console") == [], width
            await console.screenshot(path=str(screenshots / "console-ipad-1236.png"))
            await console.set_viewport_size(LAPTOP_1366["viewport"])
            await axe(console, "the console")

            # --- Round 1: both groups draw on fresh boards; the plenary shows both live.
            g1, g2 = f"{ws}:r1:g1", f"{ws}:r1:g2"
            await console.click("#next-part")
            await expect(console.locator("#round-title")).to_contain_text("Ronde 1")
            await expect(ann.locator("#ws-round")).to_contain_text("Ronde 1")
            await ann.wait_for_function(
                "b => JSON.parse(localStorage.getItem('schakel.session')).board === b", arg=g1
            )
            await expect(ann.locator("#status")).to_have_attribute("data-status", "connected")
            await expect(plenary.locator("#p-questions li")).to_have_count(4)
            await expect(plenary.locator(".p-tile")).to_have_count(2)
            await add_actor_by_click(ann, 0.35, 0.8)
            await ann.fill("#field-label", "Wijkagent")
            await add_actor_by_click(eva, 0.6, 0.8)
            await eva.fill("#field-label", "Imam")
            bo, _ = people["Bo"]
            fay, _ = people["Fay"]
            await bo.subscribe(g1)
            await fay.subscribe(g2)
            bo.edit(g1, "bo-1", "actor", label="Jongerenwerker", pos=[300, 0], roles=["schakel"])
            fay.edit(g2, "fay-1", "actor", label="Buurtvader", pos=[-300, 80], roles=["mover"])
            await plenary.wait_for_function(
                """([g1, g2]) => {
                    const p = window.schakelPlenary;
                    const a = p.labels(g1) || [], b = p.labels(g2) || [];
                    return a.includes('Wijkagent') && a.includes('Jongerenwerker')
                        && b.includes('Imam') && b.includes('Buurtvader');
                }""",
                arg=[g1, g2],
            )
            await expect(plenary.locator(f'.p-tile[data-board="{g1}"] .actor')).to_have_count(2)
            await expect(console.locator(f'.group[data-board="{g2}"] .thumb .actor')).to_have_count(
                2
            )

            # --- The timer: the same everywhere; new minutes for this part move it.
            await console.click("#timer-start")
            for page in (console, plenary, ann, eva):
                await expect(page.locator(".timer").first).to_have_attribute(
                    "data-phase", "running"
                )
            await expect(console.locator("#timer-pause")).to_be_focused()  # the focus went along
            await console.click("#edit-programme")
            editor = console.locator("#programme-editor")
            await editor.locator(".editor-round").nth(1).locator("input.minutes").first.fill("15")
            await console.click("#editor-save")
            await expect(console.locator("#editor-status")).to_have_text("Programma opgeslagen")
            await expect(console.locator("#steer .timer-text")).to_contain_text("14:")
            await expect(ann.locator(".ws-head .timer-text")).to_contain_text("14:")
            await expect(console.locator("#timer-end")).to_have_text("Tijd nu om (0:00)")
            await console.click("#edit-programme")
            await console.screenshot(path=str(screenshots / "console.png"))
            await console.click("#show-join")
            await expect(console.locator("#join-screen .qr")).to_be_visible()
            await console.screenshot(path=str(screenshots / "console-join-screen.png"))
            await console.click("#join-screen-close")
            await ann.screenshot(path=str(screenshots / "tablet-round1.png"))
            await plenary.screenshot(path=str(screenshots / "plenary-grid.png"))

            # --- Plenary feedback: the boards are locked; edits are refused.
            await console.click("#next-part")
            await expect(console.locator("#part-title")).to_contain_text("Plenair")
            await console.click("#lock-boards")
            await expect(console.locator("#lock-boards")).to_have_attribute("aria-pressed", "true")
            await expect(ann.locator("#ws-locked")).to_be_visible()
            await bo.wait_for(lambda: bool(bo.workshop and bo.workshop["session"]["locked"]))
            bo.edit(g1, "bo-2", "actor", label="Refused", pos=[0, 300])
            await bo.wait_for(lambda: any(e.code == "forbidden" for e in bo.errors))
            async with httpx.AsyncClient(base_url=hub.http) as http:
                r = await http.get(
                    f"/api/boards/{g1}", headers={"authorization": f"Bearer {token}"}
                )
                assert "bo-2" not in r.json()["objects"]

            # --- What the beamer shows: one source of truth for console and plenary keys.
            await console.click("#spotlight-g2")
            await expect(plenary.locator("#p-spot")).to_have_attribute("data-board", g2)
            await expect(plenary.locator("#p-spot-name")).to_have_text("Groep 2")
            await expect(plenary.locator("#p-people")).to_contain_text("Eva")
            # The button became "back to the overview" and kept the focus.
            await expect(console.locator("#spotlight-g2")).to_have_text("Terug naar het overzicht")
            await expect(console.locator("#spotlight-g2")).to_be_focused()
            await plenary.screenshot(path=str(screenshots / "plenary-spotlight.png"))
            # Remote participants may follow the facilitator's spotlight.
            await ann.click("#ws-follow")
            await expect(ann.locator("#ws-viewer")).to_have_attribute("data-board", g2)
            await expect(ann.locator("#ws-viewer .actor")).to_have_count(2)
            await one_socket(ann)  # the spotlit map rides the page's own connection
            await ann.click("#ws-view-close")
            # The screen's own keys move the beamer for everyone: the console says so.
            await plenary.keyboard.press("ArrowRight")
            await expect(plenary.locator("#p-spot")).to_have_attribute("data-board", g1)
            await expect(console.locator("#beamer-state")).to_contain_text("Groep 1")
            await plenary.keyboard.press("Escape")
            await expect(plenary.locator("#p-grid")).to_be_visible()
            await expect(console.locator("#beamer-state")).to_contain_text("overzicht")
            # A control that goes away after use leaves the focus nearby, not on the page.
            await console.click("#spotlight-g1")
            await console.focus("#spotlight-off")
            await console.keyboard.press("Enter")
            await expect(console.locator("#spotlight-off")).to_have_count(0)
            await expect(console.locator("#beamer-state")).to_be_focused()

            # --- Round 2 starts on fresh boards; round 1's stay at hand for the beamer.
            await console.click("#next-part")
            await expect(console.locator("#round-title")).to_contain_text("Ronde 2")
            await ann.wait_for_function(
                "b => JSON.parse(localStorage.getItem('schakel.session')).board === b",
                arg=f"{ws}:r2:g1",
            )
            await expect(ann.locator("#status")).to_have_attribute("data-status", "connected")
            assert await labels(ann) == []
            await console.locator("#other-boards summary").click()
            await console.click(f"#spotlight-{g1.replace(':', '-')}")
            await expect(plenary.locator("#p-spot")).to_have_attribute("data-board", g1)
            await expect(plenary.locator("#p-spot-name")).to_contain_text("Groep 1 · Ronde 1")
            await expect(plenary.locator("#p-spot .actor")).to_have_count(2)

            # --- Round 3: the explanation, then each person alone, then in pairs.
            await console.locator(".outline-box summary").click()
            await console.click("#goto-3-0")
            await expect(plenary.locator("#p-sheet")).to_contain_text("denkconstructie")
            await expect(plenary.locator("#p-spot")).to_be_hidden()  # the part cleared it
            await console.click("#goto-3-1")
            await expect(console.locator("#part-title")).to_contain_text("Ieder voor zich")
            own = f"{ws}:r3:p{ann_id}"
            await ann.wait_for_function(
                "b => JSON.parse(localStorage.getItem('schakel.session')).board === b", arg=own
            )
            await expect(ann.locator("#status")).to_have_attribute("data-status", "connected")
            assert await labels(ann) == []
            await add_actor_by_click(ann, 0.5, 0.5)
            await ann.fill("#field-label", "Buurtsportcoach")
            bo_own = f"{ws}:r3:p{bo_id}"
            await bo.wait_for(lambda: bool(bo.workshop and bo.workshop["mode"] == "individual"))
            await bo.subscribe(bo_own)
            bo.edit(bo_own, "bo-3", "actor", label="Moskeebestuur", pos=[0, 0])
            bo.edit(bo_own, "bo-4", "actor", label="Imam", pos=[300, 0])
            bo.edit(bo_own, "bo-r", "relation", source="bo-3", target="bo-4", sign="+")
            await bo.settled()
            # The plenary and the console show everyone's own map, as thumbnails.
            await expect(plenary.locator(".p-tile")).to_have_count(8)
            await expect(plenary.locator(f'.p-tile[data-board="{bo_own}"] .actor')).to_have_count(2)
            await expect(console.locator(f'.members li[data-board="{own}"] .thumb')).to_have_count(
                1
            )
            await expect(
                console.locator(f'.members li[data-board="{bo_own}"] .thumb .actor')
            ).to_have_count(2)
            await plenary.screenshot(path=str(screenshots / "plenary-own-maps.png"))
            await console.screenshot(path=str(screenshots / "console-own-maps.png"))

            await console.click("#next-part")
            await expect(console.locator("#part-title")).to_contain_text("In tweetallen")
            await expect(ann.locator("#ws-part")).to_contain_text("In tweetallen")
            partner = ann.locator(f'[data-partner="{bo_own}"]')
            await expect(partner).to_have_text("Kaart van Bo")
            await partner.click()
            await expect(ann.locator("#ws-viewer .actor")).to_have_count(2)
            await one_socket(ann)  # the partner's map too: one WebSocket per page
            # Copies land on free spots, and the relation between them comes along on request.
            await ann.click('#ws-viewer [data-copy="bo-3"]')
            await ann.click('#ws-viewer [data-copy="bo-4"]')
            await expect(ann.locator("#ws-copy-relations")).to_have_text(
                "Relaties tussen gekopieerde actoren kopiëren (1)"
            )
            await ann.click("#ws-copy-relations")
            await ann.wait_for_function(
                "() => Object.values(window.schakel.state()).some(o => o.type === 'relation')"
            )
            mine = await state(ann)
            spots = [o["pos"] for o in mine.values() if o["type"] == "actor"]
            assert len(spots) == 3
            for i, (x1, y1) in enumerate(spots):
                for x2, y2 in spots[i + 1 :]:
                    assert abs(x1 - x2) >= 200 or abs(y1 - y2) >= 180, spots
            rel = next(o for o in mine.values() if o["type"] == "relation")
            ends = {mine[rel["source"]]["label"], mine[rel["target"]]["label"]}
            assert ends == {"Moskeebestuur", "Imam"}
            assert await labels(ann) == ["Buurtsportcoach", "Imam", "Moskeebestuur"]
            await ann.screenshot(path=str(screenshots / "tablet-pair.png"))
            await ann.click("#ws-view-close")
            # The beamer shows an earlier round's own map when the facilitator adds it.
            intro = f"{ws}:intro:p{ann_id}"
            await expect(console.locator("#other-boards")).to_have_attribute("open", "")  # as left
            await console.click(f"#reveal-{intro.replace(':', '-')}")
            await expect(plenary.locator(f'.p-tile[data-board="{intro}"]')).to_contain_text(
                "Ann (eigen kaart) · Even voorstellen"
            )

            # --- The timer shows the same remaining time on every page (hub clock).
            await console.click("#timer-start")
            pages = (console, plenary, ann, eva)
            for page in pages:
                await expect(page.locator(".timer").first).to_have_attribute(
                    "data-phase", "running"
                )
            readings = await asyncio.gather(*(remaining(p) for p in pages))
            t0 = readings[0]["at"]
            shown_ms = [r["ms"] + (r["at"] - t0) for r in readings]
            assert max(shown_ms) - min(shown_ms) < 1000, readings
            texts = [seconds(r["text"]) for r in readings]
            assert max(texts) - min(texts) <= 1, readings
            assert 4 * 60 * 1000 < min(shown_ms) <= 5 * 60 * 1000

            # --- Time up: every screen says so (and chimes where sound is allowed).
            await console.click("#timer-end")
            for page in pages:
                await expect(page.locator(".timer").first).to_have_attribute("data-phase", "up")
            await expect(plenary.locator(".timer-note")).to_have_text("De tijd is om")

            # --- The facilitator fixes a group and edits the programme on the fly; the
            # editor says which rounds share boards.
            cas_id = people["Cas"][1]["participant"]["id"]
            await console.select_option(f'select[data-participant="{cas_id}"]', "2")
            await expect(console.locator('.group[data-group="2"] .members')).to_contain_text("Cas")
            await console.click("#edit-programme")
            editor = console.locator("#programme-editor")
            shares = editor.locator("select.board-share")
            await expect(shares.nth(1)).to_have_value("")  # round 1: fresh boards
            await expect(shares.nth(4).locator("option:checked")).to_have_text(
                "Zelfde borden als ronde 4"
            )
            await editor.locator(".editor-round").nth(3).locator("button", has_text="Vraag").click()
            await (
                editor.locator(".editor-round")
                .nth(3)
                .locator("textarea")
                .last.fill("Wie ontbreekt er op je kaart?")
            )
            await console.screenshot(path=str(screenshots / "console-programme-editor.png"))
            await console.click("#editor-save")
            await expect(console.locator("#editor-status")).to_have_text("Programma opgeslagen")
            await expect(plenary.locator("#p-questions li")).to_have_count(5)
            await expect(ann.locator("#ws-questions li").last).to_have_text(
                "Wie ontbreekt er op je kaart?"
            )
            await axe(plenary, "the plenary screen, own maps")

            # --- To the end of the programme.
            await console.click("#next-part")
            await console.click("#next-part")
            await expect(console.locator("#round-title")).to_have_text("Rondvraag en afsluiting")
            await expect(console.locator("#next-part")).to_have_attribute("aria-disabled", "true")
            await expect(plenary.locator("#p-round")).to_have_text("Rondvraag en afsluiting")
    assert not errors, errors
    for ctx in (fctx, pctx, tablets, tablets2):
        await ctx.close()


async def test_the_plenary_stays_live_with_fifty_boards(
    hub: Hub, browser: Browser, screenshots: Any
) -> None:
    """Fifty groups draw at once; the plenary grid shows every map, one render per map
    and frame at most (updates are coalesced per animation frame)."""
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            "/api/workshops",
            json={"title": "Grote zaal", "groups": 50, "programme": ONE_GROUP_ROUND},
        )
        created = r.json()
    ws = created["workshop"]["id"]
    boards = [f"{ws}:g{g}" for g in range(1, 51)]
    ctx = await open_context(browser, locale="nl-NL", **BEAMER)
    plenary = await ctx.new_page()
    errors: list[str] = []
    plenary.on("pageerror", lambda e: errors.append(str(e)))
    await plenary.goto(created["viewer_url"])
    await expect(plenary.locator(".p-tile")).to_have_count(50)
    async with SchakelClient(hub.ws, created["facilitator_token"], name="Fac") as fac:
        for b in boards:
            await fac.subscribe(b)
        await plenary.wait_for_function(
            "() => window.schakelPlenary.tiles().every(b => window.schakelPlenary.labels(b))"
        )
        before = await plenary.evaluate("() => window.schakelPlenary.frames()")
        # Ten waves of edits on every board (500 batches), as fast as the client sends.
        for k in range(10):
            for g, b in enumerate(boards, 1):
                fac.edit(b, f"a{g}", "actor", label=f"G{g} actor {k}", pos=[k * 20, g])
                fac.edit(b, f"n{g}-{k}", "note", text=f"idea {k}", pos=[k * 220, 200])
            await asyncio.sleep(0)
        await fac.settled(timeout=30)
    await plenary.wait_for_function(
        """boards => boards.every((b, i) => {
            const l = window.schakelPlenary.labels(b);
            return l && l.length === 1 && l[0] === `G${i + 1} actor 9`;
        })""",
        arg=boards,
        timeout=30_000,
    )
    await expect(plenary.locator(f'.p-tile[data-board="{boards[49]}"] .actor .label')).to_have_text(
        "G50 actor 9"
    )
    after = await plenary.evaluate("() => window.schakelPlenary.frames()")
    frames, renders, updates = (after[k] - before[k] for k in ("frames", "renders", "updates"))
    # Each map is drawn at most once per frame, however many updates it got meanwhile.
    assert updates >= 50, (before, after)
    assert renders <= frames * 50, (before, after)
    print(f"fifty boards: {updates} updates, {renders} renders in {frames} frames")
    await plenary.screenshot(path=str(screenshots / "plenary-grid-50.png"))
    assert not errors, errors
    await ctx.close()
