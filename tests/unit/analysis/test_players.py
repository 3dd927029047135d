"""The seed's players, Brandsma's roles and the what-ifs, on maps whose answer is known."""

from __future__ import annotations

from typing import Any

from schakel_analysis import analyse_board

from .maps import actor, board, clique, clique_ties, tie


def kinds(result: Any, kind: str) -> list[list[str]]:
    return [s.actors for s in result.suggestions if s.kind == kind]


def first_actors(result: Any, kind: str) -> list[str]:
    return [a[0] for a in kinds(result, kind)]


def test_a_bridge_between_two_cliques_is_the_schakel() -> None:
    # Two groups of four that do not know each other; "Wijkagent" (w) knows everyone in
    # both; the burgemeester in the second group is the influential one.
    actors = {
        **clique("a", 4, influence=1),
        **clique("b", 4, influence=1),
        "w": actor("Wijkagent", influence=2),
    }
    actors["b3"] = actor("Burgemeester", influence=5)
    bridge = [tie(f"{c}{i}", "w") for c in "ab" for i in range(4)]
    ties = clique_ties("a", 4) + clique_ties("b", 4) + bridge
    r = analyse_board(board(actors, ties))
    assert r.important == ["b3"]
    assert first_actors(r, "schakel")[0] == "w"
    schakel = next(s for s in r.suggestions if s.kind == "schakel")
    assert "Wijkagent" in schakel.text["nl"] and "Burgemeester" in schakel.text["nl"]
    assert schakel.text["nl"].endswith("?") and schakel.text["en"].endswith("?")
    figures = {a.id: a for a in r.actors}
    assert figures["w"].to_important == max(a.to_important or 0 for a in r.actors)


def test_the_only_path_to_the_most_influential_actor_runs_through_one_actor() -> None:
    actors = {
        "m": actor("Minister", influence=5),
        "s": actor("Secretaris", influence=2),
        "x": actor("Jongerenwerker", influence=1),
        "y": actor("Buurtvader", influence=1),
        "z": actor("Imam", influence=2),
    }
    ties = [tie("m", "s"), tie("s", "x"), tie("x", "y"), tie("y", "z"), tie("z", "x")]
    r = analyse_board(board(actors, ties))
    only = next(
        s for s in r.suggestions if s.kind in ("schakel", "only_way") and s.actors[0] == "s"
    )
    assert "Secretaris" in only.text["en"]
    change = next(w for w in r.whatif if w.actor == "s")
    assert change.lost == {"m": ["x", "y", "z"]}


def test_removing_the_bridge_disconnects_the_poles() -> None:
    actors = {
        **clique("a", 3, stance="pole_a"),
        **clique("b", 3, stance="pole_b"),
        "br": actor("Bruggenbouwer", "middle"),
    }
    ties = clique_ties("a", 3) + clique_ties("b", 3) + [tie("a0", "br"), tie("br", "b0")]
    r = analyse_board(board(actors, ties))
    cut = [w for w in r.whatif if w.poles_cut]
    # Without a0 or b0 (the ends of the bridge) or the bridge builder, no path is left.
    assert {w.actor for w in cut} == {"a0", "b0", "br"}
    whatif = [s for s in r.suggestions if s.kind == "whatif"]
    assert any(
        "Bruggenbouwer" in s.text["nl"] and "laatste verbinding" in s.text["nl"] for s in whatif
    )
    bridges = [f for f in r.fragile if f.bridge]
    assert {(f.source, f.target) for f in bridges} == {("a0", "br"), ("b0", "br")}
    assert all(sorted(f.sides) == [3, 4] for f in bridges)


def test_bridge_builder_scapegoat_and_silent_middle() -> None:
    actors = {
        "a": actor("Pusher A", "pole_a"),
        "b": actor("Pusher B", "pole_b"),
        "bb": actor("Leraar", "middle"),
        "sg": actor("Statushouders", "middle"),
        "st": actor("Buurtbewoners", "unknown", influence=1),
    }
    ties = [
        tie("bb", "a"), tie("bb", "b"),
        tie("a", "sg", "-"), tie("b", "sg", "-"),
        tie("st", "bb"),
    ]  # fmt: skip
    r = analyse_board(board(actors, ties))
    assert first_actors(r, "bridge_builder") == ["bb"]
    assert first_actors(r, "scapegoat") == ["sg"]
    assert first_actors(r, "silent") == ["st"]


def test_pushers_and_volgers() -> None:
    # The imam on pole A with three young men tied only to him; a negative tie across.
    actors = {
        "imam": actor("Imam", "pole_a", influence=3),
        "j1": actor("Jongere 1", "pole_a", influence=1),
        "j2": actor("Jongere 2", "unknown", influence=1),
        "j3": actor("Jongere 3", "pole_a", influence=1),
        "pvv": actor("Actiegroep", "pole_b", influence=3),
    }
    ties = [tie("imam", "j1"), tie("imam", "j2"), tie("imam", "j3"), tie("imam", "pvv", "-")]
    r = analyse_board(board(actors, ties), who={"nl": "Groep 2", "en": "Group 2"})
    pusher = next(s for s in r.suggestions if s.kind == "pusher" and s.actors[0] == "imam")
    assert pusher.actors == ["imam", "j1", "j2", "j3"]
    assert "sluiten alleen bij Imam aan" in pusher.text["nl"]
    assert sorted(first_actors(r, "volger")) == ["j1", "j2", "j3"]
    # The action group has a negative tie to the other side: a pusher by hostility.
    assert "pvv" in first_actors(r, "pusher")


