"""Every export as bytes with its media type: the per-board formats and the workshop ZIP.

These functions take plain data and do only CPU work, so the hub runs them in its worker
process (:mod:`schakel.workers`) and the CLI runs them directly.

Per board: ``svg``, ``png``, ``pdf`` (the map with its legend), ``graphml``, ``gexf``,
``json`` (Schakel's board file, which imports back), ``nodelink.json``, ``actors.csv``,
``relations.csv``, ``analysis.json``. Per workshop: ``report.html``, ``report.pdf``,
``analysis.json`` and ``zip`` (all of it, every board in every format).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from . import graphs, render
from .boardfile import board_json
from .report import BoardData, ReportData, report_html
from .svg import board_svg

BOARD_FORMATS: dict[str, str] = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
    "json": "application/json",
    "nodelink.json": "application/json",
    "actors.csv": "text/csv; charset=utf-8",
    "relations.csv": "text/csv; charset=utf-8",
    "analysis.json": "application/json",
}
WORKSHOP_FORMATS: dict[str, str] = {
    "report.html": "text/html; charset=utf-8",
    "report.pdf": "application/pdf",
    "analysis.json": "application/json",
    "zip": "application/zip",
}
ZIP_README = {
    "nl": """Schakel: de resultaten van de workshop "{title}".

verslag.html / verslag.pdf   het verslag: programma, kaarten, notities, analyse
analyse.json                 de analyse van de hele workshop (machineleesbaar)
<kaart>/kaart.svg .png .pdf  de kaart met legenda
<kaart>/kaart.json           het bestand van de kaart; importeer het in een nieuwe workshop
<kaart>/kaart.graphml .gexf  voor Gephi en yEd (elke eigenschap als attribuut)
<kaart>/kaart.nodelink.json  voor d3 en networkx
<kaart>/actoren.csv, relaties.csv   voor een spreadsheet
<kaart>/analyse.json         de analyse van de kaart

De analyse doet suggesties, als vragen. De groep beslist.
""",
    "en": """Schakel: the results of the workshop "{title}".

report.html / report.pdf      the report: programme, maps, notes, analysis
analysis.json                 the analysis of the whole workshop (machine-readable)
<map>/map.svg .png .pdf       the map with its legend
<map>/map.json                the map's file; import it into a new workshop
<map>/map.graphml .gexf       for Gephi and yEd (every property as an attribute)
<map>/map.nodelink.json       for d3 and networkx
<map>/actors.csv, relations.csv   for a spreadsheet
<map>/analysis.json           the map's analysis

The analysis makes suggestions, as questions. The group decides.
""",
}
NAMES = {
    "nl": {
        "map": "kaart",
        "report": "verslag",
        "analysis": "analyse",
        "actors": "actoren",
        "relations": "relaties",
        "readme": "LEESMIJ.txt",
    },
    "en": {
        "map": "map",
        "report": "report",
        "analysis": "analysis",
        "actors": "actors",
        "relations": "relations",
        "readme": "README.txt",
    },
}


@dataclass(frozen=True, slots=True)
class File:
    data: bytes
    media_type: str


def board_file(fmt: str, b: BoardData, lang: str) -> File:
    """One export of one board (``fmt`` one of :data:`BOARD_FORMATS`)."""
    title = b.label[lang]
    media = BOARD_FORMATS[fmt]
    match fmt:
        case "svg":
            data = board_svg(b.objects, title=title, lang=lang).encode()
        case "png":
            data = render.png(board_svg(b.objects, title=title, lang=lang))
        case "pdf":
            data = render.pdf(board_svg(b.objects, title=title, lang=lang))
        case "graphml":
            data = graphs.graphml(b.objects, b.board)
        case "gexf":
            data = graphs.gexf(b.objects, b.board)
        case "json":
            data = board_json(b.objects, board=b.board, title=title)
        case "nodelink.json":
            data = graphs.node_link(b.objects, b.board)
        case "actors.csv":
            data = graphs.actors_csv(b.objects)
        case "relations.csv":
            data = graphs.relations_csv(b.objects)
        case "analysis.json":
            data = json.dumps(b.analysis, ensure_ascii=False, indent=1).encode()
        case _:
            raise KeyError(fmt)
    return File(data, media)


def workshop_analysis(data: ReportData) -> bytes:
    out = {
        "workshop": data.workshop["id"],
        "title": data.workshop["title"],
        "boards": {b.board: {"label": b.label, "analysis": b.analysis} for b in data.boards},
        "shared": data.shared,
        "history": data.history,
    }
    return json.dumps(out, ensure_ascii=False, indent=1).encode()


def workshop_file(fmt: str, data: ReportData, stems: dict[str, str] | None = None) -> File:
    """One export of the whole workshop (``fmt`` one of :data:`WORKSHOP_FORMATS`)."""
    media = WORKSHOP_FORMATS[fmt]
    match fmt:
        case "report.html":
            return File(report_html(data).encode(), media)
        case "report.pdf":
            return File(render.html_pdf(report_html(data)), media)
        case "analysis.json":
            return File(workshop_analysis(data), media)
        case "zip":
            return File(workshop_zip(data, stems or {}), media)
    raise KeyError(fmt)


def workshop_zip(data: ReportData, stems: dict[str, str], progress: Any = None) -> bytes:
    """Everything in one ZIP (see ``ZIP_README``); ``progress(name)`` after each file."""
    lang = data.lang
    n = NAMES[lang]
    out = io.BytesIO()
    seen: set[str] = set()

    def add(name: str, content: bytes) -> None:
        zf.writestr(name, content)
        if progress is not None:
            progress(name)

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        add(n["readme"], ZIP_README[lang].format(title=data.workshop["title"]).encode())
        html = report_html(data)
        add(f"{n['report']}.html", html.encode())
        add(f"{n['report']}.pdf", render.html_pdf(html))
        add(f"{n['analysis']}.json", workshop_analysis(data))
        for b in data.boards:
            folder = stems.get(b.board) or b.board.replace(":", "-")
            while folder in seen:
                folder += "-"
            seen.add(folder)
            svg = board_svg(b.objects, title=b.label[lang], lang=lang)
            add(f"{folder}/{n['map']}.svg", svg.encode())
            add(f"{folder}/{n['map']}.png", render.png(svg))
            add(f"{folder}/{n['map']}.pdf", render.pdf(svg))
            for fmt in ("graphml", "gexf", "json", "nodelink.json"):
                add(f"{folder}/{n['map']}.{fmt}", board_file(fmt, b, lang).data)
            add(f"{folder}/{n['actors']}.csv", graphs.actors_csv(b.objects))
            add(f"{folder}/{n['relations']}.csv", graphs.relations_csv(b.objects))
            add(f"{folder}/{n['analysis']}.json", board_file("analysis.json", b, lang).data)
    return out.getvalue()


def zip_entries(data: ReportData) -> int:
    """How many files :func:`workshop_zip` writes (for a progress bar)."""
    return 4 + 10 * len(data.boards)
