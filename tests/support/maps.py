"""Maps as workshop groups draw them (laid out on the board), for browser tests and
screenshots: round 3's polarisation map of two groups about one issue."""

from __future__ import annotations

from typing import Any

from tests.unit.analysis.maps import actor, board, tie

Objects = dict[str, dict[str, Any]]


def azc_group1() -> Objects:
    """Group 1: an asylum seekers' centre in the neighbourhood; two camps, a police
    officer and a youth worker in between, the mayor as the influential one."""
    return board(
        {
            "burg": actor("Burgemeester", "middle", 5, pos=(0, -320), kind="institution"),
            "agent": actor("Wijkagent", "middle", 3, ("schakel",), pos=(0, 0)),
            "jw": actor("Jongerenwerker", "middle", 2, pos=(-260, 230)),
            "coa": actor("COA", "pole_a", 3, pos=(-560, -160), kind="organisation"),
            "kerk": actor("Kerken", "pole_a", 2, pos=(-620, 120), kind="group"),
            "vluchtelingen": actor(
                "Vluchtelingenwerk", "pole_a", 2, pos=(-760, -20), kind="organisation"
            ),
            "actie": actor(
                "Actiegroep Buurt Zegt Nee", "pole_b", 3, ("pusher",), pos=(560, -120), kind="group"
            ),
            "bewoners": actor("Buurtbewoners", "pole_b", 1, pos=(620, 200), kind="group"),
            "fb": actor("Facebookgroep", "pole_b", 2, pos=(820, 20), kind="online_community"),
            "krant": actor("Lokale krant", "unknown", 2, pos=(300, -400), kind="media"),
            "school": actor("Basisschool", "middle", 1, pos=(260, 330), kind="institution"),
            "ouders": actor("Ouderraad", "unknown", 1, pos=(80, 470), kind="group"),
        },
        [
            tie("coa", "kerk"),
            tie("coa", "vluchtelingen"),
            tie("kerk", "vluchtelingen"),
            tie("actie", "bewoners"),
            tie("actie", "fb", kind="influence", direction="forward", strength=3),
            tie("bewoners", "fb"),
            tie("coa", "actie", "-", kind="conflict", strength=3),
            tie("agent", "coa", kind="access"),
            tie("agent", "actie", kind="access"),
            tie("agent", "burg", kind="access", direction="forward"),
            tie("jw", "agent"),
            tie("jw", "kerk"),
            tie("school", "bewoners"),
            tie("ouders", "school"),
            tie("krant", "actie", "-", kind="tension"),
            tie("krant", "coa", "-", kind="tension"),
        ],
        issue="Een azc in de wijk",
        pole_a="Welkom",
        pole_b="Tegen",
    )


def azc_group2() -> Objects:
    """Group 2: the same issue as another group saw it (some actors spelled otherwise)."""
    return board(
        {
            "b": actor("burgemeester", "pole_a", 4, pos=(0, -300), kind="institution"),
            "w": actor("Wijkagent", "middle", 2, ("bridge_builder",), pos=(0, 0)),
            "a": actor("Actiegroep", "pole_b", 3, ("pusher",), pos=(420, 120), kind="group"),
            "o": actor("Ouders", "pole_b", 1, pos=(560, 320), kind="group"),
            "v": actor("Vluchtelingen", "pole_a", 1, pos=(-420, 160), kind="group"),
            "m": actor("Moskee", "pole_a", 2, pos=(-520, -120), kind="institution"),
        },
        [
            tie("b", "w"),
            tie("w", "a", kind="access"),
            tie("w", "v"),
            tie("a", "o"),
            tie("v", "m"),
            tie("a", "v", "-", kind="conflict"),
        ],
        issue="Azc",
    )
