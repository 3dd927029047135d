"""Tablets in the room, portrait (768 by 1024) and landscape (1024 by 768), with touch: naming an
actor is one tap and typing, the panel covers no buttons, the map keeps the room, the
group is named, fields follow the merged map, moving without dragging, undo while
locked, the list's self-relation, the language switched live, a colour per person."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from schakel_client import SchakelClient
from tests.browser.board import canvas_point, join, open_context, screen_of, state
from tests.browser.screens import axe, box, hit
from tests.support.server import Hub, create_workshop

pytestmark = pytest.mark.browser

PORTRAIT = {"viewport": {"width": 768, "height": 1024}, "has_touch": True, "is_mobile": True}
LANDSCAPE = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "is_mobile": True}
TITLE = "Lokale netwerken in tijden van polarisatie: gemeente Oost, najaarsbijeenkomst"


async def on_board(page: Page, fragment: str) -> None:
    """Wait until the page draws on a board whose id contains ``fragment``, connected."""
    await page.wait_for_function(
        "f => JSON.parse(localStorage.getItem('schakel.session')).board.includes(f)", arg=fragment
    )
    await expect(page.locator("#status")).to_have_attribute("data-status", "connected")


@contextlib.asynccontextmanager
async def in_round_one(
    hub: Hub, browser: Browser, device: dict[str, Any]
) -> AsyncIterator[tuple[dict[str, Any], SchakelClient, Page]]:
    """A workshop of the default programme in round 1 (a long title), its facilitator on
    the Python client, and Ann on a tablet, drawing on her group's round-1 board."""
    ws = await create_workshop(hub.http, groups=1, title=TITLE, template="default-nl")
    async with SchakelClient(hub.ws, ws["facilitator_token"], name="Fac") as fac:
        await fac.wait_for(lambda: fac.workshop is not None)
        await fac.control("goto", round=1, part=0)
        ctx = await open_context(browser, **device)
        page = await join(ctx, hub.http, ws["join_code"], "Ann")
        await on_board(page, ":r1:g1")
        yield ws, fac, page
        await ctx.close()


async def label_of(page: Page, actor: str) -> str:
    label: str = (await state(page))[actor]["label"]
    return label


