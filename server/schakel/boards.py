"""Boards of a workshop as people name them, for the analysis, the exports and the report.

One place that turns a board id into words and files, from :meth:`Workshop.board_info`
(its kind, rounds, group or participant): the full label ("Groep 2 · Ronde 1: …"), the
short name questions use ("Groep 2 markeerde X als pusher"), its people, file names, and
which boards are a participant's own.
"""

from __future__ import annotations

from schakel_analysis.texts import Text
from schakel_core.workshop import Workshop

LANGS = ("nl", "en")


def board_label(ws: Workshop, board: str) -> Text:
    """A board's full name in Dutch and English: who, and in which round(s)."""
    out: Text = {}
    for lang in LANGS:
        info = ws.board_info(board, lang)
        out[lang] = info.label if info else board
    return out


def board_who(ws: Workshop, board: str) -> Text:
    """The people of a board as a sentence's subject: "Groep 2", or a participant's name."""
    info = ws.board_info(board)
    if info is None:
        return {"nl": board, "en": board}
    if info.group is not None:
        return {"nl": f"Groep {info.group}", "en": f"Group {info.group}"}
    p = ws.participants.get(info.participant or "")
    name = p.name if p else "?"
    return dict.fromkeys(LANGS, name)


def content_boards(ws: Workshop) -> list[str]:
    """Every board of the workshop that may hold a map, in reading order: per round, the
    groups', then each participant's own."""
    return ws.boards()


def members_of(ws: Workshop, board: str) -> list[str]:
    """The names of the people whose map a board is: its group, or its participant."""
    info = ws.board_info(board)
    if info is None:
        return []
    if info.group is not None:
        return [p.name for p in sorted(ws.members(info.group), key=lambda p: (p.joined, p.id))]
    p = ws.participants.get(info.participant or "")
    return [p.name] if p else []


def is_own_board(ws: Workshop, participant: str | None, board: str) -> bool:
    """Whether ``board`` is one a participant drew on: its group's (any round), or its own."""
    p = ws.participants.get(participant or "")
    info = ws.board_info(board)
    if p is None or info is None:
        return False
    return info.group == p.group if info.group is not None else info.participant == p.id


def _ascii(text: str) -> str:
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in out.split("-") if part)


def file_stem(ws: Workshop, board: str, lang: str = "nl") -> str:
    """A file name for a board's exports, ASCII only and unique in the workshop:
    ``groep-2``, ``groep-2-ronde-1``, ``ann-5e1c`` (a personal board carries the
    participant's id, a board of keyed rounds its key)."""
    info = ws.board_info(board, lang)
    if info is None:
        return _ascii(board) or "board"
    who = board_who(ws, board)[lang]
    stem = _ascii(who) or "board"
    if info.participant is not None:
        stem += "-" + _ascii(info.participant)
    if info.key is not None:
        stem += "-" + _ascii(info.key)
    return stem


def workshop_stem(ws: Workshop) -> str:
    """A file name for the workshop's exports, from its title; ASCII only."""
    return _ascii(ws.title)[:60] or "workshop"
