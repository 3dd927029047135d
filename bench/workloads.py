"""``python -m bench.workloads`` (``make bench``): the workloads W1-W3 of issue 11.

- **W1** 50 boards x 4 tablets + one plenary following all 50 boards; each tablet
  10 stored ops/s and 30 presence updates/s, times a load multiplier raised step by step
  until the p99 op→peer latency passes 100 ms or ops are lost. **Capacity** is the highest
  multiplier held (p99 ≤ 100 ms, nothing lost). Against every server: the bare
  ``websockets`` relay, the Starlette relay, the Yjs server, the Schakel hub on the embedded
  store (on the disk of ``--data-dir``), on Redis, and two hubs sharing one Redis.
- **W2** tablets at 1 op/s on boards of four, added step by step until p99 > 100 ms: the
  count one hub process holds, and its memory per connection (RSS delta / connections).
- **W3** a late joiner of a 5,000-object board: its time to the full state, and the other
  boards' p99 while joiners come back to back against the same load without them.

One Node generator (``bench/yjs/wload.mjs``) drives every server; it speaks protocol v1
and v2 of shared/PROTOCOL.md (asks the hub). ``--before REF`` also runs the Schakel
servers from the hub of git commit REF (exported with ``git archive`` to a temporary
folder), so that one run gives the before and after figures. Results: stdout, the JSON
and the SVG plot in ``artifacts/bench/``, and the ``bench:w`` section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import procs, report, wplot, wreport
from .procs import ROOT, YJS_DIR, ServerProcess, free_port

BASELINES = ("relay", "relay-starlette", "yjs")
HUBS = ("schakel", "schakel-redis", "schakel-2hubs")
SERVERS = BASELINES + HUBS
# Not run unless named with --servers: the hub's socket layer alone, relaying or dropping
# every message (bench/relay_hubsocket.py), to see what the hub's stack costs by itself.
# And two hubs on one Redis with each board's tablets on one hub (the plenary on the
# first): what the spread of connections over hubs costs in ops crossing between them.
DIAGNOSTICS = ("relay-hubsocket", "sink-hubsocket", "schakel-2hubs-boards")


def not_a_hub(server: str) -> bool:
    """A server without the hub's code (run once, not once per hub source)."""
    return server in BASELINES or server.endswith("-hubsocket")


DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:w:begin -->", "<!-- bench:w:end -->"


@dataclass(frozen=True)
class HubSource:
    """Where the hub's code comes from: this tree (``path`` None) or an exported commit."""

    label: str
    path: Path | None = None

    def env(self) -> dict[str, str]:
        if self.path is None:
            return {}
        dirs = [self.path / "shared", self.path / "server", self.path / "client" / "python"]
        # no __pycache__ written into another checkout
        return {"PYTHONPATH": os.pathsep.join(str(d) for d in dirs), "PYTHONDONTWRITEBYTECODE": "1"}


@contextlib.contextmanager
def exported(ref: str, into: Path) -> Iterator[HubSource]:
    """The hub's packages at git ``ref``, in a folder of ``into`` (``git archive``: the
    repository and its worktrees are left as they are)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    folder = into / f"hub-{sha}"
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "shared", "server", "client/python"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    tar_path = folder / "src.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(folder, filter="data")
    tar_path.unlink()
    try:
        yield HubSource(f"schakel@{sha}", folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _more_files() -> None:  # pragma: no cover - runs in the child before exec
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


class Redis:
    """A ``redis-server`` of its own, in a temporary folder on a free port (AOF on,
    ``appendfsync everysec``: Redis's usual durable setting)."""

    def __init__(self, folder: Path, cpu: str | None) -> None:
        self.folder, self.port = folder, free_port()
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(folder), "--save", "", "--appendonly", "yes"]
        args += ["--appendfsync", "everysec", "--protected-mode", "no"]
        args += ["--logfile", str(folder / "redis.log")]
        self.args = (["taskset", "-c", cpu] if cpu else []) + args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> Redis:
        import redis

        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is missing (make system-deps)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with redis.Redis(port=self.port, socket_timeout=1) as c:
                    if c.ping():
                        return self
            except redis.RedisError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def __exit__(self, *exc: object) -> None:
        procs.stop(self.proc)


def hub(source: HubSource, work: Path, cpu: str | None, redis_url: str = "") -> ServerProcess:
    """One hub process of ``source``: embedded store in ``work`` (a real disk), or Redis."""
    port = free_port()
    data = work / f"hub-{port}"
    data.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "schakel", "serve", "--port", str(port)]
    args += ["--data-dir", str(data), "--log-level", "warning"]
    if redis_url:
        args += ["--redis-url", redis_url]
    env = {"SCHAKEL_SECRET": procs.BENCH_SECRET, **procs.ADDRESS_LIMITS_OFF}
    env |= procs.CONNECTION_LIMITS_OFF | source.env()
    server = ServerProcess(source.label, args, port, "/healthz", data / "hub.log", env=env)
    if cpu:
        server.args = ["taskset", "-c", cpu, *server.args]
    return server


