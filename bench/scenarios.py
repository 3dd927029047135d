"""One benchmark run: start a server process, run a load generator process against it,
stop the server (always), return the generator's figures.

Servers: ``schakel`` (the hub, default 5 ms tick), ``schakel-tick<ms>`` (another
``--tick-ms``; ``make bench`` runs ``schakel-tick0``),
``relay`` (:mod:`bench.relay`, broadcast fan-out), ``relay-await`` (the same relay with an
``await send`` per peer), ``yjs`` (the y-websocket server, documents in memory: its
default) and ``yjs-leveldb`` (the same, also persisting to LevelDB; not in the default
set). The Python generator
(:mod:`bench.load`) drives Schakel and the relay; Yjs needs Yjs clients, so
``bench/yjs/load.mjs`` drives it with the same scenario and the same output.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import procs
from .load import LoadParams

SERVERS = ("schakel", "schakel-tick0", "relay", "relay-await", "yjs")


def server_for(name: str, workdir: Path) -> procs.ServerProcess:
    if name == "schakel":
        return procs.schakel_hub(workdir / "hub", tick_ms=5)
    if name.startswith("schakel-tick"):  # schakel-tick<ms>, e.g. schakel-tick0
        tick = float(name.removeprefix("schakel-tick"))
        return procs.schakel_hub(workdir / f"hub-tick{tick:g}", tick_ms=tick)
    if name == "relay":
        return procs.relay(workdir)
    if name == "relay-await":
        return procs.relay(workdir, fanout="await")
    if name == "yjs":
        return procs.yjs_server(workdir)
    if name == "yjs-leveldb":
        return procs.yjs_server(workdir, persist=True)
    raise ValueError(f"unknown server {name!r}; known: {', '.join(SERVERS)}")


def generator_args(name: str, params: LoadParams) -> tuple[list[str], Path]:
    if name.startswith("yjs"):
        p = {**asdict(params), "clk_tck": procs.CLK_TCK}
        return ["node", "load.mjs", json.dumps(p)], procs.YJS_DIR
    return [sys.executable, "-m", "bench.load", json.dumps(asdict(params))], procs.ROOT


def run_scenario(
    name: str,
    params: dict[str, Any],
    workdir: Path | None = None,
    timeout: float = 180,
    pin: bool = False,
    make_server: Callable[[Path], procs.ServerProcess] | None = None,
    beside: Callable[[procs.ServerProcess], contextlib.AbstractContextManager[Any]] | None = None,
) -> dict[str, Any]:
    """Run the generator against a fresh ``name`` server; the server always stops.

    The hub's database goes to a fresh folder under ``workdir`` (default: the system's
    temporary folder). ``pin``: the server runs on CPU 0 and the generator on CPU 1
    (``taskset``), so that they do not compete for one core. ``make_server`` builds
    another server than ``name``'s usual one; ``beside(server)`` is a context that runs
    while the generator does (bench.flood: a flooding client)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-", dir=workdir) as tmp:
        work = Path(tmp)
        server = make_server(work) if make_server else server_for(name, work)
        if pin:
            server.args = ["taskset", "-c", "0", *server.args]
        target = name.split("-")[0]
        with server:
            p = LoadParams(target=target, port=server.port, server_pid=server.pid, **params)
            args, cwd = generator_args(name, p)
            if pin:
                args = ["taskset", "-c", "1", *args]
            with beside(server) if beside else contextlib.nullcontext():
                out = subprocess.run(
                    args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
                )
            if out.returncode != 0 or not out.stdout.strip():
                raise RuntimeError(
                    f"{name}: the load generator failed ({out.returncode}):\n"
                    f"{out.stderr[-3000:]}\nserver log:\n{server.log()}"
                )
            result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
            result["server"] = name
            yjs = name.startswith("yjs")
            result["generator"] = "node (yjs + y-websocket)" if yjs else "python"
            result["server_log_tail"] = server.log()[-500:]
            result["pinned"] = pin
            return result
