"""A workshop co-edited by clients spread over several hubs, and the checks after it.

Every client writes actors of its own (one register per op, so each acknowledged op must
be found with its exact value afterwards) and fights over one shared label (so the merge
rule decides a winner every replica must agree on).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schakel_client import SchakelClient
from schakel_client.replica import Replica
from schakel_core.ops import Op
from tests.support.server import create_workshop, join

RETRYABLE = {"store_unavailable", "rate_limited"}


@dataclass
class Member:
    client: SchakelClient
    board: str
    written: list[Op] = field(default_factory=list)

    @property
    def replica(self) -> Replica:
        return self.client.replicas[self.board]

    def acked(self) -> list[Op]:
        """Own ops acknowledged so far: everything written but not still pending."""
        r = self.replica
        pending = {(op.id, op.field, op.counter) for op in r.unsent}
        pending |= {(op.id, op.field, op.counter) for ops in r.inflight.values() for op in ops}
        return [op for op in self.written if (op.id, op.field, op.counter) not in pending]


@dataclass
class Workshop:
    info: dict[str, Any]
    members: list[Member]
    plenary: SchakelClient
    boards: list[str]

    @property
    def clients(self) -> list[SchakelClient]:
        return [m.client for m in self.members] + [self.plenary]

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)


async def open_workshop(
    http: Sequence[str],
    ws_urls: Sequence[str],
    *,
    groups: int = 2,
    per_group: int = 3,
    info: dict[str, Any] | None = None,
) -> Workshop:
    """A workshop made through the first hub (or ``info``, one made already);
    participants join (one after another, so groups fill in order) and connect (all
    together) round-robin over ``http`` / ``ws_urls``; a plenary viewer follows every
    group board."""
    if info is None:
        info = await create_workshop(http[0], groups=groups)
    members: list[Member] = []
    opened: list[SchakelClient] = []

    async def connect(client: SchakelClient, board: str) -> None:
        await client.start()
        await client.subscribe(board)

    try:
        joined = [
            await join(http[i % len(http)], info["join_code"], f"p{i}")
            for i in range(groups * per_group)
        ]
        for i, p in enumerate(joined):
            client = SchakelClient(ws_urls[i % len(ws_urls)], p["token"], client_id=f"c{i:02d}")
            opened.append(client)
            members.append(Member(client, p["board"]))
        await asyncio.gather(*(connect(m.client, m.board) for m in members))
        boards = sorted({m.board for m in members})
        plenary = SchakelClient(ws_urls[-1], info["viewer_token"], client_id="plenary")
        opened.append(plenary)
        await plenary.start()
        for board in boards:
            await plenary.subscribe(board)
    except BaseException:
        await asyncio.gather(*(c.close() for c in opened), return_exceptions=True)
        raise
    return Workshop(info, members, plenary, boards)


def write(member: Member, k: int) -> None:
    """One edit: a new actor of this client's own, and a bid for the shared label."""
    cid = member.client.client_id
    member.written += member.client.edit(member.board, f"{cid}-a{k}", "actor", label=f"{k}")
    member.written += member.client.edit(member.board, "shared", "actor", label=f"{cid}/{k}")


async def burst(ws: Workshop, seconds: float, *, every_s: float = 0.01) -> int:
    """Every member edits every ``every_s`` for ``seconds``; returns the edits made."""
    k = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for m in ws.members:
            write(m, len(m.written))
        k += 1
        await asyncio.sleep(every_s)
    return k * len(ws.members)


def converged(ws: Workshop) -> bool:
    for board in ws.boards:
        replicas = [m.replica for m in ws.members if m.board == board]
        replicas.append(ws.plenary.replicas[board])
        if any(r.pending for r in replicas):
            return False
        first = replicas[0]
        if any(r.seq != first.seq or r.doc != first.doc for r in replicas[1:]):
            return False
    return True


async def wait_converged(ws: Workshop, timeout: float = 30) -> float:
    """Seconds until every replica of every board is equal and nothing is pending."""
    start = time.monotonic()
    await ws.plenary.wait_for(lambda: converged(ws), timeout)
    return time.monotonic() - start


def acked_by_board(ws: Workshop) -> dict[str, list[Op]]:
    out: dict[str, list[Op]] = {b: [] for b in ws.boards}
    for m in ws.members:
        out[m.board] += m.acked()
    return out


def check_all_present(ws: Workshop, acked: dict[str, list[Op]] | None = None) -> int:
    """Every acknowledged op is in every replica: an own actor's label exactly, the
    shared label at a clock at least the highest acknowledged. Returns the ops checked."""
    refused = [e for c in ws.clients for e in c.errors if e.code not in RETRYABLE]
    assert refused == [], refused
    if acked is None:
        acked = acked_by_board(ws)
    for board, ops in acked.items():
        replicas = [m.replica for m in ws.members if m.board == board]
        replicas.append(ws.plenary.replicas[board])
        winner = max((op for op in ops if op.id == "shared"), key=lambda o: o.clock, default=None)
        for r in replicas:
            for op in ops:
                if op.id != "shared":
                    got = r.doc.get(op.id)
                    assert got is not None and got["label"] == op.value, (board, op)
            if winner is not None:
                reg = r.doc.fields["shared"]["label"]
                assert (reg.counter, reg.client) >= winner.clock, (board, winner)
    return sum(len(ops) for ops in acked.values())


@contextlib.asynccontextmanager
async def running(coro: Any) -> Any:
    """Run ``coro`` alongside the block; wait for it at the end (cancel it on errors)."""
    task = asyncio.ensure_future(coro)
    try:
        yield task
    except BaseException:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise
    with contextlib.suppress(asyncio.CancelledError):
        await task  # (cancelled by the block itself when it is an endless watcher)
