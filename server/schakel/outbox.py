"""A connection's bounded send queue: messages wait here until they are written.

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

Two ways out. On the hub's own socket (:mod:`schakel.sockets`) the outbox calls
``notify`` when its first message arrives; the connection is then flushed, with every
other one that got messages meanwhile, in one callback of the event loop (:class:`Flusher`):
:meth:`Outbox.take` and a synchronous write per frame, no task woken. Behind another
ASGI server, a writer task per connection awaits :meth:`Outbox.drain` and sends.

A large ``sync`` is queued a piece at a time: its sender waits (:meth:`wait_below`) until
the writer has taken the queue below a mark, so that a big board never fills the queue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Protocol


class Outbox:
    __slots__ = (
        "_below",
        "_ended",
        "_event",
        "_frames",
        "bytes",
        "closed",
        "droppable_bytes",
        "droppable_limit",
        "dropped",
        "limit",
        "limit_bytes",
        "notify",
        "overflowed",
    )

    def __init__(
        self,
        limit: int,
        limit_bytes: int = 64 * 1024 * 1024,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.limit = limit
        self.limit_bytes = limit_bytes
        self.droppable_limit = max(1, limit // 4)
        self.droppable_bytes = max(1, limit_bytes // 4)
        # a message, or (message,) for one that leaves as a frame of its own
        self._frames: deque[bytes | tuple[bytes]] = deque()
        self._event = asyncio.Event()
        self._below = asyncio.Event()  # set whenever the writer takes the queue
        self._ended = asyncio.Event()  # set once closed or overflowed
        self.notify = notify  # called when a message waits in an empty outbox
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
            self._end()
            return False
        self._frames.append((frame,) if alone else frame)
        self.bytes += len(frame)
        self._event.set()
        if len(self._frames) == 1 and self.notify is not None:
            self.notify()
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
        if len(self._frames) == 1 and self.notify is not None:
            self.notify()
        return True

    def close(self) -> None:
        """Wake the writer so that it finishes what is queued and stops."""
        self.closed = True
        self._end()

    def _end(self) -> None:
        self._event.set()
        self._below.set()
        self._ended.set()

    async def ended(self) -> None:
        """Wait until the outbox is closed or overflowed."""
        await self._ended.wait()

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
        return self.take()

    def take(self) -> list[bytes]:
        """All queued messages as frames to send, consecutive messages joined into one
        frame (a message queued ``alone`` as a frame of its own); empty if none wait."""
        queued = self._frames
        if not queued:
            return []
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


class Flushable(Protocol):
    def flush(self) -> None: ...


class Flusher:
    """Connections with messages waiting, flushed together in one callback of the event
    loop: what a tick queues for a hundred connections is written in one pass, after
    everything that tick does, without waking a task per connection."""

    __slots__ = ("_due", "_loop")

    def __init__(self) -> None:
        self._due: list[Flushable] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def want(self, conn: Flushable) -> None:
        if not self._due:
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._loop.call_soon(self._run)
        self._due.append(conn)

    def _run(self) -> None:
        due, self._due = self._due, []
        for conn in due:
            conn.flush()
