"""The hub's memory is bounded per board and released when the board is idle.

One participant overwrites the same four ink strokes (6,000 numbers each) again and
again: the board's state stays four objects while its history grows. Before the op log
was bounded by bytes and idle boards were unloaded, 2,000 such overwrites took a hub from
63 MB to 537 MB of resident memory, kept after everyone left and read back after a
restart. The scenario and its figures are :mod:`bench.memory`; ``python -m bench.memory``
runs it at 10,000 overwrites.
"""

from __future__ import annotations

from pathlib import Path

from bench.memory import run

OVERWRITES = 2000  # ~108 MB of ink through the hub
GROWTH_MB = 32  # what the hub may hold beyond its start while the board is followed
LEFT_MB = 16  # and once the board is unloaded (or after a restart and a sync)


async def test_overwrites_hold_bounded_memory_released_when_idle(tmp_path: Path) -> None:
    f = await run(OVERWRITES, tmp_path / "data")
    print(
        f"\nRSS: {f['before']:.0f} MB before, {f['after']:.0f} MB after {OVERWRITES} overwrites, "
        f"{f['unloaded']:.0f} MB once unloaded, {f['restarted']:.0f} MB after a restart"
    )
    assert f["after"] - f["before"] < GROWTH_MB
    assert f["unloaded"] - f["before"] < LEFT_MB
    assert f["restarted"] - f["before"] < LEFT_MB
