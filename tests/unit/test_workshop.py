"""Workshops: creation, joining into groups of four, moving, board access."""

from __future__ import annotations

from typing import Any

import pytest

from schakel_core.errors import Conflict, InvalidMessage, NotFound, TooLarge
from schakel_core.programme import TEMPLATES, check_programme
from schakel_core.session import apply_control
from schakel_core.workshop import (
    GROUP_SIZE,
    MAX_GROUPS,
    Access,
    Role,
    Workshop,
    new_join_code,
    normalise_join_code,
)


def make(groups: int = 2, **kw: Any) -> Workshop:
    return Workshop.create("Polarisatie in de wijk", groups, now=1000.0, **kw)


def test_create_from_the_default_template() -> None:
    ws = make()
    assert ws.programme == TEMPLATES["default-nl"]
    assert ws.programme is not TEMPLATES["default-nl"]
    assert len(ws.join_code) == 6
    assert ws.boards() == ws.group_boards() == [f"{ws.id}:g1", f"{ws.id}:g2"]
    assert ws.mode == "group"
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
    ws = make()
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
    assert len(code) == 6 and not set(code) & set("01IO")
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
    ws = make(groups=2)
    ann = ws.join("Ann", now=1.0)
    assert ws.board_kind(ws.group_board(2)) == "group"
    assert ws.board_kind(ws.personal_board(ann.id)) == "personal"
    for bad in ("x:g1", f"{ws.id}:g3", f"{ws.id}:g0", f"{ws.id}:g01", f"{ws.id}:g", f"{ws.id}:px"):
        assert ws.board_kind(bad) is None, bad
    assert ws.board_kind(f"{ws.id}:q1") is None


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
