"""Workshops: creation, joining into groups of four, moving, board access."""

from __future__ import annotations

from typing import Any

import pytest

from schakel_core.errors import Conflict, InvalidMessage, NotFound, TooLarge
from schakel_core.programme import TEMPLATES, check_programme
from schakel_core.session import apply_control
from schakel_core.workshop import (
    GROUP_SIZE,
    JOIN_CODE_LEN,
    MAX_GROUPS,
    Access,
    Role,
    Workshop,
    new_join_code,
    normalise_join_code,
)

GROUP_ROUND = [{"title": "R", "parts": [{"title": "P", "minutes": 5, "mode": "group"}]}]


def make(groups: int = 2, **kw: Any) -> Workshop:
    return Workshop.create("Polarisatie in de wijk", groups, now=1000.0, **kw)


def test_create_from_the_default_template() -> None:
    ws = make()
    assert ws.programme == TEMPLATES["default-nl"]
    assert ws.programme is not TEMPLATES["default-nl"]
    assert len(ws.join_code) == JOIN_CODE_LEN
    # The introductions talk in pairs (own boards, none yet); the rounds draw on their own.
    assert ws.mode == "pair"
    assert ws.group_boards() == [f"{ws.id}:{k}:g{g}" for k in ("r1", "r2") for g in (1, 2)]
    assert ws.boards() == ws.group_boards()
    assert ws.current_boards() == []
    assert ws.session.timer.remaining(0) == 4 * 60_000
    assert make(template="default-en").programme[3]["title"].startswith("Round 3")
    assert Workshop.from_dict(ws.to_dict()) == ws
    assert ws.public()["boards"] == ws.boards()


