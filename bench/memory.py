"""``python -m bench.memory``: what a hub holds while one board is overwritten, and after.

The scenario of issue 9: one participant sends batches of 4 ink strokes of 6,000 numbers
(each ~54 kB of msgpack), always overwriting the same 4 objects, so that the board's
*state* stays 4 objects while its history grows. The hub runs as its own process (on the
embedded store) and its resident memory (``VmRSS``) is read:

- ``before``: the workshop made, the participant subscribed, nothing drawn;
- ``after``: once every overwrite is acknowledged, the participant still following;
- ``unloaded``: the participant gone and the board dropped from memory (``/healthz``
  says how many boards the store holds);
- ``restarted``: a new hub on the same data (boards are read from disk when first used).

``tests/e2e/test_memory.py`` runs it at CI size; ``python -m bench.memory`` at the
issue's 10,000 overwrites (``--overwrites``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from schakel_core import messages as m
from schakel_core.ops import Op
from tests.e2e.raw import Raw
from tests.support.server import HubProcess, create_workshop, join

STROKE_NUMBERS = 6000
OBJECTS = 4
WINDOW = 8  # batches in flight


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def boards_in_memory(hub: HubProcess) -> int:
    async with httpx.AsyncClient() as http:
        n: int = (await http.get(f"{hub.http}/healthz")).json()["boards_in_memory"]
        return n


async def overwrite(raw: Raw, board: str, overwrites: int) -> None:
    """``overwrites`` ink ops in batches of OBJECTS, WINDOW batches in flight."""
    rng = random.Random(9)
    strokes = [[rng.random() * 1000 for _ in range(STROKE_NUMBERS)] for _ in range(3)]
    sent = acked = 0
    batches = overwrites // OBJECTS
    while acked < batches:
        while sent < batches and sent - acked < WINDOW:
            ops = [
                raw.op(f"ink{j}", "ink", "points", strokes[(sent + j) % len(strokes)])
                for j in range(OBJECTS)
            ]
            await raw.send_ops(board, ops)
            sent += 1
        msg = await raw.recv(timeout=60)
        if isinstance(msg, m.Ack):
            acked = msg.ref
        elif isinstance(msg, m.Error):
            raise AssertionError(f"refused: {msg}")


async def wait_until(pred: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await pred():
        if time.monotonic() > deadline:
            raise TimeoutError("the hub did not get there in time")
        await asyncio.sleep(0.1)


async def run(overwrites: int, data_dir: Path) -> dict[str, float]:
    """The figures (MB of RSS, and seconds) of one run."""
    env = {"SCHAKEL_UNLOAD_AFTER_S": "1"}
    hub = HubProcess(data_dir, env=env)
    await asyncio.to_thread(hub.start)
    out: dict[str, float] = {"overwrites": overwrites}
    try:
        assert hub.proc is not None
        ws = await create_workshop(hub.http, groups=1)
        p = await join(hub.http, ws["join_code"], "Ink")
        board = p["board"]
        # (no deflate: random numbers do not compress, and it would only cost time here)
        raw = await Raw.hello(hub.ws, p["token"], "ink", deflate=False)
        await raw.subscribe(board)
        await raw.quiet()
        out["before"] = rss_mb(hub.proc.pid)
        started = time.monotonic()
        await overwrite(raw, board, overwrites)
        out["seconds"] = time.monotonic() - started
        out["after"] = rss_mb(hub.proc.pid)
        await raw.close()

        async def unloaded() -> bool:
            return await boards_in_memory(hub) == 0

        await wait_until(unloaded)
        out["unloaded"] = rss_mb(hub.proc.pid)
        await asyncio.to_thread(hub.stop)
        again = HubProcess(data_dir)
        await asyncio.to_thread(again.start)
        try:
            assert again.proc is not None
            raw = await Raw.hello(again.ws, p["token"], "ink")
            sync = await raw.subscribe(board)
            assert len({op.id for op in sync.ops if isinstance(op, Op)}) == OBJECTS
            await raw.close()
            out["restarted"] = rss_mb(again.proc.pid)
        finally:
            await asyncio.to_thread(again.kill)
    finally:
        await asyncio.to_thread(hub.kill)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    ap.add_argument("--overwrites", type=int, default=10_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="schakel-memory-") as tmp:
        figures = asyncio.run(run(args.overwrites, Path(tmp)))
    print(json.dumps(figures, indent=1))
    print(
        f"RSS: {figures['before']:.0f} MB before, {figures['after']:.0f} MB after "
        f"{args.overwrites:,} overwrites ({figures['seconds']:.1f} s), "
        f"{figures['unloaded']:.0f} MB once unloaded, {figures['restarted']:.0f} MB "
        "after a restart and a sync"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
