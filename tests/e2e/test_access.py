"""Access rules as a matrix: role x action on board g1 of a workshop, with exact answers.

Each row runs every action for one role against a fresh hub, and then checks that
nothing changed that the role may not change (the board's stored state, the workshop).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from unittest import mock

import httpx
import pytest
from itsdangerous.timed import TimestampSigner

from schakel.auth import Claims, Tokens
from schakel_core import messages as m
from schakel_core.errors import AuthFailed, CloseCode
from schakel_core.workshop import Role
from tests.e2e.raw import Raw
from tests.support.server import TEST_SECRET, Hub, create_workshop, join

ACTIONS = ("hello", "subscribe", "ops", "presence", "get_workshop", "move", "get_board", "delete")
CLOSED = f"auth_failed/{CloseCode.AUTH_FAILED}"
ROWS: dict[str, tuple[str, ...]] = {
    "facilitator": ("ok", "ok", "ok", "ok", "200", "200", "200", "204"),
    "viewer": ("ok", "ok", "forbidden", "ok", "200", "403 forbidden", "200", "403 forbidden"),
    "participant": ("ok", "ok", "ok", "ok", "200", "403 forbidden", "200", "403 forbidden"),
    "other_group": (
        "ok",
        "forbidden",
        "not_subscribed",
        "not_subscribed",
        "200",
        "403 forbidden",
        "403 forbidden",
        "403 forbidden",
    ),
    **{
        bad: (CLOSED, "-", "-", "-", *["401 auth_failed"] * 4)
        for bad in ("forged", "tampered", "expired")
    },
    "other_workshop": (
        "ok",
        "forbidden",
        "not_subscribed",
        "not_subscribed",
        *["403 forbidden"] * 4,
    ),
}


@dataclass
class World:
    workshop: str
    g1: str
    facilitator: str
    tokens: dict[str, str]
    moved: str  # the participant that the move action moves to group 2


async def make_world(hub: Hub) -> World:
    ws = await create_workshop(hub.http, groups=2)
    wid = ws["workshop"]["id"]
    p1 = await join(hub.http, ws["join_code"], "Own")
    p2 = await join(hub.http, ws["join_code"], "Other")
    p3 = await join(hub.http, ws["join_code"], "Moved")
    g1 = p1["board"]
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            f"/api/workshops/{wid}/participants/{p2['participant']['id']}",
            json={"group": 2},
            headers={"authorization": f"Bearer {ws['facilitator_token']}"},
        )
        assert r.status_code == 200, r.text
    other = await create_workshop(hub.http, groups=1, title="Another")
    # A facilitator's key lasts as long as the workshop (72 h); a participant's 24 h.
    a_day_ago = int(time.time()) - 86_401
    after_the_workshop = int(time.time()) - 72 * 3600 - 1
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=after_the_workshop):
        expired = Tokens(TEST_SECRET, 3600).issue(Claims(wid, Role.FACILITATOR))
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=a_day_ago):
        day_old_key = Tokens(TEST_SECRET, 3600).issue(Claims(wid, Role.FACILITATOR))
        day_old_pass = Tokens(TEST_SECRET, 3600).issue(Claims(wid, Role.PARTICIPANT, "p"))
    with pytest.raises(AuthFailed, match="expired"):
        hub.service.tokens.verify(expired)
    assert hub.service.tokens.verify(day_old_key).role == Role.FACILITATOR
    with pytest.raises(AuthFailed, match="expired"):
        hub.service.tokens.verify(day_old_pass)
    forged = Tokens("a-different-secret-of-another-hub", 3600).issue(Claims(wid, Role.FACILITATOR))
    good = ws["facilitator_token"]
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    tokens = {
        "facilitator": good,
        "viewer": ws["viewer_token"],
        "participant": p1["token"],
        "other_group": p2["token"],
        "forged": forged,
        "tampered": tampered,
        "expired": expired,
        "other_workshop": other["facilitator_token"],
    }
    return World(wid, g1, good, tokens, p3["participant"]["id"])


def http_outcome(r: httpx.Response) -> str:
    if r.status_code < 400:
        return str(r.status_code)
    body = r.json()
    assert set(body) == {"error", "reason"}
    return f"{r.status_code} {body['error']}"


async def ws_actions(hub: Hub, world: World, token: str, observer: Raw) -> dict[str, str]:
    out: dict[str, str] = {}
    raw = await Raw.open(hub.ws, "actor")
    async with raw:
        await raw.send(m.Hello(token, "actor"))
        first = await raw.recv()
        if isinstance(first, m.Error):
            code, rest = await raw.closed()
            assert rest == []
            out["hello"] = f"{first.code}/{code}"
            out.update(subscribe="-", ops="-", presence="-")
            return out
        assert isinstance(first, m.Welcome)
        out["hello"] = "ok"
        await raw.expect(m.WorkshopEvent)

        await raw.send(m.Subscribe(world.g1, 0, ref=11))
        got = await raw.recv()
        if isinstance(got, m.Sync):
            out["subscribe"] = "ok"
            assert got.ref == 11
        else:
            assert isinstance(got, m.Error) and (got.ref, got.board) == (11, world.g1), got
            out["subscribe"] = got.code

        op = raw.op("by-actor", "actor", "label", "written")
        await raw.send(m.Ops(world.g1, 12, [op]))
        got = await raw.recv()
        if isinstance(got, m.Update):
            assert got.ops == [op]
            ack = await raw.expect(m.Ack)
            assert ack.ref == 12
            out["ops"] = "ok"
            update, skipped = await observer.until(m.Update)
            assert update.ops == [op] and skipped == []
        else:
            assert isinstance(got, m.Error) and (got.ref, got.board) == (12, world.g1), got
            out["ops"] = got.code

        await raw.send(m.Presence(world.g1, {"cursor": [1, 2]}))
        await raw.send(m.Ping(99))
        got = await raw.recv()
        if isinstance(got, m.Pong):
            out["presence"] = "ok"
            seen, skipped = await observer.until(m.PresenceOut)
            assert seen.data == {"cursor": [1, 2]} and seen.client == "actor" and skipped == []
        else:
            assert isinstance(got, m.Error) and got.ref is None, got
            out["presence"] = got.code
            await raw.expect(m.Pong)
        await raw.quiet()
    if out["presence"] == "ok":
        leave, _ = await observer.until(m.Leave)
        assert leave.board == world.g1
    await observer.quiet()
    return out


@pytest.mark.parametrize("role", list(ROWS))
async def test_access_matrix(hub: Hub, role: str) -> None:
    world = await make_world(hub)
    store = hub.service.store
    token = world.tokens[role]
    before_ws = (await store.get_workshop(world.workshop)).to_dict()
    before_board = await store.load(world.g1, 0)

    async with await Raw.hello(hub.ws, world.facilitator, "observer") as observer:
        await observer.subscribe(world.g1)
        out = await ws_actions(hub, world, token, observer)
    after_board = await store.load(world.g1, 0)
    if out["ops"] == "ok":
        assert after_board.seq == before_board.seq + 1
    else:
        assert after_board == before_board

    auth = {"authorization": f"Bearer {token}"}
    wid = world.workshop
    async with httpx.AsyncClient(base_url=hub.http, headers=auth) as http:
        out["get_workshop"] = http_outcome(await http.get(f"/api/workshops/{wid}"))
        r = await http.post(f"/api/workshops/{wid}/participants/{world.moved}", json={"group": 2})
        out["move"] = http_outcome(r)
        if r.status_code == 200:
            assert r.json()["group"] == 2
        out["get_board"] = http_outcome(await http.get(f"/api/boards/{world.g1}"))
        if role != "facilitator":
            after_ws = await store.get_workshop(wid)
            assert after_ws is not None and after_ws.to_dict() == before_ws
        out["delete"] = http_outcome(await http.delete(f"/api/workshops/{wid}"))

    assert out == dict(zip(ACTIONS, ROWS[role], strict=True))
    if role == "facilitator":
        assert await store.get_workshop(wid) is None
    else:
        assert await store.load(world.g1, 0) == after_board
        assert (await store.get_workshop(wid)) is not None


async def test_a_moved_participant_follows_the_move(hub: Hub) -> None:
    """Tokens say who, not which boards: after a move, the new group's board opens."""
    world = await make_world(hub)
    g2 = world.g1[:-1] + "2"
    mover = world.tokens["participant"]
    async with await Raw.hello(hub.ws, mover, "p1") as raw:
        await raw.subscribe(world.g1)
        pid = raw.welcome.participant if raw.welcome else None
        async with httpx.AsyncClient(base_url=hub.http) as http:
            r = await http.post(
                f"/api/workshops/{world.workshop}/participants/{pid}",
                json={"group": 2},
                headers={"authorization": f"Bearer {world.facilitator}"},
            )
            assert r.status_code == 200
        err, _ = await raw.until(m.Error)
        assert (err.code, err.board) == ("forbidden", world.g1)
        sync = await raw.subscribe(g2, ref=5)
        assert sync.ref == 5
        await raw.send(m.Ops(world.g1, 6, [raw.op("x", "actor", "label", "old board")]))
        err, _ = await raw.until(m.Error)
        assert (err.code, err.ref) == ("not_subscribed", 6)
