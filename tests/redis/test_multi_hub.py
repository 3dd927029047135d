"""Several hub processes on one Redis (or Redis Cluster): clients spread over them
co-edit boards and converge; a plenary viewer on one hub sees edits made on the others."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from schakel.stores.redis_layout import board_keys
from schakel_client import SchakelClient
from tests.support.redis_server import RedisCluster, RedisServer
from tests.support.server import create_workshop

from .scenario import burst, check_all_present, open_workshop, running, wait_converged

pytestmark = pytest.mark.redis


async def co_edit(
    hubs: list[Any], *, seconds: float = 1.0, info: dict[str, Any] | None = None
) -> tuple[int, float]:
    urls = [h.http for h in hubs], [h.ws for h in hubs]
    ws = await open_workshop(*urls, groups=2, info=info)
    late: list[SchakelClient] = []
    try:
        async with running(burst(ws, seconds)):
            # Late joiners subscribe from 0 on every hub while the boards are busy.
            for h in hubs:
                await asyncio.sleep(seconds / (len(hubs) + 1))
                client = SchakelClient(h.ws, ws.info["viewer_token"], client_id=f"late{h.port}")
                late.append(client)
                await client.start()
                for board in ws.boards:
                    await client.subscribe(board)
        took = await wait_converged(ws)
        checked = check_all_present(ws)
        for client in late:

            def caught_up(c: SchakelClient = client) -> bool:
                return all(c.replicas[b].seq == ws.plenary.replicas[b].seq for b in ws.boards)

            await client.wait_for(caught_up)
            assert client.errors == []  # no resync, nothing refused
            for board in ws.boards:
                assert client.replicas[board].doc == ws.plenary.replicas[board].doc
        # Every board had writers on more than one hub, and the plenary is on the last.
        assert len({m.client.url for m in ws.members}) == len(hubs)
        for board in ws.boards:
            assert len(ws.plenary.replicas[board].view()) > 1
        return checked, took
    finally:
        await asyncio.gather(*(c.close() for c in late), return_exceptions=True)
        await ws.close()


@pytest.mark.parametrize("n", [2, 3])
async def test_hubs_on_one_redis_converge(
    redis_srv: RedisServer, start_hubs: Callable[..., Any], n: int
) -> None:
    hubs = await start_hubs(redis_srv.url, n)
    checked, took = await co_edit(hubs)
    assert checked > 100
    print(f"{n} hubs: {checked} acked ops all present; converged {took:.2f} s after the burst")


async def on_two_masters(http: str, cluster: RedisCluster) -> dict[str, Any]:
    """A workshop of two groups whose boards live on two masters. Every key of a board
    shares one hash tag, so which master holds it is chance (both on one: 1 in 3); the
    test must not depend on that chance."""
    for _ in range(30):
        info = await create_workshop(http, groups=2)
        boards = info["workshop"]["boards"]
        if len({cluster.master_of(board_keys(b)[0]) for b in boards}) > 1:
            return info
    raise AssertionError("30 workshops in a row had their boards on one master")


async def test_hubs_on_a_redis_cluster_converge(
    redis_cluster: RedisCluster, start_hubs: Callable[..., Any]
) -> None:
    hubs = await start_hubs(redis_cluster.url, 3)
    checked, took = await co_edit(hubs, info=await on_two_masters(hubs[0].http, redis_cluster))
    assert checked > 100
    # The boards live on more than one master: the cluster really is in use.
    owners = set()
    for node in redis_cluster.nodes:
        with node.client() as c:
            if c.dbsize() > 0:
                owners.add(node.port)
    assert len(owners) > 1
    print(f"cluster: {checked} acked ops all present; converged {took:.2f} s after the burst")
