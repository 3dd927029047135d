"""``python -m bench.workshop_scale``: the largest workshop, and a large board.

**The event loop's time for one control** (``loop_ms_per_control``): what a workshop
change costs the hub's event loop, ``WorkshopRooms.changed`` and the views it sends to
200 participants (each following its board) and the facilitator, in a pair part: in all
(CPU time) and its longest stretch without a break for other work; measured in this
process with stand-in connections that only count the bytes they are sent (so without
the sockets' own work, which the next figure has).

**Controls at 200 participants.** A hub process with a workshop of 200 participants
(50 groups of four), each on its own WebSocket and following its board, plus the
facilitator; the programme is in a *pair* part (round 3, the exchange), where every
member's view depends on the pairs. The facilitator starts and pauses the timer
``--controls`` times; for each control the hub's CPU time (``/proc/<pid>/stat``: every
thread, so the store's write too) from sending the control until all 201 connections
have the new ``workshop`` state, and that wall time. Meanwhile a tablet of *another*
workshop sends one op every 20 ms and times its acks: their p50/p99 while the controls
run, against a quiet stretch before.

**A late joiner of a 10,000-object board** (``--objects``): the time until its sync is
complete, and the ack latency of that other tablet meanwhile.

``tests/e2e/test_workshop_scale.py`` runs both at CI size; the figures of the issue come
from ``python -m bench.workshop_scale``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from bench.procs import CONNECTION_LIMITS_OFF, cpu_seconds
from schakel_core import messages as m
from tests.e2e.raw import Raw
from tests.support.server import HubProcess, create_workshop, join

DEFLATE = True
PAIR_PART = {"round": 3, "part": 2}  # the default programme: round 3, the exchange in pairs


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Ticker:
    """One tablet of another workshop, in a process of its own (so that the 200 clients
    of this one do not slow its clock): an op every ``EVERY_S``, its ack latency kept
    as (sent at, ms) on the machine's monotonic clock."""

    def __init__(self, url: str, token: str, board: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._out, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_tick, args=(url, token, board, self._stop, child))
        self.samples: list[tuple[float, float]] = []

    def start(self) -> None:
        self.proc.start()
        if not self._out.poll(30):
            raise TimeoutError("the ticker did not start")
        assert self._out.recv() == "ready"

    def stop(self) -> None:
        self._stop.set()
        self.samples = self._out.recv()
        self.proc.join(10)

    def between(self, start: float, end: float) -> list[float]:
        return [ms for t, ms in self.samples if start <= t <= end]


EVERY_S = 0.02


def _tick(url: str, token: str, board: str, stop: Any, out: Any) -> None:
    async def run() -> list[tuple[float, float]]:
        raw = await Raw.hello(url, token, "ticker")
        await raw.subscribe(board)
        sent: dict[int, float] = {}
        samples: list[tuple[float, float]] = []

        async def read() -> None:
            while True:
                msg = await raw.recv(timeout=60)
                if isinstance(msg, m.Ack) and msg.ref in sent:
                    t = sent.pop(msg.ref)
                    samples.append((t, (time.perf_counter() - t) * 1000))

        reader = asyncio.create_task(read())
        out.send("ready")
        k = 0
        while not stop.is_set():
            k += 1
            ref = raw.next_ref()
            sent[ref] = time.perf_counter()
            await raw.send_ops(board, [raw.op("tick", "actor", "pos", [k, 0])], ref)
            await asyncio.sleep(EVERY_S)
        await asyncio.sleep(0.2)
        reader.cancel()
        await raw.close()
        return samples

    out.send(asyncio.run(run()))


@contextlib.asynccontextmanager
async def ticking(hub: HubProcess) -> AsyncIterator[Ticker]:
    other = await create_workshop(hub.http, groups=1, title="Elsewhere")
    p = await join(hub.http, other["join_code"], "Tik")
    ticker = Ticker(hub.ws, p["token"], p["board"])
    await asyncio.to_thread(ticker.start)
    try:
        yield ticker
    finally:
        await asyncio.to_thread(ticker.stop)


async def until_version(raw: Raw, version: int) -> None:
    await raw.until(m.WorkshopEvent, lambda e: e.state["version"] >= version, timeout=120)


class _Sub:
    def __init__(self, board: str) -> None:
        self.board, self.writable = board, True


