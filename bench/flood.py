"""``python -m bench.flood``: what one flooding client does to everyone else's latency.

The benchmark's workshop (50 boards x 4 tablets at 25 ops/s, a plenary following every
board: :mod:`bench.load`) runs three times on a fresh hub: alone; with a flooding client;
and with the flooding client on a hub whose limits per connection are off. The flooder
(a separate process, ``--flooder``) joins a workshop of its own and sends, as fast as
its socket takes them, batches of ops on its board, presence and pings, never waiting
for an answer; when the hub closes it (persistent excess: 4429) it connects again at
once. Printed: the others' p50/p99 (peers and plenary) per run, the ratio of p99 with
the flooder to without, and what the flooder sent and was refused.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgpack

from . import procs
from .scenarios import run_scenario
from .wsclient import WSError, connect

PARAMS = {"boards": 50, "clients": 4, "duration": 8.0, "warmup": 2.0, "rate": 25.0}
FLOODER = "10.66.0.1"  # the flooder's own address (the hub trusts this benchmark's header)
# The tablets all come from 127.0.0.1 and set themselves up through it (200 joins): the
# limits per address apply, but joins and creations not; the flooder is its own address.
HUB_ENV = {
    "SCHAKEL_PROXY_HEADER": "x-forwarded-for",
    "SCHAKEL_LIMIT_CONNECTS": "300/min",
    "SCHAKEL_LIMIT_BAD_HELLOS": "20/min",
    "SCHAKEL_MAX_CONNECTIONS_PER_ADDRESS": "500",
    "SCHAKEL_MAX_CONNECTIONS": "10000",
}


async def flooder(port: int, seconds: float) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    headers = {"x-forwarded-for": FLOODER}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        ws = (await http.post("/api/workshops", json={"title": "flood", "groups": 1})).json()
        me = (await http.post("/api/join", json={"code": ws["join_code"], "nickname": "x"})).json()
    board = me["board"]
    counts = dict.fromkeys(
        ("sent", "ops_sent", "rate_limited", "closes", "acks", "received", "refused_connects"), 0
    )
    deadline = time.monotonic() + seconds
    counter = 0
    while time.monotonic() < deadline:

        def on_message(payload: bytes) -> None:
            counts["received"] += 1
            unpacker = msgpack.Unpacker(raw=False)  # (a hub frame: messages back to back)
            unpacker.feed(payload)
            for m in unpacker:
                if m["t"] == "error" and m["code"] == "rate_limited":
                    counts["rate_limited"] += 1
                elif m["t"] == "ack":
                    counts["acks"] += 1

        try:
            ws_conn = await connect("127.0.0.1", port, "/ws", on_message, headers=headers)
        except (OSError, WSError):
            counts["refused_connects"] += 1
            await asyncio.sleep(0.01)
            continue
        closed = ws_conn.closed
        ws_conn.send(msgpack.packb({"t": "hello", "v": 2, "token": me["token"], "client": "flood"}))
        ws_conn.send(msgpack.packb({"t": "subscribe", "board": board, "since": 0, "ref": 1}))
        ref = 1
        while not closed.done() and time.monotonic() < deadline:
            for _ in range(200):
                ref += 1
                ops = []
                for i in range(10):
                    counter += 1
                    ops.append([f"a{i}", "actor", "pos", [counter % 500, i], counter, "flood"])
                ws_conn.send(msgpack.packb({"t": "ops", "board": board, "ref": ref, "ops": ops}))
                ws_conn.send(
                    msgpack.packb(
                        {"t": "presence", "board": board, "data": {"cursor": [ref % 100, 1]}}
                    )
                )
                ws_conn.send(msgpack.packb({"t": "ping", "n": ref}))
                counts["sent"] += 3
                counts["ops_sent"] += 10
            # as fast as the socket takes it: wait only while a megabyte is unsent
            transport = ws_conn.transport
            while transport is not None and transport.get_write_buffer_size() > 2**20:
                if closed.done():
                    break
                await asyncio.sleep(0.001)
            await asyncio.sleep(0)
        counts["closes"] += closed.done()
        ws_conn.close()
    return counts


@contextlib.contextmanager
def flooding(server: procs.ServerProcess, seconds: float, out: dict[str, Any]) -> Iterator[None]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.flood",
            "--flooder",
            "--port",
            str(server.port),
            "--seconds",
            str(seconds),
        ],
        cwd=procs.ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield
    finally:
        stdout, _ = proc.communicate(timeout=seconds + 60)
        if stdout.strip():
            out.update(json.loads(stdout.strip().splitlines()[-1]))


def run(mode: str, seconds: float) -> dict[str, Any]:
    flood: dict[str, Any] = {}

    def make(work: Path) -> procs.ServerProcess:
        limited = mode != "flood-unlimited"
        env = HUB_ENV if limited else {"SCHAKEL_PROXY_HEADER": "x-forwarded-for"}
        return procs.schakel_hub(work / "hub", 5, connection_limits=limited, env=env)

    beside = None if mode == "alone" else (lambda server: flooding(server, seconds, flood))
    r = run_scenario("schakel", dict(PARAMS), make_server=make, beside=beside, timeout=300)
    r["mode"], r["flood"] = mode, flood
    return r


def median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__)
    ap.add_argument("--flooder", action="store_true", help="be the flooding client")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each mode, interleaved")
    args = ap.parse_args(argv)
    if args.flooder:
        print(json.dumps(asyncio.run(flooder(args.port, args.seconds))))
        return 0
    seconds = PARAMS["duration"] + PARAMS["warmup"] + 20  # setup, warm-up, window, drain
    modes = ("alone", "flood", "flood-unlimited")
    rows = [run(mode, seconds) for _ in range(args.repeat) for mode in modes]
    print("mode              peers p50/p99 ms   plenary p50/p99 ms   complete  flooder")
    for r in rows:
        peer, plen = r["latency_peer_ms"], r["latency_plenary_ms"]
        f = r["flood"]
        fl = (
            f"sent {f.get('sent', 0)} msgs, {f.get('rate_limited', 0)} rate_limited, "
            f"{f.get('closes', 0)} closes, {f.get('refused_connects', 0)} connects refused"
            if f
            else "-"
        )
        print(
            f"{r['mode']:16s} {peer['p50']:7.1f} / {peer['p99']:7.1f}   "
            f"{plen['p50']:7.1f} / {plen['p99']:7.1f}   {r['complete']!s:8s}  {fl}"
        )
    p99 = {
        (mode, who): median([r[f"latency_{who}_ms"]["p99"] for r in rows if r["mode"] == mode])
        for mode in modes
        for who in ("peer", "plenary")
    }
    print(f"medians of p99 over {args.repeat} runs:")
    for mode in modes[1:]:
        peers = p99[(mode, "peer")] / p99[("alone", "peer")]
        plenary = p99[(mode, "plenary")] / p99[("alone", "plenary")]
        print(
            f"  {mode}: peers {p99[(mode, 'peer')]:.1f} ms (x{peers:.2f} alone's "
            f"{p99[('alone', 'peer')]:.1f}), plenary {p99[(mode, 'plenary')]:.1f} ms "
            f"(x{plenary:.2f})"
        )
    return 0 if all(r["complete"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
