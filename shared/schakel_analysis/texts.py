"""The words of the analysis, in Dutch and English: every suggestion is a question.

The vocabulary is the workshop deck's: *pushers en volgers* (people who clearly take a
position, and those who line up behind them), *schakels* (people who can give access to
important actors) and the people who can move the issue forward through knowledge,
influence or position (*movers*); Brandsma's roles (pusher, volger, the silent middle,
bridge builder, scapegoat) and his four game changers. The analysis never names a role
as a fact: it says what the structure of the map suggests and asks.

Templates use ``str.format`` fields; names are filled in as plain text (the clients put
them in text nodes, the SVG and report escape them).
"""

from __future__ import annotations

from collections.abc import Sequence

Text = dict[str, str]
LANGS = ("nl", "en")
MAX_NAMES = 3

ROLE_NAMES: dict[str, Text] = {
    "pusher": {"nl": "pusher", "en": "pusher"},
    "joiner": {"nl": "volger", "en": "joiner"},
    "silent": {"nl": "stille midden", "en": "silent middle"},
    "bridge_builder": {"nl": "bruggenbouwer", "en": "bridge builder"},
    "scapegoat": {"nl": "zondebok", "en": "scapegoat"},
    "schakel": {"nl": "schakel", "en": "schakel (link)"},
    "mover": {"nl": "mover", "en": "mover"},
}

POLE_DEFAULT: dict[str, Text] = {
    "pole_a": {"nl": "pool A", "en": "pole A"},
    "pole_b": {"nl": "pool B", "en": "pole B"},
}

THE_GROUP: Text = {"nl": "De groep", "en": "The group"}

