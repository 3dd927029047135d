"""The beamer at 1920 by 1080, read from the back of the room: no text below 24 px (the
minimum stated in plenary.ts), labels that never collide, no selection rings, one source
of truth for what it shows, the spotlight cleared by a new part, the notes per question,
round 3's explanation in both languages; and the join screen on a 1366 by 768 beamer."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from schakel_client import SchakelClient
from tests.browser.board import BEAMER, open_context
from tests.browser.maps import draw_map
from tests.browser.screens import axe, box, label_collisions, text_sizes
from tests.support.server import Hub, create_workshop, join

pytestmark = pytest.mark.browser

MIN_PX = 24  # BEAMER_TEXT in client/web/src/plenary/plenary.ts


async def readable(page: Page, what: str) -> float:
    """The smallest text shown is at least MIN_PX, and no label covers another or a shape."""
    sizes = await text_sizes(page, "#plenary")
    assert sizes, what
    assert sizes[0][0] >= MIN_PX, f"{what}: smallest text {sizes[:5]}"
    assert await label_collisions(page, "#plenary") == [], what
    print(f"{what}: smallest text {sizes[0][0]} px ({sizes[0][1]!r})")
    return sizes[0][0]


async def test_the_beamer_reads_from_the_back_of_the_room(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    ws = await create_workshop(
        hub.http, groups=3, title="Polarisatie in Oost", template="default-nl"
    )
    wid = ws["workshop"]["id"]
    g1, g2 = f"{wid}:r1:g1", f"{wid}:r1:g2"
    async with SchakelClient(hub.ws, ws["facilitator_token"], name="Fac") as fac:
        await fac.wait_for(lambda: fac.workshop is not None)
        await fac.control("goto", round=1, part=0)
        # Group 1's dense map, its two notes answering questions 1 and 2 of round 1.
        await draw_map(fac, g1, questions=("1.0", "1.1"))
        await fac.subscribe(g2)
        fac.edit(g2, "x1", "actor", label="Buurtvader", pos=[0, 0], roles=["schakel"])
        fac.edit(g2, "x2", "actor", label="Jongerencentrum", pos=[320, 60], roles=["mover"])
        fac.edit(g2, "x3", "relation", source="x1", target="x2", sign="+", label="samen")
        await fac.settled()
        # Someone of group 1 points at an actor and selects it.
        sanne = await join(hub.http, ws["join_code"], "Sanne")
        async with SchakelClient(hub.ws, sanne["token"], name="Sanne") as s:
            await s.subscribe(g1)
            await s.send_presence(g1, cursor=[0, 0], sel=["a06"], colour="#d81b60")

            ctx = await open_context(browser, locale="nl-NL", **BEAMER)
            plenary = await ctx.new_page()
            await plenary.goto(ws["viewer_url"])
            await expect(plenary.locator(".p-tile")).to_have_count(3)
            await plenary.wait_for_function(
                "b => (window.schakelPlenary.labels(b) || []).length === 16", arg=g1
            )
            await expect(plenary.locator(f'.p-tile[data-board="{g1}"] .actor')).to_have_count(16)
            await readable(plenary, "the overview")
            await plenary.screenshot(path=str(screenshots / "beamer-overview.png"))
            await axe(plenary, "the plenary overview")

            # The screen's keys choose the map; the console says the same (one truth).
            cctx = await open_context(
                browser, locale="nl-NL", viewport={"width": 1366, "height": 768}
            )
            console = await cctx.new_page()
            await console.goto(f"{hub.http}/facilitator#{ws['facilitator_token']}")
            await expect(console.locator("#beamer-state")).to_contain_text("overzicht")
            await plenary.keyboard.press("ArrowRight")
            await expect(plenary.locator("#p-spot")).to_have_attribute("data-board", g1)
            await expect(console.locator("#beamer-state")).to_contain_text("Groep 1")
            await fac.wait_for(lambda: fac.workshop["session"]["spotlight"] == g1)  # type: ignore[index]

            # The spotlight: the map fills its room, the questions take one line, the
            # notes are listed under the questions they answer, with the issue and poles.
            await expect(plenary.locator("#p-spot .actor")).to_have_count(16)
            await expect(plenary.locator("#p-questions")).to_have_class("p-questions collapsed")
            assert (await box(plenary, "#p-questions"))["height"] <= 60  # one line
            spot_map = await box(plenary, ".p-spot-map")
            assert spot_map["height"] >= 780 and spot_map["width"] >= 1400, spot_map
            answers = plenary.locator("#p-answers")
            await expect(answers.locator('[data-question="1.0"] li')).to_have_text(
                ["Wie praat er nog met wie?"]
            )
            await expect(answers.locator('[data-question="1.1"] li')).to_have_text(
                ["Schakels: jongerenwerker, imam, school"]
            )
            await expect(answers.locator('[data-question="1.0"] .p-qtag')).to_have_text("V1")
            await expect(plenary.locator("#p-issue")).to_contain_text("Komst azc")
            await expect(plenary.locator("#p-issue")).to_contain_text("welkom ↔ tegen")
            # Other people's selections are not the room's business.
            await expect(plenary.locator(".peer-cursor")).to_have_count(1)
            await expect(plenary.locator(".peer-sel")).to_have_count(0)
            await readable(plenary, "the spotlight")
            await plenary.screenshot(path=str(screenshots / "beamer-spotlight.png"))
            await axe(plenary, "the spotlight")

        # A new part starts on the overview, on the beamer and in the console.
        await fac.control("next")
        await expect(plenary.locator("#p-grid")).to_be_visible()
        await expect(plenary.locator("#p-spot")).to_be_hidden()
        await expect(console.locator("#beamer-state")).to_contain_text("overzicht")

        # Round 3's explanation: Brandsma's three laws, the two poles, the five roles.
        await fac.control("goto", round=3, part=0)
        sheet = plenary.locator("#p-sheet")
        await expect(sheet).to_be_visible()
        await expect(sheet.locator(".sheet-laws > li")).to_have_count(3)
        await expect(sheet.locator(".sheet-laws > li").first).to_contain_text(
            "Polarisatie is een denkconstructie"
        )
        await expect(sheet.locator(".sheet-pole")).to_have_text(["Pool A", "Pool B"])
        await expect(sheet.locator(".role-chip")).to_have_text(
            ["Pusher", "Volger", "Stille midden", "Bruggenbouwer", "Zondebok"]
        )
        await expect(console.locator("#beamer-state")).to_contain_text("toelichting")
        last = await box(plenary, ".sheet-task")
        assert last["y"] + last["height"] <= 1080 - 40  # all of it on the screen
        await readable(plenary, "the explanation")
        await plenary.screenshot(path=str(screenshots / "beamer-explanation.png"))
        # The same in English, for an English room.
        await plenary.evaluate("() => localStorage.setItem('schakel.lang', 'en')")
        await plenary.reload()
        await expect(sheet.locator(".sheet-laws > li")).to_have_text(
            [
                "Polarisation is a thought construct. Two opposite poles, us and them: an image"
                " in our heads, not a fact.",
                "Polarisation needs fuel. Without constant statements about the other side it"
                " dies down; pushers supply that fuel.",
                "Polarisation is about feelings, not facts. Gut feelings and identity set the"
                " conversation:“Refugees are fortune seekers”“They take our houses and jobs!!”"
                "“I just can't get a job or a home”",
            ]
        )
        await expect(sheet.locator(".role-chip")).to_have_text(
            ["Pusher", "Joiner", "Silent middle", "Bridge builder", "Scapegoat"]
        )
        await readable(plenary, "the explanation in English")

        # The join screen on a 1366 by 768 beamer: all of it in view.
        await console.click("#show-join")
        await expect(console.locator("#join-screen .qr")).to_be_visible()
        await console.screenshot(path=str(screenshots / "beamer-join-screen-1366.png"))
        title, hint = await box(console, "#join-screen h1"), await box(console, ".join-screen-hint")
        assert title["y"] >= 0, title
        assert hint["y"] + hint["height"] <= 768, hint
        # The widest code of the alphabet fits as well (codes are random).
        await console.evaluate(
            "() => { document.querySelector('.join-code.huge').textContent = 'WMWM-WMWM'; }"
        )
        hint = await box(console, ".join-screen-hint")
        assert hint["y"] + hint["height"] <= 768, hint
        code = await box(console, ".join-code.huge")
        assert code["x"] + code["width"] <= 1366, code
        await axe(console, "the join screen")
        await ctx.close()
        await cctx.close()
