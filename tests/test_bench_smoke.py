"""The benchmark machinery works: tiny runs against the hub and the relay deliver every op
to every peer and to the plenary, in order. No timing is asserted (the machine is noisy);
``make bench`` is where figures come from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.scenarios import run_scenario

TINY = {"boards": 2, "clients": 2, "duration": 1.0, "warmup": 0.3, "window": 4, "drain": 10.0}


@pytest.mark.parametrize("server", ["schakel", "schakel-tick0", "relay"])
@pytest.mark.parametrize("rate", [40.0, 0.0], ids=["rate", "saturation"])
def test_every_op_reaches_every_peer_and_the_plenary(server: str, rate: float) -> None:
    r = run_scenario(server, {**TINY, "rate": rate}, timeout=120)

    assert r["errors"] == [], r["server_log_tail"]
    assert r["sent_total"] > 0
    assert r["missing"] == 0
    assert r["disorder"] == 0
    # each op reaches the other tablet of its board and the plenary: exactly twice
    assert r["delivered_total"] == r["sent_total"] * TINY["clients"]
    assert r["complete"]
    if server.startswith("schakel"):
        assert r["latency_ack_ms"]["p50"] is not None  # acks came back


def test_the_analysis_benchmark_runs() -> None:
    from bench.analysis import main

    assert main(["--runs", "1", "--no-hub", "--groups", "2"]) == 0


def test_a_stalling_disk_loses_nothing_and_keeps_the_order() -> None:
    """bench.slow_disk's hub: its SQLite writer stalls 50 ms before a commit, at most
    every 0.2 s; every op still reaches every peer and the plenary, in order."""
    from bench.slow_disk import slow_hub

    r = run_scenario("schakel", {**TINY, "rate": 40.0}, make_server=slow_hub(0.05, 0.2))
    assert r["errors"] == [], r["server_log_tail"]
    assert r["sent_total"] > 0
    assert (r["missing"], r["disorder"]) == (0, 0)
    assert r["delivered_total"] == r["sent_total"] * TINY["clients"]


def test_the_store_bytes_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.store_bytes import main

    main(["--ticks", "6", "--boards", "2", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "bytes carried (new) tree" in out
    assert [line.split()[0] for line in out.splitlines()[2:]] == [
        "embedded-memory",
        "embedded-file",
        "redis",
    ]


def test_the_workloads_produce_figures_for_every_server(tmp_path: Path) -> None:
    """``make bench`` (bench.workloads) in miniature: W1 against every server, with the hub
    of this tree and of an exported commit (``--before``), W2 and W3; every run gives
    figures and loses nothing. No time is asserted."""
    from bench import workloads

    argv = ["--boards", "2", "--clients", "2", "--steps", "0.25", "--warmup", "0.2"]
    # (a window of 1 s: at 1 op/s every W2 tablet sends in it, whatever its phase; in
    # 0.6 s all four of a board missed it one run in 40)
    argv += ["--window", "1.0", "--drain", "5", "--limit-ms", "100000", "--quiet-wait", "0"]
    argv += ["--w2-steps", "4,8", "--w3-objects", "200", "--before", "HEAD", "--confirm", "1"]
    argv += ["--out", str(tmp_path), "--data-dir", str(tmp_path / "work"), "--no-docs"]
    assert workloads.main(argv) == 0

    result = json.loads(next(tmp_path.glob("w-*.json")).read_text())
    runs = result["runs"]
    labels = {(r["workload"], r["label"]) for r in runs}
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    for hub in ("schakel", f"schakel@{head}"):
        assert ("w2", hub) in labels and ("w3", hub) in labels
        for server in workloads.HUBS:
            assert ("w1", server.replace("schakel", hub, 1)) in labels
    for server in workloads.BASELINES:
        assert ("w1", server) in labels
    for r in runs:
        assert r["error"] == "", r
        assert r["steps"], r
        if r["workload"] == "w1":  # the capacity step, measured again over 1 s
            assert [(s["multiplier"], s["confirming"]) for s in r["confirm"]] == [(0.25, 1.0)]
        for step in r["steps"] + r.get("confirm", []):
            assert step["lost"] == 0 and step["disorder"] == 0 and step["errors"] == [], step
            assert step["delivered_per_s"] > 0 and step["latency_ms"]["p99"] is not None
            assert step["server_cpu_pct"] >= 0 and step["gen_cpu_pct"] >= 0
        if r["workload"] == "w1":
            step = r["steps"][0]
            assert step["presence_expected"] > 0 and step["presence_coalesced"] is not None
    w3 = [r for r in runs if r["workload"] == "w3"]
    assert all(r["done"]["joins"] >= 1 for r in w3)
    assert (tmp_path / "w1-p99.svg").read_text().startswith("<svg")


def test_the_diagnostic_servers_run(tmp_path: Path) -> None:
    """The diagnostic servers, named with --servers: the hub's socket layer as a relay
    (bench/relay_hubsocket.py) delivers every op to every peer and the plenary in order;
    as a sink it delivers none, and its CPU is still measured; two hubs with each board
    on one hub deliver everything too. No time is asserted."""
    from bench import workloads

    argv = ["--workloads", "w1", "--servers", ",".join(workloads.DIAGNOSTICS)]
    argv += ["--boards", "2", "--clients", "2", "--steps", "0.25", "--warmup", "0.2"]
    argv += ["--window", "1.0", "--drain", "2", "--limit-ms", "100000", "--quiet-wait", "0"]
    argv += ["--confirm", "0", "--out", str(tmp_path), "--data-dir", str(tmp_path / "work")]
    assert workloads.main([*argv, "--no-docs"]) == 0

    runs = {r["label"]: r for r in json.loads(next(tmp_path.glob("w-*.json")).read_text())["runs"]}
    assert set(runs) == set(workloads.DIAGNOSTICS)
    relay = runs["relay-hubsocket"]["steps"][0]
    sink = runs["sink-hubsocket"]["steps"][0]
    assert runs["relay-hubsocket"]["error"] == runs["sink-hubsocket"]["error"] == ""
    assert relay["lost"] == 0 and relay["disorder"] == 0 and relay["errors"] == []
    assert relay["delivered_per_s"] > 0
    assert sink["delivered_per_s"] == 0 and sink["lost"] > 0
    assert relay["server_cpu_pct"] >= 0 and sink["server_cpu_pct"] >= 0
    two = runs["schakel-2hubs-boards"]
    assert two["error"] == "" and len(two["steps"]) == 1, two
    step = two["steps"][0]
    assert step["lost"] == 0 and step["disorder"] == 0 and step["errors"] == [], step
    assert step["delivered_per_s"] > 0 and step["server_cpu_pct"] >= 0


def test_the_capacity_is_what_held_over_the_longer_window() -> None:
    """A sweep that held x4 and x5 and failed x6: x5 is confirmed first, then x4 if x5
    fails over the longer window; the tables give what held there."""
    from bench import wreport

    def step(k: float, held: bool) -> dict[str, object]:
        return {"multiplier": k, "held": held}

    run: dict[str, Any] = {"steps": [step(k, k < 6) for k in (3, 4, 5, 6, 8)]}
    assert wreport.to_confirm(run, []) == 5
    assert wreport.capacity(run) == 5 and wreport.capacity_label(run) == "x5"
    run["confirm"] = [step(5, True)]
    assert wreport.to_confirm(run, run["confirm"]) is None and wreport.capacity(run) == 5
    run["confirm"] = [step(5, False)]
    assert wreport.to_confirm(run, run["confirm"]) == 4
    assert wreport.capacity(run) == 4  # (not confirmed yet: the next step below)
    run["confirm"] = [step(5, False), step(4, True)]
    assert wreport.capacity(run) == 4 and wreport.capacity_label(run) == "x4 (x5 in the sweep)"
    run["confirm"] = [step(5, False), step(4, False)]
    assert wreport.capacity(run) == 3 and wreport.to_confirm(run, run["confirm"]) == 3
    nothing: dict[str, Any] = {"steps": [step(1, False)]}
    assert wreport.to_confirm(nothing, []) is None and wreport.capacity(nothing) == 0


def test_two_hubs_are_projected_from_their_cpu_per_op() -> None:
    """At the highest step both held: 2 x one hub's µs/op over two hubs' µs/op."""
    from bench import wreport

    def w1(server: str, us: list[float], held: int) -> dict[str, Any]:
        steps = [
            {"multiplier": k, "held": i < held, "server_us_per_delivered": u}
            for i, (k, u) in enumerate(zip((1, 2, 3), us, strict=True))
        ]
        return {"workload": "w1", "server": server, "source": "schakel", "steps": steps}

    runs = [w1("schakel-redis", [60.0, 48.0, 34.0], 3), w1("schakel-2hubs", [111.0, 58.0, 45.0], 2)]
    (line,) = wreport.two_hubs(runs)
    assert "at x2 two hubs (tablets in turn) use 58.0" in line
    assert "one hub 48.0" in line and "x1.66" in line
    assert wreport.two_hubs(runs[:1]) == []
    # each board's tablets on one hub: projected at its own highest step held with one hub
    boards = w1("schakel-2hubs-boards", [100.0, 50.0, 40.0], 3)
    assert wreport.two_hubs([*runs, boards])[1].endswith("x1.70 one hub")
    assert "at x3 two hubs (each board on one hub) use 40.0" in wreport.two_hubs([*runs, boards])[1]