@dataclass
class Running:
    target: str  # the generator's protocol: schakel, relay, yjs
    servers: list[ServerProcess]
    store_pids: list[int] = field(default_factory=list)
    pinning: str = ""
    spread: str = "tablet"  # over several servers: tablets in turn, or boards in turn

    def params(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "spread": self.spread,
            "urls": [f"ws://127.0.0.1:{s.port}" for s in self.servers],
            "http": [f"http://127.0.0.1:{s.port}" for s in self.servers],
            "server_pids": [s.pid for s in self.servers],
            "store_pids": self.store_pids,
        }


@contextlib.contextmanager
def running(name: str, source: HubSource, work: Path, pin: bool) -> Iterator[Running]:
    """Starts server ``name`` (and its Redis), yields how to reach it, stops everything."""
    one = "0" if pin else None
    with contextlib.ExitStack() as stack:
        if name == "relay":
            s = procs.relay(work)
        elif name == "relay-starlette":
            port = free_port()
            args = [sys.executable, "-m", "bench.relay_starlette", "--port", str(port)]
            s = ServerProcess(
                "relay (starlette)", args, port, "/healthz", work / "rs.log", cwd=ROOT
            )
        elif name.endswith("-hubsocket"):
            port = free_port()
            fanout = "none" if name == "sink-hubsocket" else "broadcast"
            args = [sys.executable, "-m", "bench.relay_hubsocket", "--port", str(port)]
            s = ServerProcess(
                name, [*args, "--fanout", fanout], port, "/healthz", work / "rh.log", cwd=ROOT
            )
        elif name == "yjs":
            s = procs.yjs_server(work)
        elif name == "schakel":
            s = hub(source, work, one)
        elif name == "schakel-redis" or name in wreport.TWO_HUBS:
            redis = stack.enter_context(Redis(work / "redis", None))
            if name == "schakel-redis":
                s = hub(source, work, one, redis.url)
                yield from _started(
                    stack,
                    "schakel",
                    [s],
                    [redis.proc.pid if redis.proc else 0],
                    "hub on CPU 0, generator on CPU 1, redis-server unpinned" if pin else "",
                )
                return
            a = hub(source, work, "0" if pin else None, redis.url)
            b = hub(source, work, "1" if pin else None, redis.url)
            yield from _started(
                stack,
                "schakel",
                [a, b],
                [redis.proc.pid if redis.proc else 0],
                "hub A on CPU 0, hub B on CPU 1 (beside the generator), redis-server unpinned"
                if pin
                else "",
                wreport.TWO_HUBS[name],
            )
            return
        else:
            known = ", ".join(SERVERS + DIAGNOSTICS)
            raise ValueError(f"unknown server {name!r}; known: {known}")
        if pin and s.args[0] != "taskset":
            s.args = ["taskset", "-c", "0", *s.args]
        target = "yjs" if name == "yjs" else "schakel" if name == "schakel" else "relay"
        yield from _started(
            stack, target, [s], [], "server on CPU 0, generator on CPU 1" if pin else ""
        )


def _started(
    stack: contextlib.ExitStack,
    target: str,
    servers: list[ServerProcess],
    store: list[int],
    pinning: str,
    spread: str = "tablet",
) -> Iterator[Running]:
    for s in servers:
        s.start = _with_rlimit(s)  # type: ignore[method-assign]
        stack.enter_context(s)
    yield Running(target, servers, store, pinning, spread)


def _with_rlimit(s: ServerProcess) -> Any:
    """ServerProcess.start with a raised open-files limit (W2 opens thousands)."""
    original = s.start

    def start(timeout: float = 30) -> ServerProcess:
        old = resource.getrlimit(resource.RLIMIT_NOFILE)
        _more_files()
        try:
            return original(timeout)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, old)

    return start


def generate(params: dict[str, Any], pin: bool, timeout: float, label: str) -> dict[str, Any]:
    """Runs the Node generator (killed after ``timeout`` s whatever it does); returns its
    steps and its last line (``done``)."""
    args = ["node", "wload.mjs", json.dumps({**params, "clk_tck": procs.CLK_TCK})]
    if pin:
        args = ["taskset", "-c", "1", *args]
    steps: list[dict[str, Any]] = []
    done: dict[str, Any] | None = None
    error = ""
    with (
        tempfile.TemporaryFile("w+") as err,
        subprocess.Popen(
            args,
            cwd=YJS_DIR,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            preexec_fn=_more_files,
        ) as proc,
    ):
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                row = json.loads(line)
                if "done" in row:
                    done, error = row["done"], row.get("error", "")
                    continue
                steps.append(row)
                print(f"   {label}: {wreport.step_line(row)}", file=sys.stderr, flush=True)
            proc.wait()
        finally:
            watchdog.cancel()
        if proc.returncode < 0:
            error = f"stopped after {timeout:.0f} s"
        err.seek(0)
        stderr = err.read()
    if done is None and not error:
        error = f"generator exited {proc.returncode}: {stderr[-1500:]}"
    elif error and stderr:
        error += ": " + stderr[-1500:]
    return {"steps": steps, "done": done, "error": error}


