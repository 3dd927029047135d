"""Reconnect and resume: exactly the missed ops, or the full state past the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from schakel_client import SchakelClient
from schakel_core import messages as m
from schakel_core.document import Document
from tests.e2e.raw import Raw
from tests.support.server import create_workshop, join, running_hub
from tests.support.server import hub_settings as settings_for


async def test_resume_gets_exactly_the_missed_ops(tmp_path: Path) -> None:
    async with running_hub(settings_for(tmp_path)) as hub:
        ws = await create_workshop(hub.http, groups=1)
        a, b = [await join(hub.http, ws["join_code"], n) for n in ("Ann", "Bo")]
        board = a["board"]
        async with await Raw.hello(hub.ws, b["token"], "bo") as bo:
            await bo.subscribe(board)
            ref = await bo.send_ops(board, [bo.op("b1", "actor", "label", "Bo's")])
            ack = await bo.expect(m.Ack)  # (no echo: only the ack)
            assert ack.ref == ref
            async with await Raw.hello(hub.ws, a["token"], "ann") as ann:
                sync = await ann.subscribe(board, ref=3)
                assert (sync.seq, sync.full, sync.ref) == (ack.seq, True, 3)
                seen = sync.seq
            # Ann is gone at `seen`; Bo makes K edits in several batches.
            missed = []
            for k in range(7):
                ops = [bo.op(f"b{k}", "actor", "pos", [k, k]), bo.op("b1", "actor", "note", str(k))]
                await bo.send_ops(board, ops)
                await bo.expect(m.Ack)
                missed += ops
            assert len(missed) == 14
            head = (await hub.service.store.load(board, 0)).seq
            assert head == seen + 14
            async with await Raw.hello(hub.ws, a["token"], "ann") as ann:
                sync = await ann.subscribe(board, since=seen, ref=9)
                assert sync == m.Sync(board, head, False, missed, 9)
                await ann.quiet()  # nothing else follows: no duplicate update
                # Resuming at the head gets nothing; later edits arrive as updates.
                sync = await ann.subscribe(board, since=head)
                assert (sync.seq, sync.full, sync.ops) == (head, False, [])
                await bo.send_ops(board, [bo.op("b1", "actor", "label", "again")])
                update = await ann.expect(m.Update)
                assert update.seq == head + 1 and len(update.ops) == 1
                # A `since` beyond the head (a board made again) gets the full state.
                sync = await ann.subscribe(board, since=head + 100)
                assert sync.full and sync.seq == head + 1
                assert Document(sync.ops) == Document((await hub.service.store.load(board, 0)).ops)


async def test_resume_past_the_log_gets_full_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_hub(settings_for(tmp_path)) as hub:
        # The store keeps `log_keep` ops per board, read when a board is first made (the
        # module's LOG_KEEP is only the constructor's default): shrink it before any board.
        monkeypatch.setattr(hub.service.store, "log_keep", 5)
        ws = await create_workshop(hub.http, groups=1)
        a, b = [await join(hub.http, ws["join_code"], n) for n in ("Ann", "Bo")]
        board = a["board"]
        async with await Raw.hello(hub.ws, b["token"], "bo") as bo:
            await bo.subscribe(board)
            await bo.send_ops(board, [bo.op("b0", "actor", "label", "first")])
            await bo.until(m.Ack)
            async with await Raw.hello(hub.ws, a["token"], "ann") as ann:
                seen = (await ann.subscribe(board)).seq
            for k in range(12):
                await bo.send_ops(board, [bo.op(f"b{k}", "actor", "pos", [k, 0])])
                await bo.until(m.Ack)
            loaded = await hub.service.store.load(board, 0)
            async with await Raw.hello(hub.ws, a["token"], "ann") as ann:
                sync = await ann.subscribe(board, since=seen)
                assert sync.full and sync.seq == loaded.seq == seen + 12
                assert Document(sync.ops) == Document(loaded.ops)
                # Within the kept log, resume is still exact.
                sync = await ann.subscribe(board, since=loaded.seq - 3)
                assert not sync.full and len(sync.ops) == 3


async def test_client_reconnects_and_catches_up(tmp_path: Path) -> None:
    async with running_hub(settings_for(tmp_path)) as hub:
        ws = await create_workshop(hub.http, groups=1)
        a, b = [await join(hub.http, ws["join_code"], n) for n in ("Ann", "Bo")]
        board = a["board"]
        async with (
            SchakelClient(hub.ws, a["token"], client_id="ann") as ann,
            SchakelClient(hub.ws, b["token"], client_id="bo") as bo,
        ):
            ra, rb = await ann.subscribe(board), await bo.subscribe(board)
            ann.edit(board, "a1", "actor", label="before")
            await ann.settled()
            await bo.wait_for(lambda: rb.seq == ra.seq)
            syncs: list[m.Sync] = []
            bo.on_message = lambda msg: syncs.append(msg) if isinstance(msg, m.Sync) else None
            seen = rb.seq
            await bo.drop_connection()
            await bo.wait_for(lambda: not bo.connected.is_set())
            for k in range(5):
                ann.edit(board, f"a{k}", "actor", pos=[k, 1])
            await ann.settled()
            bo.edit(board, "b1", "actor", label="made while offline")
            await bo.wait_for(lambda: bo.connects == 2 and bool(syncs))
            await bo.settled()
            await ann.settled()
            head = (await hub.service.store.load(board, 0)).seq
            await ann.wait_for(lambda: ra.seq == rb.seq == head)
            assert ra.doc == rb.doc
            assert not syncs[0].full and syncs[0].seq - len(syncs[0].ops) == seen
