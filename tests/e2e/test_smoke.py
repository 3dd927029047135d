from __future__ import annotations

import httpx

from schakel_client import SchakelClient
from tests.support.server import Hub, create_workshop, join


async def test_two_participants_converge(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    a = await join(hub.http, ws["join_code"], "Ann")
    b = await join(hub.http, ws["join_code"], "Bo")
    board = a["board"]
    assert b["board"] == board
    async with SchakelClient(hub.ws, a["token"]) as ca, SchakelClient(hub.ws, b["token"]) as cb:
        ra = await ca.subscribe(board)
        rb = await cb.subscribe(board)
        ca.edit(board, "a1", "actor", label="Imam", pos=[0, 0])
        cb.edit(board, "a2", "actor", label="Wijkagent", pos=[50, 0])
        await ca.settled()
        await cb.settled()
        await ca.wait_for(lambda: ra.seq == rb.seq == 4)
        assert ra.doc == rb.doc
        assert set(ra.view()) == {"a1", "a2"}
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.get("/healthz")
        assert r.json() == {"status": "ok", "store": "embedded"}