@pytest.mark.parametrize(
    ("args", "kw", "error"),
    [
        (("", 2), {}, InvalidMessage),
        ((None, 2), {}, InvalidMessage),
        (("x" * 201, 2), {}, TooLarge),
        (("t", 0), {}, InvalidMessage),
        (("t", MAX_GROUPS + 1), {}, InvalidMessage),
        (("t", "2"), {}, InvalidMessage),
        (("t", 2), {"template": "nope"}, InvalidMessage),
        (("t", 2), {"date": 5}, InvalidMessage),
        (("t", 2), {"programme": []}, InvalidMessage),
    ],
)
def test_create_validates(
    args: tuple[Any, Any], kw: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        Workshop.create(*args, now=0.0, **kw)


def test_groups_of_four_fill_in_order_then_grow() -> None:
    ws = make(groups=2)
    groups = [ws.join(f"p{i}", now=1.0).group for i in range(2 * GROUP_SIZE + 1)]
    assert groups == [1] * 4 + [2] * 4 + [3]
    assert ws.groups == 3
    assert len(ws.members(3)) == 1


def test_join_validates_and_caps() -> None:
    ws = make(groups=1)
    with pytest.raises(InvalidMessage):
        ws.join("  ", now=1.0)
    with pytest.raises(TooLarge):
        ws.join("x" * 41, now=1.0)
    with pytest.raises(InvalidMessage):
        ws.join("Ann", now=1.0, group=2)
    assert ws.join(" Ann ", now=1.0, group=1).name == "Ann"
    full = make(groups=1)
    for i in range(MAX_GROUPS * GROUP_SIZE):  # new groups open as people arrive
        full.join(f"p{i}", now=1.0)
    assert full.groups == MAX_GROUPS
    assert all(len(full.members(g)) == GROUP_SIZE for g in range(1, MAX_GROUPS + 1))
    with pytest.raises(Conflict, match=r"full \(200 participants in 50 groups of 4\)"):
        full.join("late", now=1.0)


def test_move_participant() -> None:
    ws = make()
    p = ws.join("Ann", now=1.0)
    version = ws.version
    assert ws.move(p.id, 2).group == 2
    assert ws.version == version + 1
    with pytest.raises(NotFound):
        ws.move("nobody", 1)
    with pytest.raises(InvalidMessage):
        ws.move(p.id, 3)


def test_board_access() -> None:
    ws = make(programme=GROUP_ROUND)
    ann = ws.join("Ann", now=1.0, group=1)
    g1, g2 = ws.group_boards()
    assert ws.board_access(Role.FACILITATOR, None, g2) == Access.WRITE
    assert ws.board_access(Role.VIEWER, None, g1) == Access.READ
    assert ws.board_access(Role.PARTICIPANT, ann.id, g1) == Access.WRITE
    assert ws.board_access(Role.PARTICIPANT, ann.id, g2) == Access.NONE
    assert ws.board_access(Role.PARTICIPANT, "ghost", g1) == Access.NONE
    assert ws.board_access(Role.FACILITATOR, None, "other:g1") == Access.NONE
    assert ws.readable_boards(Role.VIEWER, None) == [g1, g2]
    assert ws.writable_boards(Role.VIEWER, None) == []
    assert ws.writable_boards(Role.PARTICIPANT, ann.id) == [g1]
    assert ws.readable_boards(Role.PARTICIPANT, ann.id) == [g1, ws.personal_board(ann.id)]
    assert ws.current_board(ann.id) == g1
    assert ws.current_board("ghost") is None


def test_join_codes() -> None:
    code = new_join_code()
    assert len(code) == JOIN_CODE_LEN == 8 and not set(code) & set("01IO")
    assert normalise_join_code(" ab-c d2 ") == "ABCD2"


def test_programme_validation() -> None:
    ok = [{"title": "R", "parts": [{"title": "P", "minutes": 5, "mode": "pair", "x": 1}]}]
    assert check_programme(ok) == [
        {"title": "R", "parts": [{"title": "P", "minutes": 5, "mode": "pair"}], "questions": []}
    ]
    for bad in [
        "x",
        [],
        ["x"],
        [{"title": "R", "parts": []}],
        [{"title": "R", "parts": ["x"]}],
        [{"title": "R", "parts": [{"title": "P", "minutes": 0, "mode": "pair"}]}],
        [{"title": "R", "parts": [{"title": "P", "minutes": 5, "mode": "solo"}]}],
        [{"title": "", "parts": [{"title": "P", "minutes": 5, "mode": "pair"}]}],
        [{"title": "R", "parts": [{"title": "P", "minutes": 5, "mode": "pair"}], "questions": "q"}],
        [
            {
                "title": "R",
                "parts": [{"title": "P", "minutes": 5, "mode": "pair"}],
                "questions": [""],
            }
        ],
    ]:
        with pytest.raises(InvalidMessage):
            check_programme(bad)
    assert make(programme=ok).programme[0]["title"] == "R"


def test_participants_are_capped() -> None:
    from schakel_core.workshop import MAX_PARTICIPANTS

    ws = make(groups=1)
    for i in range(MAX_PARTICIPANTS):
        ws.join(f"p{i}", now=1.0, group=1)  # the facilitator may overfill a group
    with pytest.raises(Conflict, match="workshop is full"):
        ws.join("late", now=1.0, group=1)


def test_board_kinds() -> None:
    ws = make(groups=2, programme=GROUP_ROUND)  # no board keys: the original boards
    ann = ws.join("Ann", now=1.0)
    assert ws.group_board(2) == f"{ws.id}:g2"
    assert ws.board_kind(ws.group_board(2)) == "group"
    assert ws.board_kind(ws.personal_board(ann.id)) == "personal"
    for bad in ("x:g1", f"{ws.id}:g3", f"{ws.id}:g0", f"{ws.id}:g01", f"{ws.id}:g", f"{ws.id}:px"):
        assert ws.board_kind(bad) is None, bad
    assert ws.board_kind(f"{ws.id}:q1") is None
    assert ws.board_kind(f"{ws.id}:r1:g1") is None


def test_a_fresh_board_per_drawing_round() -> None:
    ws = make(groups=2)
    ann, bo = (ws.join(n, now=float(i)) for i, n in enumerate(("Ann", "Bo")))
    wid = ws.id
    assert ws.current_board(ann.id) == f"{wid}:intro:p{ann.id}"  # introductions in pairs
    seen = set()
    for r, part in ((1, 0), (1, 1), (2, 0), (3, 0), (3, 1), (3, 2), (3, 3), (4, 0)):
        apply_control(ws, "goto", {"round": r, "part": part}, 0)
        seen.add(ws.current_board(ann.id))
        assert ws.current_board(ann.id) in ws.boards()
    assert seen == {f"{wid}:r1:g1", f"{wid}:r2:g1", f"{wid}:r3:p{ann.id}"}
    assert ws.boards() == [
        f"{wid}:intro:p{ann.id}",
        f"{wid}:intro:p{bo.id}",
        f"{wid}:r1:g1",
        f"{wid}:r1:g2",
        f"{wid}:r2:g1",
        f"{wid}:r2:g2",
        f"{wid}:r3:p{ann.id}",
        f"{wid}:r3:p{bo.id}",
    ]
    # Earlier rounds' boards stay readable (not writable) for the people who drew them.
    assert ws.readable_boards(Role.PARTICIPANT, ann.id) == [
        f"{wid}:intro:p{ann.id}",
        f"{wid}:r1:g1",
        f"{wid}:r2:g1",
        f"{wid}:r3:p{ann.id}",
    ]
    assert ws.writable_boards(Role.PARTICIPANT, ann.id) == [f"{wid}:r3:p{ann.id}"]
    for bad in (f"{wid}:r3:g1", f"{wid}:r1:p{ann.id}", f"{wid}:zz:g1", f"{wid}:g1", f"{wid}:r1:"):
        assert ws.board_kind(bad) is None, bad


def test_board_info_names_rounds_groups_and_people() -> None:
    ws = make(groups=2)
    ann = ws.join("Ann", now=1.0)
    wid = ws.id
    g2 = ws.board_info(f"{wid}:r1:g2")
    assert g2 is not None
    assert (g2.kind, g2.key, g2.rounds, g2.group, g2.participant) == ("group", "r1", (1,), 2, None)
    assert g2.label == "Groep 2 · Ronde 1: Bestaansrecht lokaal netwerk van sleutelfiguren"
    assert ws.board_info(f"{wid}:r1:g2", lang="en").label.startswith("Group 2 · ")  # type: ignore[union-attr]
    own = ws.board_info(f"{wid}:r3:p{ann.id}")
    assert own is not None
    assert (own.kind, own.rounds, own.group, own.participant) == ("personal", (3, 4), None, ann.id)
    assert own.label == "Ann · Ronde 3: De polarisatiekaart + Rondvraag en afsluiting"
    assert ws.board_info(f"{wid}:r9:g1") is None
    assert all(ws.board_info(b) is not None for b in ws.boards())


def test_workshops_stored_before_board_keys_keep_their_boards() -> None:
    """A record of an earlier version: no board keys in its programme."""
    old = make(groups=2).to_dict()
    for r in old["programme"]:
        del r["board"]
        for p in r["parts"]:
            p.pop("sheet", None)
            p["mode"] = "group" if p["mode"] == "pair" else p["mode"]
    ws = Workshop.from_dict(old)
    ann = ws.join("Ann", now=1.0)
    wid = ws.id
    assert ws.boards() == [f"{wid}:g1", f"{wid}:g2", f"{wid}:p{ann.id}"]
    assert ws.current_board(ann.id) == f"{wid}:g1"
    apply_control(ws, "goto", {"round": 2, "part": 0}, 0)
    assert ws.current_board(ann.id) == f"{wid}:g1"  # every round on the same boards, as before
    apply_control(ws, "goto", {"round": 3, "part": 1}, 0)
    assert ws.current_board(ann.id) == f"{wid}:p{ann.id}"
    info = ws.board_info(f"{wid}:g1")
    assert info is not None and info.key is None and info.rounds == (0, 1, 2, 3, 4)
    assert check_programme(ws.programme) == ws.programme  # still a valid programme


def test_board_keys_and_sheets_are_validated() -> None:
    ok = [
        {
            "title": "R",
            "board": "a-1_B",
            "parts": [{"title": "P", "minutes": 5, "mode": "plenary", "sheet": "polarisation"}],
        }
    ]
    assert check_programme(ok)[0]["board"] == "a-1_B"
    assert check_programme(ok)[0]["parts"][0]["sheet"] == "polarisation"
    for board in ("", "a:b", "x" * 17, 5, "é"):
        with pytest.raises(InvalidMessage):
            check_programme([{**ok[0], "board": board}])
    with pytest.raises(InvalidMessage):
        check_programme([{**ok[0], "parts": [{**ok[0]["parts"][0], "sheet": "other"}]}])
    # A round of plenary parts only, with a key of its own, gets group boards.
    ws = make(groups=1, programme=ok)
    assert ws.boards() == [f"{ws.id}:a-1_B:g1"]


def test_the_templates_speak_the_seed_s_words() -> None:
    nl = TEMPLATES["default-nl"]
    assert nl[1]["questions"][0].endswith(
        "Met andere woorden: heeft een lokaal netwerk van sleutelfiguren bestaansrecht?"
    )
    r3 = " ".join(nl[3]["questions"])
    for words in (
        "pushers en volgers",
        "schakels (mensen die voor een ingang kunnen zorgen naar belangrijke actoren)",
        "mensen die het vraagstuk verder kunnen brengen (vanwege bepaalde kennis, invloed of "
        "positie)",
    ):
        assert words in r3
    assert nl[0]["parts"][0]["mode"] == "pair"
    assert nl[3]["parts"][0]["sheet"] == "polarisation"
    for template in TEMPLATES.values():
        assert check_programme(template) == template
        assert [r.get("board") for r in template] == ["intro", "r1", "r2", "r3", "r3"]
    assert len(TEMPLATES["default-en"]) == len(nl)


def test_the_largest_workshop_is_what_the_limits_say() -> None:
    from schakel_core.workshop import MAX_PARTICIPANTS

    assert MAX_PARTICIPANTS == MAX_GROUPS * GROUP_SIZE == 200


def test_a_removed_participant_loses_its_boards_and_its_place() -> None:
    ws = make(groups=1)
    ann, bo = ws.join("Ann", now=1.0), ws.join("Bo", now=2.0)
    apply_control(ws, "goto", {"round": 3, "part": 2}, 0)  # a pair part
    assert ws.partners(ann.id) == [bo.id]
    apply_control(ws, "reveal", {"board": ws.personal_board(bo.id), "revealed": True}, 0)
    apply_control(ws, "spotlight", {"board": ws.personal_board(bo.id)}, 0)
    version = ws.version
    apply_control(ws, "remove", {"participant": bo.id}, 0)
    assert ws.version > version
    assert bo.id not in ws.participants and ws.session.revealed == []
    assert ws.session.spotlight is None
    assert ws.readable_boards(Role.PARTICIPANT, bo.id) == []
    assert ws.partners(ann.id) == []  # worked out again for the new version
    assert ws.board_access(Role.PARTICIPANT, bo.id, ws.group_board(1)) == Access.NONE
    with pytest.raises(NotFound):
        apply_control(ws, "remove", {"participant": bo.id}, 0)


def test_revoking_tokens_moves_the_generation() -> None:
    ws = make()
    assert ws.token_generation == 0
    assert ws.revoke_tokens() == 1
    assert Workshop.from_dict(ws.to_dict()).token_generation == 1
    assert "token_generation" not in ws.public()


def test_access_lists_follow_the_rules_for_every_member() -> None:
    """The lists each member gets (worked out from the few boards that concern it) are
    exactly the boards ``board_access`` allows, in the order of ``boards()``."""
    ws = make(groups=3)
    people = [ws.join(f"p{i}", now=float(i)) for i in range(11)]
    for round_, part in ((0, 0), (3, 1), (3, 2), (3, 3)):
        apply_control(ws, "goto", {"round": round_, "part": part}, 0)
        apply_control(ws, "spotlight", {"board": ws.personal_board(people[5].id)}, 0)
        for role, who in [(Role.FACILITATOR, None), (Role.VIEWER, None)] + [
            (Role.PARTICIPANT, p.id) for p in people
        ]:
            every = ws.boards()
            want_r = [b for b in every if ws.board_access(role, who, b) != Access.NONE]
            want_w = [b for b in every if ws.board_access(role, who, b) == Access.WRITE]
            assert ws.readable_boards(role, who) == want_r
            assert ws.writable_boards(role, who) == want_w
