"""The workshop programme: rounds, their parts and questions; the default templates.

The default template is the programme of the ESS workshop deck "Lokale netwerken in
tijden van polarisatie", in Dutch (``default-nl``) and English (``default-en``). A part's
``mode`` says who shares a board during it: ``group`` (four), ``pair``, ``individual``,
or ``plenary`` (feedback on the facilitator's screen; the facilitator may lock the boards).
The introductions are talk in pairs with no drawing, so they keep the group boards open.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidMessage

MODES = ("group", "pair", "individual", "plenary")
MAX_ROUNDS = 20
MAX_PARTS = 10
MAX_QUESTIONS = 12
MAX_TEXT = 500


def _part(title: str, minutes: int, mode: str) -> dict[str, Any]:
    return {"title": title, "minutes": minutes, "mode": mode}


def _round(title: str, parts: list[dict[str, Any]], questions: list[str]) -> dict[str, Any]:
    return {"title": title, "parts": parts, "questions": questions}


TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "default-nl": [
        _round(
            "Even voorstellen",
            [_part("In tweetallen, twee minuten elk", 4, "group")],
            ["Wie ben je en waarom heb je je voor deze workshop ingeschreven?"],
        ),
        _round(
            "Ronde 1: Bestaansrecht lokaal netwerk van sleutelfiguren",
            [_part("Groepjes van 4", 10, "group"), _part("Plenaire terugkoppeling", 10, "plenary")],
            [
                "Waarom zou in jouw gemeente een lokaal netwerk van sleutelfiguren opgezet "
                "moeten worden? Of waarom niet?",
                "Hoe zou dit lokale netwerk zich verhouden tot andere bestaande netwerken?",
                "Op welke sociaal maatschappelijke opgave zou een lokaal netwerk zich moeten "
                "richten?",
                "Wie moeten meepraten over de beslissing of een lokaal netwerk bestaansrecht "
                "heeft?",
            ],
        ),
        _round(
            "Ronde 2: Samenstelling lokaal netwerk van sleutelfiguren",
            [_part("Groepjes van 4", 10, "group"), _part("Plenaire terugkoppeling", 10, "plenary")],
            [
                "Welke sleutelfiguren moeten onderdeel zijn van dat netwerk en welke mogelijk "
                "niet? En waarom?",
                "Wat zijn de eigenschappen en het profiel van 'de ideale' sleutelfiguur?",
                "Wat zijn manieren om te zorgen voor diversiteit binnen het netwerk?",
                "Tijd over: wat zijn manieren om kandidaat-sleutelfiguren te werven?",
            ],
        ),
        _round(
            "Ronde 3: De polarisatiekaart",
            [
                _part("Toelichting", 5, "plenary"),
                _part("Individueel aan de slag", 10, "individual"),
                _part("Uitwisseling met iemand anders", 5, "pair"),
                _part("Plenaire terugkoppeling", 5, "plenary"),
            ],
            [
                "Neem een vraagstuk in gedachten en teken het netwerk van de belangrijkste "
                "actoren en de relaties tussen hen: een foto van de huidige situatie.",
                "Waar zie je pushers en volgers?",
                "Waar zie je schakels: mensen die toegang kunnen geven tot belangrijke actoren?",
                "Waar zie je movers: mensen die het vraagstuk verder kunnen brengen door kennis, "
                "invloed of positie?",
            ],
        ),
        _round("Afsluiting", [_part("Afsluiting", 5, "plenary")], []),
    ],
    "default-en": [
        _round(
            "Introductions",
            [_part("In pairs, two minutes each", 4, "group")],
            ["Who are you, and why did you sign up for this workshop?"],
        ),
        _round(
            "Round 1: The case for a local network of key figures",
            [_part("Groups of 4", 10, "group"), _part("Plenary feedback", 10, "plenary")],
            [
                "Why should (or shouldn't) your municipality set up a local network of key "
                "figures?",
                "How would it relate to existing networks?",
                "Which social task should it address?",
                "Who should have a say in that decision?",
            ],
        ),
        _round(
            "Round 2: Composition of the network",
            [_part("Groups of 4", 10, "group"), _part("Plenary feedback", 10, "plenary")],
            [
                "Which key figures belong in it, which not, and why?",
                "What is the profile of the ideal key figure?",
                "How do you ensure diversity?",
                "If time is left: ways to recruit candidates.",
            ],
        ),
        _round(
            "Round 3: The polarisation map",
            [
                _part("Explanation", 5, "plenary"),
                _part("Individual work", 10, "individual"),
                _part("Exchange with one other person", 5, "pair"),
                _part("Plenary feedback", 5, "plenary"),
            ],
            [
                "Take an issue in mind and draw the network of the most important actors and "
                "the relations between them: a photo of the current situation.",
                "Where do you see pushers and joiners?",
                "Where do you see links (schakels): people who can give access to important "
                "actors?",
                "Where do you see movers: people who can move the issue forward through "
                "knowledge, influence or position?",
            ],
        ),
        _round("Closing", [_part("Closing", 5, "plenary")], []),
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
            checked_parts.append(_part(_text(p.get("title"), "a part's title"), minutes, p["mode"]))
        questions = r.get("questions", [])
        if type(questions) is not list or len(questions) > MAX_QUESTIONS:
            raise InvalidMessage(f"programme: a round has at most {MAX_QUESTIONS} questions")
        rounds.append(
            _round(
                _text(r.get("title"), "a round's title"),
                checked_parts,
                [_text(q, "a question") for q in questions],
            )
        )
    return rounds
