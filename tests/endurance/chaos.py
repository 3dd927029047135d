"""``make chaos``: several hubs on Redis, many clients editing, and faults for a bounded time.

Three hubs (``schakel serve`` processes) share one Redis (AOF, ``appendfsync always``)
behind the tests' round-robin balancer; a workshop's participants edit through it all
the time. Meanwhile, at random: a hub is killed (SIGKILL) and started again on its port,
Redis is killed and started again (its AOF reloaded), or connections are cut at both
ends. At the end the faults stop, every client converges, and the run checks that every
acknowledged op is present (an own actor's label exactly; the shared label at a clock at
least the highest acknowledged) in every replica and in what the hubs serve a new
reader, and that all replicas are equal. It prints the counts and exits non-zero if
anything was lost. Everything runs on 127.0.0.1 and stops by itself.

    python -m tests.endurance.chaos --seconds 60 [--hubs 3 --groups 6 --per-group 4]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from schakel_client import SchakelClient
from schakel_core.ops import Op
from tests.redis.balancer import Balancer, balancer
from tests.redis.scenario import Workshop, acked_by_board, burst, open_workshop, running
from tests.support.redis_server import RedisServer
from tests.support.server import HubProcess

FAULT_EVERY_S = (0.5, 2.0)  # the pause between two faults, drawn uniformly
CONVERGE_S = 120.0


@dataclass
class ChaosReport:
    seconds: float = 0.0
    hub_kills: int = 0
    redis_kills: int = 0
    cuts: int = 0
    reconnects: int = 0
    edits: int = 0
    acked_ops: int = 0
    lost_ops: int = 0
    unequal_replicas: int = 0
    converge_s: float = 0.0
    faults: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"chaos: {self.seconds:.0f} s of faults: {self.hub_kills} hub kills, "
            f"{self.redis_kills} Redis kills, {self.cuts} connections cut; "
            f"{self.reconnects} reconnects",
            f"edits made {self.edits}; acknowledged ops {self.acked_ops}; "
            f"lost {self.lost_ops}; unequal replicas {self.unequal_replicas}; "
            f"converged {self.converge_s:.1f} s after the faults stopped",
        ]


async def faults(
    hubs: list[HubProcess],
    redis: RedisServer,
    lb: Balancer,
    seconds: float,
    rnd: random.Random,
    report: ChaosReport,
) -> None:
    """Inject faults until ``seconds`` have passed; leave everything running."""
    deadline = time.monotonic() + seconds
    # One of each kind first (even when a slow restart eats the time), then at random.
    first = [0.0, 0.5, 0.9]
    while first or time.monotonic() < deadline:
        await asyncio.sleep(rnd.uniform(*FAULT_EVERY_S))
        roll = first.pop(0) if first else rnd.random()
        if roll < 0.4:
            hub = rnd.choice(hubs)
            hub.kill()
            report.hub_kills += 1
            report.faults.append(f"kill hub :{hub.port}")
            await asyncio.sleep(rnd.uniform(0.1, 1.0))
            await asyncio.to_thread(hub.start)
        elif roll < 0.6:
            redis.kill()
            report.redis_kills += 1
            report.faults.append("kill redis")
            await asyncio.sleep(rnd.uniform(0.1, 1.0))
            await asyncio.to_thread(redis.start)
        else:
            n = lb.cut(rnd.randint(1, 8), rnd)
            report.cuts += n
            report.faults.append(f"cut {n}")


def check(
    ws: Workshop, acked: dict[str, list[Op]], truth: dict[str, SchakelClient]
) -> tuple[int, int]:
    """(ops lost, boards whose replicas differ): every acknowledged op in every replica
    and in a new reader's copy of the board; every replica of a board equal."""
    lost = unequal = 0
    for board, ops in acked.items():
        replicas = [m.replica for m in ws.members if m.board == board]
        replicas += [ws.plenary.replicas[board], truth[board].replicas[board]]
        winner = max((op for op in ops if op.id == "shared"), key=lambda o: o.clock, default=None)
        for r in replicas:
            for op in ops:
                if op.id == "shared":
                    continue
                got = r.doc.get(op.id)
                if got is None or got["label"] != op.value:
                    lost += 1
            if winner is not None:
                reg = r.doc.fields["shared"]["label"]
                if (reg.counter, reg.client) < winner.clock:
                    lost += 1
        if any(r.doc != replicas[0].doc or r.seq != replicas[0].seq for r in replicas[1:]):
            unequal += 1
    return lost, unequal


