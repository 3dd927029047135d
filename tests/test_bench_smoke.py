"""The benchmark machinery works: tiny runs against the hub and the relay deliver every op
to every peer and to the plenary, in order. No timing is asserted (the machine is noisy);
``make bench`` is where figures come from. Yjs is left to ``make bench`` (it needs the
npm packages of bench/yjs)."""

from __future__ import annotations

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