async def test_a_portrait_tablet_names_an_actor_with_one_tap_and_typing(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    async with in_round_one(hub, browser, PORTRAIT) as (ws, fac, page):
        await expect(page.locator("#ws-group")).to_have_text("Groep 1")
        # The top bar keeps the round, the whole timer and the first question in view.
        await expect(page.locator("#ws-round")).to_contain_text("Ronde 1")
        await expect(page.locator("#ws-questions li").first).to_be_visible()
        timer = await box(page, ".ws-head .timer")
        assert timer["x"] >= 0 and timer["x"] + timer["width"] <= 768, timer
        assert await page.evaluate(
            "() => { const t = document.querySelector('.ws-head .timer-text');"
            " return t.scrollWidth <= t.clientWidth && t.textContent === '10:00'; }"
        )
        first = await box(page, "#ws-questions li >> nth=0")
        assert first["y"] + first["height"] <= (await box(page, ".topbar"))["y"] + 200
        # In portrait the panel starts closed: the map has the screen.
        await expect(page.locator("#panel")).to_be_hidden()
        # One tap on the map (actor tool) and typing names the new actor.
        await page.tap('[data-tool="actor"]')
        await page.touchscreen.tap(*await canvas_point(page, 0.45, 0.45))
        name = page.locator("#field-label")
        await expect(name).to_be_focused()
        assert await name.evaluate(
            "e => e.selectionStart === 0 && e.selectionEnd === e.value.length"
        )
        await page.keyboard.type("Wijkagent")
        actor = await page.evaluate("() => window.schakel.selected()")
        await page.wait_for_function(
            "id => window.schakel.state()[id].label === 'Wijkagent'", arg=actor
        )
        # The open panel lies over the map only: every button of the top bar stays reachable.
        for control in ("#undo", "#lang", "#panel-toggle", "#panel-close", "#ws-toggle"):
            assert await hit(page, control), control
        panel, top = await box(page, "#panel"), await box(page, ".topbar")
        assert panel["y"] >= top["y"] + top["height"] - 1
        await page.screenshot(path=str(screenshots / "tablet-portrait-naming.png"))
        await axe(page, "the board, portrait, panel open")
        # Escape closes the panel, from the name field too.
        await name.focus()
        await page.keyboard.press("Escape")
        await expect(page.locator("#panel")).to_be_hidden()
        # A double tap on the actor opens it with its name selected.
        x, y = await screen_of(page, actor)
        await page.tap('[data-tool="select"]')
        await page.touchscreen.tap(x, y)
        await page.touchscreen.tap(x, y)
        await expect(name).to_be_focused()
        await expect(name).to_have_value("Wijkagent")

        # A second person of the group: another colour (a seat per member, not a hash).
        bo_ctx = await open_context(browser, viewport={"width": 800, "height": 600})
        bo = await join(bo_ctx, hub.http, ws["join_code"], "Bo")
        await expect(page.locator("#peers li")).to_have_count(2)
        await bo.wait_for_function("() => document.querySelectorAll('#peers li').length === 2")
        colours = await page.locator("#peers li").evaluate_all(
            "ls => ls.map(l => l.dataset.colour)"
        )
        assert len(set(colours)) == 2, colours
        assert await page.evaluate("() => window.schakel.colour()") != await bo.evaluate(
            "() => window.schakel.colour()"
        )
        await bo_ctx.close()

        # The next round opens on a fresh board; the panel stays as the person left it
        # (open, since the double tap).
        await expect(page.locator("#panel")).to_be_visible()
        await fac.control("goto", round=2, part=0)
        await on_board(page, ":r2:g1")
        await expect(page.locator("#panel")).to_be_visible()
        assert await state(page) == {}
        # The new page alone answers the keys (the old one has let go of them).
        await page.keyboard.press("Escape")
        await expect(page.locator("#panel")).to_be_hidden()
        await page.locator("#panel-toggle").tap()
        await expect(page.locator("#panel")).to_be_visible()
        # Round 3 opens with its explanation: Brandsma's laws, the poles and five roles.
        await fac.control("goto", round=3, part=0)
        await on_board(page, ":r3:p")
        sheet = page.locator("#ws-sheet")
        await expect(sheet).to_contain_text("Polarisatie is een denkconstructie")
        await expect(sheet.locator(".sheet-laws > li")).to_have_count(3)
        await expect(sheet.locator(".sheet-roles .role-chip")).to_have_count(5)
        await expect(sheet.locator(".sheet-pole")).to_have_count(2)
        await page.screenshot(path=str(screenshots / "tablet-portrait-explanation.png"))
        await axe(page, "the explanation of round 3 on a tablet")
        # To the own map: the issue first, then the poles name the stances.
        await page.locator("#ws-sheet-close").tap()
        await expect(sheet).to_have_count(0)
        await expect(page.locator("#ws-sheet-open")).to_be_visible()
        await page.locator("#field-issue").fill("Komst azc")
        await page.locator("#field-pole_a").fill("welkom")
        await page.locator("#field-pole_b").fill("tegen")
        await page.wait_for_function("() => (window.schakel.state().meta || {}).pole_b === 'tegen'")
        await page.locator("#add-actor").tap()
        await expect(page.locator('[data-field="stance"] [data-value="pole_a"]')).to_have_text(
            "Pool A: welkom"
        )


async def test_a_landscape_tablet_keeps_the_map_and_says_what_it_cannot_do(
    hub: Hub, browser: Browser, screenshots: Path
) -> None:
    async with in_round_one(hub, browser, LANDSCAPE) as (ws, fac, page):
        board = f"{ws['workshop']['id']}:r1:g1"
        # The map gets most of the screen: a compact top bar, the whole tool rail.
        assert (await box(page, ".topbar"))["height"] <= 110
        fit = await box(page, "#zoom-fit")
        assert fit["y"] + fit["height"] <= 768
        # The questions are one line; a tap opens them all, another closes them.
        questions = page.locator("#ws-questions")
        await expect(questions).to_have_class("ws-questions collapsed")
        assert (await box(page, "#ws-questions"))["height"] <= 48
        await questions.tap()
        await expect(page.locator("#ws-toggle")).to_have_attribute("aria-expanded", "true")
        assert (await box(page, "#ws-questions"))["height"] > 80
        await page.locator("#ws-toggle").tap()
        await expect(questions).to_have_class("ws-questions collapsed")

        # Two actors from the list (the panel is open in landscape); a relation of one actor
        # to itself is refused, with why.
        await expect(page.locator("#panel")).to_be_visible()
        for name in ("Wijkagent", "Imam"):
            await page.locator("#tab-list").tap()
            await page.locator("#list-add-actor").tap()
            await expect(page.locator("#field-label")).to_be_focused()
            await page.keyboard.type(name)
        await page.locator("#tab-list").tap()
        await page.select_option("#rel-source", label="Imam")
        await page.select_option("#rel-target", label="Imam")
        await expect(page.locator("#list-add-relation")).to_be_disabled()
        await expect(page.locator("#rel-why")).to_contain_text("geen relatie met zichzelf")

        # Moving without dragging: arrow keys on the selected actor, or the move buttons.
        imam = next(k for k, v in (await state(page)).items() if v.get("label") == "Imam")
        await page.locator(f'#tabpanel [data-key="open-{imam}"]').tap()
        x0, y0 = (await state(page))[imam]["pos"]
        await page.locator('[data-nudge="down"]').tap()
        await page.wait_for_function(
            "([id, y]) => window.schakel.state()[id].pos[1] === y + 40", arg=[imam, y0]
        )
        await page.locator("#board-canvas").focus()
        await page.keyboard.press("ArrowRight")
        await page.wait_for_function(
            "([id, x]) => window.schakel.state()[id].pos[0] === x + 20", arg=[imam, x0]
        )

        # Fields follow the merged map: someone else's later name wins in the field too.
        async with SchakelClient(hub.ws, ws["facilitator_token"], name="Bo") as bo:
            seen = await bo.subscribe(board)
            name = page.locator("#field-label")
            await name.fill("Imam Yusuf")
            await bo.wait_for(lambda: seen.view().get(imam, {}).get("label") == "Imam Yusuf")
            bo.edit(board, imam, "actor", label="Imam Yusuf (moskee)")
            await bo.settled()
            await expect(name).to_be_focused()
            await expect(name).to_have_value("Imam Yusuf (moskee)")
            assert await label_of(page, imam) == "Imam Yusuf (moskee)"

        # Colour buttons say their colour's name, not a hex code.
        await expect(
            page.locator('[data-field="colour"] [data-colour="#0072B2"]')
        ).to_have_attribute("aria-label", "Blauw")
        # A sticky note answers one of the round's questions (the plenary sorts them so).
        await page.locator('[data-tool="note"]').tap()
        await page.touchscreen.tap(*await canvas_point(page, 0.2, 0.2))
        await expect(page.locator("#field-text")).to_be_focused()
        await page.keyboard.type("Signalen vroeg opvangen")
        await page.select_option(
            "#field-question",
            label=(
                "Vraag 2: Hoe zou dit lokale netwerk zich verhouden tot andere bestaande netwerken?"
            ),
        )
        await page.wait_for_function(
            "() => Object.values(window.schakel.state()).some(o => o.type === 'note'"
            " && o.question === '1.1' && o.text === 'Signalen vroeg opvangen')"
        )
        await expect(page.locator(".note .note-question text")).to_have_text("V2")
        await page.locator('[data-tool="select"]').tap()
        await page.locator("#tab-list").tap()
        await page.locator(f'#tabpanel [data-key="open-{imam}"]').tap()

        # The language, switched live: role tags, buttons and the timer's words too.
        await page.locator('[data-field="roles"] [data-value="joiner"]').tap()
        await expect(page.locator(f'.actor[data-id="{imam}"] .role text')).to_have_text("Volger")
        await fac.control("spotlight", board=f"{ws['workshop']['id']}:r2:g1")
        await expect(page.locator("#ws-follow")).to_have_text("Volg de begeleider")
        await fac.control("start")
        await fac.control("end")
        await expect(page.locator(".ws-head .timer-note")).to_have_text("De tijd is om")
        await page.locator("#lang").tap()
        await expect(page.locator(f'.actor[data-id="{imam}"] .role text')).to_have_text("Joiner")
        await expect(page.locator("#ws-toggle")).to_have_text("All questions")
        await expect(page.locator("#ws-follow")).to_have_text("Follow the facilitator")
        await expect(page.locator(".ws-head .timer-note")).to_have_text("Time is up")
        await expect(page.locator("#ws-group")).to_have_text("Group 1")
        await page.locator("#lang").tap()

        # Locked for the plenary: undo says it cannot, nothing is dimmed below contrast.
        await expect(page.locator("#undo")).to_be_enabled()
        await fac.control("lock", locked=True)
        await expect(page.locator("#ws-locked")).to_be_visible()
        await expect(page.locator("#undo")).to_be_disabled()
        await expect(page.locator("#redo")).to_be_disabled()
        await page.locator(f'.actor[data-id="{imam}"] .shape').tap()
        await expect(page.locator("#field-label")).to_be_disabled()
        await page.screenshot(path=str(screenshots / "tablet-landscape-locked.png"))
        await axe(page, "a locked board, landscape")
