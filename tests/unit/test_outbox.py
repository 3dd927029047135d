"""The send queue: what waits leaves as one frame of messages back to back; a ``sync``
chunk alone; presence is droppable; an overflow drops everything and says so."""

from __future__ import annotations

from schakel.outbox import Outbox
from schakel_core import messages as m


async def test_what_waits_leaves_as_one_frame_and_sync_chunks_alone() -> None:
    box = Outbox(limit=100)
    a, b, c = (m.encode(m.Done(n)) for n in (1, 2, 3))
    sync = m.encode(m.Sync("w:g1", 0, True, []))
    for message in (a, b):
        box.put(message)
    box.put(sync, alone=True)
    box.put(c)
    box.put_droppable(b)
    frames = await box.drain()
    assert frames == [a + b, sync, c + b]
    assert m.decode_frame(frames[0]) == [m.Done(1), m.Done(2)]
    assert box.bytes == 0 and len(box) == 0
    box.put(a)
    assert await box.drain() == [a]  # one message: no copy


async def test_an_overflow_drops_everything_queued() -> None:
    box = Outbox(limit=2)
    assert box.put(b"x") and box.put(b"y")
    assert not box.put(b"z") and box.overflowed
    assert await box.drain() == []