def test_movers_combine_influence_with_reach() -> None:
    actors = {f"p{i}": actor(f"P{i}", influence=1) for i in range(6)}
    actors["hub"] = actor("Wethouder", influence=4)
    actors["lone"] = actor("Minister", influence=5)
    ties = [tie("hub", f"p{i}") for i in range(6)] + [tie("lone", "p0")]
    r = analyse_board(board(actors, ties))
    movers = first_actors(r, "mover")
    assert movers[0] == "hub"
    assert "lone" not in movers  # influence without reach
    assert "Wethouder" in next(s for s in r.suggestions if s.kind == "mover").text["en"]


def test_drawn_roles_that_the_structure_questions() -> None:
    actors = {
        "a": actor("A", "pole_a"),
        "b": actor("B", "pole_b"),
        "x": actor("Docent", "pole_a", roles=("pusher",)),
        "q": actor("Stil", "middle", roles=("silent",)),
        "bb": actor("Eenzijdig", "middle", roles=("bridge_builder",)),
        "sg": actor("Zondebok", "middle", roles=("scapegoat",)),
        "nopole": actor("Roeper", "unknown", roles=("joiner",)),
        "mv": actor("Klein", "middle", influence=0, roles=("mover",)),
    }
    ties = [
        tie("x", "a"), tie("x", "b"),
        tie("q", "a"), tie("q", "b"), tie("q", "x"),
        tie("bb", "a"),
        tie("sg", "a", "-"),
    ]  # fmt: skip
    r = analyse_board(board(actors, ties), who={"nl": "Groep 2", "en": "Group 2"})
    questions = {s.actors[0]: s.text for s in r.suggestions if s.kind == "role_question"}
    assert questions["x"]["en"] == (
        "Group 2 marked Docent as pusher; Docent has positive ties to both poles. A bridge builder?"
    )
    assert "Stil" in questions["q"]["nl"] and "3 relaties" in questions["q"]["nl"]
    assert "pool A" in questions["bb"]["nl"]
    assert "pool B" in questions["sg"]["nl"]
    assert "geen pool" in questions["nopole"]["nl"]
    assert "invloed 0" in questions["mv"]["nl"]
    assert all(t["nl"].endswith("?") and t["en"].endswith("?") for t in questions.values())


def test_a_drawn_schakel_off_every_path_is_asked_about() -> None:
    actors = {
        "m": actor("Burgemeester", influence=5),
        "s": actor("Schakel?", influence=1, roles=("schakel",)),
        "x": actor("X", influence=1),
    }
    # x - s - m: the path from x to the burgemeester runs through s, as drawn.
    r = analyse_board(board(actors, [tie("x", "s"), tie("s", "m")]))
    assert [s for s in r.suggestions if s.kind == "role_question"] == []
    # x - m - s: s is at the end of the line, nobody reaches m through s.
    r2 = analyse_board(board(actors, [tie("x", "m"), tie("s", "m")]))
    q2 = {s.actors[0]: s for s in r2.suggestions if s.kind == "role_question"}
    assert "s" in q2 and "Burgemeester" in q2["s"].text["en"]


def test_pole_names_label_the_poles() -> None:
    actors = {
        "imam": actor("Imam", "pole_a", influence=3),
        "j1": actor("Jongere", "pole_a", influence=1),
    }
    r = analyse_board(board(actors, [tie("imam", "j1")], pole_a="Moskee", pole_b="Buurt"))
    text = next(s for s in r.suggestions if s.kind == "pusher").text
    assert "op Moskee" in text["nl"] and "on Moskee" in text["en"]


def test_hints_when_nothing_is_marked() -> None:
    r = analyse_board(board({f"a{i}": actor(f"A{i}") for i in range(3)}, [tie("a0", "a1")]))
    hints = [s.text["en"] for s in r.suggestions if s.kind == "hint"]
    assert len(hints) == 2 and all(h.endswith(("?", ".")) for h in hints)


def test_game_changers_fit_the_suggestions_shown() -> None:
    actors = {"a": actor("A", "pole_a"), "b": actor("B", "pole_b"), "sg": actor("S", "middle")}
    r = analyse_board(board(actors, [tie("a", "sg", "-"), tie("b", "sg", "-")]))
    tone = next(g for g in r.game_changers if g.id == "tone")
    assert "scapegoat" in tone.fits
    assert {g.id for g in r.game_changers} == {"target_group", "subject", "position", "tone"}


def test_a_volger_behind_two_pushers_is_named_as_such() -> None:
    actors = {
        "coa": actor("COA", "pole_a", influence=3),
        "kerk": actor("Kerken", "pole_a", influence=3),
        "vw": actor("Vluchtelingenwerk", "pole_a", influence=1),
        "eigen": actor("Taalmaatjes", "pole_a", influence=1),
    }
    ties = [tie("vw", "coa"), tie("vw", "kerk"), tie("eigen", "kerk")]
    r = analyse_board(board(actors, ties))
    texts = {s.actors[0]: s.text for s in r.suggestions if s.kind == "pusher"}
    # Vluchtelingenwerk follows both: neither is its only one.
    assert "Vluchtelingenwerk sluit aan bij COA en anderen op die pool" in texts["coa"]["nl"]
    # Taalmaatjes follows only the churches, which the text says; the shared one is left out.
    assert "Taalmaatjes sluit alleen bij Kerken aan" in texts["kerk"]["nl"]
    assert "Vluchtelingenwerk" not in texts["kerk"]["nl"]
