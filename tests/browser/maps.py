"""A realistic actor map (an azc in the neighbourhood), drawn by a Python client: what
the screenshots and the beamer's readability tests look at."""

from __future__ import annotations

import math
from typing import Any

from schakel_client import SchakelClient

ACTORS: list[tuple[str, str, str, str, list[str], int, tuple[int, int]]] = [
    # id, label, kind, stance, roles, influence, pos
    ("a01", "Actiegroep Nee tegen azc", "group", "pole_b", ["pusher"], 4, (560, -180)),
    ("a02", "Facebookgroep Wij zijn Oost", "online_community", "pole_b", ["pusher"], 4, (600, 170)),
    ("a03", "Buurtvereniging Oost", "organisation", "pole_b", ["joiner"], 2, (330, -330)),
    ("a04", "Ondernemers winkelcentrum", "group", "unknown", ["silent"], 2, (300, 330)),
    ("a05", "Wijkagent", "person", "middle", ["bridge_builder"], 3, (40, -270)),
    ("a06", "Jongerenwerker", "person", "middle", ["schakel", "mover"], 3, (-10, 80)),
    ("a07", "Wethouder", "person", "middle", ["mover"], 4, (120, 320)),
    ("a08", "Lokale krant", "media", "middle", [], 3, (-120, -420)),
    ("a09", "Stille middengroep", "group", "middle", ["silent"], 2, (230, 20)),
    ("a10", "Imam moskee", "person", "middle", ["schakel"], 2, (-250, -140)),
    ("a11", "Vluchtelingenwerk", "organisation", "pole_a", ["bridge_builder"], 3, (-480, 100)),
    ("a12", "Bewoners azc", "group", "pole_a", ["scapegoat"], 1, (-560, -200)),
    ("a13", "COA", "institution", "pole_a", [], 3, (-720, 280)),
    ("a14", "Kerkgemeenschap", "organisation", "pole_a", ["joiner"], 2, (-330, 380)),
    ("a15", "Schooldirecteur", "person", "middle", ["schakel"], 2, (-180, 290)),
    ("a16", "Landelijke politiek", "institution", "unknown", [], 3, (-380, -430)),
]

RELATIONS: list[tuple[str, str, str, str, str, str, int, str]] = [
    # id, source, target, kind, sign, direction, strength, label
    ("r01", "a01", "a02", "alliance", "+", "both", 3, "zelfde mensen"),
    ("r02", "a02", "a12", "conflict", "-", "forward", 3, "geruchten"),
    ("r03", "a01", "a07", "tension", "-", "forward", 2, "petitie"),
    ("r04", "a03", "a01", "alliance", "+", "none", 1, ""),
    ("r05", "a05", "a01", "access", "+", "forward", 2, "gesprek"),
    ("r06", "a06", "a12", "access", "+", "both", 2, "sportavond"),
    ("r07", "a06", "a02", "influence", "+", "forward", 1, ""),
    ("r08", "a10", "a12", "alliance", "+", "both", 2, ""),
    ("r09", "a07", "a13", "influence", "+", "both", 2, "afspraken"),
    ("r10", "a08", "a01", "influence", "-", "forward", 2, "koppen"),
    ("r11", "a11", "a12", "alliance", "+", "forward", 3, ""),
    ("r12", "a15", "a06", "alliance", "+", "both", 2, "ouderavond"),
    ("r13", "a14", "a11", "alliance", "+", "none", 1, ""),
    ("r14", "a16", "a13", "influence", "+", "forward", 3, "opdracht"),
    ("r15", "a09", "a07", "tension", "-", "forward", 1, "zorgen"),
]


OBJECTS = len(ACTORS) + len(RELATIONS) + 4  # and two notes, an ink stroke and the meta


async def draw_map(c: SchakelClient, board: str, questions: tuple[str, str] | None = None) -> None:
    """Draw the map on ``board`` (subscribed here); ``questions`` ties the two notes to
    two questions (note ``question`` refs, e.g. ``("1.0", "1.1")``)."""
    await c.subscribe(board)
    tied: list[dict[str, Any]] = [{"question": q} for q in questions] if questions else [{}, {}]
    c.edit(
        board,
        "meta",
        "meta",
        title="Azc in de wijk",
        issue="Komst azc",
        pole_a="welkom",
        pole_b="tegen",
    )
    for aid, label, kind, stance, roles, infl, (x, y) in ACTORS:
        fields: dict[str, Any] = {"label": label, "kind": kind, "stance": stance}
        fields |= {"roles": roles, "influence": infl, "pos": [x, y]}
        c.edit(board, aid, "actor", **fields)
    for rid, s, t, kind, sign, direction, strength, label in RELATIONS:
        fields = {"source": s, "target": t, "kind": kind, "sign": sign}
        fields |= {"direction": direction, "strength": strength, "label": label}
        c.edit(board, rid, "relation", **fields)
    c.edit(board, "n1", "note", text="Wie praat er nog met wie?", pos=[-860, -470], **tied[0])
    c.edit(
        board,
        "n2",
        "note",
        text="Schakels: jongerenwerker, imam, school",
        colour="#caffbf",
        pos=[700, -480],
        **tied[1],
    )
    ring = []
    for i in range(41):
        ang = i / 40 * 2 * math.pi
        ring += [round(-150 + 230 * math.cos(ang), 1), round(40 + 300 * math.sin(ang), 1), 0.6]
    c.edit(board, "i1", "ink", points=ring, colour="#2f6fb3", width=3)
    await c.settled()
