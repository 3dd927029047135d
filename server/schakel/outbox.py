"""A connection's bounded send queue: messages wait here for the socket's writer task.

Each message is queued as its encoded bytes. The writer takes everything that waits and
sends it as one WebSocket frame, the messages back to back (protocol v2): what the hub
queues for a connection in one tick (the updates of all its boards, acks, presence)
leaves as one frame, and a connection whose socket is slow gets fewer, larger frames. A
``sync`` chunk is queued ``alone``: it leaves as a frame of its own.

Two kinds of message go in. Reliable frames (sync, update, ack, error) are never dropped:
when ``limit`` of them wait, or ``limit_bytes`` of bytes, the peer is too slow, and the
connection is cut (it resyncs on reconnect) instead of holding memory or slowing anyone
else. Droppable frames (presence) are refused once a quarter of either bound is used: the
next presence frame carries newer state anyway.

A large ``sync`` is queued a piece at a time: its sender waits (:meth:`wait_below`) until
the writer has taken the queue below a mark, so that a big board never fills the queue.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Outbox:
    __slots__ = (
        "_below",
        "_event",
        "_frames",
        "bytes",
        "closed",
        "droppable_bytes",
        "droppable_limit",
        "dropped",
        "limit",
        "limit_bytes",
        "overflowed",
    )

    def __init__(self, limit: int, limit_bytes: int = 64 * 1024 * 1024) -> None:
        self.limit = limit
        self.limit_bytes = limit_bytes
        self.droppable_limit = max(1, limit // 4)
        self.droppable_bytes = max(1, limit_bytes // 4)
        # a message, or (message,) for one that leaves as a frame of its own
        self._frames: deque[bytes | tuple[bytes]] = deque()
        self._event = asyncio.Event()
        self._below = asyncio.Event()  # set whenever the writer takes the queue
        self.bytes = 0
        self.overflowed = False
        self.closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: bytes, *, alone: bool = False) -> bool:
        """Queue a message that must arrive; False (and ``overflowed``) if the queue is
        full. ``alone``: it leaves as a frame of its own (a ``sync`` chunk).

        Once overflowed, nothing more is queued: the peer must resync, and a frame after
        the dropped ones would reach it with a gap in the board's sequence numbers.
        """
        if self.closed or self.overflowed:
            return False
        if len(self._frames) >= self.limit or self.bytes + len(frame) > self.limit_bytes:
            self.overflowed = True
            self._frames.clear()
            self.bytes = 0
            self._event.set()
            self._below.set()
            return False
        self._frames.append((frame,) if alone else frame)
        self.bytes += len(frame)
        self._event.set()
        return True

    def put_droppable(self, frame: bytes) -> bool:
        """Queue a frame that may be lost (presence); False if it was dropped."""
        if (
            self.closed
            or self.overflowed
            or len(self._frames) >= self.droppable_limit
            or self.bytes + len(frame) > self.droppable_bytes
        ):
            self.dropped += 1
            return False
        self._frames.append(frame)
        self.bytes += len(frame)
        self._event.set()
        return True

    def close(self) -> None:
        """Wake the writer so that it finishes what is queued and stops."""
        self.closed = True
        self._event.set()
        self._below.set()

    async def wait_below(self, nbytes: int) -> bool:
        """Wait until at most ``nbytes`` wait in the queue; False if it closed meanwhile
        (or overflowed): then nothing more will be sent."""
        while self.bytes > nbytes and not (self.closed or self.overflowed):
            self._below.clear()
            await self._below.wait()
        return not (self.closed or self.overflowed)

    async def drain(self) -> list[bytes]:
        """Wait for messages; return all queued ones as frames to send, consecutive
        messages joined into one frame (empty once closed and drained)."""
        while not self._frames:
            if self.closed or self.overflowed:
                return []
            self._event.clear()
            await self._event.wait()
        queued = self._frames
        self._frames = deque()
        self.bytes = 0
        self._below.set()
        if len(queued) == 1:
            only = queued[0]
            return [only[0] if isinstance(only, tuple) else only]
        frames: list[bytes] = []
        run: list[bytes] = []
        for item in queued:
            if isinstance(item, tuple):
                if run:
                    frames.append(b"".join(run))
                    run = []
                frames.append(item[0])
            else:
                run.append(item)
        if run:
            frames.append(b"".join(run))
        return frames
