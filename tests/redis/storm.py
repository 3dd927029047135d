"""A connection storm: every participant of a workshop says hello and subscribes at the
same instant, and what Redis was asked meanwhile.

:func:`storm` opens every socket first, then sends each one's ``hello`` and ``subscribe``
back to back, all at once, and reads each socket until its ``sync`` or its close.
:class:`Monitor` follows Redis ``MONITOR`` on every node during the storm, so the test can
say how many commands (round trips, apart from pipelines) one hello cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as aioredis
from websockets.exceptions import ConnectionClosed

from schakel_core import messages as m
from schakel_core.workshop import MAX_PARTICIPANTS
from tests.e2e.raw import Raw
from tests.support.redis_server import RedisServer
from tests.support.server import create_workshop

TIMEOUT = 60.0  # for the whole storm; it normally takes well under a second or two


@dataclass
class Seat:
    """One participant: its token and the board it draws on."""

    token: str
    board: str
    workshop: str


@dataclass
class Outcome:
    welcome: bool = False
    sync: bool = False
    errors: list[str] = field(default_factory=list)
    close: int | None = None


async def seats(http: str, workshops: int, devices: int) -> list[Seat]:
    """``devices`` connections of people spread evenly over ``workshops`` new workshops.
    Joining fills groups of four; a workshop holds ``MAX_PARTICIPANTS`` people, so past
    that the same people come in on a second device (a tablet and a laptop), as when a
    whole room reconnects."""
    made = [await create_workshop(http, groups=1) for _ in range(workshops)]
    joined: list[list[dict[str, Any]]] = [[] for _ in made]
    per = [devices // workshops + (1 if w < devices % workshops else 0) for w in range(workshops)]
    async with httpx.AsyncClient(base_url=http, timeout=30) as client:
        for w, n in enumerate(per):
            for _ in range(min(n, MAX_PARTICIPANTS)):
                r = await client.post(
                    "/api/join", json={"code": made[w]["join_code"], "nickname": "p"}
                )
                r.raise_for_status()
                joined[w].append(r.json())
    out = []
    for w, n in enumerate(per):
        for i in range(n):
            p = joined[w][i % len(joined[w])]  # past the cap: the same person, another device
            out.append(Seat(p["token"], p["board"], made[w]["workshop"]["id"]))
    return out


async def _hello_and_subscribe(raw: Raw, seat: Seat, start: asyncio.Event) -> Outcome:
    got = Outcome()
    await start.wait()
    await raw.send(m.Hello(seat.token, raw.client, ""))
    await raw.send(m.Subscribe(seat.board, 0, 1))
    try:
        while not got.sync:  # read until the sync, or until the hub closes the socket
            match await raw.recv(TIMEOUT):
                case m.Welcome():
                    got.welcome = True
                case m.Sync(board=board) if board == seat.board:
                    got.sync = True
                case m.Error(code=err):
                    got.errors.append(err)
    except ConnectionClosed as exc:
        got.close = exc.rcvd.code if exc.rcvd is not None else -1
    return got


async def storm(ws_url: str, people: Sequence[Seat]) -> list[Outcome]:
    """Every seat connects; then all send hello and subscribe at the same instant."""
    raws = await asyncio.gather(
        *(Raw.open(ws_url, f"t{i}-{secrets.token_hex(2)}") for i in range(len(people)))
    )
    start = asyncio.Event()
    try:
        tasks = [
            asyncio.ensure_future(_hello_and_subscribe(raw, seat, start))
            for raw, seat in zip(raws, people, strict=True)
        ]
        await asyncio.sleep(0)  # every task waits on the start
        start.set()
        async with asyncio.timeout(TIMEOUT):
            return list(await asyncio.gather(*tasks))
    finally:
        await asyncio.gather(*(r.close() for r in raws), return_exceptions=True)


def summary(outcomes: Sequence[Outcome]) -> str:
    closes = Counter(o.close for o in outcomes if o.close is not None)
    errors = Counter(e for o in outcomes for e in o.errors)
    return (
        f"{sum(o.welcome for o in outcomes)} welcome, {sum(o.sync for o in outcomes)} sync"
        f" of {len(outcomes)}; closes {dict(closes)}; errors {dict(errors)}"
    )


class Monitor:
    """Redis ``MONITOR`` on each node: the commands the hubs sent (not those a Lua script
    ran), counted by name, and the workshop-record reads by key."""

    END = "schakel-monitor-end"

    def __init__(self, nodes: Sequence[RedisServer]) -> None:
        self.nodes = nodes
        self.commands: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()  # GET of a workshop record, per key
        self._ended: set[int] = set()
        self._all_ended = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = [asyncio.Event() for _ in nodes]

    async def _follow(self, i: int, node: RedisServer) -> None:
        client = aioredis.Redis(host="127.0.0.1", port=node.port, password=node.password or None)
        try:
            async with client.monitor() as mon:
                self._ready[i].set()
                async for cmd in mon.listen():
                    self._count(i, cmd)
        finally:
            await client.aclose()

    def _count(self, i: int, cmd: dict[str, Any]) -> None:
        text: str = cmd["command"]
        if cmd.get("client_type") == "lua" or i in self._ended:
            return
        if self.END in text:
            self._ended.add(i)
            if len(self._ended) == len(self.nodes):
                self._all_ended.set()
            return
        name = text.split(" ", 1)[0].upper()
        self.commands[name] += 1
        if name == "GET" and text.endswith(":ws"):
            self.reads[text.split(" ", 1)[1]] += 1

    @property
    def total(self) -> int:
        return sum(self.commands.values())

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Monitor]:
        self._tasks = [asyncio.create_task(self._follow(i, n)) for i, n in enumerate(self.nodes)]
        try:
            for ready in self._ready:
                await ready.wait()
            yield self
            # a marker through every node: everything before it has been counted
            for node in self.nodes:
                with node.client() as c:
                    c.echo(self.END)
            async with asyncio.timeout(10):
                await self._all_ended.wait()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def per(self, hellos: int) -> str:
        top = ", ".join(f"{k} {v / hellos:.2f}" for k, v in self.commands.most_common(6))
        return f"{self.total / hellos:.2f} Redis commands per hello ({top})"
