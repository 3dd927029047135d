"""A tiny TCP load balancer for tests: round-robin over live hubs, like any real one.

Each accepted connection goes to the next backend that accepts a connection; when a hub
dies its connections break and the clients' reconnects land on a live hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator


class Balancer:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends  # ports on 127.0.0.1; tests may edit the list
        self.port = 0
        self.placed: Counter[int] = Counter()  # connections sent to each backend
        self._next = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._links: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def cut(self, n: int, rnd: random.Random) -> int:
        """Break ``n`` random connections at both ends (a reset each), as a flaky
        network does."""
        victims = rnd.sample(self._links, min(n, len(self._links)))
        for client_side, hub_side in victims:
            client_side.transport.abort()
            hub_side.transport.abort()
        return len(victims)

    async def _connect(self) -> tuple[int, asyncio.StreamReader, asyncio.StreamWriter] | None:
        # Each connection tries every backend once, starting at its turn (connections
        # accepted together must not take each other's turns and miss the live hub).
        start, self._next = self._next, self._next + 1
        for k in range(len(self.backends)):
            port = self.backends[(start + k) % len(self.backends)]
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            return port, reader, writer
        return None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        try:
            backend = await self._connect()
            if backend is None:
                return
            port, b_reader, b_writer = backend
            self.placed[port] += 1
            link = (writer, b_writer)
            self._links.append(link)
            try:
                await asyncio.gather(_pipe(reader, b_writer), _pipe(b_reader, writer))
            finally:
                self._links.remove(link)
                b_writer.close()
        finally:
            writer.close()
            self._pipes.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            writer.write_eof()  # the other direction ends too when its peer closes
        writer.close()


@contextlib.asynccontextmanager
async def balancer(backends: list[int]) -> AsyncIterator[Balancer]:
    lb = Balancer(backends)
    await lb.start()
    try:
        yield lb
    finally:
        await lb.close()
