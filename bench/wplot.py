"""The W1 plot: p99 op→peer latency against the load multiplier, one line per server, as a
hand-written SVG (no plotting library in the project). Log scale for the latency; a step
that was not held (p99 over the limit, or ops lost) is drawn as an open circle."""

from __future__ import annotations

import math
from html import escape
from typing import Any

COLOURS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b2df8a",
    "#fb9a99",
    "#cab2d6",
)
W, H = 760, 440
LEFT, RIGHT, TOP, BOTTOM = 78, 220, 30, 50


def p99_svg(runs: list[dict[str, Any]], limit_ms: float) -> str:
    w1 = [r for r in runs if r["workload"] == "w1" and r["steps"]]
    ks = sorted({s["multiplier"] for r in w1 for s in r["steps"]})
    lats = [s["latency_ms"]["p99"] for r in w1 for s in r["steps"] if s["latency_ms"]["p99"]]
    lo = 10 ** math.floor(math.log10(max(0.1, min([*lats, limit_ms / 10]))))
    hi = 10 ** math.ceil(math.log10(max([*lats, limit_ms * 2])))
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(k: float) -> float:
        return LEFT + (ks.index(k) + 0.5) * pw / max(1, len(ks))

    def y(v: float) -> float:
        v = min(max(v, lo), hi)
        return TOP + ph * (1 - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="14">W1: p99 op→peer latency against load</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    decade = lo
    while decade <= hi:
        yy = y(decade)
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{decade:g} ms</text>')
        decade *= 10
    yl = y(limit_ms)
    out.append(
        f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{yl:.1f}" y2="{yl:.1f}" stroke="#c00" '
        f'stroke-dasharray="6 4"/><text x="{LEFT + 4}" y="{yl - 4:.1f}" fill="#c00">'
        f"{limit_ms:g} ms target</text>"
    )
    for k in ks:
        out.append(f'<text x="{x(k):.1f}" y="{TOP + ph + 18}" text-anchor="middle">x{k:g}</text>')
    out.append(
        f'<text x="{LEFT + pw / 2:.1f}" y="{H - 10}" text-anchor="middle">'
        "load multiplier (x1 = 10 ops/s + 30 presence/s per tablet)</text>"
    )
    for i, r in enumerate(w1):
        colour = COLOURS[i % len(COLOURS)]
        points = [(s["multiplier"], s["latency_ms"]["p99"], s["held"]) for s in r["steps"]]
        points = [p for p in points if p[1] is not None]
        if len(points) > 1:
            path = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v, _ in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for k, v, held in points:
            fill = colour if held else "white"
            out.append(
                f'<circle cx="{x(k):.1f}" cy="{y(v):.1f}" r="4" fill="{fill}" stroke="{colour}" '
                f'stroke-width="2"><title>{escape(r["label"])} x{k:g}: {v:g} ms</title></circle>'
            )
        ly = TOP + 14 + i * 18
        out.append(
            f'<line x1="{W - RIGHT + 12}" x2="{W - RIGHT + 32}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="3"/><text x="{W - RIGHT + 38}" y="{ly}">'
            f"{escape(r['label'])}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
