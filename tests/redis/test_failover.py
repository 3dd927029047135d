"""A hub fails over: two hubs on one Redis behind a load balancer, 200 participants
editing on hub A; hub A is killed (SIGKILL) and all of them reconnect to hub B at once.
Every one must resync there on its first try (no ``store_unavailable`` close), lose no
acknowledged op, and end with the same replicas as everyone else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.redis_server import RedisServer

from .balancer import balancer
from .scenario import (
    acked_by_board,
    burst,
    check_all_present,
    open_workshop,
    running,
    wait_converged,
)

pytestmark = pytest.mark.redis

GROUPS, PER_GROUP = 50, 4  # 200 participants, and a plenary screen
EDIT_EVERY_S = 0.2  # each tablet: an edit (two ops) five times a second


def resynced(clients: list[Any], before: dict[int, int]) -> bool:
    """Every client has said hello again since ``before`` and holds synced replicas."""
    return all(
        c.connects > before[id(c)]
        and c.connected.is_set()
        and all(r.synced for r in c.replicas.values())
        for c in clients
    )


async def test_hub_failover_moves_every_client_at_once(
    redis_srv: RedisServer, start_hubs: Callable[..., Any]
) -> None:
    a, b = await start_hubs(redis_srv.url, 2)
    async with balancer([a.port]) as lb:  # everyone lands on hub A...
        ws = await open_workshop([lb.http], [lb.ws], groups=GROUPS, per_group=PER_GROUP)
        try:
            assert set(lb.placed) == {a.port}
            lb.backends.append(b.port)  # ...and the balancer knows hub B too
            before = {id(c): c.connects for c in ws.clients}
            attempts = {id(c): c.attempts for c in ws.clients}
            # edits go on for 0.3 s after the kill: made offline, sent after the move
            async with running(burst(ws, 1.1, every_s=EDIT_EVERY_S)):
                await asyncio.sleep(0.8)
                a.kill()
                killed = time.monotonic()
                acked_at_kill = acked_by_board(ws)
                await ws.plenary.wait_for(lambda: resynced(ws.clients, before), timeout=60)
                all_back = time.monotonic() - killed
            took = await wait_converged(ws, timeout=60)
            equal = time.monotonic() - killed
            check_all_present(ws, acked_at_kill)  # nothing acknowledged before the kill lost
            total = check_all_present(ws)
            refused = sum(c.refused for c in ws.clients)
            retries = sum(c.attempts - attempts[id(c)] - 1 for c in ws.clients)
            print(
                f"hub failover: {len(ws.clients)} clients moved to hub B, all resynced"
                f" {all_back:.2f} s after the kill; all replicas equal {equal:.2f} s after the"
                f" kill ({took:.2f} s after the last resync; the edits stopped 0.3 s after the"
                f" kill);"
                f" {sum(len(o) for o in acked_at_kill.values())} ops acked at the kill and"
                f" {total} in all, lost 0; {refused} hellos closed 1013, {retries} reconnects"
                f" beyond the first"
            )
            assert refused == 0
            assert retries == 0
            assert all(c.connects == before[id(c)] + 1 for c in ws.clients)
            assert lb.placed[b.port] == len(ws.clients)  # (the balancer saw A refuse)
        finally:
            await ws.close()
