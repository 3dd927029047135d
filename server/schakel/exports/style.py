"""The map's visual vocabulary on the server: the same palette, shapes and dashes as the
web client (``client/web/src/board/style.ts``; a unit test keeps the two equal), and the
words of the legend in Dutch and English.

One Okabe-Ito palette for screen and paper, distinguishable with every common colour
vision deficiency; colour is never the only cue (signs carry + and -, relation kinds their
dash pattern, roles their name).
"""

from __future__ import annotations

import math

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "skyBlue": "#56B4E9",
    "bluishGreen": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddishPurple": "#CC79A7",
}
GREY = "#5F6368"
LIGHT_GREY = "#BBBBBB"

STANCE_COLOUR = {
    "pole_a": OKABE_ITO["blue"],
    "middle": OKABE_ITO["reddishPurple"],
    "pole_b": OKABE_ITO["vermillion"],
    "unknown": GREY,
}

ROLE_COLOUR = {
    "pusher": OKABE_ITO["vermillion"],
    "joiner": OKABE_ITO["orange"],
    "silent": LIGHT_GREY,
    "bridge_builder": OKABE_ITO["bluishGreen"],
    "scapegoat": OKABE_ITO["reddishPurple"],
    "schakel": OKABE_ITO["blue"],
    "mover": OKABE_ITO["yellow"],
}
ROLE_TEXT = {r: "#FFFFFF" if r == "schakel" else "#000000" for r in ROLE_COLOUR}

SIGN_COLOUR = {"+": OKABE_ITO["blue"], "-": OKABE_ITO["vermillion"]}
NEUTRAL_LINE = "#4a4f57"

RELATION_DASH: dict[str, tuple[float, ...]] = {
    "alliance": (),
    "tension": (2.5, 2.5),
    "access": (0, 2.2),
    "influence": (6, 2.5),
    "conflict": (4, 2.2, 0, 2.2),
    "other": (4, 2.2, 0, 2.2, 0, 2.2),
}

NOTE_COLOUR = "#fff4a8"
INK_COLOUR = "#222222"
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"


def relation_dash(kind: str, width: float) -> str | None:
    d = RELATION_DASH.get(kind, ())
    return " ".join(f"{n * width:g}" for n in d) if d else None


def actor_radius(influence: object) -> float:
    n = influence if type(influence) is int else 2
    return 28 + n * 6


def kind_path(kind: object, r: float) -> str:
    """An SVG path of the actor kind's shape, centred on 0,0 with radius r."""

    def poly(n: int, rot: float) -> str:
        angles = [rot + i * 2 * math.pi / n for i in range(n)]
        pts = [f"{r * math.cos(a):.1f},{r * math.sin(a):.1f}" for a in angles]
        return "M" + "L".join(pts) + "Z"

    match kind:
        case "organisation":
            s, c = r * 0.88, r * 0.25
            return (
                f"M{-s + c:.1f},{-s:.1f}H{s - c:.1f}Q{s:.1f},{-s:.1f} {s:.1f},{-s + c:.1f}"
                f"V{s - c:.1f}Q{s:.1f},{s:.1f} {s - c:.1f},{s:.1f}H{-s + c:.1f}"
                f"Q{-s:.1f},{s:.1f} {-s:.1f},{s - c:.1f}V{-s + c:.1f}Q{-s:.1f},{-s:.1f} "
                f"{-s + c:.1f},{-s:.1f}Z"
            )
        case "group":
            return poly(6, 0)
        case "institution":
            return poly(5, -math.pi / 2)
        case "media":
            return poly(4, -math.pi / 2)
        case "online_community":
            return poly(8, math.pi / 8)
        case "other":
            return poly(3, -math.pi / 2)
    return f"M{-r:g},0a{r:g},{r:g} 0 1,0 {2 * r:g},0a{r:g},{r:g} 0 1,0 {-2 * r:g},0Z"


WORDS: dict[str, dict[str, str]] = {
    "legend": {"nl": "Legenda", "en": "Legend"},
    "stances": {"nl": "Positie", "en": "Stance"},
    "roles": {"nl": "Rollen", "en": "Roles"},
    "kinds": {"nl": "Soort actor", "en": "Kind of actor"},
    "relations": {"nl": "Relaties", "en": "Relations"},
    "size": {"nl": "Grootte en toren: invloed", "en": "Size and tower: influence"},
    "stance.pole_a": {"nl": "Pool A", "en": "Pole A"},
    "stance.pole_b": {"nl": "Pool B", "en": "Pole B"},
    "stance.middle": {"nl": "Midden", "en": "Middle"},
    "stance.unknown": {"nl": "Onbekend", "en": "Unknown"},
    "kind.person": {"nl": "Persoon", "en": "Person"},
    "kind.organisation": {"nl": "Organisatie", "en": "Organisation"},
    "kind.group": {"nl": "Groep", "en": "Group"},
    "kind.institution": {"nl": "Instelling", "en": "Institution"},
    "kind.media": {"nl": "Media", "en": "Media"},
    "kind.online_community": {"nl": "Online gemeenschap", "en": "Online community"},
    "kind.other": {"nl": "Anders", "en": "Other"},
    "rkind.alliance": {"nl": "Bondgenoot", "en": "Alliance"},
    "rkind.tension": {"nl": "Spanning", "en": "Tension"},
    "rkind.access": {"nl": "Toegang", "en": "Access"},
    "rkind.influence": {"nl": "Invloed", "en": "Influence"},
    "rkind.conflict": {"nl": "Conflict", "en": "Conflict"},
    "rkind.other": {"nl": "Anders", "en": "Other"},
    "sign.+": {"nl": "Positief (+)", "en": "Positive (+)"},
    "sign.-": {"nl": "Negatief (−)", "en": "Negative (−)"},
    "empty": {"nl": "Deze kaart is leeg.", "en": "This map is empty."},
}
