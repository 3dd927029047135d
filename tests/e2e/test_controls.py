"""Facilitator controls over the WebSocket: each one works for the facilitator, is
refused to participants and viewers without changing anything, and reaches everyone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from schakel_client import ClientError, SchakelClient
from tests.support.server import Hub, create_workshop, join

CONTROLS: list[tuple[str, dict[str, Any]]] = [
    ("start", {}),
    ("pause", {}),
    ("extend", {"minutes": 5}),
    ("end", {}),
    ("next", {}),
    ("goto", {"round": 3, "part": 1}),
    ("lock", {"locked": True}),
    ("spotlight", {"board": "<g2>"}),
    ("reveal", {"board": "<g1>", "revealed": True}),
    (
        "programme",
        {"programme": [{"title": "R", "parts": [{"title": "P", "minutes": 3, "mode": "group"}]}]},
    ),
    ("move", {"participant": "<ann>", "group": 2}),
    ("analysis", {"on": True}),
]


@dataclass
class Room:
    ws: dict[str, Any]
    facilitator: SchakelClient
    viewer: SchakelClient
    ann: SchakelClient
    ann_id: str
    g1: str
    g2: str

    def args(self, args: dict[str, Any]) -> dict[str, Any]:
        subst = {"<g1>": self.g1, "<g2>": self.g2, "<ann>": self.ann_id}
        return {k: subst.get(v, v) if isinstance(v, str) else v for k, v in args.items()}


@pytest.fixture
async def room(hub: Hub) -> AsyncIterator[Room]:
    ws = await create_workshop(hub.http, groups=2, template="default-nl")
    ann = await join(hub.http, ws["join_code"], "Ann")
    g1, g2 = ws["workshop"]["group_boards"][:2]
    async with (
        SchakelClient(hub.ws, ws["facilitator_token"], name="Fac") as f,
        SchakelClient(hub.ws, ws["viewer_token"]) as v,
        SchakelClient(hub.ws, ann["token"]) as a,
    ):
        for c in (f, v, a):
            await c.wait_for(lambda c=c: c.workshop is not None)
        yield Room(ws, f, v, a, ann["participant"]["id"], g1, g2)


def state(c: SchakelClient) -> dict[str, Any]:
    assert c.workshop is not None
    return c.workshop


@pytest.mark.parametrize(("action", "args"), CONTROLS, ids=[c[0] for c in CONTROLS])
async def test_only_the_facilitator_controls(room: Room, action: str, args: dict[str, Any]) -> None:
    before = state(room.facilitator)["version"]
    # The plenary screen may choose which map it shows (a board it may read).
    for other in (room.ann,) if action == "spotlight" else (room.ann, room.viewer):
        with pytest.raises(ClientError) as refused:
            await other.control(action, **room.args(args))
        assert refused.value.code == "forbidden"
    assert state(room.facilitator)["version"] == before
    await room.facilitator.control(action, **room.args(args))
    for c in (room.facilitator, room.viewer, room.ann):
        await c.wait_for(lambda c=c: state(c)["version"] > before)


async def test_the_plenary_screen_chooses_the_map_it_shows(room: Room) -> None:
    await room.facilitator.control("goto", round=1, part=0)
    await room.viewer.wait_for(lambda: state(room.viewer)["mode"] == "group")
    await room.viewer.control("spotlight", board=room.g2)
    for c in (room.facilitator, room.viewer, room.ann):
        await c.wait_for(lambda c=c: state(c)["session"]["spotlight"] == room.g2)
    own = f"{room.ws['workshop']['id']}:intro:p{room.ann_id}"  # Ann's map, introductions
    with pytest.raises(ClientError) as private:
        await room.viewer.control("spotlight", board=own)
    assert private.value.code == "forbidden"
    await room.viewer.control("spotlight", board=None)
    await room.facilitator.wait_for(lambda: state(room.facilitator)["session"]["spotlight"] is None)


async def test_a_bad_control_is_refused_with_its_reason(room: Room) -> None:
    with pytest.raises(ClientError) as bad:
        await room.facilitator.control("extend", minutes=0)
    assert bad.value.code == "invalid_message"
    with pytest.raises(ClientError) as unknown:
        await room.facilitator.control("dance")
    assert unknown.value.code == "invalid_message"


async def test_timer_is_the_same_for_everyone(room: Room) -> None:
    await room.facilitator.control("start")
    for c in (room.viewer, room.ann):
        await c.wait_for(lambda c=c: state(c)["session"]["timer"]["running"])
    ends = {
        state(c)["session"]["timer"]["ends_at"] for c in (room.facilitator, room.viewer, room.ann)
    }
    assert len(ends) == 1  # one hub clock, one end time
    pong = await room.ann.ping(1)
    assert pong.time > 0


async def test_lock_makes_boards_read_only_then_unlock(room: Room) -> None:
    await room.facilitator.control("goto", round=1, part=0)  # round 1, in groups
    await room.ann.wait_for(lambda: state(room.ann)["you"]["board"] == room.g1)
    board = (await room.ann.subscribe(room.g1)).board
    room.ann.edit(board, "a1", "actor", label="before")
    await room.ann.settled()
    await room.facilitator.control("lock", locked=True)
    await room.ann.wait_for(lambda: state(room.ann)["session"]["locked"])
    room.ann.edit(board, "a2", "actor", label="while locked")
    await room.ann.wait_for(lambda: any(e.code == "forbidden" for e in room.ann.errors))
    assert "locked" in room.ann.errors[-1].reason
    await room.facilitator.control("lock", locked=False)
    await room.ann.wait_for(lambda: not state(room.ann)["session"]["locked"])
    room.ann.edit(board, "a3", "actor", label="after")
    await room.ann.settled()
    f_board = await room.facilitator.subscribe(room.g1)
    await room.facilitator.wait_for(lambda: "a3" in f_board.view())
    assert "a2" not in f_board.view()


async def test_a_fresh_board_per_round_then_individual_and_pair_boards(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=1, template="default-nl")
    ann = await join(hub.http, ws["join_code"], "Ann")
    bo = await join(hub.http, ws["join_code"], "Bo")
    async with (
        SchakelClient(hub.ws, ws["facilitator_token"]) as f,
        SchakelClient(hub.ws, ann["token"]) as a,
        SchakelClient(hub.ws, bo["token"]) as b,
    ):
        for c in (f, a, b):
            await c.wait_for(lambda c=c: c.workshop is not None)
        assert state(a)["mode"] == "pair"  # the introductions, in pairs
        await f.control("goto", round=1, part=0)
        await a.wait_for(lambda: state(a)["mode"] == "group")
        round1 = await a.subscribe(state(a)["you"]["board"])
        a.edit(round1.board, "x0", "actor", label="round 1")
        await a.settled()
        await f.control("next")
        await f.control("next")  # round 2 starts on a fresh group board
        await a.wait_for(lambda: state(a)["you"]["board"] != round1.board)
        round2 = await a.subscribe(state(a)["you"]["board"])
        assert round2.view() == {}
        assert round1.board in state(a)["you"]["readable"]
        assert state(a)["you"]["writable"] == [round2.board]
        await f.control("goto", round=3, part=1)  # individual work
        await a.wait_for(lambda: state(a)["mode"] == "individual")
        mine = state(a)["you"]["board"]
        assert mine.endswith(":p" + ann["participant"]["id"])
        assert state(a)["you"]["writable"] == [mine]
        own = await a.subscribe(mine)
        a.edit(mine, "x1", "actor", label="my own map")
        await a.settled()
        a.edit(round2.board, "x2", "actor", label="group board is read-only now")
        await a.wait_for(lambda: any(e.code == "forbidden" for e in a.errors))
        theirs = state(b)["you"]["board"]
        with pytest.raises(ClientError) as private:
            await a.subscribe(theirs)
        assert private.value.code == "forbidden"
        await f.control("next")  # exchange in pairs: Bo reads Ann's map
        await b.wait_for(lambda: state(b)["mode"] == "pair")
        seen = await b.subscribe(mine)
        assert seen.view()["x1"]["label"] == "my own map"
        assert own.view() == seen.view()
        assert round1.view()["x0"]["label"] == "round 1"
