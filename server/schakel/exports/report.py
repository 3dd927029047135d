"""The workshop report: one self-contained HTML page that prints well, and its PDF.

Contents: the title and date; the programme with its questions; for each board that holds
a map (the groups', then each participant's own), the map as an image, its issue and
poles, its notes per question, and the analysis: the headline figures and the questions
the structure raises, with the game changers that fit; the actors several groups named
and where they disagree; the figures at the end of every programme part, as a table and
a chart; and a short account of how the analysis reads a map.

Self-contained: styles inline in one ``<style>``, images as ``data:`` URIs of SVG, no
script, no external resource; so the file opens anywhere, prints to PDF from any browser,
and is turned into a PDF on the server by WeasyPrint. Built with ``xml.etree`` (every user
string is element text or an attribute value, escaped on output).
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .style import FONT, OKABE_ITO
from .svg import board_svg, clean

Text = dict[str, str]

CHART_COLOURS = [
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluishGreen"],
    OKABE_ITO["reddishPurple"],
    OKABE_ITO["orange"],
    OKABE_ITO["skyBlue"],
    "#000000",
    OKABE_ITO["yellow"],
]
CHART_DASHES = ["", "8 4", "2 4", "12 4 2 4"]


@dataclass(frozen=True, slots=True)
class BoardData:
    board: str
    label: Text
    members: list[str]
    objects: dict[str, dict[str, Any]]
    analysis: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the report shows, as plain data (it crosses to a worker process)."""

    workshop: dict[str, Any]  # Workshop.to_dict()
    boards: list[BoardData]
    shared: list[dict[str, Any]]
    history: list[dict[str, Any]]
    lang: str = "nl"
    generated: float = field(default_factory=lambda: datetime.now(UTC).timestamp())


W: dict[str, Text] = {
    "report": {"nl": "Verslag", "en": "Report"},
    "date": {"nl": "Datum", "en": "Date"},
    "made": {"nl": "Gemaakt op", "en": "Made on"},
    "contents": {"nl": "Inhoud", "en": "Contents"},
    "programme": {"nl": "Programma", "en": "Programme"},
    "minutes": {"nl": "min", "en": "min"},
    "questions": {"nl": "Vragen", "en": "Questions"},
    "maps": {"nl": "De kaarten", "en": "The maps"},
    "members": {"nl": "Deelnemers", "en": "Participants"},
    "issue": {"nl": "Vraagstuk", "en": "Issue"},
    "poles": {"nl": "Polen", "en": "Poles"},
    "notes": {"nl": "Notities", "en": "Notes"},
    "other_notes": {"nl": "Overige notities", "en": "Other notes"},
    "figures": {"nl": "Kerncijfers", "en": "Key figures"},
    "analysis": {
        "nl": "Wat de structuur van de kaart suggereert",
        "en": "What the structure of the map suggests",
    },
    "nothing": {
        "nl": "De kaart is nog te klein om iets over te zeggen.",
        "en": "The map is too small to say anything about yet.",
    },
    "game_changers": {
        "nl": "Game changers (Brandsma) die hierbij passen",
        "en": "Game changers (Brandsma) that fit",
    },
    "shared": {"nl": "Actoren die meerdere groepen noemden", "en": "Actors several groups named"},
    "no_shared": {
        "nl": "Geen actor werd door meer dan één groep genoemd.",
        "en": "No actor was named by more than one group.",
    },
    "actor": {"nl": "Actor", "en": "Actor"},
    "placed": {"nl": "Zo geplaatst", "en": "Placed as"},
    "differ": {"nl": "Verschil", "en": "Difference"},
    "over_time": {"nl": "De cijfers door de tijd", "en": "The figures over time"},
    "no_history": {
        "nl": "Er zijn nog geen delen van het programma afgerond.",
        "en": "No part of the programme has ended yet.",
    },
    "now": {"nl": "nu", "en": "now"},
    "part": {"nl": "Deel", "en": "Part"},
    "score": {"nl": "Polarisatiescore", "en": "Polarisation score"},
    "actors": {"nl": "actoren", "en": "actors"},
    "relations": {"nl": "relaties", "en": "relations"},
    "about": {"nl": "Over de analyse", "en": "About the analysis"},
    "empty": {"nl": "Geen enkele kaart bevat al iets.", "en": "No map holds anything yet."},
    "map_of": {"nl": "Kaart van", "en": "Map of"},
    "none": {"nl": "geen", "en": "none"},
}

