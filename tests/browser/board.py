"""Helpers that drive the board page like a person would (pointer, touch, keyboard)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, WebSocket, expect

TABLET = {"viewport": {"width": 1180, "height": 820}, "has_touch": True, "is_mobile": True}
BEAMER = {"viewport": {"width": 1920, "height": 1080}}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}


async def open_context(browser: Browser, locale: str = "nl-NL", **kw: Any) -> BrowserContext:
    opts = {**LAPTOP, **kw}
    return await browser.new_context(locale=locale, **opts)


async def join(ctx: BrowserContext, http: str, code: str, nickname: str) -> Page:
    """Open the join link, enter a nickname, land on the board, wait until connected."""
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
    page.errors = errors  # type: ignore[attr-defined]
    sockets: list[WebSocket] = []
    page.on("websocket", lambda ws: sockets.append(ws))
    page.sockets = sockets  # type: ignore[attr-defined]
    await page.goto(f"{http}/join/{code}")
    await expect(page.locator("#join-code")).to_have_value(code)
    await page.fill("#join-nickname", nickname)
    await page.click("#join-submit")
    await expect(page.locator("#status")).to_have_attribute("data-status", "connected")
    return page


async def one_socket(page: Page) -> None:
    """The page (joined with `join`) holds exactly one open WebSocket to the hub. A socket
    of a board it left closes a moment later: wait (bounded) until only one is open."""
    sockets: list[WebSocket] = page.sockets  # type: ignore[attr-defined]
    for _ in range(100):
        open_ = [ws.url for ws in sockets if not ws.is_closed()]
        if len(open_) == 1:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"open WebSockets: {open_}")


async def state(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate("() => window.schakel.state()")
    return result


async def canonical(page: Page) -> str:
    return json.dumps(await state(page), sort_keys=True)


async def actor_ids(page: Page) -> list[str]:
    s = await state(page)
    return sorted(k for k, v in s.items() if v["type"] == "actor")


async def screen_of(page: Page, obj_id: str) -> tuple[float, float]:
    """Screen position of an object's board position."""
    pos = (await state(page))[obj_id]["pos"]
    x, y = await page.evaluate("([x, y]) => window.schakel.boardToScreen(x, y)", pos)
    return float(x), float(y)


async def canvas_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    box = await page.locator("#board-canvas").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


async def add_actor_by_click(page: Page, fx: float, fy: float) -> str:
    """Arm the actor tool and click the canvas; returns the new actor's id."""
    before = set(await actor_ids(page))
    await page.click('[data-tool="actor"]')
    x, y = await canvas_point(page, fx, fy)
    await page.mouse.click(x, y)
    new: str = await (
        await page.wait_for_function(
            """before => {
                const id = window.schakel.selected();
                const o = id && window.schakel.state()[id];
                return o && o.type === 'actor' && !before.includes(id) ? id : null;
            }""",
            arg=sorted(before),
        )
    ).json_value()
    await page.click('[data-tool="select"]')
    return new


async def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    await page.mouse.move(*start)
    await page.mouse.down()
    for i in range(1, 9):
        t = i / 8
        await page.mouse.move(
            start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t
        )
    await page.mouse.up()


async def settled(page: Page) -> None:
    await page.wait_for_function("() => window.schakel.pending() === 0")
