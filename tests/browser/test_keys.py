"""The plenary screen gets a viewer's key, never the facilitator's."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from schakel_core.workshop import Role
from tests.browser.board import BEAMER, open_context
from tests.support.server import Hub, create_workshop

pytestmark = pytest.mark.browser


async def test_the_console_opens_the_plenary_with_a_viewer_key(hub: Hub, browser: Browser) -> None:
    """A console opened from its link on another device (nothing kept there)."""
    ws = await create_workshop(hub.http, groups=2)
    ctx = await open_context(browser, **BEAMER)
    page = await ctx.new_page()
    await page.goto(f"{hub.http}/facilitator#{ws['facilitator_token']}")
    link = page.locator("#open-plenary[href]")
    await expect(link).to_have_attribute("href", re.compile(r"/plenary#."))
    href = await link.get_attribute("href")
    assert href is not None
    token = href.split("#", 1)[1]
    assert token != ws["facilitator_token"]
    assert hub.service.tokens.verify(token).role == Role.VIEWER
    await ctx.close()