KIND_HEADINGS: dict[str, Text] = {
    "schakel": {"nl": "Schakels", "en": "Schakels (links)"},
    "only_way": {"nl": "Schakels", "en": "Schakels (links)"},
    "pusher": {"nl": "Pushers en volgers", "en": "Pushers and joiners"},
    "volger": {"nl": "Pushers en volgers", "en": "Pushers and joiners"},
    "mover": {
        "nl": "Mensen die het vraagstuk verder kunnen brengen",
        "en": "People who can move the issue forward",
    },
    "bridge_builder": {"nl": "Rollen (Brandsma)", "en": "Roles (Brandsma)"},
    "scapegoat": {"nl": "Rollen (Brandsma)", "en": "Roles (Brandsma)"},
    "silent": {"nl": "Rollen (Brandsma)", "en": "Roles (Brandsma)"},
    "role_question": {"nl": "Getekend en gesuggereerd", "en": "Drawn and suggested"},
    "fragile_link": {"nl": "Kwetsbare verbindingen", "en": "Fragile links"},
    "whatif": {"nl": "Wat als iemand wegvalt?", "en": "What if someone drops out?"},
    "camps": {"nl": "Kampen", "en": "Camps"},
    "hint": {"nl": "Om de kaart beter te lezen", "en": "To read the map better"},
}

FIGURES: list[tuple[str, Text]] = [
    ("actors", {"nl": "Actoren", "en": "Actors"}),
    ("relations", {"nl": "Relaties", "en": "Relations"}),
    ("score", {"nl": "Polarisatiescore (0-100)", "en": "Polarisation score (0-100)"}),
    ("ei_index", {"nl": "E-I-index van de polen", "en": "E-I index of the poles"}),
    ("balanced_share", {"nl": "Gebalanceerde driehoeken", "en": "Balanced triangles"}),
    (
        "frustration",
        {"nl": "Relaties die niet in twee kampen passen", "en": "Ties that do not fit two camps"},
    ),
    (
        "communities",
        {"nl": "Groepen in de relaties (Louvain)", "en": "Groups in the ties (Louvain)"},
    ),
    ("schakels", {"nl": "Gesuggereerde schakels", "en": "Suggested schakels"}),
    ("movers", {"nl": "Gesuggereerde movers", "en": "Suggested movers"}),
    ("fragile", {"nl": "Kwetsbare verbindingen", "en": "Fragile links"}),
]

ABOUT: Text = {
    "nl": (
        "De analyse leest alleen de structuur van wat de groep tekende: wie met wie verbonden "
        "is, met welk teken, en wie de groep invloed en een pool gaf. Ze doet suggesties als "
        "vragen; de groep beslist. Schakels liggen op de kortste wegen naar de belangrijke "
        "actoren (invloed 4 of 5) of zijn de enige weg ernaartoe; volgers zijn alleen verbonden "
        "met actoren op één pool; movers combineren invloed met bereik binnen twee stappen. De "
        "polarisatiescore is het gemiddelde van drie delen: hoeveel relaties van de polen binnen "
        "de eigen pool blijven, hoeveel relaties tussen de polen negatief zijn, en hoeveel paren "
        "over de polen heen geen positief pad hebben. De definities staan in docs/analysis.md."
    ),
    "en": (
        "The analysis reads only the structure of what the group drew: who is tied to whom, "
        "with which sign, and whom the group gave influence and a pole. It makes suggestions as "
        "questions; the group decides. Schakels lie on the shortest paths to the important "
        "actors (influence 4 or 5) or are the only way to them; joiners are tied only to actors "
        "on one pole; movers combine influence with reach within two steps. The polarisation "
        "score is the mean of three parts: how many of the poles' ties stay inside their own "
        "pole, how many ties between the poles are negative, and how many pairs across the "
        "poles have no positive path. The definitions are in docs/analysis.md."
    ),
}

