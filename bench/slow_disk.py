"""Does a slow disk hold peers' updates? The embedded store with an injected stall.

    python -m bench.slow_disk [--boards 10] [--clients 4] [--rate 10] [--duration 10]

A real hub process (``schakel serve``, embedded store on a real folder) whose SQLite
writer thread stalls before it commits (the store's test-only ``commit_delay_s`` /
``commit_stall_every_s``: the thread sleeps where a stalled fsync would block it; the
event loop is free meanwhile), driven by :mod:`bench.load`: ``boards`` boards of
``clients`` tablets dragging at ``rate`` ops/s each and a plenary following every board.
It prints op→peer and op→plenary p50/p99 per disk:

- ``normal``: no stall;
- ``stall S ms / 1 s``: the first commit after each second stalls ``S`` ms (a disk whose
  fsync hangs now and then, as one run showed: a plenary p99 of 769 ms);
- ``slow S ms``: every commit takes ``S`` ms more (a slow disk).

All boards share the one database file and the hub commits every board's batches of a
tick in one transaction: the figures say whether peers wait for it (before the hub
delivered once merged and acknowledged once durable, every board's peers did; see
docs/benchmarks.md, "A slow disk"). It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from . import procs
from .scenarios import run_scenario

# Runs ``schakel serve`` with the embedded store's injected stall (argv: delay_s,
# every_s, then the serve arguments).
LAUNCHER = (
    "import functools, sys; from schakel.stores import embedded; "
    "delay, every = float(sys.argv[1]), float(sys.argv[2]); "
    "embedded.EmbeddedStore.__init__ = functools.partialmethod("
    "embedded.EmbeddedStore.__init__, commit_delay_s=delay, commit_stall_every_s=every); "
    "from schakel.cli import main; sys.exit(main(sys.argv[3:]))"
)


def slow_hub(delay_s: float, every_s: float) -> Any:
    def make(work: Path) -> procs.ServerProcess:
        server = procs.schakel_hub(work / "hub", tick_ms=5)
        assert server.args[1:3] == ["-m", "schakel"]
        serve = server.args[3:]
        server.args = [sys.executable, "-c", LAUNCHER, str(delay_s), str(every_s), *serve]
        return server

    return make


def ms(lat: dict[str, Any], q: str) -> str:
    v = lat.get(q)
    return "-" if v is None else f"{v:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boards", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--stall-ms", type=float, nargs="*", default=[200.0, 500.0])
    parser.add_argument("--slow-ms", type=float, nargs="*", default=[20.0])
    args = parser.parse_args()
    params = {
        "boards": args.boards,
        "clients": args.clients,
        "rate": args.rate,
        "duration": args.duration,
    }
    disks: list[tuple[str, float, float]] = [("normal", 0.0, 0.0)]
    disks += [(f"stall {s:g} ms / 1 s", s / 1000, 1.0) for s in args.stall_ms]
    disks += [(f"slow {s:g} ms", s / 1000, 0.0) for s in args.slow_ms]
    print(
        f"{args.boards} boards x {args.clients} tablets at {args.rate:g} ops/s, "
        f"a plenary on every board, {args.duration:g} s"
    )
    print(f"{'disk':<22}{'peer p50/p99/max ms':>22}{'plenary p50/p99/max ms':>25}{'lost':>6}")
    for name, delay, every in disks:
        r = run_scenario("schakel", params, make_server=slow_hub(delay, every))
        peer, plenary = r["latency_peer_ms"], r["latency_plenary_ms"]
        print(
            f"{name:<22}{' / '.join(ms(peer, q) for q in ('p50', 'p99', 'max')):>22}"
            f"{' / '.join(ms(plenary, q) for q in ('p50', 'p99', 'max')):>25}"
            f"{r['missing']:>6}",
            flush=True,
        )


if __name__ == "__main__":
    main()