async def run(
    seconds: float,
    *,
    hubs_n: int = 3,
    groups: int = 6,
    per_group: int = 4,
    seed: int = 1,
    workdir: Path | None = None,
) -> ChaosReport:
    rnd = random.Random(seed)
    report = ChaosReport()
    top = Path(tempfile.mkdtemp(prefix="schakel-chaos-")) if workdir is None else workdir
    redis = RedisServer(top / "redis", appendonly=True, appendfsync="always").start()
    hubs = [HubProcess(top / f"hub{i}", redis_url=redis.url) for i in range(hubs_n)]
    try:
        await asyncio.gather(*(asyncio.to_thread(h.start) for h in hubs))
        async with balancer([h.port for h in hubs]) as lb:
            ws = await open_workshop([lb.http], [lb.ws], groups=groups, per_group=per_group)
            try:
                before = sum(c.connects for c in ws.clients)
                start = time.monotonic()
                async with running(burst(ws, seconds, every_s=0.1)) as editing:
                    await faults(hubs, redis, lb, seconds, rnd, report)
                    report.edits = await editing
                report.seconds = time.monotonic() - start
                # The faults are over: everything is up; everyone converges.
                for hub in hubs:
                    if hub.proc is None or hub.proc.poll() is not None:
                        await asyncio.to_thread(hub.start)
                calm = time.monotonic()
                await ws.plenary.wait_for(lambda: _settled(ws), timeout=CONVERGE_S)
                truth = {}
                for board in ws.boards:
                    reader = SchakelClient(lb.ws, ws.info["facilitator_token"], client_id="reader")
                    await reader.start()
                    await reader.subscribe(board)
                    truth[board] = reader
                await ws.plenary.wait_for(lambda: _equal(ws, truth), timeout=CONVERGE_S)
                report.converge_s = time.monotonic() - calm
                acked = acked_by_board(ws)
                report.acked_ops = sum(len(ops) for ops in acked.values())
                report.lost_ops, report.unequal_replicas = check(ws, acked, truth)
                report.reconnects = sum(c.connects for c in ws.clients) - before
                for reader in truth.values():
                    await reader.close()
            finally:
                await ws.close()
    finally:
        for hub in hubs:
            hub.kill()
        redis.stop()
    return report


def _settled(ws: Workshop) -> bool:
    """Every client connected, synced and with nothing unacknowledged."""
    return all(
        c.connected.is_set() and all(r.synced and not r.pending for r in c.replicas.values())
        for c in ws.clients
    )


def _equal(ws: Workshop, truth: dict[str, SchakelClient]) -> bool:
    if not _settled(ws):
        return False
    for board, reader in truth.items():
        seq = reader.replicas[board].seq
        if any(m.replica.seq != seq for m in ws.members if m.board == board):
            return False
        if ws.plenary.replicas[board].seq != seq:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.endurance.chaos", description=__doc__)
    ap.add_argument("--seconds", type=float, default=60.0, help="how long faults go on")
    ap.add_argument("--hubs", type=int, default=3)
    ap.add_argument("--groups", type=int, default=6)
    ap.add_argument("--per-group", type=int, default=4)
    ap.add_argument("--seed", type=int, default=random.randrange(2**32))
    args = ap.parse_args(argv)
    print(f"chaos: seed {args.seed}", flush=True)
    report = asyncio.run(
        run(
            args.seconds,
            hubs_n=args.hubs,
            groups=args.groups,
            per_group=args.per_group,
            seed=args.seed,
        )
    )
    print("\n".join(report.lines()))
    return 0 if report.lost_ops == 0 and report.unequal_replicas == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
