"""Protocol version 2 against a real hub: no echo, the ack guarantee and ``lost``, one
frame per connection per tick, presence on its own tick, and the load generator's client
speaking through the core's session. (A long op tick puts what the test sends into one
commit; nothing here asserts a time.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.wsclient import connect as ws_connect
from schakel_client import SchakelClient
from schakel_core import client_session as cs
from schakel_core import messages as m
from schakel_core.ops import Op
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, hub_settings, join, running_hub


@pytest.fixture
async def slow_tick(tmp_path: Path) -> AsyncIterator[Hub]:
    """A hub whose op tick is long enough for a test's sends to share a commit."""
    settings = hub_settings(tmp_path, tick_ms=250.0, presence_tick_ms=400.0)
    async with running_hub(settings) as hub:
        yield hub


@contextlib.asynccontextmanager
async def two_on_a_board(hub: Hub, ann: str, bo: str) -> AsyncIterator[tuple[str, Raw, Raw]]:
    """Two participants of one group, each on a raw connection following its board."""
    ws = await create_workshop(hub.http)
    a, b = [await join(hub.http, ws["join_code"], n) for n in ("Ann", "Bo")]
    board = a["board"]
    async with (
        await Raw.hello(hub.ws, a["token"], ann) as first,
        await Raw.hello(hub.ws, b["token"], bo) as second,
    ):
        await first.subscribe(board)
        await second.subscribe(board)
        yield board, first, second


async def test_the_writer_gets_its_ack_and_the_others_its_ops(slow_tick: Hub) -> None:
    async with two_on_a_board(slow_tick, "ann", "bo") as (board, ann, bo):
        # Only Ann writes: she gets her ack alone, Bo the update (from 1).
        mine = [ann.op("a1", "actor", "label", "Imam"), ann.op("a1", "actor", "pos", [1, 2])]
        await ann.send_ops(board, mine, ref=1)
        assert await ann.recv_frame() == [m.Ack(board, 1, 2, 2)]
        assert await bo.recv_frame() == [m.Update(board, 1, 2, mine)]
        # Both write in one tick: each gets the other's ops (the range covers its
        # own), then its ack, in one frame.
        hers = [ann.op("a2", "actor", "label", "Wijkagent")]
        his = [bo.op("a3", "actor", "label", "Buurtvader")]
        await ann.send_ops(board, hers, ref=2)
        await bo.send_ops(board, his, ref=1)
        ann_frame, bo_frame = await ann.recv_frame(), await bo.recv_frame()
        assert ann_frame == [m.Update(board, 3, 4, his), m.Ack(board, 2, 4, 1)]
        assert bo_frame == [m.Update(board, 3, 4, hers), m.Ack(board, 1, 4, 1)]
        await ann.quiet()
        await bo.quiet()


async def test_an_op_that_lost_is_named_in_the_ack_after_the_winner(slow_tick: Hub) -> None:
    async with two_on_a_board(slow_tick, "t-ann", "t-bo") as (board, ann, bo):
        # The same field at the same counter: "t-bo" > "t-ann", so Bo's clock wins
        # whichever is stored first; Bo's goes first here and Ann's changes nothing.
        winner = Op("a7", "actor", "label", "De imam", 8, "t-bo")
        loser = Op("a7", "actor", "label", "Imam Ali", 8, "t-ann")
        await bo.send_ops(board, [winner], ref=1)
        await bo.send(m.Ping(1))
        await bo.expect(m.Pong)  # (Bo's batch is in the hub before Ann's)
        await ann.send_ops(board, [loser], ref=3)
        frame = await ann.recv_frame()
        assert frame == [
            m.Update(board, 1, 1, [winner]),
            m.Ack(board, 3, 1, 0, (("a7", "label", 8),)),
        ]
        assert await bo.recv_frame() == [m.Ack(board, 1, 1, 1)]


async def test_the_plenary_gets_one_frame_per_tick_for_all_its_boards(slow_tick: Hub) -> None:
    hub = slow_tick
    ws = await create_workshop(hub.http, groups=3)
    boards = [b for b in ws["workshop"]["boards"] if b.endswith(("g1", "g2", "g3"))][:3]
    assert len(boards) == 3
    async with (
        await Raw.hello(hub.ws, ws["viewer_token"], "beamer") as plenary,
        await Raw.hello(hub.ws, ws["facilitator_token"], "fac") as fac,
    ):
        for board in boards:
            await plenary.subscribe(board)
            await fac.subscribe(board)
        sent = {}
        for k, board in enumerate(boards):
            sent[board] = [fac.op(f"x{k}", "note", "text", f"board {k}")]
            await fac.send_ops(board, sent[board], ref=k + 1)
        frame = await plenary.recv_frame()
        assert sorted((u.board, u.ops) for u in frame if isinstance(u, m.Update)) == sorted(
            sent.items()
        )
        assert len(frame) == 3  # three boards' updates, one frame
        acks = await fac.recv_frame()
        assert sorted((a.board, a.ref) for a in acks if isinstance(a, m.Ack)) == [
            (b, k + 1) for k, b in sorted(enumerate(boards), key=lambda x: x[1])
        ]


async def test_presence_is_coalesced_to_the_latest_per_presence_tick(slow_tick: Hub) -> None:
    async with two_on_a_board(slow_tick, "ann", "bo") as (board, ann, bo):
        assert ann.welcome is not None
        assert ann.welcome.limits["presenceTickMs"] == 400
        for x in range(20):
            await ann.send(m.Presence(board, {"cursor": [x, 0]}))
        seen: list[m.PresenceOut] = []
        while not seen or seen[-1].data["cursor"] != [19, 0]:
            msg, _ = await bo.until(m.PresenceOut)
            seen.append(msg)
        assert len(seen) < 20  # coalesced: the last is the latest, some were skipped


async def test_the_load_generator_client_speaks_through_the_core_session(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    a, b = [await join(hub.http, ws["join_code"], n) for n in ("Ann", "Bo")]
    board = a["board"]
    session: cs.ClientSession[cs.BoardSession] = cs.ClientSession(a["token"], "gen-ann")
    events: list[cs.Event] = []
    synced = asyncio.Event()

    def on_events(batch: list[cs.Event]) -> None:
        events.extend(batch)
        if any(isinstance(e, cs.Synced) for e in batch):
            synced.set()

    async with SchakelClient(hub.ws, b["token"]) as bo:
        replica = await bo.subscribe(board)
        gen = await ws_connect(
            "127.0.0.1", hub.port, "/ws", lambda _: None, session=session, on_events=on_events
        )
        try:
            session.subscribe(board)  # (after the welcome: the session subscribes itself)
            await asyncio.wait_for(synced.wait(), 10)
            state = session.boards[board]
            ops = [
                Op(f"g{k}", "note", "text", str(k), session.next_counter(), "gen-ann")
                for k in range(5)
            ]
            state.queue(ops)
            gen.flush()
            await bo.wait_for(lambda: all(o.id in replica.view() for o in ops))
            await bo.wait_for(lambda: state.pending == 0)
            assert state.seq == replica.seq == 5
            acked = [op for e in events if isinstance(e, cs.Acked) for op in e.ops]
            assert acked == ops
            assert not any(isinstance(e, cs.Updated) for e in events)  # no echo
        finally:
            gen.close()
