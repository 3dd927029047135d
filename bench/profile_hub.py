"""Where the hub's time goes: py-spy samples ``schakel serve`` under the benchmark load.

``python -m bench.profile_hub [--rate 25 | --rate 0] [--tick-ms 5]`` starts a hub, runs the
Python load generator against it, records the hub with py-spy during the measured window
(needs ``py-spy``, in the ``dev`` extra, and ptrace rights) and prints the functions with
the most samples, by own time and by time including callees. Raw stacks are kept in
``artifacts/bench/`` (collapsed format: load into speedscope or flamegraph.pl).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from . import procs
from .load import LoadParams


def summarise(collapsed: Path, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        samples += n
        frames = [f.split(" (")[0] + " (" + f.split("/")[-1] for f in stack.split(";")]
        if frames:
            own[frames[-1]] += n
        for f in set(frames):
            total[f] += n
    out = [f"{samples} samples"]
    for title, counter in (("own time", own), ("including callees", total)):
        out.append(f"\n-- top {top} by {title}")
        for name, n in counter.most_common(top):
            out.append(f"{100 * n / max(1, samples):5.1f}%  {name}")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_hub")
    ap.add_argument("--rate", type=float, default=0.0, help="ops/s per tablet; 0: saturation")
    ap.add_argument("--tick-ms", type=float, default=5.0)
    ap.add_argument("--boards", type=int, default=50)
    ap.add_argument("--duration", type=float, default=6.0)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--idle", action="store_true", help="include idle samples")
    args = ap.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out_dir = procs.ROOT / "artifacts" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    collapsed = out_dir / f"hub-profile-rate{args.rate:g}-tick{args.tick_ms:g}.txt"
    with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmp:
        server = procs.schakel_hub(Path(tmp), args.tick_ms)
        with server:
            p = LoadParams(
                target="schakel",
                port=server.port,
                server_pid=server.pid,
                boards=args.boards,
                duration=args.duration + 6,
                warmup=2.0,
                rate=args.rate,
            )
            gen = subprocess.Popen(
                [sys.executable, "-m", "bench.load", json.dumps(asdict(p))],
                cwd=procs.ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                # Setup (joins, connects) takes a few seconds; sample the steady state.
                record = [spy, "record", "-p", str(server.pid), "-f", "raw", "-r", "200"]
                record += ["-d", str(int(args.duration)), "-o", str(collapsed), "--nonblocking"]
                if args.idle:
                    record.append("--idle")
                subprocess.run(["sleep", "5"], check=True)
                subprocess.run(record, check=True, capture_output=True)
                stdout, _ = gen.communicate(timeout=120)
            finally:
                if gen.poll() is None:
                    gen.kill()
    print(summarise(collapsed, args.top))
    result = json.loads(stdout.strip().splitlines()[-1])
    print(
        f"\nload: {result['delivered_per_s']:,.0f} delivered ops/s, "
        f"{result['frames_per_s']:,.0f} frames/s, complete={result['complete']} "
        f"(py-spy itself costs the hub some throughput)\nstacks: {collapsed}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
