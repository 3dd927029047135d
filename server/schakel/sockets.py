"""The hub's WebSocket protocol for uvicorn: frames written straight to the socket.

uvicorn's sans-I/O protocol (``websockets`` for the framing) hands every message to the
app through an ASGI queue and takes every frame back through an awaited ASGI ``send``.
For the hub that meant, per connection and per tick, a writer task woken, an ``await``
through Starlette and uvicorn, and the websockets frame object, and per message received,
the socket's reading paused and resumed (two ``epoll_ctl`` calls). Profiles of the W1
workload put that per-frame Python work at about a fifth of the hub's CPU
(docs/benchmarks.md).

:class:`HubSocket` keeps uvicorn's handshake, keepalive pings, close handshake and
ASGI interface (every other endpoint and the close path work as before) and changes two
things:

- **Sending**: the scope's extension :data:`EXTENSION` gives the app the protocol itself;
  :meth:`HubSocket.write_frame` writes one binary frame synchronously: a header built
  here and the payload, one ``transport.write``. Server frames are not masked, so no
  per-byte work is done. When the client negotiated permessage-deflate, the frame goes
  through websockets' encoder instead (compression is per connection). The app checks
  :attr:`HubSocket.can_write` first and is called back by ``on_writable`` when the
  transport's buffer drains (uvicorn's ``send`` waited for that the same way).
- **Reading frames**: once the connection is open and no extension was negotiated, a
  final, masked binary frame within the size limit (every message of our clients) is
  read here: its header parsed, its payload unmasked by websockets' C ``apply_mask``,
  the message queued. Anything else (a ping, pong or close, text, a fragment, a frame
  too large or malformed) goes to websockets' parser, which is fed exactly that frame
  (it parses frame by frame, so it stays in step), or, for anything but a whole control
  frame, everything from there on. Its errors and close codes are websockets' own.
- **Receiving**: reading pauses only once more than :data:`QUEUED_BYTES` of messages wait
  for the app (not after every message); so a flood still waits in the sender's socket
  (TCP back-pressure), and what a connection holds in memory stays bounded. The queue
  is an :class:`Inbox` (one reader: a deque and one waiter), and the app may read it
  through :meth:`HubSocket.receive` without Starlette's state checks in between.
  A message that arrives while the app's reader waits on an empty queue goes to the
  app's ``on_message`` at once, in ``data_received``: no task is woken for it (the
  hub's common message, an op or a presence update, is handled right there); at most
  :data:`HANDLED_PER_READ` of one read, the rest queue.

It depends on the internals of ``uvicorn.protocols.websockets.websockets_sansio_impl``;
pyproject.toml pins uvicorn to the minor version it was written and tested against.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from uvicorn._types import ASGIReceiveEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State
from websockets.speedups import apply_mask

EXTENSION = "schakel.socket"  # scope["extensions"][EXTENSION]["socket"]: the HubSocket
QUEUED_BYTES = 64 * 1024  # received messages waiting for the app before reading pauses
# Messages of one read of the socket handed to ``on_message``; the rest of that read goes
# to the queue, whose reader lets others run between its messages: one read can hold a
# thousand small frames, and handling them in one callback would hold up everyone.
HANDLED_PER_READ = 32

_HEAD_16 = struct.Struct("!BBH")
_HEAD_64 = struct.Struct("!BBQ")
_BINARY_FIN = 0x82
_MASKED = 0x80
_CONTROL = 0x08  # opcodes 8-10 (close, ping, pong) have this bit


def frame_header(size: int) -> bytes:
    """The header of an unmasked, final binary frame of ``size`` bytes (RFC 6455 5.2)."""
    if size < 126:
        return bytes((_BINARY_FIN, size))
    if size < 1 << 16:
        return _HEAD_16.pack(_BINARY_FIN, 126, size)
    return _HEAD_64.pack(_BINARY_FIN, 127, size)


def frame_size(buf: bytes, pos: int, end: int) -> tuple[int, int] | None:
    """The payload size of the frame that begins at ``buf[pos]`` and where its length
    field ends (a mask key follows if the frame is masked); None while ``buf[:end]``
    does not hold that much (RFC 6455 5.2). ``end - pos`` must be at least 2."""
    size = buf[pos + 1] & 0x7F
    if size == 126:
        if end - pos < 4:
            return None
        return int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
    if size == 127:
        if end - pos < 10:
            return None
        return int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
    return size, pos + 2


# An event the app puts in its own queue to wake its reader (after a message handled by
# ``on_message`` left it something to do); told apart from a message by its identity.
WAKE: ASGIReceiveEvent = {"type": "websocket.receive", "bytes": b"", "text": None}


class Inbox(asyncio.Queue[ASGIReceiveEvent]):
    """uvicorn's receive queue, for its one reader: a deque and one waiter (no getter
    list and no loop lookup per message, as :class:`asyncio.Queue` has)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._items: deque[ASGIReceiveEvent] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._event_loop = loop

    def put_nowait(self, item: ASGIReceiveEvent) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> ASGIReceiveEvent:
        while not self._items:
            waiter = self._waiter = self._event_loop.create_future()
            try:
                await waiter
            finally:
                if self._waiter is waiter:  # (cancelled: a timeout)
                    self._waiter = None
        return self._items.popleft()

    def get_nowait(self) -> ASGIReceiveEvent:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    def empty(self) -> bool:
        return not self._items

    @property
    def parked(self) -> bool:
        """Its reader waits and nothing is queued: a message handled now, outside the
        queue, keeps the order in which the reader would have taken them."""
        return self._waiter is not None and not self._items

    def qsize(self) -> int:
        return len(self._items)


