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
        assert r.json() == {"status": "ok", "store": "embedded", "boards_in_memory": 1}


async def test_a_board_larger_than_a_client_frame_still_syncs(hub: Hub) -> None:
    """Hub frames have no 256 KB cap: a full sync carries the whole board."""
    ws = await create_workshop(hub.http)
    a = await join(hub.http, ws["join_code"], "Ann")
    board = a["board"]
    stroke = [float(i % 997) + 0.25 for i in range(6000)]
    async with SchakelClient(hub.ws, a["token"]) as ca:
        await ca.subscribe(board)
        for i in range(6):
            ca.edit(board, f"i{i}", "ink", points=stroke, width=2.0)
            await ca.settled()
    async with SchakelClient(hub.ws, ws["facilitator_token"]) as late:
        replica = await late.subscribe(board)
        assert len(replica.view()) == 6
        assert replica.view()["i5"]["points"] == stroke
