"""Real ``redis-server`` processes for tests: standalone or a three-master cluster.

Each server runs on a free loopback port in its own temporary folder, never on 6379;
readiness is a PING (and ``cluster_state:ok`` for a cluster), never a fixed sleep. Stop
everything with :meth:`RedisServer.stop` / :meth:`RedisCluster.stop` (fixtures do so in a
``finally``).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_redis_port(*, cluster: bool = False) -> int:
    """A free port (and, for a cluster node, a free bus port at port + 10000)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port == 6379:
            continue
        if cluster and (port + 10000 > 65535 or not _port_free(port + 10000)):
            continue
        return port
    raise RuntimeError("no free port for redis")


@dataclass
class RedisServer:
    """One ``redis-server`` on 127.0.0.1; ``appendonly`` turns the AOF on."""

    dir: Path
    port: int = 0
    appendonly: bool = False
    appendfsync: str = "always"
    cluster: bool = False
    password: str = ""
    proc: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.port:
            self.port = free_redis_port(cluster=self.cluster)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def args(self) -> list[str]:
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.dir), "--save", "", "--daemonize", "no"]
        args += ["--logfile", str(self.dir / "redis.log"), "--protected-mode", "no"]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", self.appendfsync]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            args += ["--cluster-node-timeout", "3000"]
        return args + self.extra

    def start(self, timeout: float = 20) -> RedisServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.args(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.wait_ready(timeout)
        return self

    def client(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password or None, socket_timeout=2
        )

    def wait_ready(self, timeout: float = 20) -> None:
        """PING answers (and a loading AOF is done)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()}")
            try:
                with self.client() as c:
                    if c.ping():
                        return
            except redis.RedisError as exc:  # refused, or still loading
                last = exc
            time.sleep(0.02)
        raise TimeoutError(f"redis on {self.port} not ready: {last!r} {self.log()}")

    def log(self) -> str:
        path = self.dir / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: nothing is flushed beyond what ``appendfsync`` already made durable."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def restart(self, timeout: float = 20) -> RedisServer:
        """Start again on the same port and folder (the AOF, if any, is loaded)."""
        self.stop()
        return self.start(timeout)


@dataclass
class RedisCluster:
    """Three masters on loopback: slots assigned with CLUSTER ADDSLOTSRANGE, joined by
    CLUSTER MEET (what ``redis-cli --cluster create`` does, without its fixed waits)."""

    dir: Path
    masters: int = 3
    nodes: list[RedisServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self, timeout: float = 30) -> RedisCluster:
        for i in range(self.masters):
            node = RedisServer(self.dir / f"node{i}", cluster=True)
            self.nodes.append(node)
            node.start()
        # Split the 16384 slots evenly, then introduce every node to the first one.
        per = 16384 // self.masters
        for i, node in enumerate(self.nodes):
            last = 16383 if i == self.masters - 1 else (i + 1) * per - 1
            with node.client() as c:
                c.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        with self.nodes[0].client() as c:
            for node in self.nodes[1:]:
                c.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        """Every node says ``cluster_state:ok`` and knows every master."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = True
            for node in self.nodes:
                try:
                    with node.client() as c:
                        info = c.cluster("info")
                        known = int(info.get("cluster_known_nodes", 0))
                        if info.get("cluster_state") != "ok" or known != len(self.nodes):
                            ok = False
                except redis.RedisError:
                    ok = False
            if ok:
                return
            time.sleep(0.05)
        raise TimeoutError("redis cluster not ready")

    def master_of(self, key: str) -> int:
        """The index in :attr:`nodes` of the master that holds ``key`` (its slot, in the
        even split :meth:`start` made)."""
        with self.nodes[0].client() as c:
            slot = int(c.execute_command("CLUSTER", "KEYSLOT", key))
        return min(slot // (16384 // self.masters), self.masters - 1)

    def flush(self) -> None:
        for node in self.nodes:
            with node.client() as c:
                c.flushall()
                c.script_flush()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@contextlib.contextmanager
def redis_server(dir: Path, **options: object) -> Iterator[RedisServer]:
    server = RedisServer(dir, **options)  # type: ignore[arg-type]
    try:
        yield server.start()
    finally:
        server.stop()


@contextlib.contextmanager
def redis_cluster(dir: Path) -> Iterator[RedisCluster]:
    cluster = RedisCluster(dir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
