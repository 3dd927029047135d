"""Tiny runs of ``make chaos`` and ``make soak``: the machinery works, nothing acknowledged
is lost, and idle boards are unloaded. The figures come from the long runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.endurance import chaos, soak


@pytest.mark.redis
async def test_a_short_chaos_run_loses_nothing(tmp_path: Path) -> None:
    report = await chaos.run(8, hubs_n=2, groups=2, per_group=2, seed=7, workdir=tmp_path)
    print("\n" + "\n".join(report.lines()))
    assert report.hub_kills and report.redis_kills and report.cuts
    assert report.acked_ops > 0
    assert (report.lost_ops, report.unequal_replicas) == (0, 0)


async def test_a_short_soak_unloads_idle_boards(tmp_path: Path) -> None:
    report = await soak.run(8, workshops=2, groups=2, lifetime_s=4, sample_s=1, workdir=tmp_path)
    print("\n" + "\n".join(report.lines()))
    assert report.edits > 0 and report.workshops_run >= 2
    assert report.samples[-1].boards_loaded == 0  # nobody left: no board is held
    assert report.samples[-1].connections == 0
