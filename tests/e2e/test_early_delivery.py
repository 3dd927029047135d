"""Delivery does not wait for the disk; acks do (embedded store, real hub processes).

The hub's writes of ops are held in its writer thread, as behind a stalled fsync
(``HubProcess.op_write_delay_s``). Peers get a tick's ops once they are merged and
numbered; the writer's ack comes only once they are durable. And when the hub dies
between the two (SIGKILL), a peer that saw ops the disk never got resumes inside the
lost range and gets the full state, which replaces what it held; the writer, never
acknowledged, sends its ops again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from schakel_core import messages as m
from tests.e2e.raw import Raw, board_state
from tests.support.server import HubProcess, create_workshop, join

STALL_S = 3.0


async def writer_and_peer(proc: HubProcess) -> tuple[dict[str, Any], list[Any], Raw, Raw]:
    """A workshop of three on one board; the first two subscribed on raw connections."""
    ws = await create_workshop(proc.http, groups=1)
    people = [await join(proc.http, ws["join_code"], f"P{i}") for i in range(3)]
    writer = await Raw.hello(proc.ws, people[0]["token"], "wa")
    peer = await Raw.hello(proc.ws, people[1]["token"], "wb")
    await writer.subscribe(people[0]["board"])
    await peer.subscribe(people[0]["board"])
    return ws, people, writer, peer


@contextlib.asynccontextmanager
async def stalled(tmp_path: Path) -> AsyncIterator[tuple[str, Raw, Raw]]:
    """A hub whose writes of ops stall ``STALL_S``: the board, its writer and a peer."""
    proc = HubProcess(tmp_path / "data", op_write_delay_s=STALL_S)
    await asyncio.to_thread(proc.start)
    try:
        _, people, writer, peer = await writer_and_peer(proc)
        async with writer, peer:
            yield people[0]["board"], writer, peer
    finally:
        await asyncio.to_thread(proc.kill)


async def test_peers_get_updates_while_the_write_stalls_and_the_ack_waits(
    tmp_path: Path,
) -> None:
    async with stalled(tmp_path) as (board, writer, peer):
        ops = [writer.op("a1", "actor", "label", "delivered before durable")]
        ref = await writer.send_ops(board, ops)
        update = await peer.expect(m.Update, timeout=STALL_S / 2)  # not behind the disk
        assert (update.seq, update.ops) == (1, ops)
        with pytest.raises(TimeoutError):  # the ack waits for the disk
            await writer.recv(timeout=STALL_S / 6)
        ack = await writer.expect(m.Ack, timeout=4 * STALL_S)
        assert (ack.ref, ack.seq, ack.applied, ack.lost) == (ref, 1, 1, ())


async def test_an_update_begins_where_the_writer_was_last_told_while_its_ack_waits(
    tmp_path: Path,
) -> None:
    """The writer's own op (seq 1) is delivered but not yet durable, so no ack has told it
    seq 1; a peer's op (seq 2) comes in a later tick. The writer's update must begin at
    its last seq + 1 (from = 1: the range holds its own op, left out), or a client that
    checks ``from`` (as PROTOCOL.md says) sees a gap and resubscribes."""
    async with stalled(tmp_path) as (board, writer, peer):
        mine = [writer.op("a1", "actor", "label", "mine")]
        ref = await writer.send_ops(board, mine)
        seen = await peer.expect(m.Update, timeout=STALL_S / 2)
        assert (seen.first, seen.seq) == (1, 1)
        theirs = [peer.op("b1", "actor", "label", "theirs")]
        await peer.send_ops(board, theirs)
        update = await writer.expect(m.Update, timeout=STALL_S / 2)  # before its ack
        assert (update.first, update.seq, update.ops) == (1, 2, theirs)
        ack = await writer.expect(m.Ack, timeout=4 * STALL_S)
        assert (ack.ref, ack.seq) == (ref, 2)


async def test_a_peer_that_saw_a_lost_op_converges_after_a_sigkill(tmp_path: Path) -> None:
    proc = HubProcess(tmp_path / "data", op_write_delay_s=600)  # no write of ops lands
    await asyncio.to_thread(proc.start)
    try:
        ws, people, writer, peer = await writer_and_peer(proc)
        board = people[0]["board"]
        lost = [writer.op("a1", "actor", "label", "seen, never stored")]
        await writer.send_ops(board, lost)
        update = await peer.expect(m.Update)
        assert (update.seq, update.ops) == (1, lost)  # the peer holds seq 1
        await asyncio.to_thread(proc.kill)
        await writer.close()
        await peer.close()

        proc = HubProcess(tmp_path / "data")
        await asyncio.to_thread(proc.start)
        # Someone else writes first on the restarted hub.
        other = await Raw.hello(proc.ws, people[2]["token"], "wc")
        async with other:
            sync = await other.subscribe(board, since=0)
            assert sync.full and sync.ops == []  # the lost op is not there
            first = [other.op("c1", "actor", "label", "the first op after the restart")]
            await other.send_ops(board, first)
            ack = await other.expect(m.Ack)
            assert ack.seq > 1  # not a number a peer may already hold for the lost op
        # The peer resumes from the lost op's number: it gets the full state.
        peer = await Raw.hello(proc.ws, people[1]["token"], "wb")
        writer = await Raw.hello(proc.ws, people[0]["token"], "wa")
        async with peer, writer:
            sync = await peer.subscribe(board, since=1)
            assert sync.full and sync.ops == first  # replaces what it held (the lost op)
            # The writer never had its ack: it sends the op again, and everyone has it.
            await writer.subscribe(board, since=0)
            ref = await writer.send_ops(board, lost)
            ack = await writer.expect(m.Ack)
            assert (ack.ref, ack.applied) == (ref, 1)
            update = await peer.expect(m.Update)
            assert update.ops == lost and update.seq == ack.seq
        state = await board_state(proc.http, board, ws["facilitator_token"])
        assert set(state["objects"]) == {"a1", "c1"}
        assert state["seq"] == ack.seq
    finally:
        await asyncio.to_thread(proc.kill)
