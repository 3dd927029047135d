"""Server processes for the benchmark: start, wait until ready, read CPU time, stop.

Every server runs as its own process on 127.0.0.1 and a free port; readiness is an HTTP
GET answering 200, never a fixed sleep. :func:`cpu_seconds` reads user + system time of
a process (all its threads) from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YJS_DIR = ROOT / "bench" / "yjs"
CLK_TCK = os.sysconf("SC_CLK_TCK")
BENCH_SECRET = "bench-secret-not-for-production-0"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (every thread)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` in kB (``VmRSS`` of ``/proc/<pid>/status``)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used (every core; not idle/iowait)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def wait_quiet(max_wait: float = 20.0, busy_limit: float = 0.3) -> float:
    """Wait (at most ``max_wait`` s) until the rest of the machine uses less than
    ``busy_limit`` cores; returns the busy cores of the last second seen."""
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        busy = machine_busy_seconds() - before
        if busy < busy_limit or time.monotonic() > deadline:
            return busy


def stop(proc: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    """SIGTERM, and SIGKILL when ``proc`` has not ended ``timeout`` s later."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class ServerProcess:
    """A server under test; use as a context manager so that it always stops."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        port: int,
        health_path: str,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name, self.args, self.port = name, list(args), port
        self.health_url = f"http://127.0.0.1:{port}{health_path}"
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 20) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.args, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log()}")
            try:
                with urllib.request.urlopen(self.health_url, timeout=1) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{self.name} on port {self.port} not ready: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self, timeout: float = 10) -> None:
        stop(self.proc, timeout)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# The benchmark is one address playing hundreds of devices: the limits per address are
# off. The limits per connection are off too, except where a benchmark is about them
# (bench.flood): a tablet in saturation mode sends more than a person ever does.
ADDRESS_LIMITS_OFF = {
    f"SCHAKEL_LIMIT_{name}": "0"
    for name in (
        "WORKSHOPS",
        "JOINS",
        "JOIN_MISSES",
        "JOIN_MISSES_HUB",
        "HEAVY",
        "HEAVY_WORKSHOP",
        "CONNECTS",
        "BAD_HELLOS",
    )
} | {"SCHAKEL_MAX_CONNECTIONS_PER_ADDRESS": "0", "SCHAKEL_MAX_CONNECTIONS": "0"}
CONNECTION_LIMITS_OFF = {f"SCHAKEL_LIMIT_{n}": "0" for n in ("MESSAGES", "OPS", "REFUSALS")}


def schakel_hub(
    data_dir: Path,
    tick_ms: float,
    *,
    connection_limits: bool = False,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    port = free_port()
    args = [sys.executable, "-m", "schakel", "serve", "--port", str(port)]
    args += ["--data-dir", str(data_dir), "--log-level", "warning", "--tick-ms", str(tick_ms)]
    limits = ADDRESS_LIMITS_OFF | ({} if connection_limits else CONNECTION_LIMITS_OFF)
    return ServerProcess(
        f"schakel (tick {tick_ms:g} ms)",
        args,
        port,
        "/healthz",
        data_dir / "hub.log",
        env={"SCHAKEL_SECRET": BENCH_SECRET, **limits, **(env or {})},
    )


def relay(log_dir: Path, fanout: str = "broadcast") -> ServerProcess:
    port = free_port()
    args = [sys.executable, "-m", "bench.relay", "--port", str(port), "--fanout", fanout]
    return ServerProcess(
        f"relay ({fanout})", args, port, "/healthz", log_dir / "relay.log", cwd=ROOT
    )


def yjs_server(log_dir: Path, persist: bool = False) -> ServerProcess:
    """The y-websocket server: documents in memory, or (``persist``) also written to
    LevelDB (``YPERSISTENCE``; LevelDB's default, no fsync per write)."""
    port = free_port()
    script = YJS_DIR / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
    if not script.exists():
        raise FileNotFoundError(f"{script} is missing: run `make bench` (npm ci in bench/yjs)")
    return ServerProcess(
        "y-websocket" + (" (leveldb)" if persist else ""),
        ["node", str(script)],
        port,
        "/",
        log_dir / "yjs.log",
        env={"HOST": "127.0.0.1", "PORT": str(port)}
        | ({"YPERSISTENCE": str(log_dir / "yjs-leveldb")} if persist else {}),
        cwd=YJS_DIR,
    )
