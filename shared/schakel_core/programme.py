"""The workshop programme: rounds, their parts and questions; the default templates.

The default template is the programme of the ESS workshop deck "Lokale netwerken in
tijden van polarisatie", in Dutch (``default-nl``, the deck's own words) and English
(``default-en``, a faithful translation). A part's ``mode`` says who shares a board
during it: ``group`` (four), ``pair``, ``individual``, or ``plenary`` (feedback on the
facilitator's screen; the facilitator may lock the boards).

A round's ``board`` is a short key (``[A-Za-z0-9_-]{1,16}``): rounds with the same key
draw on the same boards, a round with a key of its own gets fresh ones (see
``Workshop.board_info``). A round without a key uses the workshop's original boards
``<workshop>:g<n>`` and ``<workshop>:p<participant>``, which every keyless round shares
(workshops stored before board keys existed). A part may name a ``sheet``, an
explanation the beamer and the tablets show during it (``polarisation``: Brandsma's basic
laws of polarisation, the two poles and the five roles).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidMessage

MODES = ("group", "pair", "individual", "plenary")
SHEETS = ("polarisation",)
MAX_ROUNDS = 20
MAX_PARTS = 10
MAX_QUESTIONS = 12
MAX_TEXT = 500
BOARD_KEY = re.compile(r"[A-Za-z0-9_-]{1,16}")


def _part(title: str, minutes: int, mode: str, sheet: str | None = None) -> dict[str, Any]:
    part: dict[str, Any] = {"title": title, "minutes": minutes, "mode": mode}
    if sheet is not None:
        part["sheet"] = sheet
    return part


def _round(
    title: str, parts: list[dict[str, Any]], questions: list[str], board: str | None = None
) -> dict[str, Any]:
    r: dict[str, Any] = {"title": title, "parts": parts, "questions": questions}
    if board is not None:
        r["board"] = board
    return r


TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "default-nl": [
        _round(
            "Even voorstellen",
            [_part("In tweetallen, twee minuten elk", 4, "pair")],
            [
                "In tweetallen twee minuten in gesprek over wie je bent en waarom je je voor "
                "deze workshop hebt ingeschreven."
            ],
            "intro",
        ),
        _round(
            "Ronde 1: Bestaansrecht lokaal netwerk van sleutelfiguren",
            [_part("Groepjes van 4", 10, "group"), _part("Plenaire terugkoppeling", 10, "plenary")],
            [
                "Waarom zou in jouw gemeente een lokaal netwerk van sleutelfiguren opgezet "
                "moeten worden? Of waarom niet? Met andere woorden: heeft een lokaal netwerk "
                "van sleutelfiguren bestaansrecht?",
                "Hoe zou dit lokale netwerk zich verhouden tot andere bestaande netwerken?",
                "Op welke sociaal maatschappelijke opgave zou een lokaal netwerk zich moeten "
                "richten?",
                "Wie moeten meepraten over de beslissing of een lokaal netwerk bestaansrecht "
                "heeft?",
            ],
            "r1",
        ),
        _round(
            "Ronde 2: Samenstelling lokaal netwerk van sleutelfiguren",
            [_part("Groepjes van 4", 10, "group"), _part("Plenaire terugkoppeling", 10, "plenary")],
            [
                "Welke sleutelfiguren moeten onderdeel zijn van dat netwerk en welke mogelijk "
                "niet? En wat zijn hier de redenen voor?",
                "Wat zijn de eigenschappen en het profiel van 'de ideale' sleutelfiguur?",
                "Wat zijn manieren om te zorgen voor diversiteit binnen het netwerk?",
                "Als groepje nog tijd over heeft: wat zijn verschillende manieren om kandidaat "
                "sleutelfiguren te werven?",
            ],
            "r2",
        ),
        _round(
            "Ronde 3: De polarisatiekaart",
            [
                _part("Toelichting", 5, "plenary", "polarisation"),
                _part("Individueel aan de slag", 10, "individual"),
                _part("Uitwisseling met iemand anders", 5, "pair"),
                _part("Plenaire terugkoppeling", 5, "plenary"),
            ],
            [
                "Neem een vraagstuk of onderwerp in gedachten en teken het netwerk van de "
                "belangrijkste actoren. Schets daarbij ook de onderlinge relaties. Je maakt als "
                "het ware een 'foto' van de huidige situatie.",
                "Waar herken je pushers en volgers (mensen die duidelijk positie nemen in de "
                "situatie en degenen die daarbij aansluiten)?",
                "Waar herken je schakels (mensen die voor een ingang kunnen zorgen naar "
                "belangrijke actoren)?",
                "Waar herken je mensen die het vraagstuk verder kunnen brengen (vanwege bepaalde "
                "kennis, invloed of positie)?",
            ],
            "r3",
        ),
        _round("Rondvraag en afsluiting", [_part("Afsluiting", 5, "plenary")], [], "r3"),
    ],
    "default-en": [
        _round(
            "Introductions",
            [_part("In pairs, two minutes each", 4, "pair")],
            [
                "In pairs, two minutes of conversation about who you are and why you signed up "
                "for this workshop."
            ],
            "intro",
        ),
        _round(
            "Round 1: The case for a local network of key figures",
            [_part("Groups of 4", 10, "group"), _part("Plenary feedback", 10, "plenary")],
            [
                "Why should a local network of key figures be set up in your municipality? Or "
                "why not? In other words: is there a case for a local network of key figures?",
                "How would this local network relate to other existing networks?",
                "Which social task should a local network address?",
                "Who should have a say in the decision whether there is a case for a local "
                "network?",
            ],
            "r1",
        ),
        _round(
            "Round 2: Composition of the local network of key figures",
            [_part("Groups of 4", 10, "group"), _part("Plenary feedback", 10, "plenary")],
            [
                "Which key figures should be part of that network, and which perhaps not? And "
                "what are the reasons for this?",
                "What are the qualities and the profile of 'the ideal' key figure?",
                "What are ways to ensure diversity within the network?",
                "If your group has time left: what are different ways to recruit candidate key "
                "figures?",
            ],
            "r2",
        ),
        _round(
            "Round 3: The polarisation map",
            [
                _part("Explanation", 5, "plenary", "polarisation"),
                _part("Individual work", 10, "individual"),
                _part("Exchange with someone else", 5, "pair"),
                _part("Plenary feedback", 5, "plenary"),
            ],
            [
                "Take an issue or topic in mind and draw the network of the most important "
                "actors. Sketch the relations between them too. You take, as it were, a "
                "'photo' of the current situation.",
                "Where do you recognise pushers and joiners (people who clearly take a position "
                "in the situation, and those who line up behind them)?",
                "Where do you recognise links (people who can give access to important actors)?",
                "Where do you recognise people who can move the issue forward (through certain "
                "knowledge, influence or position)?",
            ],
            "r3",
        ),
        _round("Questions and closing", [_part("Closing", 5, "plenary")], [], "r3"),
    ],
}


def _text(value: Any, what: str) -> str:
    if type(value) is not str or not 0 < len(value) <= MAX_TEXT:
        raise InvalidMessage(f"programme: {what} must be text of 1..{MAX_TEXT} characters")
    return value


def check_programme(value: Any) -> list[dict[str, Any]]:
    """Validate an edited programme; return it rebuilt from its known keys only."""
    if type(value) is not list or not 0 < len(value) <= MAX_ROUNDS:
        raise InvalidMessage(f"programme: a list of 1..{MAX_ROUNDS} rounds")
    rounds = []
    for r in value:
        if type(r) is not dict:
            raise InvalidMessage("programme: each round is an object")
        parts = r.get("parts")
        if type(parts) is not list or not 0 < len(parts) <= MAX_PARTS:
            raise InvalidMessage(f"programme: a round has 1..{MAX_PARTS} parts")
        checked_parts = []
        for p in parts:
            if type(p) is not dict:
                raise InvalidMessage("programme: each part is an object")
            minutes = p.get("minutes")
            if type(minutes) is not int or not 0 < minutes <= 240:
                raise InvalidMessage("programme: a part lasts 1..240 minutes")
            if p.get("mode") not in MODES:
                raise InvalidMessage(f"programme: a part's mode is one of {', '.join(MODES)}")
            sheet = p.get("sheet")
            if sheet is not None and sheet not in SHEETS:
                raise InvalidMessage(f"programme: a part's sheet is one of {', '.join(SHEETS)}")
            title = _text(p.get("title"), "a part's title")
            checked_parts.append(_part(title, minutes, p["mode"], sheet))
        questions = r.get("questions", [])
        if type(questions) is not list or len(questions) > MAX_QUESTIONS:
            raise InvalidMessage(f"programme: a round has at most {MAX_QUESTIONS} questions")
        board = r.get("board")
        if board is not None and (type(board) is not str or not BOARD_KEY.fullmatch(board)):
            raise InvalidMessage("programme: a round's board is a key of 1..16 A-Z a-z 0-9 _ -")
        rounds.append(
            _round(
                _text(r.get("title"), "a round's title"),
                checked_parts,
                [_text(q, "a question") for q in questions],
                board,
            )
        )
    return rounds
