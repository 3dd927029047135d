"""The Python load generator: tablets and a plenary screen against Schakel or the relay.

``boards`` x ``clients`` tablets each drag their own actor: an op
``[actor, "actor", "pos", [t, n], counter, client]`` where ``t`` is the send time (ms on
the generator's monotonic clock) and ``n`` the sender's op number. Every receiver (the
board's other tablets and the plenary, which follows every board) takes the latency from
``t`` and checks that ``n`` arrives in order, without gaps or doubles.

Two modes: ``rate`` ops per second per tablet (a drag), or ``rate = 0``: saturation, each
tablet keeps ``window`` single-op messages in flight and sends the next when one is
done: acknowledged (Schakel) or, as the relay has no acks, seen by the plenary.

Run as its own process (``python -m bench.load '<params json>'``); prints one JSON line.
Everything is callbacks on the :mod:`bench.wsclient` protocol: no per-frame coroutines.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from array import array
from dataclasses import asdict, dataclass, field
from typing import Any

import msgpack

from .procs import cpu_seconds, machine_busy_seconds
from .wsclient import WSClient, connect

_packb = msgpack.Packer(use_bin_type=True).pack


@dataclass
class LoadParams:
    target: str  # "schakel" or "relay"
    port: int
    host: str = "127.0.0.1"
    boards: int = 50
    clients: int = 4
    duration: float = 10.0
    warmup: float = 2.0
    rate: float = 25.0  # ops/s per tablet; 0 = saturation
    window: int = 8  # saturation: single-op messages in flight per tablet
    drain: float = 5.0
    server_pid: int = 0
    seed: int = 1


@dataclass
class Stats:
    """Latencies (ms) and counts; percentiles computed at the end."""

    peer: array[float] = field(default_factory=lambda: array("d"))
    plenary: array[float] = field(default_factory=lambda: array("d"))
    ack: array[float] = field(default_factory=lambda: array("d"))
    delivered_window: int = 0  # deliveries (peer + plenary) arriving inside the window
    sent_window: int = 0
    delivered_total: int = 0  # every delivery of the run, warm-up and drain included
    disorder: int = 0
    errors: list[str] = field(default_factory=list)


def percentiles(values: array[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    s = sorted(values)
    n = len(s)

    def at(q: float) -> float:
        return round(s[min(n - 1, int(q * n))], 3)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(s[-1], 3)}


class Run:
    def __init__(self, p: LoadParams) -> None:
        self.p = p
        self.loop = asyncio.get_running_loop()
        self.epoch = time.perf_counter()
        self.stats = Stats()
        self.w0 = self.w1 = float("inf")  # the measurement window, ms since epoch
        self.tablets: dict[str, Tablet] = {}
        self.plenary: Plenary | None = None
        self.conns: list[WSClient] = []
        self.stopped = False
        # frames received by kind (and ops carried by update/ops frames), whole run
        self.tablet_kinds: dict[str, int] = {}
        self.plenary_kinds: dict[str, int] = {}

    def now(self) -> float:
        return (time.perf_counter() - self.epoch) * 1000.0

    def in_window(self, t: float) -> bool:
        return self.w0 <= t < self.w1


class Receiver:
    """Checks and times every op it receives from other tablets."""

    def __init__(self, run: Run, me: str) -> None:
        self.run, self.me = run, me
        self.last: dict[str, int] = {}
        self.ws: WSClient | None = None
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.plenary = False

    def expect(self, key: str) -> asyncio.Future[dict[str, Any]]:
        fut: asyncio.Future[dict[str, Any]] = self.run.loop.create_future()
        self.waiting[key] = fut
        return fut

    def on_message(self, payload: bytes) -> None:
        # A hub frame holds one or more messages back to back (PROTOCOL.md, Frames).
        unpacker = msgpack.Unpacker(raw=False)
        unpacker.feed(payload)
        for m in unpacker:
            self.on_one(m)

    def on_one(self, m: dict[str, Any]) -> None:
        t = m["t"]
        run = self.run
        kinds = run.plenary_kinds if self.plenary else run.tablet_kinds
        kinds[t] = kinds.get(t, 0) + 1
        if t == "update" or t == "ops":
            kinds["ops in " + t] = kinds.get("ops in " + t, 0) + len(m["ops"])
            now = run.now()
            lats = run.stats.plenary if self.plenary else run.stats.peer
            w0, w1 = run.w0, run.w1
            last, me = self.last, self.me
            counted = 0
            for op in m["ops"]:
                sender = op[5]
                if sender == me:
                    continue
                sent, n = op[3]
                if n != last.get(sender, 0) + 1:
                    run.stats.disorder += 1
                last[sender] = n
                if w0 <= sent < w1:
                    lats.append(now - sent)
                counted += 1
                if self.plenary:
                    tablet = run.tablets[sender]
                    tablet.seen = n
                    if tablet.pump_on_plenary:
                        tablet.pump()
            run.stats.delivered_total += counted
            if w0 <= now < w1:
                run.stats.delivered_window += counted
        elif t == "ack":
            self.on_ack(m)
        elif t == "error":
            self.run.stats.errors.append(f"{m.get('code')}: {m.get('reason')}")
        else:
            key = t if t != "sync" else f"sync:{m['board']}"
            fut = self.waiting.pop(key, None)
            if fut is not None and not fut.done():
                fut.set_result(m)

    def on_ack(self, m: dict[str, Any]) -> None:
        pass


class Tablet(Receiver):
    def __init__(self, run: Run, board: str, client_id: str, token: str = "") -> None:
        super().__init__(run, client_id)
        self.board, self.token = board, token
        self.actor = "a-" + client_id
        self.n = 0  # ops sent
        self.seen = 0  # own ops seen by the plenary
        self.acked = 0
        self.sent_at: dict[int, float] = {}
        self.pump_on_plenary = False
        self.next_at = 0.0
        self.period = 0.0

    def send_op(self) -> None:
        assert self.ws is not None
        run = self.run
        now = run.now()
        self.n += 1
        op = [self.actor, "actor", "pos", [now, self.n], self.n, self.me]
        self.ws.send(_packb({"t": "ops", "board": self.board, "ref": self.n, "ops": [op]}))
        if run.p.target == "schakel":
            self.sent_at[self.n] = now
        if run.w0 <= now < run.w1:
            run.stats.sent_window += 1

    def on_ack(self, m: dict[str, Any]) -> None:
        # An ack covers its ref; taken as cumulative (every earlier ref of this one-board
        # connection too), so that the generator also measures a hub that coalesces acks.
        ref, now = m["ref"], self.run.now()
        for r in list(self.sent_at):
            if r > ref:
                break
            sent = self.sent_at.pop(r)
            self.acked += 1
            if self.run.in_window(sent):
                self.run.stats.ack.append(now - sent)
        if not self.pump_on_plenary:
            self.pump()

    def pump(self) -> None:
        """Saturation: send while fewer than ``window`` messages are in flight."""
        run = self.run
        if run.stopped or run.p.rate > 0:
            return
        done = self.seen if self.pump_on_plenary else self.acked
        while self.n - done < run.p.window:
            self.send_op()

    def tick(self) -> None:
        """Rate mode: one op now, the next one ``period`` later (no catch-up bursts)."""
        if self.run.stopped:
            return
        self.send_op()
        now = time.perf_counter()
        self.next_at += self.period
        if self.next_at < now:
            self.next_at = now
        self.run.loop.call_at(self._loop_time(self.next_at), self.tick)

    def _loop_time(self, perf: float) -> float:
        return self.run.loop.time() + (perf - time.perf_counter())


class Plenary(Receiver):
    def __init__(self, run: Run, token: str = "") -> None:
        super().__init__(run, "plenary")
        self.token = token
        self.plenary = True


# ---------------------------------------------------------------------- setup


# One round in groups of four: every tablet draws on its group's board from the start
# (the default programme opens with introductions in pairs, on everyone's own board).
PROGRAMME = [{"title": "bench", "parts": [{"title": "groups", "minutes": 60, "mode": "group"}]}]


async def _http_setup(p: LoadParams) -> tuple[str, list[tuple[str, str]], list[str]]:
    """Schakel: one workshop of ``boards`` groups, a participant per tablet (joins fill
    groups of four one after another). Returns the viewer token, (token, board) per
    tablet, and the boards."""
    import httpx

    async with httpx.AsyncClient(base_url=f"http://{p.host}:{p.port}", timeout=30) as http:
        r = await http.post(
            "/api/workshops", json={"title": "bench", "groups": p.boards, "programme": PROGRAMME}
        )
        r.raise_for_status()
        ws = r.json()
        boards: list[str] = ws["workshop"]["boards"]
        wid = ws["workshop"]["id"]
        auth = {"authorization": f"Bearer {ws['facilitator_token']}"}
        joined: list[tuple[str, str]] = []
        for i in range(p.boards * p.clients):
            r = await http.post("/api/join", json={"code": ws["join_code"], "nickname": f"t{i}"})
            r.raise_for_status()
            j = r.json()
            group = i // p.clients + 1
            if j["board"] != boards[group - 1]:  # groups other than 4: the facilitator moves
                pid = j["participant"]["id"]
                url = f"/api/workshops/{wid}/participants/{pid}"
                r = await http.post(url, json={"group": group}, headers=auth)
                r.raise_for_status()
            joined.append((j["token"], boards[group - 1]))
        return ws["viewer_token"], joined, boards


async def _open(run: Run, rcv: Receiver, path: str) -> None:
    rcv.ws = await connect(run.p.host, run.p.port, path, rcv.on_message)
    run.conns.append(rcv.ws)


async def _hello(rcv: Receiver, token: str) -> None:
    assert rcv.ws is not None
    welcome = rcv.expect("welcome")
    rcv.ws.send(_packb({"t": "hello", "v": 2, "token": token, "client": rcv.me, "name": rcv.me}))
    await asyncio.wait_for(welcome, 20)


async def _subscribe(rcv: Receiver, boards: list[str]) -> None:
    assert rcv.ws is not None
    futs = [rcv.expect(f"sync:{b}") for b in boards]
    for i, b in enumerate(boards):
        rcv.ws.send(_packb({"t": "subscribe", "board": b, "since": 0, "ref": i + 1}))
    await asyncio.wait_for(asyncio.gather(*futs), 30)


async def setup(run: Run) -> None:
    p = run.p
    sem = asyncio.Semaphore(32)
    if p.target == "schakel":
        viewer, joined, boards = await _http_setup(p)
        run.plenary = Plenary(run, viewer)
        per_board: dict[str, int] = {}
        for token, board in joined:
            k = per_board[board] = per_board.get(board, 0) + 1
            cid = f"t{boards.index(board) + 1}.{k}"
            run.tablets[cid] = Tablet(run, board, cid, token)

        async def ready(rcv: Receiver, token: str, subs: list[str]) -> None:
            async with sem:
                await _open(run, rcv, "/ws")
                await _hello(rcv, token)
                await _subscribe(rcv, subs)

        await ready(run.plenary, viewer, boards)
        await asyncio.gather(*(ready(t, t.token, [t.board]) for t in run.tablets.values()))
    else:
        run.plenary = Plenary(run)
        await _open(run, run.plenary, "/plenary")
        for b in range(1, p.boards + 1):
            for k in range(1, p.clients + 1):
                cid = f"t{b}.{k}"
                run.tablets[cid] = Tablet(run, f"b{b}", cid)

        async def opened(t: Tablet) -> None:
            async with sem:
                await _open(run, t, f"/b/{t.board}")

        await asyncio.gather(*(opened(t) for t in run.tablets.values()))
        await asyncio.sleep(0.3)  # the relay adds a connection to its room after the 101


# ------------------------------------------------------------------------ run


async def load(p: LoadParams) -> dict[str, Any]:
    run = Run(p)
    try:
        await setup(run)
        return await _drive(run)
    finally:
        for ws in run.conns:
            ws.close()


async def _drive(run: Run) -> dict[str, Any]:
    p = run.p
    rng = random.Random(p.seed)
    tablets = list(run.tablets.values())
    start = run.now() + 50
    run.w0 = start + p.warmup * 1000
    run.w1 = run.w0 + p.duration * 1000
    marks: dict[str, dict[str, float]] = {}

    def mark(name: str) -> None:
        marks[name] = {
            "server_cpu": cpu_seconds(p.server_pid) if p.server_pid else 0.0,
            "gen_cpu": time.process_time(),
            "machine_cpu": machine_busy_seconds(),
            "frames": sum(ws.frames_in for ws in run.conns),
            "bytes": sum(ws.bytes_in for ws in run.conns),
            "t": run.now(),
        }

    def stop() -> None:
        run.stopped = True

    def at(ms: float) -> float:
        return run.loop.time() + (ms - run.now()) / 1000

    run.loop.call_at(at(run.w0), mark, "w0")
    run.loop.call_at(at(run.w1), mark, "w1")
    run.loop.call_at(at(run.w1), stop)
    perf_start = run.epoch + start / 1000
    for t in tablets:
        if p.rate > 0:
            t.period = 1.0 / p.rate
            t.next_at = perf_start + rng.random() * t.period
            run.loop.call_at(t._loop_time(t.next_at), t.tick)
        else:
            t.pump_on_plenary = p.target != "schakel"
            run.loop.call_at(at(start), t.pump)
    await asyncio.sleep((run.w1 - run.now()) / 1000 + 0.05)
    # Drain: wait until every op sent has reached every peer and the plenary.
    deadline = time.monotonic() + p.drain
    missing = _missing(run)
    while missing and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        missing = _missing(run)
    w0, w1 = marks["w0"], marks["w1"]
    secs = (w1["t"] - w0["t"]) / 1000
    s = run.stats
    server_cpu = w1["server_cpu"] - w0["server_cpu"]
    sent_total = sum(t.n for t in tablets)
    return {
        "params": asdict(p),
        "sent_total": sent_total,
        "delivered_total": s.delivered_total,
        "sent_per_s": s.sent_window / secs,
        "delivered_per_s": s.delivered_window / secs,
        "frames_per_s": (w1["frames"] - w0["frames"]) / secs,
        "mbytes_per_s": (w1["bytes"] - w0["bytes"]) / secs / 1e6,
        "server_cpu_s": server_cpu,
        "server_cpu_per_1000": server_cpu / max(1, s.delivered_window) * 1000,
        "gen_cpu_s": w1["gen_cpu"] - w0["gen_cpu"],
        "other_cpu_s": (w1["machine_cpu"] - w0["machine_cpu"])
        - server_cpu
        - (w1["gen_cpu"] - w0["gen_cpu"]),
        "window_s": secs,
        "latency_peer_ms": percentiles(s.peer),
        "latency_plenary_ms": percentiles(s.plenary),
        "latency_ack_ms": percentiles(s.ack),
        "missing": missing,
        "disorder": s.disorder,
        "errors": s.errors[:10],
        "error_count": len(s.errors),
        "complete": missing == 0 and s.disorder == 0 and not s.errors,
        "frames_by_kind": {"tablets": run.tablet_kinds, "plenary": run.plenary_kinds},
    }


def _missing(run: Run) -> int:
    """Deliveries still missing: each op must reach every other tablet of its board and
    the plenary."""
    missing = 0
    by_board: dict[str, list[Tablet]] = {}
    for t in run.tablets.values():
        by_board.setdefault(t.board, []).append(t)
    assert run.plenary is not None
    for group in by_board.values():
        for t in group:
            for sender in group:
                if sender is not t:
                    missing += sender.n - t.last.get(sender.me, 0)
            missing += t.n - run.plenary.last.get(t.me, 0)
    return missing


def main() -> None:
    p = LoadParams(**json.loads(sys.argv[1]))
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        result = asyncio.run(load(p))
    else:
        result = uvloop.run(load(p))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
