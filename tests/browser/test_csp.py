"""Every page of the web client under the hub's Content-Security-Policy: no violation.

The hub sends its strict CSP (no inline script or style); Chromium enforces it. Each page
is opened and used a little (the board gets an actor and a peer with a presence swatch,
the legend its role chips, the plenary its tiles, the console its join code, the analysis
page its figures) while a listener counts ``securitypolicyviolation`` events and console
errors. One violation fails the test, with what was refused and where.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from schakel_core import messages as m
from tests.browser.board import TABLET, add_actor_by_click, open_context
from tests.e2e.raw import Raw
from tests.e2e.test_reading import draw
from tests.support.maps import azc_group1
from tests.support.server import Hub, create_workshop
from tests.support.server import join as api_join

pytestmark = pytest.mark.browser

# Installed before any page script runs (through the DevTools protocol, which the CSP
# does not govern): every violation the page meets is kept on window.__csp.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
));
"""


async def csp_page(ctx: BrowserContext, problems: list[str]) -> Page:
    page = await ctx.new_page()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" or "Content Security Policy" in msg.text:
            problems.append(f"console: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    return page


async def violations(page: Page) -> list[str]:
    found: list[str] = await page.evaluate("() => window.__csp")
    return [f"{page.url}: {v}" for v in found]


async def test_every_page_runs_under_the_csp(hub: Hub, browser: Browser) -> None:
    data = await create_workshop(hub.http, groups=2, title="CSP")
    wid = data["workshop"]["id"]
    await draw(hub, data["facilitator_token"], f"{wid}:g1", azc_group1())
    problems: list[str] = []
    ctx = await open_context(browser, **TABLET)
    await ctx.add_init_script(LISTEN)
    seen: list[str] = []

    async def visit(path: str, ready: str) -> Page:
        page = await csp_page(ctx, problems)
        response = await page.goto(hub.http + path)
        assert response is not None
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        await expect(page.locator(ready).first).to_be_visible()
        seen.append(path.split("#")[0])
        return page

    start = await visit("/", "#app *")
    new = await visit("/facilitator/new", "form")
    # A participant joins through the page, lands on the board with a peer beside it.
    board = await visit(f"/join/{data['join_code']}", "#join-nickname")
    await board.fill("#join-nickname", "Ann")
    await board.click("#join-submit")
    await expect(board.locator("#status")).to_have_attribute("data-status", "connected")
    assert board.url.endswith("/board")
    seen.append("/board")
    peer = await api_join(hub.http, data["join_code"], "Bo")
    async with await Raw.hello(hub.ws, peer["token"], "bo") as bo:
        await bo.subscribe(peer["board"])
        await bo.send(m.Presence(peer["board"], {"cursor": [10, 10]}))
        await expect(board.locator("#peers .peer .swatch")).to_have_count(2)
        await add_actor_by_click(board, 0.4, 0.4)
        await board.click("#tab-legend")
        await expect(board.locator(".role-chip").first).to_be_visible()
    console = await visit(f"/facilitator#{data['facilitator_token']}", "#join-code-big")
    # The facilitator closes joining from the console once everyone is in.
    await console.click("#joining-toggle")
    await expect(console.locator("#join-closed")).to_be_visible()
    record = await hub.service.store.get_workshop(wid)
    assert record is not None and record.session.joining is False
    plenary = await visit(f"/plenary#{data['viewer_token']}", ".p-grid, .p-tile, main")
    analysis = await visit(f"/analysis?board={wid}:g1#{data['facilitator_token']}", "main")
    await expect(analysis.locator(".an-score, .an-headline, h1").first).to_be_visible()
    for page in (start, new, board, console, plenary, analysis):
        problems += await violations(page)
    await ctx.close()
    assert seen == [
        "/",
        "/facilitator/new",
        f"/join/{data['join_code']}",
        "/board",
        "/facilitator",
        "/plenary",
        f"/analysis?board={wid}:g1",
    ]
    assert problems == []
