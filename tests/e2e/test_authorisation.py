"""The authorisation matrix: every message type and HTTP endpoint x role x board relation.

Roles: the facilitator, the viewer (plenary screen) and a participant of group 1 of
workshop A; a forged, an expired and a tampered token; and the facilitator token of a
deleted workshop. Board relations, seen from the token's workshop: its ``own`` board (g1:
the participant's group), ``other`` (g2: another group's), ``foreign`` (a board of another
live workshop) and ``deleted`` (a board of a deleted workshop). Each cell is what the hub
must answer; everything not allowed is refused with the documented code, and a refusal
changes nothing (the boards and workshops are compared before and after).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from unittest import mock

import httpx
import pytest
from itsdangerous.timed import TimestampSigner

from schakel.auth import Claims, Tokens
from schakel_core import messages as m
from schakel_core.errors import CloseCode
from schakel_core.workshop import Role
from tests.e2e.raw import Raw
from tests.support.server import TEST_SECRET, Hub, create_workshop, join

WS_ACTIONS = ("hello", "subscribe", "ops", "presence", "unsubscribe", "control")
HTTP_ACTIONS = (
    "get_board",
    "board_analysis",
    "board_export",
    "get_workshop",
    "workshop_analysis",
    "workshop_export",
    "import",
    "move",
    "delete",
)
ACTIONS = WS_ACTIONS + HTTP_ACTIONS
RELATIONS = ("own", "other", "foreign", "deleted")

OK, NO = "ok", "-"
F, NS = "forbidden", "not_subscribed"
H403, H404, H401 = "403 forbidden", "404 not_found", "401 auth_failed"

# Answers that do not depend on the board: the workshop-level actions on the token's own
# workshop (own and other boards), and on another one (foreign, deleted: 403 for a
# token of another workshop).
FAC_WS = ("200", "200", "200", "201", "200", "204")
VIEW_WS = ("200", "200", H403, H403, H403, H403)
PART_WS = ("200", H403, H403, H403, H403, H403)
ELSEWHERE = (H403,) * 6
# (subscribe, ops, presence, unsubscribe, control) then (get_board, analysis, export)
EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("facilitator", "own"): (OK, OK, OK, OK, OK, OK, "200", "200", "200", *FAC_WS),
    ("facilitator", "other"): (OK, OK, OK, OK, OK, OK, "200", "200", "200", *FAC_WS),
    ("facilitator", "foreign"): (OK, F, NS, NS, OK, OK, H403, H403, H403, *ELSEWHERE),
    ("facilitator", "deleted"): (OK, F, NS, NS, OK, OK, H403, H403, H403, *ELSEWHERE),
    ("viewer", "own"): (OK, OK, F, F, OK, F, "200", "200", H403, *VIEW_WS),
    ("viewer", "other"): (OK, OK, F, F, OK, F, "200", "200", H403, *VIEW_WS),
    ("viewer", "foreign"): (OK, F, NS, NS, OK, F, H403, H403, H403, *ELSEWHERE),
    ("viewer", "deleted"): (OK, F, NS, NS, OK, F, H403, H403, H403, *ELSEWHERE),
    ("participant", "own"): (OK, OK, OK, OK, OK, F, "200", "200", "200", *PART_WS),
    ("participant", "other"): (OK, F, NS, NS, OK, F, H403, H403, H403, *PART_WS),
    ("participant", "foreign"): (OK, F, NS, NS, OK, F, H403, H403, H403, *ELSEWHERE),
    ("participant", "deleted"): (OK, F, NS, NS, OK, F, H403, H403, H403, *ELSEWHERE),
}
REFUSED_HELLO = f"auth_failed/{CloseCode.AUTH_FAILED}"
for bad in ("forged", "expired", "tampered"):
    for rel in RELATIONS:
        EXPECTED[(bad, rel)] = (REFUSED_HELLO, NO, NO, NO, NO, NO, *(H401,) * 9)
for rel in RELATIONS:
    # A valid signature whose workshop is gone: no hello; over HTTP its own workshop is
    # not found, and another workshop is not its business.
    # (its "deleted" board is its own workshop's, too)
    gone = (H403,) * 9 if rel == "foreign" else (H404,) * 9
    EXPECTED[("gone", rel)] = (REFUSED_HELLO, NO, NO, NO, NO, NO, *gone)
ROLES = ("facilitator", "viewer", "participant", "forged", "expired", "tampered", "gone")


@dataclass
class World:
    a: dict[str, Any]  # workshop A (the tokens' own)
    b: dict[str, Any]  # another live workshop
    d: dict[str, Any]  # a deleted workshop
    tokens: dict[str, str]
    participant: dict[str, str]  # per workshop key: a participant id to move

    def workshop(self, role: str, rel: str) -> dict[str, Any]:
        own = self.d if role == "gone" else self.a
        return {"own": own, "other": own, "foreign": self.b, "deleted": self.d}[rel]

    def board(self, role: str, rel: str) -> str:
        wid = self.workshop(role, rel)["workshop"]["id"]
        return f"{wid}:g2" if rel == "other" else f"{wid}:g1"


async def make_world(hub: Hub) -> World:
    a = await create_workshop(hub.http, groups=2, title="A")
    b = await create_workshop(hub.http, groups=2, title="B")
    d = await create_workshop(hub.http, groups=2, title="D")
    pa = await join(hub.http, a["join_code"], "Own")
    pb = await join(hub.http, b["join_code"], "Else")
    pd = await join(hub.http, d["join_code"], "Gone")
    async with httpx.AsyncClient(base_url=hub.http) as http:
        auth = {"authorization": f"Bearer {d['facilitator_token']}"}
        assert (
            await http.delete(f"/api/workshops/{d['workshop']['id']}", headers=auth)
        ).status_code == 204
    wid = a["workshop"]["id"]
    with mock.patch.object(
        TimestampSigner, "get_timestamp", return_value=int(time.time()) - 86_401
    ):
        expired = Tokens(TEST_SECRET, 3600).issue(Claims(wid, Role.FACILITATOR))
    forged = Tokens("a-different-secret-of-another-hub", 3600).issue(Claims(wid, Role.FACILITATOR))
    good = a["facilitator_token"]
    tokens = {
        "facilitator": good,
        "viewer": a["viewer_token"],
        "participant": pa["token"],
        "forged": forged,
        "expired": expired,
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "gone": d["facilitator_token"],
    }
    ids = {"A": pa["participant"]["id"], "B": pb["participant"]["id"], "D": pd["participant"]["id"]}
    return World(a, b, d, tokens, ids)


def http_outcome(r: httpx.Response) -> str:
    if r.status_code < 400:
        return str(r.status_code)
    body = r.json()
    assert set(body) == {"error", "reason"}, body
    return f"{r.status_code} {body['error']}"


async def ws_outcomes(hub: Hub, token: str, board: str) -> list[str]:
    out: list[str] = []
    raw = await Raw.open(hub.ws, "actor")
    async with raw:
        await raw.send(m.Hello(token, "actor", "Actor"))
        first = await raw.recv()
        if isinstance(first, m.Error):
            code, rest = await raw.closed()
            assert rest == []
            return [f"{first.code}/{code}", *[NO] * 5]
        assert isinstance(first, m.Welcome)
        out.append(OK)
        await raw.expect(m.WorkshopEvent)
        await raw.send(m.Subscribe(board, 0, ref=11))
        got = await raw.recv()
        if isinstance(got, m.Sync):
            out.append(OK)
        else:
            assert isinstance(got, m.Error) and (got.ref, got.board) == (11, board), got
            out.append(got.code)
        await raw.send(m.Ops(board, 12, [raw.op("by-actor", "actor", "label", "written")]))
        got = await raw.recv()
        if isinstance(got, m.Ack):  # (its own ops are not sent back: only the ack)
            assert got.ref == 12 and got.applied == 1
            out.append(OK)
        else:
            assert isinstance(got, m.Error) and (got.ref, got.board) == (12, board), got
            out.append(got.code)
        for msg in (m.Presence(board, {"cursor": [1, 2]}), m.Unsubscribe(board)):
            await raw.send(msg)
            await raw.send(m.Ping(99))
            got = await raw.recv()
            if isinstance(got, m.Pong):
                out.append(OK)
            else:
                assert isinstance(got, m.Error), got
                out.append(got.code)
                await raw.expect(m.Pong)
        await raw.send(m.Control(13, "analysis", {"on": True}))
        answer = await raw.recv()
        while isinstance(answer, m.WorkshopEvent):  # (the change, sent to everyone)
            answer = await raw.recv()
        assert isinstance(answer, m.Done | m.Error) and answer.ref == 13, answer
        out.append(OK if isinstance(answer, m.Done) else answer.code)
    return out


async def http_outcomes(hub: Hub, world: World, role: str, rel: str) -> list[str]:
    board = world.board(role, rel)
    target = world.workshop(role, rel)
    wid = target["workshop"]["id"]
    key = {"A": world.a, "B": world.b, "D": world.d}
    pid = next(world.participant[k] for k, w in key.items() if w is target)
    auth = {"authorization": f"Bearer {world.tokens[role]}"}
    boardfile = {
        "format": "schakel-board",
        "version": 1,
        "objects": {"x1": {"type": "actor", "label": "Imported"}},
    }
    async with httpx.AsyncClient(base_url=hub.http, headers=auth, timeout=60) as http:
        answers = [
            await http.get(f"/api/boards/{board}"),
            await http.get(f"/api/boards/{board}/analysis"),
            await http.get(f"/api/boards/{board}/export/svg"),
            await http.get(f"/api/workshops/{wid}"),
            await http.get(f"/api/workshops/{wid}/analysis"),
            await http.get(f"/api/workshops/{wid}/export/analysis.json"),
            await http.post(
                f"/api/workshops/{wid}/import",
                content=json.dumps(boardfile),
                headers={"content-type": "application/json"},
            ),
            await http.post(f"/api/workshops/{wid}/participants/{pid}", json={"group": 2}),
            await http.delete(f"/api/workshops/{wid}"),
        ]
    return [http_outcome(r) for r in answers]


async def snapshot(hub: Hub, world: World) -> dict[str, Any]:
    store = hub.service.store
    out: dict[str, Any] = {}
    for w in (world.a, world.b, world.d):
        wid = w["workshop"]["id"]
        ws = await store.get_workshop(wid)
        out[wid] = None if ws is None else ws.to_dict()
        for g in (1, 2, 3):
            out[f"{wid}:g{g}"] = await store.load(f"{wid}:g{g}", 0)
    return out


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
async def test_authorisation_matrix(hub: Hub, role: str, rel: str) -> None:
    world = await make_world(hub)
    before = await snapshot(hub, world)
    out = await ws_outcomes(hub, world.tokens[role], world.board(role, rel))
    out += await http_outcomes(hub, world, role, rel)
    assert dict(zip(ACTIONS, out, strict=True)) == dict(
        zip(ACTIONS, EXPECTED[(role, rel)], strict=True)
    )
    after = await snapshot(hub, world)
    changed = {k for k in before if before[k] != after[k]}
    allowed_changes = set()
    if role == "facilitator":  # its control changes its own workshop, whatever the board
        wid = world.a["workshop"]["id"]
        allowed_changes = {wid}
        if rel in ("own", "other"):
            allowed_changes |= {world.board(role, rel), f"{wid}:g1", f"{wid}:g2"}
    if role == "participant" and rel == "own":
        allowed_changes = {world.board(role, rel)}
    assert changed <= allowed_changes, changed - allowed_changes


async def test_a_moved_participant_follows_the_move(hub: Hub) -> None:
    """Tokens say who, not which boards: after a move, the new group's board opens."""
    world = await make_world(hub)
    wid = world.a["workshop"]["id"]
    g1, g2 = f"{wid}:g1", f"{wid}:g2"
    async with await Raw.hello(hub.ws, world.tokens["participant"], "p1") as raw:
        await raw.subscribe(g1)
        pid = raw.welcome.participant if raw.welcome else None
        async with httpx.AsyncClient(base_url=hub.http) as http:
            r = await http.post(
                f"/api/workshops/{wid}/participants/{pid}",
                json={"group": 2},
                headers={"authorization": f"Bearer {world.tokens['facilitator']}"},
            )
            assert r.status_code == 200
        err, _ = await raw.until(m.Error)
        assert (err.code, err.board) == ("forbidden", g1)
        sync = await raw.subscribe(g2, ref=5)
        assert sync.ref == 5
        await raw.send(m.Ops(g1, 6, [raw.op("x", "actor", "label", "old board")]))
        err, _ = await raw.until(m.Error)
        assert (err.code, err.ref) == ("not_subscribed", 6)
