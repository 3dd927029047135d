"""A full disk loses no acknowledged op (embedded store).

The disk is made full for real, and bounded: the hub runs as a process whose file size
limit (``RLIMIT_FSIZE``) lets its SQLite files grow only so far. Past it, the kernel
refuses every write (``EFBIG``, as ``ENOSPC`` on a full disk) and SQLite fails the
commit. No root, no mount, nothing that outlives the process. (A tmpfs needs the
privilege to mount, which CI may not grant.)

The clients follow PROTOCOL.md: they resend a batch refused with ``store_unavailable``,
and after a reconnect every batch not yet acknowledged. Then the hub is stopped and
started again without the limit: every acknowledged op must be there.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from schakel_core import messages as m
from schakel_core.ops import Op
from tests.e2e.raw import Raw, board_state
from tests.support.server import HubProcess, create_workshop, join

LIMIT = 192 * 1024  # bytes any file of the hub may reach (its log too)
FAILURES = 24  # refusals (or closes) to see before stopping the hub
WINDOW = 4


@dataclass
class Writer:
    """Sends new actors, resends what was refused or not acknowledged; counts acks."""

    url: str
    token: str
    name: str
    board: str
    acked: list[Op] = field(default_factory=list)
    failures: int = 0
    pending: dict[int, list[Op]] = field(default_factory=dict)  # ref -> ops, unacked
    k: int = 0
    counter: int = 0
    ref: int = 0

    def fresh(self) -> list[Op]:
        self.k += 1
        obj = f"{self.name}-{self.k}"
        self.counter += 2
        return [
            Op(obj, "actor", "label", f"{self.name} #{self.k}", self.counter - 1, self.name),
            Op(obj, "actor", "pos", [self.k, 0], self.counter, self.name),
        ]

    async def send(self, raw: Raw, ops: list[Op]) -> None:
        self.ref += 1
        self.pending[self.ref] = ops
        await raw.send(m.Ops(self.board, self.ref, ops))

    async def session(self) -> None:
        raw = await Raw.hello(self.url, self.token, self.name)
        try:
            await raw.subscribe(self.board)
            again, self.pending = list(self.pending.values()), {}
            for ops in again:  # after a reconnect: everything not acknowledged
                await self.send(raw, ops)
            while self.failures < FAILURES:
                while len(self.pending) < WINDOW:
                    await self.send(raw, self.fresh())
                msg = await raw.recv(timeout=30)
                if isinstance(msg, m.Ack):
                    for ref in sorted(r for r in self.pending if r <= msg.ref):
                        self.acked.extend(self.pending.pop(ref))
                elif isinstance(msg, m.Error) and msg.ref in self.pending:
                    assert msg.code == "store_unavailable", msg
                    self.failures += 1
                    await asyncio.sleep(0.02)
                    await self.send(raw, self.pending.pop(msg.ref))  # the same ops again
        finally:
            await raw.close()

    async def run(self) -> None:
        while self.failures < FAILURES:
            try:
                await self.session()
            except ConnectionClosed:
                self.failures += 1  # closed by the hub: reconnect and resend


async def test_a_full_disk_loses_no_acknowledged_op(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "data", max_file_bytes=LIMIT)
    await asyncio.to_thread(hub.start)
    try:
        ws = await create_workshop(hub.http, groups=1)
        people = [await join(hub.http, ws["join_code"], f"P{i}") for i in range(2)]
        board = people[0]["board"]
        writers = [Writer(hub.ws, p["token"], f"w{i}", board) for i, p in enumerate(people)]
        async with asyncio.timeout(120):
            await asyncio.gather(*(w.run() for w in writers))
        acked = [op for w in writers for op in w.acked]
        assert acked, "nothing was acknowledged before the disk was full"
        await asyncio.to_thread(hub.stop)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(hub.kill)

    again = HubProcess(tmp_path / "data")  # the disk has room again
    await asyncio.to_thread(again.start)
    try:
        state = await board_state(again.http, board, ws["facilitator_token"])
        lost = [op for op in acked if op.id not in state["objects"]]
        print(
            f"\nfull disk: {len(acked)} ops acknowledged, "
            f"{sum(w.failures for w in writers)} refusals, {len(lost)} acknowledged ops lost"
        )
        assert lost == []
        for op in acked:
            assert state["objects"][op.id][op.field] == op.value
        assert state["seq"] >= len(acked)
    finally:
        await asyncio.to_thread(again.kill)
