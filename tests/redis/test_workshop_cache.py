"""A hub keeps the workshop records of its connections; a change made on another hub
reaches it through the workshop's events, so a later hello there sees the change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from schakel_core import messages as m
from tests.e2e.raw import Raw
from tests.support.redis_server import RedisServer
from tests.support.server import create_workshop, join

pytestmark = pytest.mark.redis


async def test_a_change_on_another_hub_reaches_the_kept_record(
    redis_srv: RedisServer, start_hubs: Callable[..., Any]
) -> None:
    a, b = await start_hubs(redis_srv.url, 2)
    info = await create_workshop(b.http, groups=2)
    wid = info["workshop"]["id"]
    p = await join(b.http, info["join_code"], "Ann")
    pid = p["participant"]["id"]
    async with await Raw.hello(a.ws, p["token"], "ann-tablet") as tablet:
        assert tablet.welcome is not None and tablet.welcome.writable == [f"{wid}:g1"]
        await tablet.subscribe(f"{wid}:g1")  # hub A now keeps the record
        async with httpx.AsyncClient(base_url=b.http) as http:  # moved, on hub B
            r = await http.post(
                f"/api/workshops/{wid}/participants/{pid}",
                json={"group": 2},
                headers={"authorization": f"Bearer {info['facilitator_token']}"},
            )
            r.raise_for_status()
        # hub A heard of it: the open tablet loses group 1 and gets the new view...
        await tablet.until(m.Error, lambda e: e.code == "forbidden")
        view, _ = await tablet.until(m.WorkshopEvent)
        assert view.state["you"]["board"] == f"{wid}:g2"
        # ...and a second device saying hello on hub A now gets the new record too
        async with await Raw.hello(a.ws, p["token"], "ann-phone") as phone:
            assert phone.welcome is not None and phone.welcome.writable == [f"{wid}:g2"]
            sync = await phone.subscribe(f"{wid}:g2")
            assert sync.board == f"{wid}:g2"
