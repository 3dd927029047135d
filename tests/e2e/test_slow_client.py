"""A client that stops reading is cut off (4408) without slowing anyone; resume catches up.

The slow client (the facilitator's screen) follows two boards: g1, where a participant
makes small edits, and g2, where big ink strokes are redrawn over and over to fill the
socket buffers quickly (the state of g2 stays small: the same three strokes).
"""

from __future__ import annotations

import random
from pathlib import Path

from schakel_core import messages as m
from schakel_core.document import Document
from schakel_core.errors import CloseCode
from tests.e2e.raw import Raw
from tests.support.server import create_workshop, join, running_hub
from tests.support.server import hub_settings as settings_for

QUEUE = 8  # frames a connection may have waiting in the hub


def check_contiguous(frames: list[m.ServerMessage], board: str, since: int) -> int:
    """The board's updates continue each other without gaps; returns the last seq."""
    seq = since
    for f in frames:
        if isinstance(f, m.Update) and f.board == board:
            assert f.seq - len(f.ops) == seq, f"gap: had {seq}, got {f.seq - len(f.ops) + 1}.."
            seq = f.seq
    return seq


async def test_a_slow_client_is_cut_off_and_resumes(tmp_path: Path) -> None:
    async with running_hub(settings_for(tmp_path, send_queue_frames=QUEUE)) as hub:
        ws = await create_workshop(hub.http, groups=2)
        people = [await join(hub.http, ws["join_code"], f"P{i}") for i in range(5)]
        g1, g2 = ws["workshop"]["boards"][:2]
        store = hub.service.store
        small = await Raw.hello(hub.ws, people[0]["token"], "ann")  # writes on g1
        fast1 = await Raw.hello(hub.ws, people[1]["token"], "bo")  # reads g1
        big = await Raw.hello(hub.ws, people[4]["token"], "eve")  # writes on g2
        fast2 = await Raw.hello(hub.ws, ws["viewer_token"], "screen")  # reads g2
        slow = await Raw.hello(hub.ws, ws["facilitator_token"], "fac", rcvbuf=4096)
        async with small, fast1, big, fast2, slow:
            for raw, board in ((small, g1), (fast1, g1), (big, g2), (fast2, g2)):
                assert (await raw.subscribe(board)).seq == 0
            assert (await slow.subscribe(g1)).seq == (await slow.subscribe(g2)).seq == 0
            assert slow.welcome is not None
            conn = hub.service.hub.rooms[g1].subs[slow.welcome.conn].conn
            slow.ws.transport.pause_reading()  # the slow client reads nothing from now on

            rng = random.Random(4408)
            got1: list[m.ServerMessage] = []
            got2: list[m.ServerMessage] = []
            k = 0
            while not conn.outbox.overflowed:
                assert k < 500, "the slow client was never cut off"
                note = [small.op(f"n{k % 5}", "note", "text", f"edit {k}")]
                # ~54 kB of incompressible numbers per stroke (frames may be deflated).
                strokes = [
                    big.op(f"i{j}", "ink", "points", [rng.random() for _ in range(6000)])
                    for j in range(3)
                ]
                ref1 = await small.send_ops(g1, note)
                ref2 = await big.send_ops(g2, strokes)
                await small.until(m.Ack, lambda a, ref=ref1: a.ref == ref)
                await big.until(m.Ack, lambda a, ref=ref2: a.ref == ref)
                # The fast clients get every batch, at once.
                for fast, ops, got in ((fast1, note, got1), (fast2, strokes, got2)):
                    update, skipped = await fast.until(m.Update)
                    assert skipped == [] and update.ops == ops
                    got.append(update)
                k += 1
            head1 = (await store.load(g1, 0)).seq
            assert check_contiguous(got1, g1, 0) == head1 == k
            assert check_contiguous(got2, g2, 0) == (await store.load(g2, 0)).seq
            await fast1.quiet()
            await fast2.quiet()

            # The slow client reads again: what was sent before the cut, then too_slow, 4408.
            slow.ws.transport.resume_reading()
            code, frames = await slow.closed(timeout=30)
            assert code == CloseCode.TOO_SLOW
            assert isinstance(frames[-1], m.Error) and frames[-1].code == "too_slow"
            seen1 = check_contiguous(frames, g1, 0)
            check_contiguous(frames, g2, 0)
            assert seen1 < head1
            # The others did not notice.
            ref = await small.send_ops(g1, [small.op("after", "note", "text", "still fine")])
            update, _ = await fast1.until(m.Update)
            assert update.seq == head1 + 1
            await small.until(m.Ack, lambda a: a.ref == ref)

        # Reconnect and resume g1 from the last seq seen: exactly what was missed.
        async with await Raw.hello(hub.ws, ws["facilitator_token"], "fac") as again:
            sync = await again.subscribe(g1, since=seen1)
            loaded = await store.load(g1, 0)
            assert (sync.full, sync.seq) == (False, loaded.seq)
            assert len(sync.ops) == loaded.seq - seen1
            # What it received before the cut plus the resume is the whole board.
            doc = Document(
                op for f in frames if isinstance(f, m.Update) and f.board == g1 for op in f.ops
            )
            for op in sync.ops:
                doc.apply(op)
            assert doc == Document(loaded.ops)
            sync = await again.subscribe(g2)
            assert sync.full and Document(sync.ops) == Document((await store.load(g2, 0)).ops)