class _Conn:
    """Stands in for a connection: what ``WorkshopRooms`` reads and calls."""

    def __init__(self, i: int, claims: Any, board: str | None) -> None:
        self.id = f"c{i}"
        self.claims = claims
        self.subs = {board: _Sub(board)} if board else {}
        self.sent = 0

    def send(self, frame: bytes) -> None:
        self.sent += len(frame)

    def send_error(self, exc: Exception) -> None:
        raise AssertionError(exc)

    def revoked(self, reason: str) -> None:
        raise AssertionError(reason)

    def gone(self, reason: str) -> None:
        raise AssertionError(reason)


async def control_loop(participants: int, n_controls: int) -> dict[str, Any]:
    """``WorkshopRooms.changed`` for one control, timed on this process's loop."""
    from schakel.auth import Claims
    from schakel.hub import Hub
    from schakel.stores.embedded import EmbeddedStore
    from schakel_core.session import apply_control
    from schakel_core.workshop import Role, Workshop

    store = EmbeddedStore(None)
    await store.start()
    hub = Hub(store)
    ws = Workshop.create("Groot", max(1, participants // 4), now=time.time())
    people = [ws.join(f"p{i}", now=float(i)) for i in range(participants)]
    apply_control(ws, "goto", PAIR_PART, 0)
    conns = [
        _Conn(i, Claims(ws.id, Role.PARTICIPANT, p.id), ws.current_board(p.id))
        for i, p in enumerate(people)
    ]
    conns.append(_Conn(participants, Claims(ws.id, Role.FACILITATOR), None))
    for c in conns:
        hub.workshops.join(c, ws)  # type: ignore[arg-type]
    total, longest = [], []
    for k in range(n_controls):
        ws = Workshop.from_dict(ws.to_dict())
        apply_control(ws, "start" if k % 2 == 0 else "pause", {}, 0)
        sent = [c.sent for c in conns]
        steps: list[float] = []
        started = time.process_time()
        step = time.perf_counter()
        hub.workshops.changed(ws, publish=False)
        steps.append(time.perf_counter() - step)
        while any(c.sent == s for c, s in zip(conns, sent, strict=True)):
            step = time.perf_counter()
            await asyncio.sleep(0)  # the views that go out a few per turn of the loop
            steps.append(time.perf_counter() - step)
        total.append((time.process_time() - started) * 1000)
        longest.append(max(steps) * 1000)
    await store.close()
    return {
        "participants": participants,
        "total_median": statistics.median(total),
        "total_max": max(total),
        "longest_stretch_median": statistics.median(longest),
        "longest_stretch_max": max(longest),
        "bytes_per_view": conns[0].sent // (n_controls + 1),
    }


async def controls(hub: HubProcess, participants: int, n_controls: int) -> dict[str, Any]:
    assert hub.proc is not None
    groups = max(1, participants // 4)
    ws = await create_workshop(hub.http, groups=groups, title="Groot", template="default-nl")
    people = [await join(hub.http, ws["join_code"], f"p{i}") for i in range(participants)]
    raws: list[Raw] = []
    for i in range(0, participants, 25):
        raws += await asyncio.gather(
            *(
                Raw.hello(hub.ws, p["token"], f"c{i + j}", deflate=DEFLATE)
                for j, p in enumerate(people[i : i + 25])
            )
        )
    for raw, p in zip(raws, people, strict=True):
        await raw.subscribe(p["board"])
    fac = await Raw.hello(hub.ws, ws["facilitator_token"], "fac")
    everyone = [*raws, fac]
    version = 0
    ref = 0

    async def control(action: str, args: dict[str, Any] | None = None) -> tuple[float, float]:
        nonlocal version, ref
        ref += 1
        version += 1
        started, cpu = time.perf_counter(), cpu_seconds(hub.proc.pid)  # type: ignore[union-attr]
        await fac.send(m.Control(ref, action, args or {}))
        await asyncio.gather(*(until_version(r, version) for r in everyone))
        return cpu_seconds(hub.proc.pid) - cpu, time.perf_counter() - started  # type: ignore[union-attr]

    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.get(
            f"/api/workshops/{ws['workshop']['id']}",
            headers={"authorization": f"Bearer {ws['facilitator_token']}"},
        )
        version = r.json()["version"]
    await control("goto", PAIR_PART)
    async with ticking(hub) as ticker:
        await asyncio.sleep(1.0)
        quiet_end = time.perf_counter()
        cpu_ms: list[float] = []
        wall_ms: list[float] = []
        for k in range(n_controls):
            cpu, wall = await control("start" if k % 2 == 0 else "pause")
            cpu_ms.append(cpu * 1000)
            wall_ms.append(wall * 1000)
            await asyncio.sleep(0.1)  # (controls a little apart, as a facilitator's are)
        busy_end = time.perf_counter()
    quiet = ticker.between(quiet_end - 1.0, quiet_end)
    busy = ticker.between(quiet_end, busy_end)
    for r in everyone:
        await r.close()
    return {
        "participants": participants,
        "mode": "pair",
        "controls": n_controls,
        "hub_cpu_ms_per_control": {"p50": statistics.median(cpu_ms), "max": max(cpu_ms)},
        "all_views_ms": {"p50": statistics.median(wall_ms), "max": max(wall_ms)},
        "other_board_ack_ms_quiet": {"p50": pct(quiet, 0.5), "p99": pct(quiet, 0.99)},
        "other_board_ack_ms_during": {"p50": pct(busy, 0.5), "p99": pct(busy, 0.99)},
    }


async def large_board(hub: HubProcess, objects: int) -> dict[str, Any]:
    ws = await create_workshop(hub.http, groups=1, title="Groot bord")
    p = await join(hub.http, ws["join_code"], "Veel")
    board = p["board"]
    writer = await Raw.hello(hub.ws, p["token"], "writer", deflate=False)
    await writer.subscribe(board)
    per_batch = 160  # six fields per actor: under the 1,000 ops of a batch
    for start in range(0, objects, per_batch):
        ops = []
        for i in range(start, min(objects, start + per_batch)):
            oid = f"a{i:05d}"
            ops += [
                writer.op(oid, "actor", "label", f"Actor {i}"),
                writer.op(oid, "actor", "kind", "person"),
                writer.op(oid, "actor", "stance", "middle"),
                writer.op(oid, "actor", "influence", i % 6),
                writer.op(oid, "actor", "pos", [i % 100 * 40, i // 100 * 40]),
                writer.op(oid, "actor", "role_schakel", i % 7 == 0),
            ]
        ref = await writer.send_ops(board, ops)
        await writer.until(m.Ack, lambda a, r=ref: a.ref == r, timeout=60)
    await writer.close()
    async with ticking(hub) as ticker:
        await asyncio.sleep(1.0)
        started = time.perf_counter()
        joiner = await Raw.hello(hub.ws, ws["facilitator_token"], "late", deflate=False)
        sync = await joiner.subscribe(board)
        took = time.perf_counter() - started
        await asyncio.sleep(0.2)
    during = ticker.between(started, started + took)
    quiet = ticker.between(started - 1.0, started)
    frames = joiner.sync_frames
    await joiner.close()
    return {
        "objects": objects,
        "ops": len(sync.ops),
        "sync_ms": took * 1000,
        "frames": frames,
        "other_board_ack_ms_quiet": {"p50": pct(quiet, 0.5), "p99": pct(quiet, 0.99)},
        "other_board_ack_ms_during": {
            "p50": pct(during, 0.5),
            "p99": pct(during, 0.99),
            "max": max(during, default=float("nan")),
        },
    }


async def run(participants: int, n_controls: int, objects: int, data_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if participants:
        out["loop_ms_per_control"] = await control_loop(participants, max(n_controls, 5))
    # (a benchmark of a workshop's size, not of abuse: the per-connection rates are off,
    # else the 12,000-op board takes 30 s to write)
    hub = HubProcess(data_dir, env=CONNECTION_LIMITS_OFF)
    await asyncio.to_thread(hub.start)
    try:
        if participants:
            out["controls"] = await controls(hub, participants, n_controls)
        if objects:
            out["large_board"] = await large_board(hub, objects)
        return out
    finally:
        await asyncio.to_thread(hub.kill)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.workshop_scale", description=__doc__)
    ap.add_argument("--participants", type=int, default=200)
    ap.add_argument("--controls", type=int, default=10)
    ap.add_argument("--objects", type=int, default=10_000)
    ap.add_argument("--no-deflate", action="store_true", help="tablets offer no compression")
    args = ap.parse_args(argv)
    global DEFLATE
    DEFLATE = not args.no_deflate
    with tempfile.TemporaryDirectory(prefix="schakel-scale-") as tmp:
        figures = asyncio.run(run(args.participants, args.controls, args.objects, Path(tmp)))
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
