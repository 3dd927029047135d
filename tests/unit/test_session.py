"""The running workshop: timer, programme position, lock, spotlight, reveal, modes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from schakel_core.errors import Conflict, Forbidden, InvalidMessage, InvalidOp, NotFound
from schakel_core.session import Session, Timer, apply_control
from schakel_core.workshop import Access, Role, Workshop


def make() -> Workshop:
    ws = Workshop.create("Polarisatie", 2, now=0.0)
    for name in ("Ann", "Bo", "Cas", "Dee", "Eef"):
        ws.join(name, now=float(len(ws.participants)))
    return ws


def control(ws: Workshop, action: str, now: float = 0.0, **args: Any) -> None:
    apply_control(ws, action, args, now)


def test_timer_start_pause_extend_end() -> None:
    t = Timer()
    t.reset(10)
    assert (t.remaining(0), t.running) == (600_000, False)
    t.start(1_000)
    t.start(2_000)  # starting twice changes nothing
    assert t.remaining(61_000) == 540_000
    t.pause(61_000)
    t.pause(99_000)
    assert (t.remaining(500_000), t.running) == (540_000, False)
    t.extend(1, 0)
    assert t.remaining(0) == 600_000
    t.start(0)
    t.extend(5, 100_000)
    assert t.remaining(100_000) == 800_000
    assert t.remaining(10_000_000) == 0
    t.end()
    assert (t.remaining(0), t.running, t.ends_at) == (0, False, None)


def test_controls_walk_the_programme() -> None:
    ws = make()
    version = ws.version
    control(ws, "start", now=1000)
    assert ws.session.timer.running
    control(ws, "next")
    assert (ws.session.round, ws.session.part) == (1, 0)
    assert ws.session.timer.remaining(0) == 10 * 60_000
    assert not ws.session.timer.running
    control(ws, "lock", locked=True)
    control(ws, "next")
    assert (ws.session.round, ws.session.part, ws.session.locked) == (1, 1, False)
    control(ws, "goto", round=3, part=1)
    assert ws.mode == "individual"
    control(ws, "goto", round=4, part=0)
    with pytest.raises(Conflict, match="last part"):
        control(ws, "next")
    assert ws.version > version
    for args in ({"round": 9, "part": 0}, {"round": 0, "part": 5}, {"round": "1", "part": 0}):
        with pytest.raises(InvalidMessage):
            control(ws, "goto", **args)


def test_other_controls_and_their_errors() -> None:
    ws = make()
    control(ws, "extend", minutes=5)
    assert ws.session.timer.remaining(0) == 9 * 60_000
    control(ws, "pause")
    control(ws, "end")
    assert ws.session.timer.remaining(0) == 0
    control(ws, "goto", round=1, part=0)
    g2 = ws.group_board(2)
    control(ws, "spotlight", board=g2)
    assert ws.session.spotlight == g2
    control(ws, "spotlight", board=None)
    assert ws.session.spotlight is None
    ann = next(iter(ws.participants))
    mine = ws.personal_board(ann, 3)
    control(ws, "reveal", board=mine, revealed=True)
    control(ws, "reveal", board=mine, revealed=True)
    assert ws.session.revealed == [mine]
    control(ws, "reveal", board=mine, revealed=False)
    assert ws.session.revealed == []
    control(ws, "move", participant=ann, group=2)
    assert ws.participants[ann].group == 2
    control(ws, "goto", round=3, part=2)
    control(ws, "programme", programme=ws.programme[:2])
    assert (ws.session.round, ws.session.part) == (0, 0)
    control(ws, "programme", programme=ws.programme)
    control(ws, "analysis", on=True)
    assert ws.session.analysis is True
    control(ws, "analysis", on=False)
    assert ws.session.analysis is False
    assert ws.session.joining is True
    control(ws, "joining", open=False)
    assert ws.session.joining is False
    control(ws, "joining", open=True)
    assert ws.session.joining is True
    errors: list[tuple[str, dict[str, Any], type[Exception]]] = [
        ("joining", {"open": "no"}, InvalidMessage),
        ("analysis", {"on": 1}, InvalidMessage),
        ("analysis", {}, InvalidMessage),
        ("extend", {"minutes": 0}, InvalidMessage),
        ("extend", {"minutes": "5"}, InvalidMessage),
        ("lock", {"locked": 1}, InvalidMessage),
        ("spotlight", {"board": "other:g1"}, NotFound),
        ("spotlight", {"board": 7}, NotFound),
        ("reveal", {"board": "other:g1", "revealed": True}, NotFound),
        ("reveal", {"board": "x y", "revealed": True}, InvalidOp),
        ("programme", {"programme": []}, InvalidMessage),
        ("move", {"participant": "ghost", "group": 1}, NotFound),
        ("dance", {}, InvalidMessage),
    ]
    for action, args, error in errors:
        with pytest.raises(error):
            control(ws, action, **args)
    with pytest.raises(InvalidMessage):
        apply_control(ws, "start", [], 0)


def test_session_round_trips() -> None:
    ws = make()
    control(ws, "start", now=5)
    control(ws, "lock", locked=True)
    control(ws, "analysis", on=True)
    assert Workshop.from_dict(ws.to_dict()) == ws
    assert Session.from_dict(ws.session.to_dict()) == ws.session
    # A record stored before the analysis layer existed reads as "off".
    old = ws.session.to_dict()
    del old["analysis"]
    assert Session.from_dict(old).analysis is False
    # ...and one stored before joining could be closed, as open.
    del old["joining"]
    assert Session.from_dict(old).joining is True


def test_access_follows_the_mode() -> None:
    ws = make()
    ann, bo, cas, dee, eef = ws.participants
    control(ws, "goto", round=1, part=0)  # round 1, groups of four
    g1, _g2 = ws.current_boards()
    assert g1 == ws.group_board(1) == f"{ws.id}:r1:g1"

    def p(who: str) -> str:
        return ws.personal_board(who, 3)

    assert ws.pairs() == [[ann, bo], [cas, dee], [eef]]
    # Group part: the group board is written; nobody's round-3 map is open yet.
    assert ws.board_access(Role.PARTICIPANT, ann, g1) == Access.WRITE
    assert ws.board_access(Role.PARTICIPANT, ann, _g2) == Access.NONE
    assert ws.board_access(Role.PARTICIPANT, ann, p(ann)) == Access.READ  # her own, later
    assert ws.board_access(Role.PARTICIPANT, ann, p(bo)) == Access.NONE
    # Locked for the plenary: read-only.
    control(ws, "lock", locked=True)
    assert ws.board_access(Role.PARTICIPANT, ann, g1) == Access.READ
    # Individual part: each writes their own board; the group board stays readable; the
    # plenary sees this round's own maps (as thumbnails), not yet another round's.
    assert ws.board_access(Role.VIEWER, None, p(ann)) == Access.NONE
    control(ws, "goto", round=3, part=1)
    assert ws.current_kind == "personal"
    assert ws.board_access(Role.PARTICIPANT, ann, p(ann)) == Access.WRITE
    assert ws.board_access(Role.PARTICIPANT, ann, g1) == Access.READ
    assert ws.board_access(Role.PARTICIPANT, ann, p(bo)) == Access.NONE
    assert ws.board_access(Role.VIEWER, None, p(ann)) == Access.READ
    assert ws.board_access(Role.VIEWER, None, ws.personal_board(ann, 0)) == Access.NONE
    assert ws.current_board(ann) == p(ann)
    # Pair part: partners read each other's boards.
    control(ws, "next")
    assert ws.mode == "pair"
    assert ws.board_access(Role.PARTICIPANT, ann, p(bo)) == Access.READ
    assert ws.board_access(Role.PARTICIPANT, ann, p(cas)) == Access.NONE
    assert ws.board_access(Role.PARTICIPANT, ann, ws.personal_board(bo, 0)) == Access.NONE
    assert ws.partners(eef) == []
    assert ws.partners("ghost") == []
    # The facilitator reveals Ann's introduction map; everyone may read the spotlight.
    intro = ws.personal_board(ann, 0)
    control(ws, "reveal", board=intro, revealed=True)
    assert ws.board_access(Role.VIEWER, None, intro) == Access.READ
    control(ws, "spotlight", board=p(cas))
    assert ws.board_access(Role.PARTICIPANT, ann, p(cas)) == Access.READ
    assert ws.board_access(Role.FACILITATOR, None, p(dee)) == Access.WRITE
    view = ws.view(Role.PARTICIPANT, ann)
    assert view["you"]["board"] == p(ann)
    assert view["you"]["writable"] == [p(ann)]
    assert view["mode"] == "pair"
    assert view["current_boards"] == [p(x) for x in (ann, bo, cas, dee, eef)]
    assert ws.view(Role.VIEWER, None)["you"]["board"] is None
    # The plenary feedback of round 3 stays on the own maps; so does the closing round,
    # which shares round 3's boards.
    control(ws, "next")
    assert (ws.mode, ws.current_board(ann)) == ("plenary", p(ann))
    control(ws, "next")
    assert ws.current_board(ann) == p(ann)


def test_a_part_change_clears_the_spotlight() -> None:
    ws = make()
    control(ws, "goto", round=1, part=0)
    control(ws, "spotlight", board=ws.group_board(1))
    control(ws, "next")
    assert ws.session.spotlight is None


def test_the_plenary_screen_chooses_only_what_it_may_show() -> None:
    ws = make()
    ann = next(iter(ws.participants))
    control(ws, "goto", round=1, part=0)
    g2 = ws.group_board(2)
    apply_control(ws, "spotlight", {"board": g2}, 0, by_viewer=True)
    assert ws.session.spotlight == g2
    apply_control(ws, "spotlight", {"board": None}, 0, by_viewer=True)
    assert ws.session.spotlight is None
    with pytest.raises(Forbidden):
        apply_control(ws, "spotlight", {"board": ws.personal_board(ann, 3)}, 0, by_viewer=True)
    with pytest.raises(Forbidden):
        apply_control(ws, "next", {}, 0, by_viewer=True)
    assert ws.session.round == 1


def test_new_minutes_for_the_current_part_move_its_timer() -> None:
    ws = make()
    control(ws, "goto", round=1, part=0)
    control(ws, "start", now=0)
    control(ws, "extend", now=0, minutes=1)  # 11 minutes from 0
    programme = copy.deepcopy(ws.programme)
    programme[1]["parts"][0]["minutes"] = 15
    control(ws, "programme", now=60_000, programme=programme)
    assert ws.session.timer.remaining(60_000) == 15 * 60_000
    programme[1]["parts"][0]["minutes"] = 1  # 14 minutes less: 1 minute left
    control(ws, "programme", now=60_000, programme=programme)
    assert ws.session.timer.remaining(60_000) == 60_000
    programme[1]["parts"][0]["minutes"] = 3
    control(ws, "programme", now=90_000, programme=programme)
    control(ws, "pause", now=90_000)
    assert ws.session.timer.remaining(0) == 150_000
    programme[2]["title"] = "Another round changes nothing here"
    control(ws, "programme", now=90_000, programme=programme)
    assert ws.session.timer.remaining(0) == 150_000
    programme[1]["parts"][0]["minutes"] = 1
    control(ws, "programme", now=90_000, programme=programme)
    assert ws.session.timer.remaining(0) == 30_000
    control(ws, "end")
    programme[1]["parts"][0]["minutes"] = 2
    control(ws, "programme", now=0, programme=programme)
    assert ws.session.timer.remaining(0) == 60_000  # time up, then a minute more
    control(ws, "end")
    programme[1]["parts"][0]["minutes"] = 1
    control(ws, "programme", now=0, programme=programme)
    assert ws.session.timer.remaining(0) == 0  # never below zero


def test_odd_groups_pair_into_a_trio() -> None:
    ws = Workshop.create("x", 1, now=0.0)
    ids = [ws.join(n, now=float(i)).id for i, n in enumerate("abc")]
    assert ws.pairs() == [ids]
