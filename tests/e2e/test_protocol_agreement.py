"""PROTOCOL.md and the hub agree: the places where a client written from the document
alone found the hub doing something else (issue 9), each checked against the hub."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from schakel_core import codec
from schakel_core import messages as m
from schakel_core.errors import CloseCode
from schakel_core.schema import MAX_FRAME_BYTES
from schakel_core.workshop import MAX_PARTICIPANTS
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, join

PROTOCOL = (Path(__file__).resolve().parents[2] / "shared" / "PROTOCOL.md").read_text()


def section(title: str) -> str:
    return PROTOCOL.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


async def test_every_key_of_welcome_limits_is_documented(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    async with await Raw.hello(hub.ws, ws["facilitator_token"], "fac") as raw:
        assert raw.welcome is not None
        keys = set(raw.welcome.limits)
    documented = set(re.findall(r"`((?:max|opTick|presenceTick)[A-Za-z]*)`", section("Limits")))
    assert keys == documented


@pytest.mark.parametrize(
    ("first", "code", "errors"),
    [
        ("text", CloseCode.UNSUPPORTED_DATA, ["binary_only"]),
        ("too large", CloseCode.MESSAGE_TOO_BIG, []),
        ("not msgpack", CloseCode.PROTOCOL_VIOLATION, ["malformed"]),
        ("ping", CloseCode.PROTOCOL_VIOLATION, ["hello_required"]),
    ],
)
async def test_which_close_a_bad_first_frame_gets(
    hub: Hub, first: str, code: int, errors: list[str]
) -> None:
    frames: dict[str, bytes | str] = {
        "text": '{"t": "hello"}',
        "too large": codec.pack({"t": "hello", "token": "x" * MAX_FRAME_BYTES}),
        "not msgpack": b"\xc1",
        "ping": m.encode(m.Ping(1)),
    }
    raw = await Raw.open(hub.ws)
    async with raw:
        await raw.send_bytes(frames[first])
        got, answer = await raw.closed()
    assert got == code
    assert [f.code for f in answer if isinstance(f, m.Error)] == errors


async def test_unsubscribe_has_no_reply(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    board = ws["workshop"]["boards"][0]
    async with await Raw.hello(hub.ws, ws["facilitator_token"], "fac") as raw:
        await raw.subscribe(board)
        await raw.send(m.Unsubscribe(board))
        await raw.quiet()  # nothing but the pong


async def test_string_lengths_count_code_points(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    board = ws["workshop"]["boards"][0]
    async with await Raw.hello(hub.ws, ws["facilitator_token"], "fac") as raw:
        await raw.subscribe(board)
        ok = "🧭" * 120  # 120 code points: 480 UTF-8 bytes, 240 UTF-16 units
        ref = await raw.send_ops(board, [raw.op("a1", "actor", "label", ok)])
        await raw.until(m.Ack, lambda a: a.ref == ref)
        ref = await raw.send_ops(board, [raw.op("a1", "actor", "label", ok + "🧭")])
        err, _ = await raw.until(m.Error)
        assert (err.code, err.ref) == ("too_large", ref)


async def test_a_token_of_another_workshop_is_forbidden_over_http(hub: Hub) -> None:
    mine, other = await create_workshop(hub.http), await create_workshop(hub.http)
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.get(
            f"/api/workshops/{mine['workshop']['id']}",
            headers={"authorization": f"Bearer {other['facilitator_token']}"},
        )
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert "another workshop is `forbidden` (403)" in PROTOCOL


async def test_http_bodies_are_capped_at_64_kib(hub: Hub) -> None:
    def body(size: int) -> bytes:
        data = json.dumps({"title": "T", "groups": 1, "pad": ""}).encode()
        return json.dumps({"title": "T", "groups": 1, "pad": "x" * (size - len(data))}).encode()

    async with httpx.AsyncClient(base_url=hub.http) as http:
        assert (await http.post("/api/workshops", content=body(65_536))).status_code == 201
        r = await http.post("/api/workshops", content=body(65_537))
        assert (r.status_code, r.json()["error"]) == (413, "too_large")
    assert "65,536 bytes" in section("HTTP API")


async def test_joining_stops_at_the_documented_size(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=1)
    for i in range(MAX_PARTICIPANTS):
        await join(hub.http, ws["join_code"], f"p{i}")
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post("/api/join", json={"code": ws["join_code"], "nickname": "late"})
        assert (r.status_code, r.json()["error"]) == (409, "conflict")
        got = await http.get(
            f"/api/workshops/{ws['workshop']['id']}",
            headers={"authorization": f"Bearer {ws['facilitator_token']}"},
        )
    assert got.json()["groups"] == MAX_PARTICIPANTS // 4
    assert f"{MAX_PARTICIPANTS} participants" in section("Limits")


def test_controls_are_websocket_messages_in_the_roles_table() -> None:
    roles = PROTOCOL.split("### Roles and boards", 1)[1].split("###", 1)[0]
    assert "HTTP API" not in roles
    assert "`control` messages" in roles
