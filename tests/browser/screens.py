"""Checks of what a screen shows, measured in the browser: accessibility (axe-core), the
smallest text, labels that collide, controls too small to touch, content that does not fit.

axe-core is the npm dev dependency of client/web (installed by ``make test``); its file is
evaluated in the page, so nothing is downloaded while the tests run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = (
    Path(__file__).resolve().parents[2]
    / "client"
    / "web"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)


async def axe(page: Page, what: str) -> None:
    """No serious or critical accessibility violations (and no content outside landmarks)."""
    assert AXE.is_file(), f"{AXE} is missing: `make test` installs client/web's npm packages"
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated over the DevTools protocol, which the page's strict CSP does not govern
        # (a script tag would be inline script, refused by `script-src 'self'`).
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result: dict[str, Any] = await page.evaluate(
        "() => axe.run(document, { resultTypes: ['violations'] })"
    )
    bad = [
        v
        for v in result["violations"]
        if v["impact"] in ("serious", "critical") or v["id"] == "region"
    ]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in bad
    ]
    assert not bad, f"axe on {what}:\n" + "\n".join(report)


SMALLEST_TEXT = """root => {
    // Every piece of text shown, with its size on screen in px (SVG text and the HTML of a
    // sticky note's foreignObject are scaled by their transforms).
    const out = [];
    const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent.trim();
        const el = n.parentElement;
        if (!text || !el || !el.checkVisibility({ visibilityProperty: true })) continue;
        const r = el.getBoundingClientRect();
        if (r.width < 2 || r.height < 2 || r.bottom < 0 || r.top > innerHeight) continue;
        let px = parseFloat(getComputedStyle(el).fontSize);
        const svg = el instanceof SVGElement ? el : el.closest("foreignObject");
        if (svg) {
            const m = svg.getScreenCTM();
            px *= Math.hypot(m.a, m.b);
        }
        out.push([Math.round(px * 10) / 10, text.slice(0, 40)]);
    }
    out.sort((a, b) => a[0] - b[0]);
    return out;
}"""


async def text_sizes(page: Page, root: str) -> list[tuple[float, str]]:
    """Every visible text under ``root`` with its size on screen, smallest first."""
    sizes: list[list[Any]] = await page.evaluate(SMALLEST_TEXT, root)
    return [(float(px), str(text)) for px, text in sizes]


COLLISIONS = """root => {
    // Labels (actor names, role tags, relation labels) that overlap another label or a
    // shape (actor, sticky note) on the same map, by more than 2 px each way.
    const hits = [];
    for (const svg of document.querySelectorAll(root + " svg.board-view")) {
        const items = [];
        const labels = ".actor .caption .label, .actor .caption .role, .rlabel";
        for (const el of svg.querySelectorAll(labels + ", .actor .shape, .note .paper")) {
            if (!el.checkVisibility()) continue;
            const r = el.getBoundingClientRect();
            if (r.width < 1) continue;
            const shape = el.matches(".shape, .paper");
            const owner = el.closest("[data-id]").dataset.id;
            items.push({ owner, shape, r, what: el.textContent || el.getAttribute("class") });
        }
        const across = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2;
        const down = (a, b) => Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
        const cut = (a, b) => across(a, b) && down(a, b);
        for (let i = 0; i < items.length; i++)
            for (let j = i + 1; j < items.length; j++) {
                const a = items[i], b = items[j];
                if ((a.shape && b.shape) || a.owner === b.owner || !cut(a.r, b.r)) continue;
                hits.push(`${a.what} / ${b.what}`);
            }
    }
    return hits;
}"""


async def label_collisions(page: Page, root: str) -> list[str]:
    hits: list[str] = await page.evaluate(COLLISIONS, root)
    return hits


SMALL_CONTROLS = """root => {
    const controls = root + " :is(button, a[href], select, input, textarea, summary)";
    const name = el => (el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 30);
    return [...document.querySelectorAll(controls)]
        .filter(el => el.checkVisibility() && !el.closest("[hidden]"))
        .map(el => [el, el.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && (r.height < 44 || r.width < 44))
        .map(([el, r]) => `${el.tagName}#${el.id} "${name(el)}" ${r.width | 0}x${r.height | 0}`);
}"""


async def small_controls(page: Page, root: str) -> list[str]:
    """Controls under ``root`` smaller than 44 by 44 px (a finger's minimum)."""
    small: list[str] = await page.evaluate(SMALL_CONTROLS, root)
    return small


async def scrolls_sideways(page: Page) -> bool:
    wide: bool = await page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    return wide


async def box(page: Page, selector: str) -> dict[str, float]:
    b = await page.locator(selector).bounding_box()
    assert b is not None, f"{selector} is not shown"
    return b


async def hit(page: Page, selector: str) -> bool:
    """Whether a tap on the middle of ``selector`` reaches it (nothing lies over it)."""
    reached: bool = await page.evaluate(
        """sel => {
            const el = document.querySelector(sel);
            const r = el.getBoundingClientRect();
            const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return !!top && (top === el || el.contains(top));
        }""",
        selector,
    )
    return reached
