"""``python -m bench`` (``make bench``): Schakel against a bare relay and the Yjs server.

Scenario: ``boards`` boards x ``clients`` tablets, each dragging its own actor, plus one
plenary screen following every board. Modes: ``rate`` ops/s per tablet (a realistic
drag) and saturation (``window`` messages in flight per tablet). Each run starts a fresh
server process, warms up, measures for ``duration`` seconds, then checks that every op
reached every peer and the plenary. Results go to stdout, ``artifacts/bench/*.json`` and
the results section of ``docs/benchmarks.md`` (between its ``bench:results`` markers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import report
from .procs import ROOT, wait_quiet
from .scenarios import SERVERS, run_scenario

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--boards", type=int, default=50)
    ap.add_argument("--clients", type=int, default=4, help="tablets per board (1..4)")
    ap.add_argument("--duration", type=float, default=8.0, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--rate", type=float, default=25.0, help="ops/s per tablet in rate mode")
    ap.add_argument("--window", type=int, default=8, help="in-flight messages (saturation)")
    ap.add_argument("--modes", default="rate,sat", help="comma-separated: rate,sat")
    ap.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, of {','.join(SERVERS)}, schakel-tick<ms>, yjs-leveldb",
    )
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=10.0,
        help="before each run, wait up to this long for other processes to calm down",
    )
    ap.add_argument("--data-dir", type=Path, default=None, help="where the hub's database goes")
    ap.add_argument(
        "--pin", action="store_true", help="server on CPU 0, load generator on CPU 1 (taskset)"
    )
    ap.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    return ap.parse_args(argv)


def write_docs(text: str) -> None:
    report.write_section(DOCS, BEGIN, END, text)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    started = dt.datetime.now(dt.UTC)
    results: list[dict[str, Any]] = []
    t0 = time.monotonic()
    for _ in range(args.repeat):
        for mode in modes:
            for server in servers:
                params = {
                    "boards": args.boards,
                    "clients": args.clients,
                    "duration": args.duration,
                    "warmup": args.warmup,
                    "rate": args.rate if mode == "rate" else 0.0,
                    "window": args.window,
                }
                busy = wait_quiet(args.quiet_wait) if args.quiet_wait > 0 else 0.0
                print(f"… {server} {mode} (others busy: {busy:.2f} cores)", file=sys.stderr)
                try:
                    r = run_scenario(server, params, args.data_dir, pin=args.pin)
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                    print(f"!! {server} {mode}: {exc}", file=sys.stderr, flush=True)
                    continue
                results.append(r)
                print(report.text_table([r]).splitlines()[-1], file=sys.stderr, flush=True)
    elapsed = time.monotonic() - t0
    table = report.text_table(results)
    ratio_lines = report.ratios(results)
    described = (
        f"{args.boards} boards x {args.clients} tablets + 1 plenary following all boards; "
        f"rate mode {args.rate:g} ops/s per tablet (one op per message); saturation: "
        f"{args.window} messages in flight per tablet; {args.warmup:g} s warm-up, "
        f"{args.duration:g} s measured per run; {args.repeat} repeat(s); loopback 127.0.0.1; "
        + ("server pinned to CPU 0, generator to CPU 1" if args.pin else "no CPU pinning")
    )
    print()
    print(f"{started:%Y-%m-%d %H:%M} UTC · {report.machine()} · node {report.node_version()}")
    print(described)
    print(table)
    print()
    print(f"Summary (medians over runs where other processes used < {report.QUIET_CORES} core):")
    print(report.summary_text(results))
    print()
    print("\n".join(ratio_lines))
    print(f"\n({elapsed:.0f} s)")
    out_dir = ROOT / "artifacts" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"results-{started:%Y%m%dT%H%M%S}.json"
    raw.write_text(json.dumps(results, indent=1))
    print(f"raw results: {raw.relative_to(ROOT)}")
    if not args.no_docs:
        md = [
            f"Last `make bench`: {started:%Y-%m-%d %H:%M} UTC on {report.machine()}, "
            f"Node {report.node_version()}.",
            "",
            f"Parameters: {described}.",
            "",
            f"Summary: medians over the runs in which other processes used less than "
            f"{report.QUIET_CORES} core (all runs when none was that quiet); ranges in brackets.",
            "",
            report.summary_markdown(results),
            "",
            "Ratios (medians):",
            "",
            *(f"- {line}" for line in ratio_lines),
            "",
            "Every run (`other`: CPU that other processes of the machine used meanwhile):",
            "",
            report.markdown_table(results),
        ]
        write_docs("\n".join(md))
        print(f"updated {DOCS.relative_to(ROOT)}")
    return 0 if results and all(r["complete"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
