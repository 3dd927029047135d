"""Boards of a workshop as people name them, for the analysis, the exports and the report.

One place that knows how a board id reads in a sentence ("Groep 2", "Kaart van Ann") and
which boards of a workshop can hold a map, in the order the report shows them: the
group boards, then each participant's own.
"""

from __future__ import annotations

from schakel_analysis.texts import Text
from schakel_core.workshop import Workshop


def board_label(ws: Workshop, board: str) -> Text:
    """A board's name in Dutch and English."""
    _, _, local = board.partition(":")
    if local.startswith("g") and local[1:].isdigit():
        n = int(local[1:])
        return {"nl": f"Groep {n}", "en": f"Group {n}"}
    if local.startswith("p"):
        p = ws.participants.get(local[1:])
        name = p.name if p else "?"
        return {"nl": f"Kaart van {name}", "en": f"{name}'s map"}
    return {"nl": board, "en": board}


def content_boards(ws: Workshop) -> list[str]:
    """Every board of the workshop that may hold a map, in reading order."""
    return ws.boards()


def file_stem(ws: Workshop, board: str, lang: str = "nl") -> str:
    """A file name for a board's exports, ASCII only and unique in the workshop:
    ``groep-2``, ``kaart-van-ann-5e1c`` (a personal board carries its participant id)."""
    label = board_label(ws, board)[lang].lower()
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in label)
    stem = "-".join(part for part in out.split("-") if part) or "board"
    _, _, local = board.partition(":")
    if local.startswith("p"):
        stem += "-" + "".join(c for c in local[1:] if c.isascii() and c.isalnum())
    return stem


def workshop_stem(ws: Workshop) -> str:
    """A file name for the workshop's exports, from its title; ASCII only."""
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in ws.title.lower())
    return "-".join(p for p in out.split("-") if p)[:60] or "workshop"


def members_of(ws: Workshop, board: str) -> list[str]:
    """The names of the people whose map a board is: its group, or its participant."""
    _, _, local = board.partition(":")
    if local.startswith("g") and local[1:].isdigit():
        group = int(local[1:])
        return [p.name for p in sorted(ws.members(group), key=lambda p: (p.joined, p.id))]
    p = ws.participants.get(local[1:]) if local.startswith("p") else None
    return [p.name] if p else []


def is_own_board(ws: Workshop, participant: str | None, board: str) -> bool:
    """Whether ``board`` is one a participant drew on: its group's, or its own."""
    p = ws.participants.get(participant or "")
    if p is None:
        return False
    return board in (ws.group_board(p.group), ws.personal_board(p.id))