CSS = f"""
@page {{ size: A4; margin: 16mm 14mm 18mm; }}
html {{ font-family: {FONT}; font-size: 10.5pt; color: #111; line-height: 1.4; }}
body {{ margin: 0 auto; max-width: 190mm; padding: 8mm 0; }}
h1 {{ font-size: 22pt; margin: 0 0 2mm; }}
h2 {{ font-size: 15pt; margin: 8mm 0 3mm; padding-bottom: 1mm;
      border-bottom: 1.5pt solid #0072B2; }}
h3 {{ font-size: 12pt; margin: 5mm 0 2mm; }}
h4 {{ font-size: 10.5pt; margin: 3mm 0 1mm; color: #333; }}
.kicker {{ color: #0072B2; font-weight: bold; letter-spacing: .04em; margin: 0;
          text-transform: uppercase; }}
.meta {{ color: #444; margin: 0 0 4mm; }}
section.board, section.shared, section.time {{ break-before: page; }}
figure {{ margin: 2mm 0; }}
img.map {{ width: 100%; max-height: 165mm; object-fit: contain; border: .5pt solid #ccc; }}
img.chart {{ width: 100%; }}
table {{ border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; }}
th, td {{ border: .5pt solid #bbb; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }}
th {{ background: #eef4f8; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
ul.questions li {{ margin-bottom: 1.5mm; }}
ul.changers li {{ margin-bottom: 1mm; }}
.hint {{ color: #555; font-style: italic; }}
.note {{ background: #fff4a8; padding: 1mm 2mm; margin: 1mm 0; border-radius: 1mm; }}
nav ol {{ padding-left: 5mm; }}
"""


def _t(key: str, lang: str) -> str:
    return W[key][lang]


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        e.text = clean(text)
    return e


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _when(ts: float, lang: str) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime(
        "%d-%m-%Y %H:%M UTC" if lang == "nl" else "%Y-%m-%d %H:%M UTC"
    )


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _figures_table(parent: ET.Element, headline: dict[str, Any], lang: str) -> None:
    table = _el(parent, "table", class_="figures")
    for key, label in FIGURES:
        tr = _el(table, "tr")
        _el(tr, "th", label[lang])
        value = headline.get(key)
        if key == "balanced_share" and isinstance(value, float):
            text = f"{round(value * 100)}%"
        else:
            text = _number(value)
        _el(tr, "td", text, class_="num")


def _notes(
    parent: ET.Element, objects: dict[str, dict[str, Any]], ws: dict[str, Any], lang: str
) -> None:
    """The map's notes, per question of the programme they answer (the note's
    ``question`` is ``"<round>.<question>"``, 0-based), then the others."""
    notes = [
        o
        for _, o in sorted(objects.items())
        if o.get("type") == "note" and str(o.get("text") or "").strip()
    ]
    if not notes:
        return
    _el(parent, "h3", _t("notes", lang))
    by_question: dict[str, list[str]] = {}
    for o in notes:
        by_question.setdefault(str(o.get("question") or ""), []).append(str(o.get("text")))
    answered = sorted((k for k in by_question if k), key=_question_order)
    order = answered + ([""] if "" in by_question else [])
    for key in order:
        heading = (
            _question_text(key, ws) if key else (_t("other_notes", lang) if answered else None)
        )
        if heading:
            _el(parent, "h4", heading)
        for text in by_question[key]:
            _el(parent, "p", text, class_="note")


def _question_order(key: str) -> tuple[int, int, str]:
    r, _, q = key.partition(".")
    return (int(r), int(q), key) if r.isdigit() and q.isdigit() else (1 << 30, 0, key)


def _question_text(key: str, ws: dict[str, Any]) -> str:
    """A note's ``question`` as the question's text (or as written, if it names none)."""
    r, _, q = key.partition(".")
    programme = ws.get("programme", [])
    if r.isdigit() and q.isdigit() and int(r) < len(programme):
        questions = programme[int(r)].get("questions", [])
        if int(q) < len(questions):
            return str(questions[int(q)])
    return key


def _suggestions(parent: ET.Element, analysis: dict[str, Any], lang: str) -> None:
    _el(parent, "h3", _t("analysis", lang))
    suggestions = analysis.get("suggestions", [])
    if not suggestions:
        _el(parent, "p", _t("nothing", lang), class_="hint")
    groups: dict[str, list[str]] = {}
    for s in suggestions:
        heading = KIND_HEADINGS.get(s["kind"], {"nl": s["kind"], "en": s["kind"]})[lang]
        groups.setdefault(heading, []).append(s["text"][lang])
    for heading, texts in groups.items():
        _el(parent, "h4", heading)
        ul = _el(parent, "ul", class_="questions")
        for text in texts:
            _el(ul, "li", text)
    fitting = [g for g in analysis.get("game_changers", []) if g.get("fits")]
    if fitting:
        _el(parent, "h4", _t("game_changers", lang))
        ul = _el(parent, "ul", class_="changers")
        for g in fitting:
            _el(ul, "li", g["text"][lang])


