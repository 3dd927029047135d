"""The hub's own socket: the header it writes is the one websockets would write; the
send queue calls for a flush once per batch of messages, all connections in one
callback of the event loop; the receive queue hands messages over in order."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from uvicorn._types import ASGIReceiveEvent
from websockets.frames import Frame, Opcode

from schakel.outbox import Flusher, Outbox
from schakel.sockets import Inbox, frame_header, frame_size

BOUNDARIES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20]


@given(st.one_of(st.sampled_from(BOUNDARIES), st.integers(0, 70_000)))
def test_the_header_is_the_one_of_an_unmasked_final_binary_frame(size: int) -> None:
    payload = bytes(size)
    expected = Frame(Opcode.BINARY, payload).serialize(mask=False)
    assert frame_header(size) + payload == expected
    head = len(frame_header(size))
    assert frame_size(expected, 0, len(expected)) == (size, head)
    assert frame_size(expected, 0, head - 1) is None or head == 2  # (length not whole)


class Counting:
    def __init__(self, box: Outbox) -> None:
        self.box = box
        self.flushed: list[list[bytes]] = []

    def flush(self) -> None:
        self.flushed.append(self.box.take())


async def test_a_flush_is_asked_once_per_batch_and_all_run_in_one_callback() -> None:
    flusher = Flusher()
    conns: list[Counting] = []
    for _ in range(3):
        box = Outbox(limit=100)
        conn = Counting(box)
        box.notify = lambda c=conn: flusher.want(c)
        conns.append(conn)
    for conn in conns:
        conn.box.put(b"a")
        conn.box.put(b"b")  # (no second ask: the first is still due)
        conn.box.put_droppable(b"p")
    await asyncio.sleep(0)  # the flusher's one callback
    assert [c.flushed for c in conns] == [[[b"abp"]]] * 3
    conns[0].box.put(b"c")  # an empty outbox again: asks again
    await asyncio.sleep(0)
    assert conns[0].flushed == [[b"abp"], [b"c"]] and conns[1].flushed == [[b"abp"]]


async def test_an_outbox_that_ends_wakes_who_waits_for_its_end() -> None:
    box = Outbox(limit=1)
    ended = asyncio.create_task(box.ended())
    await asyncio.sleep(0)
    assert not ended.done()
    box.put(b"x")
    assert not box.put(b"y") and box.overflowed
    await asyncio.wait_for(ended, 1)


async def test_the_inbox_hands_messages_over_in_order_and_survives_a_timeout() -> None:
    inbox = Inbox(asyncio.get_running_loop())
    assert inbox.empty() and inbox.qsize() == 0
    with pytest.raises(TimeoutError):  # a reader that gave up (the hello timeout)
        await asyncio.wait_for(inbox.get(), 0.01)
    with pytest.raises(asyncio.QueueEmpty):
        inbox.get_nowait()
    assert not inbox.parked  # nobody reads: a message must wait in the queue
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert inbox.parked  # the reader waits on an empty queue: a message may skip it
    first: ASGIReceiveEvent = {"type": "websocket.receive", "bytes": b"1"}
    second: ASGIReceiveEvent = {"type": "websocket.disconnect", "code": 1000}
    inbox.put_nowait(first)
    assert not inbox.parked  # woken: what comes next queues behind it
    inbox.put_nowait(second)
    assert await reader == first
    assert not inbox.parked
    assert inbox.qsize() == 1 and inbox.get_nowait() == second and inbox.empty()
