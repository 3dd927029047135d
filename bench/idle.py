"""``python -m bench.idle``: the hub's memory per idle connection.

A fresh hub (``schakel serve``, embedded store) gets a workshop; then ``--connections``
tablets connect, say hello and subscribe to their group's board (four per board), and do
nothing more, as tablets do between edits. The hub's RSS is read from ``/proc`` before
and after (once it has settled), and the difference divided by the number of
connections. The keepalive settings decide how long a half-open one would stay: printed
too. The connections are this process's, on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgpack

from . import procs
from .procs import rss_kb
from .wsclient import WSClient, connect

PER_WORKSHOP = 100  # participants per workshop (25 groups of four)


async def settle(pid: int) -> int:
    """RSS once it stops moving (three reads 0.3 s apart within 64 kB)."""
    reads = [rss_kb(pid)]
    while True:
        await asyncio.sleep(0.3)
        reads.append(rss_kb(pid))
        if max(reads[-3:]) - min(reads[-3:]) < 64 and len(reads) >= 3:
            return reads[-1]


async def measure(port: int, pid: int, n: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    joined = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for w in range(0, n, PER_WORKSHOP):
            ws = (await http.post("/api/workshops", json={"title": "idle", "groups": 25})).json()
            for i in range(min(PER_WORKSHOP, n - w)):
                r = await http.post(
                    "/api/join", json={"code": ws["join_code"], "nickname": f"t{i}"}
                )
                joined.append(r.json())
    before = await settle(pid)
    conns: list[WSClient] = []
    welcomed = 0
    all_in = asyncio.Event()

    def on_message(payload: bytes) -> None:
        nonlocal welcomed
        unpacker = msgpack.Unpacker(raw=False)  # (a hub frame: messages back to back)
        unpacker.feed(payload)
        for m in unpacker:
            if m["t"] == "sync":
                welcomed += 1
                if welcomed == n:
                    all_in.set()

    t0 = time.monotonic()
    for j in joined:
        c = await connect("127.0.0.1", port, "/ws", on_message)
        c.send(
            msgpack.packb(
                {"t": "hello", "v": 2, "token": j["token"], "client": j["participant"]["id"]}
            )
        )
        c.send(msgpack.packb({"t": "subscribe", "board": j["board"], "since": 0, "ref": 1}))
        conns.append(c)
    await asyncio.wait_for(all_in.wait(), 120)
    opened_s = time.monotonic() - t0
    after = await settle(pid)
    for c in conns:
        c.close()
    return {"before_kb": before, "after_kb": after, "opened_s": opened_s}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__)
    ap.add_argument("--connections", type=int, default=1000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        results = []
        for n in (args.connections // 4, args.connections):
            with procs.schakel_hub(Path(tmp) / f"hub{n}", 5) as hub:
                results.append((n, asyncio.run(measure(hub.port, hub.pid, n))))
    print("connections  hub RSS before -> after (MB)  per connection (kB)")
    for n, r in results:
        per = (r["after_kb"] - r["before_kb"]) / n
        print(
            f"{n:11d}  {r['before_kb'] / 1024:8.1f} -> {r['after_kb'] / 1024:8.1f}"
            f"            {per:6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
