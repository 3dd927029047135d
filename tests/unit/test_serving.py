"""``schakel serve`` tunes the garbage collector: a young generation large enough that
what the hub keeps for a few milliseconds dies young (docs/design.md, "The collector")."""

from __future__ import annotations

import gc

from schakel.serving import GC_THRESHOLDS, tune_gc


def test_the_hub_collects_its_young_generation_every_10000_objects() -> None:
    before = tune_gc()
    try:
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] >= 10_000 and GC_THRESHOLDS[1:] == (10, 10)
    finally:
        gc.set_threshold(*before)
