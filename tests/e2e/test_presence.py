"""Presence reaches the board's other subscribers only, is never stored, and ends in leave."""

from __future__ import annotations

from schakel_core import messages as m
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, join


async def test_presence_reaches_the_others_and_leave_follows(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=2)
    ann, bo, cas = [await join(hub.http, ws["join_code"], n) for n in ("Ann", "Bo", "Cas")]
    g1, g2 = ws["workshop"]["boards"][:2]
    store = hub.service.store
    async with (
        await Raw.hello(hub.ws, ann["token"], "ann") as a,
        await Raw.hello(hub.ws, bo["token"], "bo") as b,
        await Raw.hello(hub.ws, cas["token"], "cas") as c,
        await Raw.hello(hub.ws, ws["facilitator_token"], "fac") as f,
    ):
        for raw in (a, b, c):
            await raw.subscribe(g1)
        await f.subscribe(g2)
        before = await store.load(g1, 0)

        data = {"cursor": [12.5, -3], "sel": ["a1", "a2"], "colour": "#ff8800"}
        await a.send(m.Presence(g1, data))
        assert a.welcome is not None
        for other in (b, c):
            got = await other.expect(m.PresenceOut)
            assert got == m.PresenceOut(g1, a.welcome.conn, "ann", "Ann", data)
        await a.quiet()  # not echoed to the sender
        await f.quiet()  # nor sent to another board
        assert await store.load(g1, 0) == before  # never stored

        # A newcomer gets the current presences right after its sync.
        async with await Raw.hello(hub.ws, ws["facilitator_token"], "fac2") as late:
            await late.subscribe(g1)
            got = await late.expect(m.PresenceOut)
            assert (got.conn, got.data) == (a.welcome.conn, data)
            await late.quiet()
        # The newcomer sent no presence, so its going is no news.
        await b.quiet()

        # Presence updates; the latest is what others see.
        await a.send(m.Presence(g1, {"cursor": None, "stroke": [0, 0, 0.5, 1, 1, 0.5]}))
        got = await b.expect(m.PresenceOut)
        assert got.data == {"cursor": None, "stroke": [0, 0, 0.5, 1, 1, 0.5]}
        await c.expect(m.PresenceOut)

        # Unsubscribing sends leave; so does closing the connection.
        await a.send(m.Unsubscribe(g1))
        for other in (b, c):
            assert await other.expect(m.Leave) == m.Leave(g1, a.welcome.conn)
        await a.subscribe(g1)
        await a.send(m.Presence(g1, {"cursor": [1, 1]}))
        for other in (b, c):
            await other.expect(m.PresenceOut)
        await a.close()
        for other in (b, c):
            assert await other.expect(m.Leave) == m.Leave(g1, a.welcome.conn)
            await other.quiet()
        await f.quiet()
        assert await store.load(g1, 0) == before
        assert hub.service.hub.rooms[g1].presence.keys() == set()


async def test_presence_shows_the_name_joined_with(hub: Hub) -> None:
    """A participant cannot claim another name in hello (impersonation); the facilitator's
    presence carries the name it gives; the plenary screen sends none."""
    ws = await create_workshop(hub.http, groups=1)
    ann, bo = [await join(hub.http, ws["join_code"], n) for n in ("Ann", "Bo")]
    board = ann["board"]
    async with (
        await Raw.hello(hub.ws, ann["token"], "ann", name="Bo") as a,
        await Raw.hello(hub.ws, bo["token"], "bo", name="Bo") as b,
        await Raw.hello(hub.ws, ws["facilitator_token"], "fac", name="Facilitator") as f,
        await Raw.hello(hub.ws, ws["viewer_token"], "plenary", name="Ann") as v,
    ):
        for raw in (a, b, f, v):
            await raw.subscribe(board)
        await a.send(m.Presence(board, {"cursor": [1, 1]}))
        assert (await b.expect(m.PresenceOut)).name == "Ann"  # not "Bo", as it claimed
        await f.send(m.Presence(board, {"cursor": [2, 2]}))
        assert (await b.expect(m.PresenceOut)).name == "Facilitator"
        await v.send(m.Presence(board, {"cursor": [3, 3]}))
        err, seen = await v.until(m.Error)  # (it sees the others' presence)
        assert (err.code, err.board) == ("forbidden", board)
        assert {p.name for p in seen if isinstance(p, m.PresenceOut)} <= {"Ann", "Facilitator"}
        await b.quiet()  # nothing from the plenary screen
        await v.quiet()
