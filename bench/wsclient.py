"""A lean WebSocket client for load generation: an :class:`asyncio.Protocol`, no tasks.

A load generator must not be the bottleneck it measures. The ``websockets`` client costs
a coroutine resumption per received frame; this one parses frames inside
``data_received`` and hands each binary payload to a callback, so one generator process
can absorb the tens of thousands of frames per second a naive relay sends.

Only what the benchmark needs: binary frames, masked sends (RFC 6455 client rule),
answers to pings, no extensions (no compression is offered, so none is negotiated).

A hub frame may hold several messages back to back (protocol v2). Given a
:class:`~schakel_core.client_session.ClientSession`, the client speaks the protocol
through it (the same pure state machine as the Python client: hello, subscribe and
resume, batches, acks, the v2 seq rules): it says hello once connected, feeds it every
frame, hands the events it returns to ``on_events``, and sends what it asks to send
(:meth:`WSClient.flush` sends the unsent ops of every board). Without one,
``on_message`` gets every binary frame as it came.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
from collections.abc import Callable
from typing import Any, cast

from schakel.sockets import frame_size
from schakel_core.client_session import ClientSession, Event

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WSError(Exception):
    pass


def _mask(data: bytes, key: bytes) -> bytes:
    n = len(data)
    if not n:
        return data
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def encode_frame(payload: bytes, opcode: int = OP_BINARY) -> bytes:
    """One masked, final client frame."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + key + _mask(payload, key)


class WSClient(asyncio.Protocol):
    """One connection; ``on_message(payload)`` runs for every binary frame received."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        on_message: Callable[[bytes], None],
        headers: dict[str, str] | None = None,
        session: ClientSession[Any] | None = None,
        on_events: Callable[[list[Event]], None] | None = None,
    ):
        self.host, self.port, self.path = host, port, path
        self.headers = headers or {}
        self.on_message = on_message
        self.session = session
        self.on_events = on_events
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.frames_in = 0
        self.bytes_in = 0
        self._key = base64.b64encode(os.urandom(16))
        self._buf = b""
        self._upgraded = False

    # ------------------------------------------------------------ protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = (
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
        )
        extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        self.transport.write(f"{head}{extra}\r\n".encode())

    def data_received(self, data: bytes) -> None:
        buf = self._buf + data if self._buf else data
        if not self._upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._buf = buf
                return
            try:
                self._check_handshake(buf[:end])
            except WSError as exc:  # refused (e.g. 429): connect() raises it
                if not self.opened.done():
                    self.opened.set_exception(exc)
                assert self.transport is not None
                self.transport.close()
                return
            buf = buf[end + 4 :]
            self._upgraded = True
            if self.session is not None:
                self.session.connect()
                self._send_session()
            if not self.opened.done():
                self.opened.set_result(None)
        self.bytes_in += len(data)
        pos, size = 0, len(buf)
        while size - pos >= 2:
            sized = frame_size(buf, pos, size)
            if sized is None:
                break
            n, start = sized
            b0, b1 = buf[pos], buf[pos + 1]
            if b1 & 0x80:
                raise WSError("the server masked a frame")
            end = start + n
            if end > size:
                break
            opcode = b0 & 0x0F
            payload = buf[start:end]
            pos = end
            if not b0 & 0x80:
                raise WSError("fragmented frames are not supported by this client")
            if opcode == OP_BINARY:
                self.frames_in += 1
                if self.session is None:
                    self.on_message(payload)
                else:
                    self._receive(payload)
            elif opcode == OP_PING:
                self._write(encode_frame(payload, OP_PONG))
            elif opcode == OP_CLOSE:
                self._write(encode_frame(payload[:2], OP_CLOSE))
                assert self.transport is not None
                self.transport.close()
            elif opcode == OP_TEXT:
                raise WSError("unexpected text frame")
        self._buf = buf[pos:] if pos < size else b""

    def _receive(self, payload: bytes) -> None:
        assert self.session is not None
        events = self.session.receive(payload)
        if self.on_events is not None:
            self.on_events(events)
        self._send_session()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None:
            self.session.connection_lost()
        if not self.opened.done():
            self.opened.set_exception(exc or WSError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def _check_handshake(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise WSError(f"handshake refused: {lines[0]}")
        accept = base64.b64encode(hashlib.sha1(self._key + _GUID).digest()).decode()
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
        }
        if headers.get("sec-websocket-accept") != accept:
            raise WSError("handshake: bad Sec-WebSocket-Accept")
        if headers.get("sec-websocket-extensions"):
            raise WSError("handshake: the server negotiated an extension")

    # ------------------------------------------------------------- sending

    def _write(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def send(self, payload: bytes) -> None:
        self._write(encode_frame(payload))

    def flush(self) -> None:
        """Send the session's unsent ops (as batches) and whatever else it has queued."""
        if self.session is not None:
            self.session.flush()
            self._send_session()

    def _send_session(self) -> None:
        assert self.session is not None
        for payload in self.session.data_to_send():
            self._write(encode_frame(payload))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame((1000).to_bytes(2, "big"), OP_CLOSE))
            self.transport.close()


async def connect(
    host: str,
    port: int,
    path: str,
    on_message: Callable[[bytes], None],
    timeout: float = 10,
    headers: dict[str, str] | None = None,
    session: ClientSession[Any] | None = None,
    on_events: Callable[[list[Event]], None] | None = None,
) -> WSClient:
    """Open a connection; with ``session``, it has said hello when this returns."""
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(
        lambda: WSClient(host, port, path, on_message, headers, session, on_events), host, port
    )
    await asyncio.wait_for(proto.opened, timeout)
    return proto