TEMPLATES: dict[str, Text] = {
    "schakel": {
        "nl": "Veel kortste wegen naar {targets} lopen via {x}. Kan {x} zorgen voor een "
        "ingang naar deze belangrijke actoren: een schakel?",
        "en": "Many of the shortest paths to {targets} run through {x}. Could {x} give "
        "access to these important actors: a schakel (link)?",
    },
    "only_way": {
        "nl": "Voor {others} loopt de enige weg naar {targets} via {x}. Is {x} de schakel "
        "die voor een ingang zorgt?",
        "en": "For {others}, the only way to {targets} runs through {x}. Is {x} the schakel "
        "(link) who gives access?",
    },
    "pusher_followers": {
        "nl": "{x} neemt duidelijk positie op {pole}, en {followers} {verb} alleen bij {x} "
        "aan. Is {x} een pusher?",
        "en": "{x} clearly takes a position on {pole}, and {followers} {verb} up only "
        "behind {x}. Is {x} a pusher?",
    },
    "pusher_shared": {
        "nl": "{x} neemt duidelijk positie op {pole}, en {followers} {verb} aan bij {x} en "
        "anderen op die pool. Is {x} een pusher?",
        "en": "{x} clearly takes a position on {pole}, and {followers} {verb} up behind {x} "
        "and others on that pole. Is {x} a pusher?",
    },
    "pusher_hostile": {
        "nl": "{x} neemt duidelijk positie op {pole} en heeft een negatieve relatie met "
        "{opponents} aan de andere kant. Is {x} een pusher?",
        "en": "{x} clearly takes a position on {pole} and has a negative tie to {opponents} "
        "on the other side. Is {x} a pusher?",
    },
    "volger": {
        "nl": "{x} is alleen verbonden met {leaders} op {pole}. Sluit {x} daarbij aan: een volger?",
        "en": "{x} is tied only to {leaders} on {pole}. Does {x} line up behind them: a "
        "joiner (volger)?",
    },
    "mover": {
        "nl": "{x} heeft invloed {influence} van 5 en bereikt binnen twee stappen {reach} van "
        "de {others} andere actoren. Kan {x} het vraagstuk verder brengen door kennis, "
        "invloed of positie?",
        "en": "{x} has influence {influence} of 5 and reaches {reach} of the {others} other "
        "actors within two steps. Could {x} move the issue forward through knowledge, "
        "influence or position?",
    },
    "bridge_builder": {
        "nl": "{x} heeft positieve relaties met beide polen ({side_a} en {side_b}). Is {x} "
        "een bruggenbouwer?",
        "en": "{x} has positive ties to both poles ({side_a} and {side_b}). Is {x} a bridge "
        "builder?",
    },
    "scapegoat": {
        "nl": "{x} krijgt negatieve relaties van beide polen ({side_a} en {side_b}). Wordt "
        "{x} de zondebok?",
        "en": "{x} has negative ties from both poles ({side_a} and {side_b}). Is {x} being "
        "made the scapegoat?",
    },
    "silent_alone": {
        "nl": "{x} neemt geen positie in en heeft geen relaties op de kaart. Hoort {x} bij "
        "het stille midden, en wie bereikt {x}?",
        "en": "{x} takes no position and has no ties on the map. Is {x} part of the silent "
        "middle, and who reaches {x}?",
    },
    "silent_one": {
        "nl": "{x} neemt geen positie in en heeft één relatie, met {contact}. Hoort {x} bij "
        "het stille midden?",
        "en": "{x} takes no position and has one tie, with {contact}. Is {x} part of the "
        "silent middle?",
    },
    "fragile_bridge": {
        "nl": "De relatie tussen {x} en {y} is de enige verbinding tussen twee delen van de "
        "kaart ({side_x} en {side_y}). Wat gebeurt er als die wegvalt?",
        "en": "The tie between {x} and {y} is the only link between two parts of the map "
        "({side_x} and {side_y}). What happens if it breaks?",
    },
    "fragile_span": {
        "nl": "{x} en {y} hebben geen gemeenschappelijke contacten; zonder hun relatie is de "
        "kortste omweg {span} stappen. Is dit een kwetsbare verbinding?",
        "en": "{x} and {y} share no contacts; without their tie the shortest detour is "
        "{span} steps. Is this a fragile link?",
    },
    "whatif_poles": {
        "nl": "Als {x} wegvalt, verliezen de polen hun laatste verbinding. Wie zou die rol "
        "nog meer kunnen spelen?",
        "en": "If {x} drops out, the poles lose their last link. Who else could play that part?",
    },
    "whatif_access": {
        "nl": "Als {x} wegvalt, kunnen {lost} {targets} niet meer bereiken. Hoe is die "
        "ingang te versterken?",
        "en": "If {x} drops out, {lost} can no longer reach {targets}. How could that access "
        "be made stronger?",
    },
    "camps": {
        "nl": "De kaart laat zich verdelen in twee kampen; {frustration} in dat beeld. "
        "Herkennen jullie deze kampen?",
        "en": "The map divides into two camps; {frustration} that picture. Do you recognise "
        "these camps?",
    },
    "camps_differ": {
        "nl": "De getekende polen en de groepen die de relaties laten zien vallen niet samen: "
        "{mixed}. Wie staat er echt bij wie?",
        "en": "The poles as drawn and the groups the ties show do not coincide: {mixed}. Who "
        "really stands with whom?",
    },
    "role_bridge": {
        "nl": "{who} markeerde {x} als {drawn}; {x} heeft positieve relaties met beide "
        "polen. Een bruggenbouwer?",
        "en": "{who} marked {x} as {drawn}; {x} has positive ties to both poles. A bridge builder?",
    },
    "role_one_side": {
        "nl": "{who} markeerde {x} als bruggenbouwer, maar op de kaart heeft {x} alleen "
        "relaties met {pole}. Met wie aan de andere kant heeft {x} contact?",
        "en": "{who} marked {x} as a bridge builder, but on the map {x} has ties only to "
        "{pole}. Whom on the other side does {x} reach?",
    },
    "role_no_side": {
        "nl": "{who} markeerde {x} als bruggenbouwer, maar {x} heeft geen relaties met een "
        "van de polen. Tussen wie bouwt {x} bruggen?",
        "en": "{who} marked {x} as a bridge builder, but {x} has no ties to either pole. "
        "Between whom does {x} build bridges?",
    },
    "role_not_silent": {
        "nl": "{who} markeerde {x} als stille midden, maar {x} heeft {degree} relaties. Is "
        "{x} zo stil?",
        "en": "{who} marked {x} as the silent middle, but {x} has {degree} ties. Is {x} that "
        "silent?",
    },
    "role_no_pressure": {
        "nl": "{who} markeerde {x} als zondebok; op de kaart komt er geen negatieve relatie "
        "van {missing}. Van wie komt de druk?",
        "en": "{who} marked {x} as the scapegoat; on the map no negative tie comes from "
        "{missing}. Where does the pressure come from?",
    },
    "role_no_access": {
        "nl": "{who} markeerde {x} als schakel, maar geen kortste weg naar {targets} loopt via "
        "{x}. Naar wie zorgt {x} voor een ingang?",
        "en": "{who} marked {x} as a schakel (link), but no shortest path to {targets} runs "
        "through {x}. To whom does {x} give access?",
    },
    "role_no_position": {
        "nl": "{who} markeerde {x} als {drawn}, maar gaf {x} geen pool. Welke positie neemt "
        "{x} in?",
        "en": "{who} marked {x} as a {drawn}, but gave {x} no pole. Which position does {x} take?",
    },
    "role_low_influence": {
        "nl": "{who} markeerde {x} als mover, met invloed {influence} van 5. Door welke "
        "kennis, invloed of positie kan {x} het vraagstuk verder brengen?",
        "en": "{who} marked {x} as a mover, with influence {influence} of 5. Through which "
        "knowledge, influence or position can {x} move the issue forward?",
    },
    "hint_influence": {
        "nl": "Niemand heeft (meer dan anderen) invloed gekregen. Wie zijn de belangrijke "
        "actoren? Geef hen een hogere toren, dan zoekt de analyse de schakels naar hen.",
        "en": "Nobody has been given (more) influence than others. Who are the important "
        "actors? Give them a higher tower and the analysis looks for the schakels to them.",
    },
    "hint_poles": {
        "nl": "Nog niemand staat op een van beide polen. Wie neemt er duidelijk positie?",
        "en": "Nobody stands on either pole yet. Who clearly takes a position?",
    },
}

