"""The list view: the whole map with a keyboard alone (the canvas is invisible to a screen
reader). Add actors and a relation, edit, delete, restore, undo and redo."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.board import join, open_context, state
from tests.support.server import Hub, create_workshop

pytestmark = pytest.mark.browser


async def press_on(page: Page, selector: str, key: str = "Enter") -> None:
    await page.focus(selector)
    await page.keyboard.press(key)


async def test_keyboard_only_map_editing(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    ctx = await open_context(browser, locale="en-US")
    page = await join(ctx, hub.http, ws["join_code"], "Kim")
    await press_on(page, "#tab-list")
    await expect(page.locator("#tab-list")).to_have_attribute("aria-selected", "true")
    for name in ("Mayor", "Imam"):
        await press_on(page, "#tab-list")
        await press_on(page, "#list-add-actor")
        await expect(page.locator("#field-label")).to_be_visible()
        await page.keyboard.press("Control+a")
        await page.keyboard.type(name)
        await page.keyboard.press("Enter")
    # Stance and a role with the keyboard: toggle buttons announce aria-pressed.
    await press_on(page, '[data-field="stance"] [data-value="middle"]', " ")
    await press_on(page, '[data-field="roles"] [data-value="schakel"]', " ")
    await expect(page.locator('[data-field="roles"] [data-value="schakel"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    # Connect the two actors with the selects of the list view.
    await press_on(page, "#tab-list")
    await page.select_option("#rel-source", label="Mayor")
    await page.select_option("#rel-target", label="Imam")
    await press_on(page, "#list-add-relation")
    await page.wait_for_function(
        "() => Object.values(window.schakel.state()).some(o => o.type === 'relation')"
    )
    await press_on(page, "#tab-list")
    await expect(page.locator(".list-view")).to_contain_text("Mayor → Imam")
    await expect(page.locator(".list-view")).to_contain_text("Link")  # a schakel, in English

    # Delete from the list, restore from the list.
    imam = next(k for k, v in (await state(page)).items() if v.get("label") == "Imam")
    await press_on(page, f'[data-key="del-{imam}"]')
    await expect(page.locator(".list-view")).not_to_contain_text("Mayor → Imam")
    await press_on(page, f'[data-key="restore-{imam}"]')
    await expect(page.locator(".list-view")).to_contain_text("Mayor → Imam")

    # Undo (Ctrl+Z) takes back the restore, redo (Ctrl+Shift+Z) does it again.
    await page.focus("#tab-list")
    await page.keyboard.press("Control+z")
    await page.wait_for_function(f"() => !('{imam}' in window.schakel.state())")
    await page.keyboard.press("Control+Shift+z")
    await page.wait_for_function(f"() => '{imam}' in window.schakel.state()")
    assert page.errors == []  # type: ignore[attr-defined]
    await ctx.close()
