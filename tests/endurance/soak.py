"""``make soak``: a hub under a workshop-shaped load for ten minutes; its memory sampled.

Workshops come and go on one hub (``schakel serve``, the embedded store, or Redis with
``--redis``): at any time ``--workshops`` of them run, each with ``--groups`` groups of
four participants (Python clients) editing their group's map at a person's pace (an
actor dragged or renamed, a note added, every second or two), a plenary screen following
every group board and asking for its analysis now and then. After ``--lifetime`` seconds
a workshop ends: its report is exported, everyone leaves, and the facilitator deletes it
(two in three times, ``--keep``; the others stay until they expire, as some would). A new workshop
starts in its place.

The hub's RSS, connections and loaded boards (from ``/metrics``) are sampled every
``--sample`` seconds and printed as a table (start, quarters, end) and a small plot. At
the end, with everyone gone, no board may be held by the hub ("boards without
subscribers unloaded"). Everything is on 127.0.0.1 and stops by itself.

    python -m tests.endurance.soak --seconds 600
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.procs import rss_kb
from schakel_client import SchakelClient
from tests.support.redis_server import RedisServer
from tests.support.server import HubProcess, create_workshop, join

PACE_S = (0.8, 2.2)  # between two edits of one participant
ANALYSIS_EVERY_S = 10.0  # the plenary asks for a board's analysis
SPARK = " ▁▂▃▄▅▆▇█"


@dataclass
class Sample:
    t: float
    rss_mb: float
    connections: int
    boards_loaded: int
    store_boards: int  # boards the embedded store holds in memory (-1: Redis)
    ops_stored: int


@dataclass
class SoakReport:
    seconds: float = 0.0
    workshops_run: int = 0
    deleted: int = 0
    edits: int = 0
    analyses: int = 0
    samples: list[Sample] = field(default_factory=list)

    def lines(self) -> list[str]:
        s = self.samples
        picks = sorted({0, len(s) // 4, len(s) // 2, 3 * len(s) // 4, len(s) - 1}) if s else []
        out = [
            f"soak: {self.seconds:.0f} s, {self.workshops_run} workshops ({self.deleted} "
            f"deleted at their end), {self.edits} edits, {self.analyses} analyses asked",
            "   t s   RSS MB  connections  boards loaded  boards in store  ops stored",
        ]
        out += [
            f"{s[i].t:6.0f} {s[i].rss_mb:8.1f} {s[i].connections:12d} {s[i].boards_loaded:14d}"
            f" {s[i].store_boards:16d} {s[i].ops_stored:11d}"
            for i in picks
        ]
        if s:
            lo, hi = min(x.rss_mb for x in s), max(x.rss_mb for x in s)
            span = (hi - lo) or 1.0
            spark = "".join(SPARK[1 + int((x.rss_mb - lo) / span * 7.99)] for x in s)
            out.append(f"RSS {lo:.0f}..{hi:.0f} MB over time: {spark}")
            out.append(
                f"RSS start {s[0].rss_mb:.1f} MB, middle {s[len(s) // 2].rss_mb:.1f} MB, "
                f"end {s[-1].rss_mb:.1f} MB"
            )
        return out


async def metrics(http: httpx.AsyncClient) -> dict[str, float]:
    text = (await http.get("/metrics")).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def sample(hub: HubProcess, http: httpx.AsyncClient, t0: float) -> Sample:
    assert hub.proc is not None
    m = await metrics(http)
    return Sample(
        time.monotonic() - t0,
        rss_kb(hub.proc.pid) / 1024,
        int(m["schakel_connections"]),
        int(m["schakel_boards_loaded"]),
        int(m.get("schakel_store_boards_in_memory", -1)),
        int(m["schakel_ops_stored_total"]),
    )


async def one_workshop(
    hub: HubProcess,
    groups: int,
    lifetime_s: float,
    keep: float,
    rnd: random.Random,
    report: SoakReport,
) -> None:
    info = await create_workshop(hub.http, groups=groups, title="Soak")
    wid = info["workshop"]["id"]
    clients: list[tuple[SchakelClient, str]] = []
    plenary = SchakelClient(hub.ws, info["viewer_token"], client_id=f"plenary-{wid}")
    try:
        for i in range(groups * 4):
            p = await join(hub.http, info["join_code"], f"p{i}")
            c = SchakelClient(hub.ws, p["token"], client_id=f"{wid}-p{i}", name=f"p{i}")
            clients.append((c, p["board"]))
            await c.start()
            await c.subscribe(p["board"])
        await plenary.start()
        for g in range(1, groups + 1):
            await plenary.subscribe(f"{wid}:g{g}")
        end = time.monotonic() + lifetime_s
        tasks = [asyncio.create_task(edit(c, board, end, rnd, report)) for c, board in clients]
        tasks.append(asyncio.create_task(look(hub, info, groups, end, report)))
        await asyncio.gather(*tasks)
        for c, _ in clients:
            await c.settled(timeout=60)
        async with httpx.AsyncClient(base_url=hub.http, timeout=120) as http:
            auth = {"authorization": f"Bearer {info['facilitator_token']}"}
            r = await http.get(f"/api/workshops/{wid}/export/report.html", headers=auth)
            r.raise_for_status()
            if rnd.random() >= keep:
                (await http.delete(f"/api/workshops/{wid}", headers=auth)).raise_for_status()
                report.deleted += 1
        report.workshops_run += 1
    finally:
        for c, _ in clients:
            await c.close()
        await plenary.close()


async def edit(
    c: SchakelClient, board: str, end: float, rnd: random.Random, report: SoakReport
) -> None:
    me = c.client_id
    k = 0
    while time.monotonic() < end:
        roll = rnd.random()
        if roll < 0.6:
            c.edit(
                board,
                f"{me}-a{k % 3}",
                "actor",
                pos=[rnd.uniform(-500, 500), rnd.uniform(-400, 400)],
            )
        elif roll < 0.85:
            c.edit(board, f"{me}-a{k % 3}", "actor", label=f"Actor {k}", stance="middle")
        else:
            c.edit(board, f"{me}-n{k}", "note", text=f"note {k}", pos=[k % 100, 0])
        k += 1
        report.edits += 1
        await asyncio.sleep(rnd.uniform(*PACE_S))


async def look(
    hub: HubProcess, info: dict[str, object], groups: int, end: float, report: SoakReport
) -> None:
    """The plenary screen asks for the analysis of one board after another."""
    wid = info["workshop"]["id"]  # type: ignore[index]
    auth = {"authorization": f"Bearer {info['viewer_token']}"}
    g = 0
    async with httpx.AsyncClient(base_url=hub.http, headers=auth, timeout=120) as http:
        while time.monotonic() + ANALYSIS_EVERY_S < end:
            await asyncio.sleep(ANALYSIS_EVERY_S)
            g = g % groups + 1
            (await http.get(f"/api/boards/{wid}:g{g}/analysis")).raise_for_status()
            report.analyses += 1


async def run(
    seconds: float,
    *,
    workshops: int = 4,
    groups: int = 4,
    lifetime_s: float = 90.0,
    sample_s: float = 5.0,
    redis: bool = False,
    keep: float = 1 / 3,
    seed: int = 1,
    workdir: Path | None = None,
) -> SoakReport:
    rnd = random.Random(seed)
    report = SoakReport()
    top = Path(tempfile.mkdtemp(prefix="schakel-soak-")) if workdir is None else workdir
    server = RedisServer(top / "redis").start() if redis else None
    hub = HubProcess(top / "hub", redis_url=server.url if server else "").start()
    t0 = time.monotonic()
    try:
        async with httpx.AsyncClient(base_url=hub.http) as http:

            async def sampler() -> None:
                while True:
                    report.samples.append(await sample(hub, http, t0))
                    await asyncio.sleep(sample_s)

            async def lane(i: int) -> None:
                await asyncio.sleep(i * lifetime_s / max(1, workshops))  # staggered starts
                while time.monotonic() - t0 < seconds:  # (the last ones end after it)
                    await one_workshop(hub, groups, lifetime_s, keep, rnd, report)

            sampling = asyncio.create_task(sampler())
            try:
                await asyncio.gather(*(lane(i) for i in range(workshops)))
            finally:
                sampling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampling
            # Everyone has gone: the hub must let go of every board (wait a little).
            deadline = time.monotonic() + 30
            last = await sample(hub, http, t0)
            while (last.connections or last.boards_loaded) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                last = await sample(hub, http, t0)
            report.samples.append(last)
        report.seconds = time.monotonic() - t0
    finally:
        hub.kill()
        if server is not None:
            server.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.endurance.soak", description=__doc__)
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--workshops", type=int, default=4, help="running at any time")
    ap.add_argument("--groups", type=int, default=4, help="of four participants each")
    ap.add_argument("--lifetime", type=float, default=90.0, help="seconds a workshop runs")
    ap.add_argument("--sample", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--redis", action="store_true", help="the Redis store (default: embedded)")
    ap.add_argument(
        "--keep", type=float, default=1 / 3, help="share of workshops not deleted at their end"
    )
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    report = asyncio.run(
        run(
            args.seconds,
            workshops=args.workshops,
            groups=args.groups,
            lifetime_s=args.lifetime,
            sample_s=args.sample,
            redis=args.redis,
            keep=args.keep,
            seed=args.seed,
        )
    )
    print("\n".join(report.lines()))
    last = report.samples[-1]
    return 0 if last.boards_loaded == 0 and last.connections == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