def _board_section(body: ET.Element, b: BoardData, ws: dict[str, Any], lang: str) -> None:
    sec = _el(body, "section", class_="board", id=f"board-{b.board.partition(':')[2]}")
    _el(sec, "h2", b.label[lang])
    if b.members:
        _el(sec, "p", f"{_t('members', lang)}: {', '.join(b.members)}", class_="meta")
    meta = b.objects.get("meta", {})
    issue = clean(meta.get("issue")).strip()
    if issue:
        _el(sec, "p", f"{_t('issue', lang)}: {issue}", class_="meta")
    poles = [clean(meta.get(k)).strip() for k in ("pole_a", "pole_b")]
    if any(poles):
        _el(sec, "p", f"{_t('poles', lang)}: {poles[0] or 'A'} – {poles[1] or 'B'}", class_="meta")
    svg = board_svg(b.objects, title=b.label[lang], lang=lang)
    fig = _el(sec, "figure")
    _el(fig, "img", class_="map", src=_data_uri(svg), alt=f"{_t('map_of', lang)} {b.label[lang]}")
    _notes(sec, b.objects, ws, lang)
    _el(sec, "h3", _t("figures", lang))
    _figures_table(sec, b.analysis.get("headline", {}), lang)
    _suggestions(sec, b.analysis, lang)


def _shared_section(body: ET.Element, data: ReportData, labels: dict[str, Text]) -> None:
    lang = data.lang
    sec = _el(body, "section", class_="shared", id="shared")
    _el(sec, "h2", _t("shared", lang))
    if not data.shared:
        _el(sec, "p", _t("no_shared", lang), class_="hint")
        return
    table = _el(sec, "table")
    head = _el(table, "tr")
    for key in ("actor", "placed", "differ"):
        _el(head, "th", _t(key, lang))
    for s in data.shared:
        tr = _el(table, "tr")
        _el(tr, "td", s["name"])
        cell = _el(tr, "td")
        for p in s["placements"]:
            label = labels.get(p["board"], {"nl": p["board"], "en": p["board"]})[lang]
            roles = ", ".join(p["roles"]) or "–"
            stance = p["pole_name"] or p["stance"]
            influence = "–" if p["influence"] is None else str(p["influence"])
            _el(cell, "div", f"{label}: {roles} · {stance} · {influence}")
        _el(tr, "td", (s.get("text") or {}).get(lang, "") or "–")