GAME_CHANGERS: dict[str, Text] = {
    "target_group": {
        "nl": "Verander de doelgroep: richt je op het midden, niet op de pushers.",
        "en": "Change the target group: address the middle, not the pushers.",
    },
    "subject": {
        "nl": "Verander het onderwerp: praat over de gedeelde zorgen onder de identiteitsvraag.",
        "en": "Change the subject: talk about the shared concerns beneath the identity question.",
    },
    "position": {
        "nl": "Verander je positie: ga midden tussen de polen staan, niet erboven.",
        "en": "Change your position: stand in the middle between the poles, not above them.",
    },
    "tone": {
        "nl": "Verander de toon: verbindend en zonder te moraliseren.",
        "en": "Change the tone: connecting, without moralising.",
    },
}


def names(labels: Sequence[str], lang: str) -> str:
    """ "A", "A en B", "A, B en C", "A, B, C en 2 anderen" (or in English)."""
    labels = list(labels)
    if not labels:
        return ""
    word = "en" if lang == "nl" else "and"
    if len(labels) > MAX_NAMES:
        rest = len(labels) - MAX_NAMES
        other = ("andere" if rest == 1 else "anderen") if lang == "nl" else "other"
        if lang != "nl" and rest > 1:
            other = "others"
        return f"{', '.join(labels[:MAX_NAMES])} {word} {rest} {other}"
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} {word} {labels[-1]}"


def render(kind: str, **fields: str | int | Text | list[str]) -> Text:
    """The template ``kind`` in both languages; a field may be a Text (per language), a
    list of names (joined per language), or a plain value."""
    out: Text = {}
    for lang in LANGS:
        values: dict[str, str | int] = {}
        for key, value in fields.items():
            if isinstance(value, dict):
                values[key] = value[lang]
            elif isinstance(value, list):
                values[key] = names(value, lang)
            else:
                values[key] = value
        out[lang] = TEMPLATES[kind][lang].format(**values)
    return out
