"""The hub's socket reads frames itself (``sockets.HubSocket``): whatever way a client's
bytes are cut into TCP reads, every message arrives whole and in order, pings are
answered, and everything the fast path leaves to websockets (text, frames too large or
unmasked, a close) ends as websockets would end it.

A real uvicorn on a free port serves an echo app on the socket; the client is a raw TCP
connection writing frames serialised by websockets, cut at random points.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.frames import Close, Frame, Opcode

from schakel.sockets import EXTENSION, HubSocket
from tests.support.server import free_port

LIMIT = 1 << 17  # the server's ws_max_size here
ROUNDS = 40


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Each binary message back as it came; text back as b"text:" + its bytes."""
    assert scope["type"] == "websocket"
    socket: HubSocket = scope["extensions"][EXTENSION]["socket"]
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data == b"who reads?":  # (the tests' question: the fast path, or websockets)
            data = b"websockets" if socket._websockets_reads else b"the socket"
        socket.write_frame(data if data is not None else b"text:" + message["text"].encode())


@pytest.fixture
async def server() -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(
        echo,
        host="127.0.0.1",
        port=port,
        ws=HubSocket,
        ws_max_size=LIMIT,
        lifespan="off",
        log_level="warning",
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    yield port
    srv.should_exit = True
    await task


class Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def write_cut(self, data: bytes, rng: random.Random) -> None:
        """``data`` in pieces of random sizes, each written and drained on its own."""
        pos = 0
        while pos < len(data):
            n = rng.choice([1, 2, 3, 7, 64, 1000, 70_000])
            self.writer.write(data[pos : pos + n])
            await self.writer.drain()
            if rng.random() < 0.3:
                await asyncio.sleep(0.001)  # (a separate TCP read on the server)
            pos += n

    async def read_frame(self) -> tuple[int, bytes]:
        """The next frame from the server (unmasked): its opcode and payload."""
        b0, b1 = await self.reader.readexactly(2)
        assert not b1 & 0x80, "a server frame must not be masked"
        size = b1 & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        assert b0 & 0x80, "fragmented frame"
        return b0 & 0x0F, await asyncio.wait_for(self.reader.readexactly(size), 5)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def frame(opcode: Opcode, data: bytes, *, mask: bool = True) -> bytes:
    return Frame(opcode, data).serialize(mask=mask)


def payload(rng: random.Random) -> bytes:
    size = rng.choice(
        [
            rng.randint(0, 10),
            rng.randint(120, 130),
            rng.randint(1000, 5000),
            rng.randint(65_530, 65_540),
            rng.randint(LIMIT - 3, LIMIT),
        ]
    )
    return rng.randbytes(size)


async def test_messages_cut_anywhere_arrive_whole_in_order_and_pings_are_answered(
    server: int,
) -> None:
    for seed in range(ROUNDS):
        rng = random.Random(seed)
        client = await Client.open(server)
        expected: list[tuple[int, bytes]] = []
        data = b""
        for _ in range(rng.randint(1, 12)):
            kind = rng.random()
            if kind < 0.7:
                body = payload(rng)
                data += frame(Opcode.BINARY, body)
                expected.append((Opcode.BINARY.value, body))
            elif kind < 0.9:
                body = rng.randbytes(rng.randint(0, 125))
                data += frame(Opcode.PING, body)
                expected.append((Opcode.PONG.value, body))
            else:
                data += frame(Opcode.PONG, rng.randbytes(4))  # unsolicited: no answer
        await client.write_cut(data, rng)
        got = [await client.read_frame() for _ in expected]
        # Messages in order, pongs in order; a pong may pass the echo of a message sent
        # before its ping (it is written as the ping is read, the echo when the app
        # has handled the message).
        for kind in (Opcode.BINARY.value, Opcode.PONG.value):
            mine = [f for f in expected if f[0] == kind]
            assert [f for f in got if f[0] == kind] == mine, f"seed {seed}"
        await client.write_cut(frame(Opcode.BINARY, b"who reads?"), rng)
        assert await client.read_frame() == (Opcode.BINARY.value, b"the socket")
        # (a close right behind them would be answered at once, the app's echoes of
        # what came before it dropped: the peer has said it reads nothing more)
        await client.write_cut(frame(Opcode.CLOSE, Close(1000, "bye").serialize()), rng)
        opcode, body = await client.read_frame()
        assert (opcode, Close.parse(body).code) == (Opcode.CLOSE.value, 1000)
        await client.close()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(Opcode.BINARY, bytes(LIMIT + 1)), 1009),  # too large
        (frame(Opcode.BINARY, b"hello", mask=False), 1002),  # a client must mask
        (bytes([0x82 | 0x40, 0x80 | 1]) + bytes(5), 1002),  # a reserved bit, no extension
        (bytes([0x09, 0x80]) + bytes(4), 1002),  # a fragmented control frame
    ],
)
async def test_what_the_fast_path_leaves_to_websockets_closes_as_websockets_does(
    server: int, data: bytes, code: int
) -> None:
    client = await Client.open(server)
    first = b"before"
    await client.write_cut(frame(Opcode.BINARY, first), random.Random(1))
    assert await client.read_frame() == (Opcode.BINARY.value, first)
    await client.write_cut(data, random.Random(1))
    opcode, body = await client.read_frame()
    assert (opcode, Close.parse(body).code) == (Opcode.CLOSE.value, code)
    await client.close()


async def test_text_and_fragments_go_to_websockets_and_binary_still_arrives(
    server: int,
) -> None:
    client = await Client.open(server)
    parts = [
        frame(Opcode.BINARY, b"one"),
        frame(Opcode.TEXT, b"twee"),
        Frame(Opcode.BINARY, b"th", fin=False).serialize(mask=True),
        Frame(Opcode.CONT, b"ree", fin=True).serialize(mask=True),
        frame(Opcode.BINARY, b"four"),
    ]
    await client.write_cut(b"".join(parts), random.Random(2))
    got = [await client.read_frame() for _ in range(4)]
    assert [body for _, body in got] == [b"one", b"text:twee", b"three", b"four"]
    await client.write_cut(frame(Opcode.BINARY, b"who reads?"), random.Random(3))
    assert await client.read_frame() == (Opcode.BINARY.value, b"websockets")
    await client.close()
