"""``schakel export``: a workshop's results written to a folder, from the store itself.

For the operator (or a facilitator with access to the server): reads the workshop from the
embedded store's folder (read-only, so a running hub is undisturbed) or from Redis, and
writes the report, the analysis and every board in every format, with a progress bar.
The same functions serve the HTTP downloads (:mod:`schakel.exports.files`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from schakel_core.errors import NotFound
from schakel_core.workshop import Workshop, normalise_join_code

from .analyses import AnalysedStore, Analyses
from .boards import file_stem, workshop_stem
from .exports.files import NAMES, board_file, workshop_file, workshop_zip, zip_entries
from .exports.report import ReportData
from .stores.base import Workshops
from .workers import Workers

BOARD_FORMATS = ("svg", "png", "pdf", "graphml", "gexf", "json", "nodelink.json", "csv")
WORKSHOP_FORMATS = ("report", "report-pdf", "analysis", "zip")
FORMATS = ("all", *WORKSHOP_FORMATS, *BOARD_FORMATS)
BAR = 30


class Progress:
    """A progress bar on a terminal; one line per step otherwise (logs, CI)."""

    def __init__(self, total: int, out: TextIO = sys.stderr) -> None:
        self.total, self.done, self.out = max(1, total), 0, out
        self.tty = out.isatty()

    def step(self, name: str) -> None:
        self.done += 1
        filled = BAR * self.done // self.total
        line = f"[{'#' * filled}{'.' * (BAR - filled)}] {self.done}/{self.total} {name}"
        if self.tty:
            self.out.write("\r" + line[:120].ljust(120))
            if self.done >= self.total:
                self.out.write("\n")
        else:
            self.out.write(line + "\n")
        self.out.flush()


async def find_workshop(store: Workshops, key: str) -> Workshop:
    """A workshop by its id, or by its join code."""
    ws = await store.get_workshop(key)
    if ws is None:
        wid = await store.find_join_code(normalise_join_code(key))
        ws = await store.get_workshop(wid) if wid else None
    if ws is None:
        raise NotFound(f"no workshop {key!r} in this store (deleted or expired?)")
    return ws


def _plan(data: ReportData, formats: Sequence[str]) -> list[str]:
    """The files to write (relative names) for the chosen formats."""
    wanted = set(FORMATS[1:]) if "all" in formats else set(formats)
    n = NAMES[data.lang]
    out = []
    if "report" in wanted:
        out.append(f"{n['report']}.html")
    if "report-pdf" in wanted:
        out.append(f"{n['report']}.pdf")
    if "analysis" in wanted:
        out.append(f"{n['analysis']}.json")
    for b in data.boards:
        for fmt in BOARD_FORMATS:
            if fmt in wanted:
                out.append(f"{b.board}|{fmt}")
    return out


async def gather(store: AnalysedStore, key: str, lang: str) -> tuple[Workshop, ReportData]:
    """Read a workshop and everything its exports show (analyses run in this process)."""
    ws = await find_workshop(store, key)
    workers = Workers(0)
    try:
        return ws, await Analyses(store, workers).report_data(ws, lang)
    finally:
        workers.close()


def write(
    ws: Workshop,
    data: ReportData,
    formats: Sequence[str],
    out_dir: Path,
    progress: Callable[[int], Progress] = Progress,
) -> list[Path]:
    """Write the chosen exports into ``out_dir``; return the files written."""
    lang = data.lang
    stems = {b.board: file_stem(ws, b.board, lang) for b in data.boards}
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    n = NAMES[lang]
    if "zip" in formats and "all" not in formats:
        bar = progress(zip_entries(data))
        path = out_dir / f"{workshop_stem(ws)}.zip"
        path.write_bytes(workshop_zip(data, stems, bar.step))
        return [path]
    plan = _plan(data, formats)
    bar = progress(len(plan))
    boards = {b.board: b for b in data.boards}
    for item in plan:
        if "|" not in item:
            fmt = {"html": "report.html", "pdf": "report.pdf", "json": "analysis.json"}[
                item.rsplit(".", 1)[1]
            ]
            path = out_dir / item
            path.write_bytes(workshop_file(fmt, data).data)
            written.append(path)
            bar.step(item)
            continue
        board, fmt = item.split("|")
        folder = out_dir / stems[board]
        folder.mkdir(exist_ok=True)
        if fmt == "csv":
            for name, f in ((n["actors"], "actors.csv"), (n["relations"], "relations.csv")):
                path = folder / f"{name}.csv"
                path.write_bytes(board_file(f, boards[board], lang).data)
                written.append(path)
        else:
            path = folder / f"{n['map']}.{fmt}"
            path.write_bytes(board_file(fmt, boards[board], lang).data)
            written.append(path)
        bar.step(f"{stems[board]}/{fmt}")
    return written
