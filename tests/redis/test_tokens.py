"""Tokens over the workshop's life, on several hubs: the facilitator removes a
participant, or revokes the workshop's keys, on one hub; the tokens concerned stop
working at once on every hub (their connections are closed with 4401)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from schakel_core import messages as m
from schakel_core.errors import CloseCode
from tests.e2e.raw import Raw
from tests.support.redis_server import RedisServer
from tests.support.server import create_workshop, join

pytestmark = pytest.mark.redis


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def refused(url: str, token: str) -> tuple[int | None, list[str]]:
    raw = await Raw.open(url, "again")
    async with raw:
        await raw.send(m.Hello(token, "again"))
        code, frames = await raw.closed()
    return code, [f.code for f in frames if isinstance(f, m.Error)]


async def two_hubs_and_ann(
    redis_srv: RedisServer, start_hubs: Callable[..., Any]
) -> tuple[Any, Any, dict[str, Any], str, dict[str, Any]]:
    """Hubs A and B on one Redis; a workshop made on A, which Ann joined."""
    a, b = await start_hubs(redis_srv.url, 2)
    info = await create_workshop(a.http, groups=1)
    ann = await join(a.http, info["join_code"], "Ann")
    return a, b, info, info["workshop"]["id"], ann


async def test_a_removed_participant_is_out_on_every_hub(
    redis_srv: RedisServer, start_hubs: Callable[..., Any]
) -> None:
    a, b, info, wid, ann = await two_hubs_and_ann(redis_srv, start_hubs)
    bo = await join(a.http, info["join_code"], "Bo")
    board = ann["board"]
    async with (
        await Raw.hello(b.ws, ann["token"], "ann") as tablet,
        await Raw.hello(b.ws, bo["token"], "bo") as other,
        await Raw.hello(a.ws, info["facilitator_token"], "fac") as console,
    ):
        await tablet.subscribe(board)
        await other.subscribe(board)
        await console.send(m.Control(1, "remove", {"participant": ann["participant"]["id"]}))
        await console.until(m.Done)
        code, frames = await tablet.closed()  # on hub B, at once
        assert code == CloseCode.AUTH_FAILED
        assert [f.code for f in frames if isinstance(f, m.Error)] == ["auth_failed"]
        # the others go on, and see her gone
        await other.until(
            m.WorkshopEvent, lambda v: [p["name"] for p in v.state["participants"]] == ["Bo"]
        )
        await other.quiet()
        for hub in (a, b):
            assert await refused(hub.ws, ann["token"]) == (CloseCode.AUTH_FAILED, ["auth_failed"])
            async with httpx.AsyncClient(base_url=hub.http) as http:
                r = await http.get(f"/api/workshops/{wid}", headers=bearer(ann["token"]))
                assert (r.status_code, r.json()["error"]) == (401, "auth_failed")


async def test_revoked_keys_stop_working_on_every_hub(
    redis_srv: RedisServer, start_hubs: Callable[..., Any]
) -> None:
    a, b, info, wid, ann = await two_hubs_and_ann(redis_srv, start_hubs)
    async with (
        await Raw.hello(b.ws, info["viewer_token"], "beamer") as beamer,
        await Raw.hello(b.ws, ann["token"], "ann") as tablet,
    ):
        await beamer.subscribe(ann["board"])
        async with httpx.AsyncClient(base_url=a.http) as http:
            r = await http.post(
                f"/api/workshops/{wid}/tokens",
                json={"revoke": True},
                headers=bearer(info["facilitator_token"]),
            )
            assert r.status_code == 200, r.text
            keys = r.json()
        code, _ = await beamer.closed()  # the old viewer link, on hub B
        assert code == CloseCode.AUTH_FAILED
        # Participants keep their place: the workshop's new version, and the socket
        # stays open.
        await tablet.until(m.WorkshopEvent, lambda v: v.state["version"] >= 2)
        await tablet.quiet()
        for hub in (a, b):
            async with httpx.AsyncClient(base_url=hub.http) as http:
                old = await http.get(
                    f"/api/workshops/{wid}", headers=bearer(info["facilitator_token"])
                )
                assert (old.status_code, old.json()["error"]) == (401, "auth_failed")
                new = await http.get(
                    f"/api/workshops/{wid}", headers=bearer(keys["facilitator_token"])
                )
                assert new.status_code == 200
            assert (await refused(hub.ws, info["viewer_token"]))[0] == CloseCode.AUTH_FAILED
        async with await Raw.hello(b.ws, keys["viewer_token"], "beamer2") as again:
            assert again.welcome is not None and again.welcome.role == "viewer"
        assert keys["viewer_url"].endswith("/plenary#" + keys["viewer_token"])
