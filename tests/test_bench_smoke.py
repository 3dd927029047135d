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
