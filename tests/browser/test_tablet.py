"""A tablet: fingers and a pen. Tap to create, tap-then-tap to connect, pinch to zoom."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, CDPSession, Page, expect

from tests.browser.board import TABLET, canvas_point, join, open_context, screen_of, state
from tests.support.server import Hub, create_workshop

pytestmark = pytest.mark.browser


async def tap_new_actor(page: Page, fx: float, fy: float) -> str:
    await page.tap('[data-tool="actor"]')
    before = sorted(await state(page))
    x, y = await canvas_point(page, fx, fy)
    await page.touchscreen.tap(x, y)
    handle = await page.wait_for_function(
        "before => { const id = window.schakel.selected();"
        " return id && !before.includes(id) ? id : null; }",
        arg=before,
    )
    new: str = await handle.json_value()
    return new


async def touch(cdp: CDPSession, kind: str, points: list[tuple[float, float]]) -> None:
    await cdp.send(
        "Input.dispatchTouchEvent",
        {
            "type": kind,
            "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
        },
    )


async def pen(cdp: CDPSession, kind: str, x: float, y: float) -> None:
    params: dict[str, Any] = {"type": kind, "x": x, "y": y, "pointerType": "pen", "button": "left"}
    params["buttons"] = 0 if kind == "mouseReleased" else 1
    params["clickCount"] = 1
    params["force"] = 0.6
    await cdp.send("Input.dispatchMouseEvent", params)


async def test_touch_create_connect_and_pinch(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    ctx = await open_context(browser, **TABLET)
    page = await join(ctx, hub.http, ws["join_code"], "Tablet")
    a = await tap_new_actor(page, 0.3, 0.4)
    b = await tap_new_actor(page, 0.7, 0.6)
    assert a != b

    # Connect by tap-then-tap (no dragging needed, WCAG 2.5.7).
    await page.tap('[data-tool="relation"]')
    await page.touchscreen.tap(*await screen_of(page, a))
    await expect(page.locator(f'.actor[data-id="{a}"]')).to_have_class("actor connect-from")
    await expect(page.locator("#hint")).to_contain_text("Tik nu op de actor")
    await page.touchscreen.tap(*await screen_of(page, b))
    await page.wait_for_function(
        "([a, b]) => Object.values(window.schakel.state()).some("
        "o => o.type === 'relation' && o.source === a && o.target === b)",
        arg=[a, b],
    )

    # Pinch apart with two fingers: the map zooms in around the fingers.
    cdp = await ctx.new_cdp_session(page)
    s0 = (await page.evaluate("() => window.schakel.view()"))["s"]
    cx, cy = await canvas_point(page, 0.5, 0.5)
    await touch(cdp, "touchStart", [(cx - 40, cy), (cx + 40, cy)])
    for step in range(1, 11):
        d = 40 + step * 12
        await touch(cdp, "touchMove", [(cx - d, cy), (cx + d, cy)])
    await touch(cdp, "touchEnd", [])
    s1 = (await page.evaluate("() => window.schakel.view()"))["s"]
    assert s1 > s0 * 2, (s0, s1)
    # Two-finger pinch created nothing and moved nothing.
    kinds = [o["type"] for o in (await state(page)).values()]
    assert sorted(kinds) == ["actor", "actor", "relation"]

    # Zoom buttons and fit to content work without gestures (WCAG 2.5.1).
    await page.tap("#zoom-out")
    s2 = (await page.evaluate("() => window.schakel.view()"))["s"]
    assert s2 < s1
    await page.tap("#zoom-fit")
    for obj_id in (a, b):
        x, y = await screen_of(page, obj_id)
        box = await page.locator("#board-canvas").bounding_box()
        assert box is not None
        assert box["x"] < x < box["x"] + box["width"]
        assert box["y"] < y < box["y"] + box["height"]
    assert page.errors == []  # type: ignore[attr-defined]
    await ctx.close()


async def test_palm_is_ignored_while_the_pen_draws(hub: Hub, browser: Browser) -> None:
    ws = await create_workshop(hub.http, groups=1)
    ctx = await open_context(browser, **TABLET)
    page = await join(ctx, hub.http, ws["join_code"], "Pen")
    await page.tap('[data-tool="ink"]')
    cdp = await ctx.new_cdp_session(page)
    x0, y0 = await canvas_point(page, 0.3, 0.5)
    await pen(cdp, "mousePressed", x0, y0)
    # A palm lands and slides while the pen is down: it must draw nothing.
    px, py = await canvas_point(page, 0.6, 0.8)
    await touch(cdp, "touchStart", [(px, py)])
    for i in range(1, 15):
        await pen(cdp, "mouseMoved", x0 + i * 12, y0 + (i % 4) * 6)
        await touch(cdp, "touchMove", [(px + i * 5, py - i * 3)])
    await touch(cdp, "touchEnd", [])
    await pen(cdp, "mouseReleased", x0 + 170, y0)
    await page.wait_for_function(
        "() => Object.values(window.schakel.state()).some(o => o.type === 'ink')"
    )
    inks = [o for o in (await state(page)).values() if o["type"] == "ink"]
    assert len(inks) == 1
    xs = inks[0]["points"][0::3]
    assert min(xs) < max(xs)  # the pen's stroke, left to right
    await ctx.close()
