"""A board drawn as SVG on the server, from the board model alone (no browser).

The drawing follows the web client's renderer (``client/web/src/board/render.ts``): actors
as shapes by kind, coloured by stance, sized by influence with the influence tower beside
them, labels and role pills under them; relations coloured by sign and dashed by kind,
with arrowheads by direction; sticky notes; ink. A header names the board and its issue,
and a legend explains every mark, with the poles' own names where the group gave them.

Every user string is set as element text or attribute through ``xml.etree`` (escaped,
never parsed as markup); characters XML cannot hold are dropped. The result is a
standalone SVG 1.1 document that browsers, Inkscape and cairosvg open.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from schakel_analysis.texts import ROLE_NAMES
from schakel_core.schema import ACTOR_KINDS, RELATION_KINDS

from .style import (
    FONT,
    INK_COLOUR,
    NEUTRAL_LINE,
    NOTE_COLOUR,
    ROLE_COLOUR,
    ROLE_TEXT,
    SIGN_COLOUR,
    STANCE_COLOUR,
    WORDS,
    actor_radius,
    kind_path,
    relation_dash,
)

SVG_NS = "http://www.w3.org/2000/svg"
NOTE_W, NOTE_H = 200, 130
MAP_MAX_W, MAP_MAX_H = 1400.0, 1000.0
LEGEND_W = 330
HEADER_H = 96
PAD = 40
HIGHLIGHT = "#111111"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ET.register_namespace("", SVG_NS)

Objects = Mapping[str, Mapping[str, Any]]


def clean(text: object) -> str:
    """A user string as XML can hold it (control characters dropped)."""
    return _NOT_XML.sub("", text) if isinstance(text, str) else ""


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    e = ET.SubElement(
        parent,
        tag,
        {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items() if v is not None},
    )
    if text is not None:
        e.text = clean(text)
    return e


def wrap(text: str, width: int, lines: int) -> list[str]:
    """Up to ``lines`` lines of about ``width`` characters; an ellipsis when cut."""
    words = clean(text).split()
    out: list[str] = []
    line = ""
    for w in words:
        while len(w) > width + 4:  # a very long word: break it
            if line:
                out.append(line)
                line = ""
            out.append(w[:width])
            w = w[width:]
        if not line:
            line = w
        elif len(line) + 1 + len(w) <= width:
            line += " " + w
        else:
            out.append(line)
            line = w
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return out


def _pos(o: Mapping[str, Any]) -> tuple[float, float]:
    p = o.get("pos")
    if isinstance(p, list) and len(p) == 2 and all(isinstance(v, int | float) for v in p):
        return float(p[0]), float(p[1])
    return 0.0, 0.0


def bounds(objects: Objects) -> tuple[float, float, float, float] | None:
    """The box around everything visible, labels and pills included."""
    xs: list[float] = []
    ys: list[float] = []
    for o in objects.values():
        t = o.get("type")
        if t == "actor":
            x, y = _pos(o)
            r = actor_radius(o.get("influence"))
            xs += [x - max(r, 110), x + max(r + 30, 110)]
            ys += [y - r - 8, y + r + 100]
        elif t == "note":
            x, y = _pos(o)
            xs += [x, x + NOTE_W]
            ys += [y, y + NOTE_H]
        elif t == "ink":
            pts = o.get("points")
            if isinstance(pts, list):
                for i in range(0, len(pts) - 2, 3):
                    xs.append(float(pts[i]))
                    ys.append(float(pts[i + 1]))
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


class _Map:
    """Draws the objects of one board into a group, in board units."""

    def __init__(self, root: ET.Element, objects: Objects, lang: str, highlight: Mapping[str, str]):
        self.objects = objects
        self.lang = lang
        self.highlight = highlight
        self.layers = {
            name: _el(root, "g", class_=f"layer-{name}")
            for name in ("ink", "relations", "notes", "actors", "overlay")
        }

    def draw(self) -> None:
        for oid in sorted(self.objects):
            o = self.objects[oid]
            match o.get("type"):
                case "ink":
                    self.ink(o)
                case "note":
                    self.note(o)
                case "actor":
                    self.actor(oid, o)
                case "relation":
                    self.relation(o)

    def ink(self, o: Mapping[str, Any]) -> None:
        pts = o.get("points")
        if not isinstance(pts, list) or len(pts) < 6:
            return
        d = "M" + " L".join(f"{pts[i]:.1f},{pts[i + 1]:.1f}" for i in range(0, len(pts) - 2, 3))
        width = o.get("width") if isinstance(o.get("width"), int | float) else 3
        _el(
            self.layers["ink"],
            "path",
            d=d,
            fill="none",
            stroke=clean(o.get("colour")) or INK_COLOUR,
            stroke_width=f"{width:g}",
            stroke_linecap="round",
            stroke_linejoin="round",
        )

    def note(self, o: Mapping[str, Any]) -> None:
        x, y = _pos(o)
        g = _el(self.layers["notes"], "g", transform=f"translate({x:.1f},{y:.1f})")
        _el(
            g,
            "rect",
            width=NOTE_W,
            height=NOTE_H,
            rx=6,
            fill=clean(o.get("colour")) or NOTE_COLOUR,
            stroke="#c9b458",
        )
        text = _el(g, "text", font_family=FONT, font_size=15, fill="#222222")
        for i, line in enumerate(wrap(str(o.get("text") or ""), 21, 6)):
            _el(text, "tspan", line, x=10, y=26 + i * 19)

    def actor(self, oid: str, o: Mapping[str, Any]) -> None:
        x, y = _pos(o)
        r = actor_radius(o.get("influence"))
        stance = o.get("stance") if o.get("stance") in STANCE_COLOUR else "unknown"
        colour = clean(o.get("colour")) or STANCE_COLOUR[str(stance)]
        g = _el(self.layers["actors"], "g", transform=f"translate({x:.1f},{y:.1f})")
        _el(g, "title", str(o.get("label") or ""))
        if oid in self.highlight:
            _el(
                g,
                "path",
                d=kind_path(o.get("kind"), r + 12),
                fill="none",
                stroke=HIGHLIGHT,
                stroke_width=5,
                stroke_dasharray="10 6",
            )
        _el(g, "path", d=kind_path(o.get("kind"), r), fill=colour, stroke="#ffffff", stroke_width=3)
        inf = o.get("influence")
        if type(inf) is int:
            for i in range(5):
                _el(
                    g,
                    "rect",
                    x=r + 6,
                    y=r - 10 - i * 10,
                    width=12,
                    height=8,
                    rx=2,
                    fill="#222222" if i < inf else "#dddddd",
                )
        lines = wrap(str(o.get("label") or ""), 18, 2)
        label = _el(
            g,
            "text",
            text_anchor="middle",
            font_family=FONT,
            font_size=18,
            font_weight="bold",
            fill="#111111",
        )
        for i, line in enumerate(lines):
            _el(label, "tspan", line, x=0, y=r + 24 + i * 22)
        roles = [r_ for r_ in (o.get("roles") or []) if r_ in ROLE_COLOUR]
        row_y = r + 24 + len(lines) * 22 - 6
        texts = [ROLE_NAMES[t][self.lang] for t in roles]
        widths = [len(t) * 7.6 + 16 for t in texts]
        total = sum(widths) + 6 * (len(widths) - 1)
        cx = -total / 2
        for role, text, w in zip(roles, texts, widths, strict=True):
            pill = _el(g, "g", transform=f"translate({cx:.1f},{row_y:.1f})")
            _el(pill, "rect", width=f"{w:.1f}", height=22, rx=11, fill=ROLE_COLOUR[role])
            _el(
                pill,
                "text",
                text,
                x=f"{w / 2:.1f}",
                y=16,
                text_anchor="middle",
                font_family=FONT,
                font_size=13,
                fill=ROLE_TEXT[role],
            )
            cx += w + 6

    def relation(self, o: Mapping[str, Any]) -> None:
        s, t = self.objects.get(str(o.get("source"))), self.objects.get(str(o.get("target")))
        if s is None or t is None:
            return
        (x1, y1), (x2, y2) = _pos(s), _pos(t)
        sign = o.get("sign") if o.get("sign") in SIGN_COLOUR else ""
        colour = SIGN_COLOUR.get(str(sign), NEUTRAL_LINE)
        strength: int = o["strength"] if type(o.get("strength")) is int else 2
        width = 1 + strength * 1.6
        layer = self.layers["relations"]
        if o.get("source") == o.get("target"):  # a relation of an actor with itself: a loop
            r = actor_radius(s.get("influence"))
            _el(
                layer,
                "circle",
                cx=f"{x1:.1f}",
                cy=f"{y1 - r - 14:.1f}",
                r=16,
                fill="none",
                stroke=colour,
                stroke_width=f"{width:g}",
            )
            return
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        r1, r2 = actor_radius(s.get("influence")) + 4, actor_radius(t.get("influence")) + 4
        ax, ay, bx, by = x1 + ux * r1, y1 + uy * r1, x2 - ux * r2, y2 - uy * r2
        marker = "plus" if sign == "+" else "minus" if sign == "-" else "neutral"
        direction = o.get("direction")
        _el(
            layer,
            "line",
            x1=f"{ax:.1f}",
            y1=f"{ay:.1f}",
            x2=f"{bx:.1f}",
            y2=f"{by:.1f}",
            stroke=colour,
            stroke_width=f"{width:g}",
            stroke_linecap="round",
            stroke_dasharray=relation_dash(str(o.get("kind")), width),
            marker_end=f"url(#arrow-{marker})" if direction in ("forward", "both") else None,
            marker_start=f"url(#arrow-{marker})" if direction in ("backward", "both") else None,
        )
        text = clean(o.get("label")).strip()
        mark = "−" if sign == "-" else "+" if sign == "+" else ""
        label = f"{mark} {text}".strip() if text else mark
        if not label:
            return
        if len(label) > 40:
            label = label[:39] + "…"
        w = len(label) * 8 + 16
        g = _el(layer, "g", transform=f"translate({(x1 + x2) / 2:.1f},{(y1 + y2) / 2 - 13:.1f})")
        _el(
            g,
            "rect",
            x=f"{-w / 2:g}",
            width=f"{w:g}",
            height=26,
            rx=6,
            fill="#ffffff",
            stroke=colour,
        )
        _el(
            g,
            "text",
            label,
            y=18,
            text_anchor="middle",
            font_family=FONT,
            font_size=14,
            fill="#111111",
        )


def _markers(defs: ET.Element) -> None:
    for name, colour in (
        ("plus", SIGN_COLOUR["+"]),
        ("minus", SIGN_COLOUR["-"]),
        ("neutral", NEUTRAL_LINE),
    ):
        m = _el(
            defs,
            "marker",
            id=f"arrow-{name}",
            viewBox="0 0 10 10",
            refX=8,
            refY=5,
            markerWidth=5,
            markerHeight=5,
            orient="auto-start-reverse",
            markerUnits="strokeWidth",
        )
        _el(m, "path", d="M0,0L10,5L0,10Z", fill=colour)


def _legend(root: ET.Element, x: float, y: float, lang: str, poles: Mapping[str, str]) -> float:
    """Draw the legend at (x, y); return its height."""
    g = _el(root, "g", transform=f"translate({x:.1f},{y:.1f})")
    cy = 0.0

    def heading(key: str) -> None:
        nonlocal cy
        cy += 30
        _el(
            g,
            "text",
            WORDS[key][lang],
            x=0,
            y=f"{cy:.1f}",
            font_family=FONT,
            font_size=17,
            font_weight="bold",
            fill="#111111",
        )
        cy += 8

    def row(draw: Any, text: str) -> None:
        nonlocal cy
        cy += 26
        item = _el(g, "g", transform=f"translate(0,{cy - 8:.1f})")
        draw(item)
        _el(
            g, "text", text, x=60, y=f"{cy - 3:.1f}", font_family=FONT, font_size=15, fill="#222222"
        )

    _el(
        g,
        "text",
        WORDS["legend"][lang],
        x=0,
        y=0,
        font_family=FONT,
        font_size=20,
        font_weight="bold",
        fill="#111111",
    )
    heading("stances")
    for stance in ("pole_a", "middle", "pole_b", "unknown"):
        name = poles.get(stance, "").strip()
        word = WORDS[f"stance.{stance}"][lang] + (f": {name}" if name else "")
        row(
            lambda e, s=stance: _el(
                e,
                "path",
                d=kind_path("person", 10),
                transform="translate(24,0)",
                fill=STANCE_COLOUR[s],
            ),
            word,
        )
    heading("roles")
    for role, colour in ROLE_COLOUR.items():
        row(
            lambda e, c=colour: _el(e, "rect", x=4, y=-9, width=40, height=18, rx=9, fill=c),
            ROLE_NAMES[role][lang],
        )
    heading("relations")
    for kind in RELATION_KINDS:
        row(
            lambda e, k=kind: _el(
                e,
                "path",
                d="M4,0H48",
                stroke=NEUTRAL_LINE,
                stroke_width=3,
                stroke_linecap="round",
                stroke_dasharray=relation_dash(k, 3),
            ),
            WORDS[f"rkind.{kind}"][lang],
        )
    for sign in ("+", "-"):
        row(
            lambda e, s=sign: _el(
                e,
                "path",
                d="M4,0H48",
                stroke=SIGN_COLOUR[s],
                stroke_width=4,
                stroke_linecap="round",
            ),
            WORDS[f"sign.{sign}"][lang],
        )
    heading("kinds")
    for kind in ACTOR_KINDS:
        row(
            lambda e, k=kind: _el(
                e,
                "path",
                d=kind_path(k, 10),
                transform="translate(24,0)",
                fill=STANCE_COLOUR["unknown"],
            ),
            WORDS[f"kind.{kind}"][lang],
        )
    cy += 28
    _el(
        g,
        "text",
        WORDS["size"][lang],
        x=0,
        y=f"{cy:.1f}",
        font_family=FONT,
        font_size=14,
        fill="#444444",
    )
    return cy + 10


def board_svg(
    objects: Objects,
    *,
    title: str,
    subtitle: str = "",
    lang: str = "nl",
    highlight: Mapping[str, str] | None = None,
    legend: bool = True,
) -> str:
    """The board as a standalone SVG document (see the module docstring)."""
    meta = objects.get("meta", {})
    poles = {k: clean(meta.get(k)) for k in ("pole_a", "pole_b")}
    box = bounds(objects)
    if box is None:
        box = (0.0, 0.0, 600.0, 300.0)
    x0, y0, x1, y1 = box
    cw, ch = max(1.0, x1 - x0), max(1.0, y1 - y0)
    scale = min(1.2, MAP_MAX_W / cw, MAP_MAX_H / ch)
    map_w, map_h = cw * scale, ch * scale
    legend_w = LEGEND_W if legend else 0
    width = PAD + map_w + PAD + legend_w
    root = ET.Element(f"{{{SVG_NS}}}svg", {"version": "1.1"})
    _el(root, "title", title)
    _markers(_el(root, "defs"))
    _el(root, "rect", width="100%", height="100%", fill="#ffffff")
    _el(
        root,
        "text",
        title,
        x=PAD,
        y=44,
        font_family=FONT,
        font_size=30,
        font_weight="bold",
        fill="#111111",
    )
    issue = subtitle or clean(meta.get("issue"))
    if issue:
        _el(
            root,
            "text",
            wrap(issue, 110, 1)[0],
            x=PAD,
            y=78,
            font_family=FONT,
            font_size=18,
            fill="#333333",
        )
    stage = _el(
        root,
        "g",
        transform=f"translate({PAD - x0 * scale:.2f},{HEADER_H - y0 * scale:.2f}) "
        f"scale({scale:.4f})",
    )
    visible = {k: v for k, v in objects.items() if k != "meta"}
    if visible:
        _Map(stage, visible, lang, highlight or {}).draw()
    else:
        _el(
            root,
            "text",
            WORDS["empty"][lang],
            x=PAD,
            y=HEADER_H + 40,
            font_family=FONT,
            font_size=20,
            fill="#666666",
        )
    legend_h = _legend(root, PAD + map_w + PAD, HEADER_H + 10, lang, poles) + 30 if legend else 0.0
    height = HEADER_H + max(map_h + PAD, legend_h)
    root.set("width", f"{width:.0f}")
    root.set("height", f"{height:.0f}")
    root.set("viewBox", f"0 0 {width:.0f} {height:.0f}")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
