"""A raw WebSocket client for end-to-end tests: exact frames in, exact messages out.

Unlike :class:`schakel_client.SchakelClient` it does nothing by itself: no reconnect, no
batching, no replica. Tests use it to check the hub's answers message by message (a hub
frame holds one or more messages; :attr:`Raw.frames` counts the frames).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import socket
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from schakel_core import codec
from schakel_core import messages as m
from schakel_core.ops import Op

TIMEOUT = 10.0
T = TypeVar("T")
_pings = itertools.count(1)


class Raw:
    def __init__(self, ws: ClientConnection, client: str) -> None:
        self.ws = ws
        self.client = client
        self.welcome: m.Welcome | None = None
        self.counter = 0
        self.sync_frames = 0  # frames of the last sync
        self.frames = 0  # frames received
        self._ref = 0
        self._queued: collections.deque[m.ServerMessage] = collections.deque()

    @classmethod
    async def open(
        cls, url: str, client: str = "raw", *, rcvbuf: int = 0, deflate: bool = True
    ) -> Raw:
        """Connect; ``rcvbuf`` shrinks the socket's receive buffer (tests of slow readers);
        ``deflate=False`` offers no compression (for bulk incompressible data)."""
        sock = None
        if rcvbuf:
            host, port = urlsplit(url).hostname, urlsplit(url).port
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
        compression = "deflate" if deflate else None
        ws = await connect(
            url, max_size=None, open_timeout=TIMEOUT, sock=sock, compression=compression
        )
        return cls(ws, client)

    @classmethod
    async def hello(
        cls,
        url: str,
        token: str,
        client: str = "raw",
        name: str = "",
        *,
        rcvbuf: int = 0,
        deflate: bool = True,
    ) -> Raw:
        """Connect and say hello; returns once ``welcome`` (and the workshop view) came."""
        raw = await cls.open(url, client, rcvbuf=rcvbuf, deflate=deflate)
        await raw.send(m.Hello(token, client, name))
        raw.welcome = await raw.expect(m.Welcome)
        await raw.expect(m.WorkshopEvent)
        return raw

    async def close(self) -> None:
        await self.ws.close()

    async def __aenter__(self) -> Raw:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---------------------------------------------------------------- sending

    async def send(self, msg: m.ClientMessage) -> None:
        await self.ws.send(m.encode(msg))

    async def send_map(self, value: dict[str, Any]) -> None:
        await self.ws.send(codec.pack(value))

    async def send_bytes(self, data: bytes | str) -> None:
        await self.ws.send(data)

    def next_ref(self) -> int:
        self._ref += 1
        return self._ref

    def op(self, obj_id: str, obj_type: str, field: str, value: Any) -> Op:
        self.counter += 1
        return Op(obj_id, obj_type, field, value, self.counter, self.client)

    async def send_ops(self, board: str, ops: list[Op], ref: int | None = None) -> int:
        ref = self.next_ref() if ref is None else ref
        await self.send(m.Ops(board, ref, ops))
        return ref

    # -------------------------------------------------------------- receiving

    async def recv(self, timeout: float = TIMEOUT) -> m.ServerMessage:
        """The next message (of the frame being read, or of the next frame)."""
        if not self._queued:
            self._queued.extend(await self.recv_frame(timeout))
        return self._queued.popleft()

    async def recv_frame(self, timeout: float = TIMEOUT) -> list[m.ServerMessage]:
        """The messages of the next frame (after any left of the previous one)."""
        if self._queued:
            left, self._queued = list(self._queued), collections.deque()
            return left
        data = await asyncio.wait_for(self.ws.recv(decode=False), timeout)
        assert isinstance(data, bytes), f"the hub sent a text frame: {data!r}"
        self.frames += 1
        return m.decode_frame(data)

    async def expect(self, kind: type[T], timeout: float = TIMEOUT) -> T:
        msg = await self.recv(timeout)
        assert isinstance(msg, kind), f"expected {kind.__name__}, got {msg!r}"
        return msg

    async def until(
        self, kind: type[T], pred: Callable[[T], bool] = lambda _: True, timeout: float = TIMEOUT
    ) -> tuple[T, list[m.ServerMessage]]:
        """Read frames until one of ``kind`` matching ``pred``; returns it and those skipped."""
        skipped: list[m.ServerMessage] = []
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.recv(timeout)
                if isinstance(msg, kind) and pred(msg):
                    return msg, skipped
                skipped.append(msg)

    async def subscribe(self, board: str, since: int = 0, ref: int | None = None) -> m.Sync:
        """Subscribe; returns the sync, its frames joined into one (workshop views that
        come first are skipped)."""
        await self.send(m.Subscribe(board, since, ref))
        ops: list[Op] = []
        self.sync_frames = 0
        while True:
            sync, skipped = await self.until(m.Sync)
            assert all(isinstance(s, m.WorkshopEvent) for s in skipped), skipped
            ops += sync.ops
            self.sync_frames += 1
            if not sync.more:
                return m.Sync(sync.board, sync.seq, sync.full, ops, sync.ref)

    async def quiet(self) -> None:
        """Assert that nothing is waiting: a ping now is answered by the very next frame."""
        n = next(_pings)
        await self.send(m.Ping(n))
        msg = await self.recv()
        assert isinstance(msg, m.Pong), f"unexpected frame before the pong: {msg!r}"
        assert msg.n == n

    async def closed(self, timeout: float = TIMEOUT) -> tuple[int | None, list[m.ServerMessage]]:
        """Read until the hub closes; returns the close code and the frames before it."""
        frames: list[m.ServerMessage] = list(self._queued)
        self._queued.clear()
        async with asyncio.timeout(timeout):
            try:
                while True:
                    data = await self.ws.recv(decode=False)
                    assert isinstance(data, bytes)
                    frames.extend(m.decode_frame(data))
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else None
                return code, frames


async def board_state(http: str, board: str, token: str) -> dict[str, Any]:
    """``GET /api/boards/{board}``: the hub's visible state of a board."""
    async with httpx.AsyncClient(base_url=http) as client:
        r = await client.get(f"/api/boards/{board}", headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data