def _chart(
    data: ReportData, labels: dict[str, Text], points: list[tuple[str, dict[str, Any]]]
) -> str:
    """A line chart of each board's polarisation score over the programme's parts."""
    w, h, left, top, bottom = 900, 360, 60, 20, 70
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(w),
            "height": str(h),
            "viewBox": f"0 0 {w} {h}",
        },
    )
    ET.SubElement(svg, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff"})
    plot_w, plot_h = w - left - 200, h - top - bottom
    for k in range(0, 101, 25):
        y = top + plot_h * (1 - k / 100)
        ET.SubElement(
            svg,
            "line",
            {
                "x1": str(left),
                "x2": str(left + plot_w),
                "y1": f"{y:.1f}",
                "y2": f"{y:.1f}",
                "stroke": "#dddddd",
            },
        )
        t = ET.SubElement(
            svg,
            "text",
            {
                "x": str(left - 8),
                "y": f"{y + 4:.1f}",
                "text-anchor": "end",
                "font-size": "12",
                "font-family": FONT,
            },
        )
        t.text = str(k)
    n = len(points)
    xs = [left + (plot_w * i / max(1, n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    for i, (label, _) in enumerate(points):
        t = ET.SubElement(
            svg,
            "text",
            {
                "x": f"{xs[i]:.1f}",
                "y": str(top + plot_h + 18),
                "text-anchor": "middle",
                "font-size": "11",
                "font-family": FONT,
            },
        )
        t.text = clean(label)[:18]
    boards = sorted(
        {b for _, figs in points for b in figs},
        key=lambda b: list(labels).index(b) if b in labels else 999,
    )
    for j, board in enumerate(boards):
        colour = CHART_COLOURS[j % len(CHART_COLOURS)]
        dash = CHART_DASHES[(j + j // len(CHART_COLOURS)) % len(CHART_DASHES)]
        coords = [
            (xs[i], top + plot_h * (1 - figs[board]["score"] / 100))
            for i, (_, figs) in enumerate(points)
            if board in figs and figs[board].get("score") is not None
        ]
        if coords:
            attrs = {
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
                "fill": "none",
                "stroke": colour,
                "stroke-width": "3",
            }
            if dash:
                attrs["stroke-dasharray"] = dash
            ET.SubElement(svg, "polyline", attrs)
            for x, y in coords:
                ET.SubElement(
                    svg, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "4", "fill": colour}
                )
        ly = top + 16 + j * 20
        ET.SubElement(
            svg,
            "line",
            {
                "x1": str(left + plot_w + 20),
                "x2": str(left + plot_w + 50),
                "y1": str(ly - 4),
                "y2": str(ly - 4),
                "stroke": colour,
                "stroke-width": "3",
                **({"stroke-dasharray": dash} if dash else {}),
            },
        )
        t = ET.SubElement(
            svg,
            "text",
            {"x": str(left + plot_w + 56), "y": str(ly), "font-size": "12", "font-family": FONT},
        )
        t.text = clean(labels.get(board, {"nl": board, "en": board})[data.lang])[:22]
    return ET.tostring(svg, encoding="unicode")


def _time_section(body: ET.Element, data: ReportData, labels: dict[str, Text]) -> None:
    lang = data.lang
    sec = _el(body, "section", class_="time", id="over-time")
    _el(sec, "h2", _t("over_time", lang))
    points: list[tuple[str, dict[str, Any]]] = []
    for entry in data.history:
        points.append(
            (
                f"{entry.get('round_title', '')} · {entry.get('part_title', '')}",
                entry.get("boards", {}),
            )
        )
    points.append((_t("now", lang), {b.board: b.analysis.get("headline", {}) for b in data.boards}))
    if len(points) == 1:
        _el(sec, "p", _t("no_history", lang), class_="hint")
    fig = _el(sec, "figure")
    _el(
        fig,
        "img",
        class_="chart",
        src=_data_uri(_chart(data, labels, points)),
        alt=_t("score", lang),
    )
    boards = [b for b in labels if any(b in figs for _, figs in points)]
    table = _el(sec, "table")
    head = _el(table, "tr")
    _el(head, "th", _t("part", lang))
    for b in boards:
        _el(head, "th", labels[b][lang])
    for label, figs in points:
        tr = _el(table, "tr")
        _el(tr, "td", label)
        for b in boards:
            f = figs.get(b)
            text = (
                "–"
                if not f
                else f"{_number(f.get('score'))} · {f.get('actors', 0)} {_t('actors', lang)} · "
                f"{f.get('relations', 0)} {_t('relations', lang)}"
            )
            _el(tr, "td", text)


def report_html(data: ReportData) -> str:
    """The report as a self-contained HTML document (module docstring)."""
    lang = data.lang
    ws = data.workshop
    html = ET.Element("html", {"lang": lang})
    head = _el(html, "head")
    _el(head, "meta", charset="utf-8")
    _el(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    _el(head, "title", f"{ws['title']} · {_t('report', lang)}")
    style = ET.SubElement(head, "style")
    style.text = CSS
    body = _el(html, "body")
    _el(body, "p", "Schakel · " + _t("report", lang), class_="kicker")
    _el(body, "h1", ws["title"])
    meta = []
    if ws.get("date"):
        meta.append(f"{_t('date', lang)}: {ws['date']}")
    meta.append(f"{_t('made', lang)}: {_when(data.generated, lang)}")
    _el(body, "p", " · ".join(meta), class_="meta")
    labels = {b.board: b.label for b in data.boards}
    nav = _el(body, "nav")
    _el(nav, "h3", _t("contents", lang))
    ol = _el(nav, "ol")
    _el(_el(ol, "li"), "a", _t("programme", lang), href="#programme")
    for b in data.boards:
        _el(_el(ol, "li"), "a", b.label[lang], href=f"#board-{b.board.partition(':')[2]}")
    _el(_el(ol, "li"), "a", _t("shared", lang), href="#shared")
    _el(_el(ol, "li"), "a", _t("over_time", lang), href="#over-time")
    sec = _el(body, "section", id="programme")
    _el(sec, "h2", _t("programme", lang))
    for r in ws.get("programme", []):
        _el(sec, "h3", r["title"])
        parts = ", ".join(
            f"{p['title']} ({p['minutes']} {_t('minutes', lang)})" for p in r.get("parts", [])
        )
        _el(sec, "p", parts, class_="meta")
        if r.get("questions"):
            ol_q = _el(sec, "ol")
            for q in r["questions"]:
                _el(ol_q, "li", q)
    if not data.boards:
        _el(body, "p", _t("empty", lang), class_="hint")
    for b in data.boards:
        _board_section(body, b, ws, lang)
    _shared_section(body, data, labels)
    _time_section(body, data, labels)
    about = _el(body, "section", id="about")
    _el(about, "h2", _t("about", lang))
    _el(about, "p", ABOUT[lang])
    return "<!doctype html>\n" + ET.tostring(html, encoding="unicode", method="html")
