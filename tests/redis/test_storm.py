"""A whole workshop connecting at once to one hub on Redis (and on a Redis Cluster): the
start of a session, the venue's Wi-Fi coming back. Every connection must get ``welcome``
and ``sync``; the hub reads each workshop record a few times, not once per hello. 300
devices: in one workshop its 200 participants (the most a workshop holds), 100 of them on
a second device; or 60 people in each of five workshops."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from schakel_core.workshop import MAX_PARTICIPANTS
from tests.support.redis_server import RedisCluster, RedisServer

from .storm import Monitor, seats, storm, summary

pytestmark = pytest.mark.redis

DEVICES = 300
assert MAX_PARTICIPANTS < DEVICES  # one workshop's storm has people on a second device


async def _storm_on(hub: Any, nodes: Sequence[RedisServer], workshops: int, label: str) -> None:
    n = DEVICES
    people = await seats(hub.http, workshops, n)
    async with Monitor(nodes).running() as mon:
        outcomes = await storm(hub.ws, people)
    print(f"storm {label}: {summary(outcomes)}; {mon.per(n)}")
    print(f"storm {label}: workshop record reads {sorted(mon.reads.values())}")
    assert sum(o.welcome for o in outcomes) == n, summary(outcomes)
    assert sum(o.sync for o in outcomes) == n, summary(outcomes)
    assert all(o.errors == [] and o.close is None for o in outcomes), summary(outcomes)
    # The record of each workshop is read a few times (coalesced, then kept, then once
    # more when the hub's feed of its events starts), not per hello and per subscribe.
    assert len(mon.reads) == workshops
    assert max(mon.reads.values()) <= 5, mon.reads


@pytest.mark.parametrize("workshops", [1, 5])
async def test_storm_on_one_hub(
    redis_srv: RedisServer, start_hubs: Callable[..., Any], workshops: int
) -> None:
    [hub] = await start_hubs(redis_srv.url, 1)
    label = f"{DEVICES} devices in {workshops} workshop(s)"
    await _storm_on(hub, [redis_srv], workshops, label)


async def test_storm_on_a_redis_cluster(
    redis_cluster: RedisCluster, start_hubs: Callable[..., Any]
) -> None:
    [hub] = await start_hubs(redis_cluster.url, 1)
    await _storm_on(hub, redis_cluster.nodes, 1, f"{DEVICES} devices on a cluster")
