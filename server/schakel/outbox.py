"""A connection's bounded send queue: frames wait here for the socket's writer task.

Two kinds of frame go in. Reliable frames (sync, update, ack, error) are never dropped:
when ``limit`` of them wait, the peer is too slow, and the connection is cut (it resyncs
on reconnect) instead of holding memory or slowing anyone else. Droppable frames
(presence) are refused once a quarter of the queue is used: the next presence frame
carries newer state anyway.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Outbox:
    __slots__ = ("_event", "_frames", "closed", "droppable_limit", "dropped", "limit", "overflowed")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.droppable_limit = max(1, limit // 4)
        self._frames: deque[bytes] = deque()
        self._event = asyncio.Event()
        self.overflowed = False
        self.closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: bytes) -> bool:
        """Queue a frame that must arrive; False (and ``overflowed``) if the queue is full.

        Once overflowed, nothing more is queued: the peer must resync, and a frame after
        the dropped ones would reach it with a gap in the board's sequence numbers.
        """
        if self.closed or self.overflowed:
            return False
        if len(self._frames) >= self.limit:
            self.overflowed = True
            self._frames.clear()
            self._event.set()
            return False
        self._frames.append(frame)
        self._event.set()
        return True

    def put_droppable(self, frame: bytes) -> bool:
        """Queue a frame that may be lost (presence); False if it was dropped."""
        if self.closed or self.overflowed or len(self._frames) >= self.droppable_limit:
            self.dropped += 1
            return False
        self._frames.append(frame)
        self._event.set()
        return True

    def close(self) -> None:
        """Wake the writer so that it finishes what is queued and stops."""
        self.closed = True
        self._event.set()

    async def drain(self) -> list[bytes]:
        """Wait for frames; return all queued ones (empty once closed and drained)."""
        while not self._frames:
            if self.closed or self.overflowed:
                return []
            self._event.clear()
            await self._event.wait()
        frames = list(self._frames)
        self._frames.clear()
        return frames
