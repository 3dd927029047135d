"""Frames from the hub's own socket (``SCHAKEL_WS_IMPL=hub``, the default: written
straight to the transport, with or without permessage-deflate) and from uvicorn's
protocol behind the ASGI interface (``websockets-sansio``: a writer task per
connection) carry the same messages: updates, acks, and a sync of several frames of
both header sizes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from schakel_core import messages as m
from tests.e2e.raw import Raw
from tests.support.server import HubProcess, create_workshop, join

LABEL = "x" * 120
BATCHES, PER_BATCH = 4, 150  # about 90 kB of labels: a sync of more than one frame


@pytest.mark.parametrize(
    ("impl", "deflate"),
    [("hub", False), ("hub", True), ("websockets-sansio", False)],
)
async def test_every_socket_carries_updates_acks_and_a_long_sync(
    tmp_path: Path, impl: str, deflate: bool
) -> None:
    proc = HubProcess(tmp_path / "data", env={"SCHAKEL_WS_IMPL": impl})
    await asyncio.to_thread(proc.start)
    try:
        ws = await create_workshop(proc.http, groups=1)
        a, b, c = [await join(proc.http, ws["join_code"], f"P{i}") for i in range(3)]
        board = a["board"]
        writer = await Raw.hello(proc.ws, a["token"], "wa", deflate=deflate)
        peer = await Raw.hello(proc.ws, b["token"], "wb", deflate=deflate)
        async with writer, peer:
            await writer.subscribe(board)
            await peer.subscribe(board)
            sent = []
            for k in range(BATCHES):
                ops = [
                    writer.op(f"a{k}-{i}", "actor", "label", f"{LABEL[:-6]}{k:03}{i:03}")
                    for i in range(PER_BATCH)
                ]
                ref = await writer.send_ops(board, ops)
                ack = await writer.expect(m.Ack)
                assert (ack.ref, ack.seq, ack.applied) == (ref, (k + 1) * PER_BATCH, PER_BATCH)
                update = await peer.expect(m.Update)
                assert (update.first, update.seq, update.ops) == (k * PER_BATCH + 1, ack.seq, ops)
                sent += ops
                await asyncio.sleep(0.4)  # (within the connection's op rate)
            late = await Raw.hello(proc.ws, c["token"], "wc", deflate=deflate)
            async with late:
                sync = await late.subscribe(board)
                assert late.sync_frames > 1
                assert sync.seq == BATCHES * PER_BATCH
                assert sorted(op.id for op in sync.ops) == sorted(op.id for op in sent)
    finally:
        await asyncio.to_thread(proc.kill)
