"""A subscribe the store cannot serve now is refused with ``store_unavailable`` naming its
``ref`` and ``board``, and clients ask again: the board syncs once Redis is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from schakel_client import SchakelClient
from schakel_core import messages as m
from tests.e2e.raw import Raw
from tests.support.redis_server import RedisServer
from tests.support.server import create_workshop, hub_settings, join, running_hub

pytestmark = pytest.mark.redis


async def test_a_refused_subscribe_is_named_and_asked_again(
    redis_srv: RedisServer, tmp_path: Path
) -> None:
    async with running_hub(hub_settings(tmp_path, redis_url=redis_srv.url)) as hub:
        ws = await create_workshop(hub.http, groups=1)
        p = await join(hub.http, ws["join_code"], "Ann")
        board = p["board"]
        raw = await Raw.hello(hub.ws, p["token"], "raw")
        client = SchakelClient(hub.ws, p["token"], client_id="py")
        await client.start()
        redis_srv.stop()
        try:
            await raw.send(m.Subscribe(board, 0, ref=7))
            err, _ = await raw.until(m.Error)
            assert (err.code, err.ref, err.board) == ("store_unavailable", 7, board)
            waiting = asyncio.create_task(client.subscribe(board, timeout=20))
            await client.wait_for(lambda: any(e.code == "store_unavailable" for e in client.errors))
        finally:
            redis_srv.start()
        replica = await waiting  # asked again by itself, and synced
        assert replica.synced and replica.board == board
        await client.close()
        await raw.close()
