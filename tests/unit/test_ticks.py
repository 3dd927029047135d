"""The hub's ticks: the op tick stretches with the event loop's lag within its bounds,
and the presence tick in proportion."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from schakel.config import Settings
from schakel.ticks import Ticks


def test_an_idle_loop_keeps_the_shortest_ticks() -> None:
    t = Ticks(op_s=0.005, op_max_s=0.02, presence_s=0.05, presence_max_s=0.1)
    for _ in range(50):
        t.observe(0.0)
    assert (t.op, t.presence) == (0.005, 0.05)


def test_a_late_loop_stretches_both_ticks_up_to_their_caps() -> None:
    t = Ticks(op_s=0.005, op_max_s=0.02, presence_s=0.05, presence_max_s=0.1)
    for _ in range(50):
        t.observe(0.004)
    assert abs(t.op - 0.009) < 1e-4
    assert 0.05 < t.presence < 0.1
    for _ in range(50):
        t.observe(1.0)
    assert (t.op, t.presence) == (0.02, 0.1)
    for _ in range(100):  # and back when the load is gone
        t.observe(-0.001)  # (a timer that fires early counts as on time)
    assert t.op < 0.0051


@given(st.lists(st.floats(-1, 10), max_size=30), st.floats(0, 0.05), st.floats(0, 0.2))
def test_ticks_stay_within_their_bounds(lags: list[float], op_s: float, presence_s: float) -> None:
    t = Ticks(op_s=op_s, op_max_s=4 * op_s, presence_s=presence_s, presence_max_s=2 * presence_s)
    for lag in lags:
        t.observe(lag)
        assert op_s <= t.op <= 4 * op_s
        assert presence_s <= t.presence + 1e-12 and t.presence <= 2 * presence_s + 1e-12


def test_settings_give_the_ticks_never_a_cap_below_the_idle_value() -> None:
    t = Settings(tick_ms=30, tick_max_ms=20, presence_tick_ms=50, presence_tick_max_ms=10).ticks()
    assert (t.op_s, t.op_max_s, t.presence_s, t.presence_max_s) == (0.03, 0.03, 0.05, 0.05)