class HubSocket(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue: Inbox = Inbox(self.loop)  # (uvicorn's name; an Inbox here)
        self.queued_bytes = 0
        self.on_writable: Callable[[], None] | None = None
        # The app's handler of a binary message that arrives while its reader waits on
        # an empty queue: True when it handled the message (no task woken); False puts
        # the message in the queue after all.
        self.on_message: Callable[[bytes], bool] | None = None
        self._partial = b""  # the start of a frame read here, not yet whole
        self._websockets_reads = False  # from here on websockets' parser reads everything
        self._handled = 0  # messages of the current read handed to on_message

    # ------------------------------------------------------------ the app's side

    @property
    def can_write(self) -> bool:
        """Open, and the transport's buffer below its high-water mark."""
        return self.writable.is_set() and self.open

    @property
    def open(self) -> bool:
        return not (self.close_sent or self.disconnected or self.transport.is_closing())

    def write_frame(self, payload: bytes) -> bool:
        """Write one binary frame now; False if the connection is closing or closed."""
        if not self.open:
            return False
        if self.conn.extensions:  # permessage-deflate: websockets compresses it
            self.conn.send_binary(payload)
            self.transport.write(b"".join(self.conn.data_to_send()))
        else:
            self.transport.write(frame_header(len(payload)) + payload)
        return True

    # ------------------------------------------------------------ uvicorn's side

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # (none when the upgrade was refused)
        if scope is not None:
            scope["extensions"][EXTENSION] = {"socket": self}

    def data_received(self, data: bytes) -> None:
        self._handled = 0
        if (
            self._websockets_reads
            or self.close_sent
            or not self.handshake_complete
            or self.conn.extensions
            or self.conn.state is not State.OPEN
        ):
            if self._partial:
                data, self._partial = self._partial + data, b""
            super().data_received(data)
            return
        self._read_frames(self._partial + data if self._partial else data)

    def _read_frames(self, buf: bytes) -> None:
        """Read the whole frames of ``buf``; keep the start of one that is not whole."""
        pos, end = 0, len(buf)
        limit = self.config.ws_max_size
        while end - pos >= 2:
            sized = frame_size(buf, pos, end)
            if sized is None:
                break
            size, head = sized
            b0, b1 = buf[pos], buf[pos + 1]
            stop = head + 4 + size
            if b0 != _BINARY_FIN or not b1 & _MASKED or size > limit:
                if b0 & _CONTROL and size <= 125:  # a control frame: websockets takes it
                    if stop > end:
                        break
                    super().data_received(buf[pos:stop])
                    pos = stop
                    if self.conn.state is State.OPEN and not self.close_sent:
                        continue
                # Anything else, or after a close: websockets' parser from here on.
                self._websockets_reads = True
                super().data_received(buf[pos:])
                return
            if stop > end:
                break
            self._deliver(apply_mask(buf[head + 4 : stop], buf[head : head + 4]))
            pos = stop
        self._partial = buf[pos:] if pos < end else b""

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.on_writable is not None:
            self.on_writable()

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type != "bytes":
            super().send_receive_event_to_app()  # (text is refused by the app; rare)
            return
        frames = self.frames
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        self.frames = []
        self._deliver(data)

    def _deliver(self, data: bytes) -> None:
        """A binary message for the app (reading pauses while too much waits)."""
        if self.close_sent:
            return  # (the app is past its close: reads go on until the peer's close)
        handler = self.on_message
        if handler is not None and self._handled < HANDLED_PER_READ and self.queue.parked:
            self._handled += 1
            if handler(data):
                return
        self.queue.put_nowait({"type": "websocket.receive", "bytes": data})
        self.queued_bytes += len(data)
        if self.queued_bytes > QUEUED_BYTES and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    async def receive(self) -> ASGIReceiveEvent:
        message = await self.queue.get()
        data = message.get("bytes")
        if data is not None:
            self.queued_bytes -= len(data)  # type: ignore[arg-type]
        if self.read_paused and (self.queued_bytes <= QUEUED_BYTES // 2 or self.queue.empty()):
            self.read_paused = False
            self.transport.resume_reading()
        return message
