"""A restart of a hub on the embedded store loses no acknowledged op (SIGTERM and SIGKILL)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from schakel_core import messages as m
from schakel_core.ops import Op
from tests.e2e.raw import Raw, board_state
from tests.support.server import HubProcess, create_workshop, join

WINDOW = 16  # unacknowledged batches per writer
ACKED_BEFORE_STOP = 120  # ops


async def writer(raw: Raw, board: str, acked: list[Op], enough: asyncio.Event) -> None:
    """Send batches until the hub goes away; record every op whose batch was acknowledged."""
    sent: dict[int, list[Op]] = {}
    window = asyncio.Semaphore(WINDOW)

    async def reader() -> None:
        try:
            with contextlib.suppress(ConnectionClosed):
                while True:
                    msg = await raw.recv(timeout=60)
                    if isinstance(msg, m.Ack):
                        acked.extend(sent.pop(msg.ref))
                        window.release()
                        if len(acked) >= ACKED_BEFORE_STOP:
                            enough.set()
                    elif isinstance(msg, m.Error):
                        raise AssertionError(f"refused: {msg}")
        finally:
            for _ in range(WINDOW):  # the writer must not wait for acks that never come
                window.release()

    task = asyncio.create_task(reader())
    try:
        k = 0
        while not task.done():
            await window.acquire()
            ops = [
                raw.op(f"{raw.client}-{k}", "actor", "label", f"{raw.client} #{k}"),
                raw.op(f"{raw.client}-{k}", "actor", "pos", [k, len(raw.client)]),
            ]
            ref = raw.next_ref()
            sent[ref] = ops
            k += 1
            try:
                await raw.send_ops(board, ops, ref)
            except ConnectionClosed:
                break
        await task
    finally:
        task.cancel()


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
async def test_restart_keeps_every_acknowledged_op(tmp_path: Path, how: str) -> None:
    proc = HubProcess(tmp_path / "data")
    await asyncio.to_thread(proc.start)
    try:
        ws = await create_workshop(proc.http, groups=1)
        people = [await join(proc.http, ws["join_code"], f"P{i}") for i in range(3)]
        board = people[0]["board"]
        raws = [await Raw.hello(proc.ws, p["token"], f"w{i}") for i, p in enumerate(people)]
        for raw in raws:
            await raw.subscribe(board)
        acked: list[Op] = []
        enough = asyncio.Event()
        tasks = [asyncio.create_task(writer(raw, board, acked, enough)) for raw in raws]
        # Stop the hub in the middle of the burst, once enough ops were acknowledged.
        await asyncio.wait_for(enough.wait(), 30)
        await asyncio.to_thread(proc.stop if how == "sigterm" else proc.kill)
        async with asyncio.timeout(30):
            await asyncio.gather(*tasks)
        for raw in raws:
            await raw.close()
        assert proc.proc is not None
        # uvicorn re-raises SIGTERM after its graceful shutdown.
        assert proc.proc.returncode in (0, -signal.SIGTERM, -signal.SIGKILL), proc.log()
        last = {op.id: op for op in acked}

        proc = HubProcess(tmp_path / "data")
        await asyncio.to_thread(proc.start)
        state = await board_state(proc.http, board, ws["facilitator_token"])
        assert state["seq"] >= len(acked)
        for obj_id, op in last.items():
            obj = state["objects"].get(obj_id)
            assert obj is not None, f"acknowledged {obj_id} lost after {how}"
            assert obj["label"] == f"{op.client} #{obj_id.split('-')[1]}"
            assert obj["pos"] == [int(obj_id.split("-")[1]), len(op.client)]
        # The restarted hub goes on: a participant resumes where it was.
        raw = await Raw.hello(proc.ws, people[0]["token"], "w0")
        async with raw:
            sync = await raw.subscribe(board, since=state["seq"])
            assert (sync.full, sync.seq, sync.ops) == (False, state["seq"], [])
    finally:
        await asyncio.to_thread(proc.kill)


async def test_a_hub_acknowledges_what_it_stores_while_it_stops(tmp_path: Path) -> None:
    """A batch still waiting for its tick when the hub is asked to stop is stored, and
    its sender hears so before the socket closes (1012): stored exactly when acked."""
    proc = HubProcess(tmp_path / "data", env={"SCHAKEL_TICK_MS": "3000"})
    await asyncio.to_thread(proc.start)
    try:
        ws = await create_workshop(proc.http, groups=1)
        p = await join(proc.http, ws["join_code"], "Ann")
        raw = await Raw.hello(proc.ws, p["token"], "ann")
        await raw.subscribe(p["board"])
        ref = await raw.send_ops(p["board"], [raw.op("late", "actor", "label", "in flight")])
        await raw.send(m.Ping(1))
        await raw.until(m.Pong)  # the hub has taken the batch; it waits for its tick
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGTERM)
        code, frames = await raw.closed(timeout=20)
        assert code == 1012, frames
        acks = [f for f in frames if isinstance(f, m.Ack)]
        assert [(a.ref, a.applied) for a in acks] == [(ref, 1)]
        await asyncio.to_thread(proc.proc.wait, 20)
    finally:
        await asyncio.to_thread(proc.kill)
    again = HubProcess(tmp_path / "data")
    await asyncio.to_thread(again.start)
    try:
        state = await board_state(again.http, p["board"], ws["facilitator_token"])
        assert state["objects"]["late"]["label"] == "in flight"
    finally:
        await asyncio.to_thread(again.kill)