CONFIRM_TRIES = 2  # confirmations of the capacity per run, at most


def confirm(
    out: dict[str, Any],
    a: argparse.Namespace,
    run: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """The sweep's capacity, measured again over ``a.confirm`` seconds (``run``: on a
    server started anew, as every run); if it is not held there, the next held step below
    it (at most ``CONFIRM_TRIES`` steps). A step near saturation can pass a short window
    by luck (docs/benchmarks.md)."""
    tried: list[dict[str, Any]] = []
    while len(tried) < CONFIRM_TRIES:
        k = wreport.to_confirm(out, tried)
        if k is None:
            break
        again = run({"steps": [k], "window_s": a.confirm, "keep_going": False})
        if again["error"] or not again["steps"]:
            break
        tried += [{**s, "confirming": a.confirm} for s in again["steps"]]
    return tried


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench.workloads",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    floats = lambda s: [float(x) for x in s.split(",") if x.strip()]  # noqa: E731
    ints = lambda s: [int(x) for x in s.split(",") if x.strip()]  # noqa: E731
    ap.add_argument("--workloads", default="w1,w2,w3", help="comma-separated: w1,w2,w3")
    ap.add_argument("--servers", default=",".join(SERVERS), help=f"W1 servers: {','.join(SERVERS)}")
    ap.add_argument(
        "--before",
        action="append",
        default=[],
        metavar="REF",
        help="also run the Schakel servers of git commit REF (repeatable)",
    )
    ap.add_argument(
        "--hub-dir",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="also run the Schakel servers from the checkout in DIR (its shared/, server/, "
        "client/python/ as they are on disk; repeatable)",
    )
    ap.add_argument(
        "--no-current",
        action="store_true",
        help="leave out the hub of this tree (only the --before ones)",
    )
    ap.add_argument(
        "--proto",
        type=int,
        default=0,
        choices=(0, 1, 2),
        help="protocol version the generator speaks to hubs (0: ask the hub)",
    )
    ap.add_argument("--boards", type=int, default=50)
    ap.add_argument("--clients", type=int, default=4, help="tablets per board")
    ap.add_argument("--ops-rate", type=float, default=10.0, help="W1: stored ops/s per tablet")
    ap.add_argument("--presence-rate", type=float, default=30.0, help="W1: presence/s per tablet")
    ap.add_argument(
        "--steps",
        type=floats,
        default=[0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 8],
        help="W1 load multipliers, in order",
    )
    ap.add_argument(
        "--keep-going",
        action="store_true",
        help="W1: run every step, also after one that was not held",
    )
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds before each window")
    ap.add_argument("--window", type=float, default=4.0, help="measured seconds per step")
    ap.add_argument(
        "--confirm",
        type=float,
        default=16.0,
        metavar="SECONDS",
        help="W1: measure the capacity step again over this many seconds (and the step "
        "below if it fails there); 0: no confirmation",
    )
    ap.add_argument("--drain", type=float, default=3.0, help="seconds to wait for late ops")
    ap.add_argument("--limit-ms", type=float, default=100.0, help="the p99 op→peer target")
    ap.add_argument("--w2-steps", type=ints, default=[250, 500, 1000, 1500, 2000, 3000, 4000, 5000])
    ap.add_argument("--w3-objects", type=int, default=5000)
    ap.add_argument(
        "--w3-multiplier",
        type=float,
        default=0.5,
        help="W3: the W1 load multiplier on the other boards",
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT / "artifacts" / "bench" / "work",
        help="where hubs keep their databases (a real disk, not tmpfs)",
    )
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=10.0,
        help="before each run, wait up to this long for other processes to calm down",
    )
    ap.add_argument("--no-pin", action="store_true", help="no taskset (default: pin on 2+ CPUs)")
    ap.add_argument("--timeout", type=float, default=300.0, help="per server and workload")
    ap.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench")
    ap.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="JSON",
        help="run nothing: print the tables of a raw w-*.json (and rewrite the docs section)",
    )
    ap.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    if a.report:
        raw = json.loads(a.report.read_text())
        print(wreport.text(raw["meta"], raw["runs"]))
        if not a.no_docs:
            report.write_section(DOCS, BEGIN, END, wreport.markdown(raw["meta"], raw["runs"]))
        return 0
    pin = not a.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    workloads = [w.strip() for w in a.workloads.split(",") if w.strip()]
    servers = [s.strip() for s in a.servers.split(",") if s.strip()]
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    t0 = time.monotonic()
    a.data_dir.mkdir(parents=True, exist_ok=True)
    common = {
        "boards": a.boards,
        "clients": a.clients,
        "ops_rate": a.ops_rate,
        "presence_rate": a.presence_rate,
        "warmup_s": a.warmup,
        "window_s": a.window,
        "drain_s": a.drain,
        "p99_limit_ms": a.limit_ms,
        "proto": a.proto,
        "keep_going": a.keep_going,
    }
    runs: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-w-", dir=a.data_dir) as tmp,
        contextlib.ExitStack() as stack,
    ):
        work = Path(tmp)
        sources = [] if a.no_current else [HubSource("schakel")]
        sources = [stack.enter_context(exported(ref, work)) for ref in a.before] + sources
        sources += [HubSource(f"schakel@{d.resolve().name}", d.resolve()) for d in a.hub_dir]

        def fresh(
            workload: str, name: str, source: HubSource, extra: dict[str, Any], label: str
        ) -> tuple[dict[str, Any], Running | None]:
            """One run of the generator against a server started for it alone."""
            folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
            try:
                with running(name, source, folder, pin) as r:
                    params = {**common, **r.params(), "mode": workload, **extra}
                    out = generate(params, pin, a.timeout, label)
                    out["log_tail"] = "\n".join(s.log()[-400:] for s in r.servers)
                    return out, r
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                return {"steps": [], "done": None, "error": str(exc)[-2000:]}, None
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        def one(workload: str, name: str, source: HubSource, extra: dict[str, Any]) -> None:
            label = name if not_a_hub(name) else name.replace("schakel", source.label, 1)
            busy = procs.wait_quiet(a.quiet_wait) if a.quiet_wait > 0 else 0.0
            print(
                f"… {workload} {label} (others busy: {busy:.2f} cores)", file=sys.stderr, flush=True
            )
            out, r = fresh(workload, name, source, extra, label)
            if workload == "w1" and a.confirm > 0 and not out["error"]:
                out["confirm"] = confirm(
                    out,
                    a,
                    lambda more: fresh(
                        workload, name, source, extra | more, f"{label} (confirming)"
                    )[0],
                )
            out |= {
                "workload": workload,
                "server": name,
                "label": label,
                "others_busy": busy,
                "source": source.label,
                "pinning": r.pinning if r else "",
            }
            if out["error"]:
                print(f"!! {label}: {out['error'][:500]}", file=sys.stderr, flush=True)
            runs.append(out)

        if "w1" in workloads:
            for name in servers:
                if not_a_hub(name):
                    one("w1", name, HubSource("schakel"), {"steps": a.steps})
                else:
                    for source in sources:
                        one("w1", name, source, {"steps": a.steps})
        for source in sources:
            if "w2" in workloads:
                one("w2", "schakel", source, {"steps": a.w2_steps, "clients": 4, "ops_rate": 1.0})
            if "w3" in workloads:
                one(
                    "w3",
                    "schakel",
                    source,
                    {"objects": a.w3_objects, "multiplier": a.w3_multiplier},
                )
    load_after = os.getloadavg()
    elapsed = time.monotonic() - t0
    meta = {
        "started": f"{started:%Y-%m-%d %H:%M} UTC",
        "machine": wreport.machine(),
        "load_before": load_before,
        "load_after": load_after,
        "pinned": pin,
        "elapsed_s": elapsed,
        "params": {
            **common,
            "steps": a.steps,
            "confirm_s": a.confirm,
            "w2_steps": a.w2_steps,
            "w3_objects": a.w3_objects,
            "w3_multiplier": a.w3_multiplier,
        },
    }
    a.out.mkdir(parents=True, exist_ok=True)
    stamp = f"{started:%Y%m%dT%H%M%S}"
    raw = a.out / f"w-{stamp}.json"
    raw.write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
    svg = a.out / "w1-p99.svg"
    svg.write_text(wplot.p99_svg(runs, a.limit_ms))
    text = wreport.text(meta, runs)
    print()
    print(text)
    print(f"\nraw: {raw.relative_to(ROOT) if raw.is_relative_to(ROOT) else raw}")
    print(f"plot (p99 against load): {svg.relative_to(ROOT) if svg.is_relative_to(ROOT) else svg}")
    if not a.no_docs:
        report.write_section(DOCS, BEGIN, END, wreport.markdown(meta, runs))
        print(f"updated {DOCS.relative_to(ROOT)}")
    return 0 if runs and not any(r["error"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
