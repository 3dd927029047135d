"""Run real Schakel hubs for tests: in this event loop (uvicorn task) or as processes.

In-loop (:func:`running_hub`) is fast and lets a test look at the hub's internals;
a process (:class:`HubProcess`) is what multi-hub, restart and SIGKILL tests need.
Both wait on readiness (``/healthz``), never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from starlette.datastructures import Secret

from schakel.app import create_app, server_config
from schakel.config import Settings
from schakel.serving import SchakelServer

TEST_SECRET = "test-secret-not-for-production-000"
# A test run is one client address making hundreds of workshops, joins and connections:
# the limits per address are off in tests (tests/e2e/test_limits.py turns each one on).
# The limits per connection stay at their defaults, which honest clients never reach.
ADDRESS_LIMITS_OFF = dict.fromkeys(
    (
        "limit_workshops",
        "limit_joins",
        "limit_join_misses",
        "limit_join_misses_hub",
        "limit_heavy",
        "limit_heavy_workshop",
        "limit_connects",
        "limit_bad_hellos",
    ),
    "0",
)

# Run argv[2:] with RLIMIT_FSIZE = argv[1] bytes.
_LIMIT_FILE_SIZE = (
    "import os, resource, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); os.execv(sys.argv[2], sys.argv[2:])"
)

# Runs the hub with every write of ops (not of workshops or secrets) held ``argv[1]``
# seconds in the writer thread, as behind a stalled fsync; then ``python -m schakel``.
_SLOW_OP_WRITES = (
    "import sys, time; from schakel.stores import embedded; delay = float(sys.argv[1]); "
    "write = embedded.EmbeddedStore._write_staged; "
    "embedded.EmbeddedStore._write_staged = "
    "lambda self, *a: (time.sleep(delay), write(self, *a))[1]; "
    "from schakel.cli import main; sys.exit(main(sys.argv[2:]))"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _OnLoopback:
    """The URLs of a hub listening on 127.0.0.1:``port``."""

    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


@dataclass
class Hub(_OnLoopback):
    """A hub under test: its URLs and, when in-loop, the running app."""

    port: int
    app: Any = None
    server: Any = None

    @property
    def service(self) -> Any:
        return self.app.state.service


def hub_settings(tmp_path: Path | None, **overrides: Any) -> Settings:
    base = Settings(
        port=free_port(),
        data_dir=str(tmp_path) if tmp_path is not None else "",
        secret=Secret(TEST_SECRET),
        **ADDRESS_LIMITS_OFF,  # type: ignore[arg-type]
    )
    return replace(base, **overrides)


@contextlib.asynccontextmanager
async def running_hub(settings: Settings) -> AsyncIterator[Hub]:
    """A real uvicorn serving the app on ``settings.port``, in this event loop."""
    app = create_app(settings)
    config = server_config(app, settings, host="127.0.0.1", log_level="warning")
    server = SchakelServer(config, app)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield Hub(settings.port, app, server)
    finally:
        server.should_exit = True
        await task


@dataclass
class HubProcess(_OnLoopback):
    """``schakel serve`` as a child process (for restarts, kills and multi-hub tests)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    redis_url: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    max_file_bytes: int = 0  # RLIMIT_FSIZE of the process: no file it writes grows past it
    op_write_delay_s: float = 0.0  # every write of ops waits this long (a stalled disk)

    def start(self, timeout: float = 20) -> HubProcess:
        args = [sys.executable, "-m", "schakel", "serve", "--port", str(self.port)]
        args += ["--data-dir", str(self.data_dir), "--log-level", "warning"]
        if self.redis_url:
            args += ["--redis-url", self.redis_url]
        if self.op_write_delay_s:
            assert not self.max_file_bytes
            args = [sys.executable, "-c", _SLOW_OP_WRITES, str(self.op_write_delay_s), *args[3:]]
        if self.max_file_bytes:
            # The kernel refuses every write past the limit (EFBIG), as a full disk would
            # (ENOSPC); Python ignores SIGXFSZ, so the hub lives on and sees the error.
            # The limit ends with the process: nothing to clean up.
            args = [sys.executable, "-c", _LIMIT_FILE_SIZE, str(self.max_file_bytes), *args]
        limits = {f"SCHAKEL_{k.upper()}": v for k, v in ADDRESS_LIMITS_OFF.items()}
        env = {**os.environ, **limits, "SCHAKEL_SECRET": TEST_SECRET, **self.env}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"hub-{self.port}.log"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited with {self.proc.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.http}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"hub on port {self.port} not ready: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path else ""

    def stop(self, timeout: float = 15) -> int:
        """Graceful shutdown (SIGTERM); returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# One round in groups of four without a board key: everyone who joins lands on their
# group's board <workshop>:g<n> (the boards keyless rounds share).
ONE_GROUP_ROUND: list[dict[str, Any]] = [
    {
        "title": "Actorenkaart",
        "parts": [{"title": "Groepjes van 4", "minutes": 30, "mode": "group"}],
        "questions": [],
    }
]


# One round of two parts (groups, then the plenary): a programme to move on in.
TWO_PARTS: list[dict[str, Any]] = [
    {
        "title": "Actorenkaart",
        "parts": [
            {"title": "Groepjes van 4", "minutes": 30, "mode": "group"},
            {"title": "Plenair", "minutes": 10, "mode": "plenary"},
        ],
        "questions": [],
    }
]


async def create_workshop(
    http: str, groups: int = 2, title: str = "Test", template: str | None = None
) -> dict[str, Any]:
    """A workshop with one group round (default), or from a ``template`` of the hub."""
    body: dict[str, Any] = {"title": title, "groups": groups}
    body |= {"template": template} if template else {"programme": ONE_GROUP_ROUND}
    async with httpx.AsyncClient(base_url=http) as client:
        r = await client.post("/api/workshops", json=body)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data


async def join(http: str, code: str, nickname: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=http) as client:
        r = await client.post("/api/join", json={"code": code, "nickname": nickname})
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data
