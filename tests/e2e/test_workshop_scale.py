"""The largest workshop: a change costs one pass per version, not one per connection;
a large board syncs in frames, with the other boards going on meanwhile.

Figures (no timing is asserted; the machine is shared): ``bench.workshop_scale`` at CI
size prints them here; ``python -m bench.workshop_scale`` gives those of 200
participants and a 10,000-object board.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from unittest import mock

from bench.workshop_scale import PAIR_PART, run
from schakel_core import messages as m
from schakel_core.workshop import Workshop
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, join

PARTICIPANTS = 48


async def test_a_change_works_out_the_pairs_once_however_many_are_connected(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=PARTICIPANTS // 4, template="default-nl")
    people = [await join(hub.http, ws["join_code"], f"p{i}") for i in range(PARTICIPANTS)]
    raws = [await Raw.hello(hub.ws, p["token"], f"c{i}") for i, p in enumerate(people)]
    fac = await Raw.hello(hub.ws, ws["facilitator_token"], "fac")
    everyone = [*raws, fac]
    await fac.send(m.Control(1, "goto", PAIR_PART))
    await fac.until(m.Done)
    calls: list[int] = []
    pairs = Workshop.pairs

    def counted(self: Workshop) -> list[list[str]]:
        calls.append(self.version)
        return pairs(self)

    with mock.patch.object(Workshop, "pairs", counted):
        await fac.send(m.Control(2, "start"))
        views: list[dict[str, Any]] = []
        for raw in everyone:
            view, _ = await raw.until(
                m.WorkshopEvent, lambda e: e.state["session"]["timer"]["running"]
            )
            views.append(view.state)
    # Once for the version's shared state (and at most once more for the partners table),
    # not once per connection, nor once per board per connection.
    assert len(calls) <= 2, len(calls)
    assert all(v["pairs"] == views[0]["pairs"] for v in views)
    for p, v in zip(people, views, strict=False):
        mine = p["participant"]["id"]
        partners = next(pair for pair in v["pairs"] if mine in pair)
        expected = [f"{ws['workshop']['id']}:r3:p{q}" for q in partners if q != mine]
        assert set(expected) <= set(v["you"]["readable"])
    await asyncio.gather(*(r.close() for r in everyone))


async def test_figures_at_ci_size(tmp_path: Path) -> None:
    figures = await run(participants=80, n_controls=4, objects=2000, data_dir=tmp_path)
    big = figures["large_board"]
    assert big["ops"] == 2000 * 6 and big["frames"] > 1
    print(f"\n{figures}")
