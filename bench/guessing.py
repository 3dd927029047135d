"""``python -m bench.guessing``: how many join-code guesses a hub answers, and what that
means for a workshop's code over its life.

Three runs against a fresh hub each, on 127.0.0.1:

- ``no limits``: one client guessing random codes as fast as it can (what an attacker got
  before the limits);
- ``one address``: the same with the default limits, for ``--seconds``;
- ``many addresses``: ``--addresses`` clients, each its own address (the hub trusts the
  benchmark as its proxy and reads ``x-forwarded-for``), each guessing until refused,
  for ``--seconds``.

Printed: guesses answered (a ``not_found``, i.e. "this code is wrong") and refused
(``rate_limited``) per run, the rates they give per hour, and the chance that an
attacker hits one of ``--workshops`` live workshops' codes within a workshop's life
(``--hours``), at those rates, for the code lengths 6 (before) and 8 (now):
``P ≈ guesses x workshops / 32^length``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

from schakel.limits import LimitSettings
from schakel_core.workshop import JOIN_CODE_ALPHABET, JOIN_CODE_LEN

from . import procs

DEFAULTS = LimitSettings()
LIMITS_ON = {
    "SCHAKEL_LIMIT_JOINS": str(DEFAULTS.joins),
    "SCHAKEL_LIMIT_JOIN_MISSES": str(DEFAULTS.join_misses),
    "SCHAKEL_LIMIT_JOIN_MISSES_HUB": str(DEFAULTS.join_misses_hub),
    "SCHAKEL_PROXY_HEADER": "x-forwarded-for",
}


def guess(rnd: random.Random) -> str:
    return "".join(rnd.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LEN))


async def attack(port: int, seconds: float, addresses: int, concurrency: int) -> dict[str, int]:
    counts = {"answered": 0, "refused": 0, "other": 0}
    rnd = random.Random(1)
    deadline = time.monotonic() + seconds
    queue: asyncio.Queue[str] = asyncio.Queue()
    for a in range(addresses):
        queue.put_nowait(f"10.{a // 65536}.{a // 256 % 256}.{a % 256}")

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        await http.post("/api/workshops", json={"title": "target", "groups": 2})

        async def worker() -> None:
            while time.monotonic() < deadline:
                try:
                    address = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                while time.monotonic() < deadline:
                    r = await http.post(
                        "/api/join",
                        json={"code": guess(rnd), "nickname": "x"},
                        headers={"x-forwarded-for": address},
                    )
                    if r.status_code == 404:
                        counts["answered"] += 1
                    elif r.status_code == 429:
                        counts["refused"] += 1
                        if addresses > 1:
                            break  # a botnet moves on to its next address
                    else:
                        counts["other"] += 1
                if addresses == 1:
                    queue.put_nowait(address)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counts


def run(seconds: float, addresses: int, limits: bool, concurrency: int = 16) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="bench-guess-") as tmp:
        env = LIMITS_ON if limits else {}
        with procs.schakel_hub(Path(tmp) / "hub", 5, env=env) as hub:
            return asyncio.run(attack(hub.port, seconds, addresses, concurrency))


def chance(guesses: float, workshops: int, length: int) -> float:
    return min(1.0, guesses * workshops / len(JOIN_CODE_ALPHABET) ** length)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.guessing", description=__doc__)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--addresses", type=int, default=500)
    ap.add_argument("--workshops", type=int, default=100, help="live at once")
    ap.add_argument("--hours", type=float, default=72.0, help="a workshop's life (retention)")
    args = ap.parse_args(argv)
    free = run(5.0, 1, limits=False)
    one = run(args.seconds, 1, limits=True)
    many = run(args.seconds, args.addresses, limits=True, concurrency=64)
    t = args.seconds
    free_h = free["answered"] / 5.0 * 3600
    burst, steady = DEFAULTS.join_misses.burst, DEFAULTS.join_misses.per_s
    one_h = burst + max(0, one["answered"] - burst) / t * 3600
    hub_burst, hub_steady = DEFAULTS.join_misses_hub.burst, DEFAULTS.join_misses_hub.per_s
    # Overall: the hub's allowance, plus one first guess per address never seen before.
    many_h = hub_burst + hub_steady * 3600 + args.addresses
    print("run             seconds  answered  refused   -> answered per hour")
    print(
        f"no limits       {5:7.0f}  {free['answered']:8d}  {free['refused']:7d}   {free_h:12,.0f}"
    )
    print(
        f"one address     {t:7.0f}  {one['answered']:8d}  {one['refused']:7d}   {one_h:12,.0f}"
        f"   (configured: {burst:g} at once, then {steady * 3600:g}/h)"
    )
    print(
        f"{args.addresses} addresses {t:7.0f}  {many['answered']:8d}  {many['refused']:7d}   "
        f"{many_h:12,.0f}   (hub: {hub_burst:g} at once + {hub_steady * 3600:g}/h, "
        f"+ 1 per new address)"
    )
    life = args.hours
    print(f"\nchance of a hit on one of {args.workshops} live workshops within {life:g} h:")
    for name, per_hour, first in (
        ("no limits", free_h, 0.0),
        ("one address", steady * 3600, burst),
        (f"all addresses ({args.addresses} new ones per hour)", many_h, 0.0),
    ):
        guesses = first + per_hour * life
        six, eight = (chance(guesses, args.workshops, n) for n in (6, 8))
        print(f"  {name}: {guesses:,.0f} guesses -> 6 characters {six:.2g}, 8: {eight:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
