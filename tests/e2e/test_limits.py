"""Each limit, exceeded: the documented error (or close), and everyone else unaffected.

The hubs here trust the test's own loopback address as a proxy, so that a test can be
several client addresses at once (``x-forwarded-for``); every other test runs with the
limits per address off (``tests/support/server.py``).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from schakel.limits import (
    AddressRule,
    Buckets,
    Counted,
    Rate,
    address_key,
)
from schakel.workers import Busy, Workers
from schakel_core import messages as m
from schakel_core.errors import CloseCode
from tests.e2e.raw import TIMEOUT, Raw
from tests.support.server import Hub, hub_settings, running_hub

FORWARDED = "x-forwarded-for"


def at(address: str) -> dict[str, str]:
    return {FORWARDED: address}


@pytest.fixture
def make_hub(tmp_path: Path) -> Callable[..., Any]:
    """``async with make_hub(**settings) as hub``: a hub with these limits."""

    def make(**overrides: Any) -> Any:
        overrides.setdefault("proxy_header", FORWARDED)
        return running_hub(hub_settings(tmp_path / str(time.monotonic_ns()), **overrides))

    return make


async def post(hub: Hub, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=hub.http) as http:
        return await http.post(path, json=body, headers=headers)


async def new_workshop(hub: Hub, address: str = "10.0.0.1", groups: int = 2) -> dict[str, Any]:
    r = await post(hub, "/api/workshops", {"title": "T", "groups": groups}, **at(address))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def refused(r: httpx.Response, status: int = 429, code: str = "rate_limited") -> None:
    assert (r.status_code, r.json()["error"]) == (status, code), r.text
    if status == 429:
        assert int(r.headers["retry-after"]) >= 1


async def denied(hub: Hub, address: str) -> tuple[int, str, int]:
    """An upgrade the hub refuses before the handshake: (status, error code, Retry-After)."""
    with pytest.raises(InvalidStatus) as refused:
        await ws_at(hub, address)
    r = refused.value.response
    return r.status_code, json.loads(r.body or b"{}")["error"], int(r.headers["retry-after"])


async def ws_at(hub: Hub, address: str, client: str = "raw") -> Raw:
    ws = await connect(hub.ws, max_size=None, open_timeout=TIMEOUT, additional_headers=at(address))
    return Raw(ws, client)


async def hello_at(hub: Hub, address: str, token: str, client: str = "raw") -> Raw:
    raw = await ws_at(hub, address, client)
    await raw.send(m.Hello(token, client))
    raw.welcome = await raw.expect(m.Welcome)
    await raw.expect(m.WorkshopEvent)
    return raw


async def metric(hub: Hub, name: str) -> float:
    async with httpx.AsyncClient(base_url=hub.http) as http:
        text = (await http.get("/metrics")).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


# ------------------------------------------------------------ per address: HTTP


async def test_workshop_creations_per_address(make_hub: Callable[..., Any]) -> None:
    async with make_hub(limit_workshops="2/h") as hub:
        for _ in range(2):
            await new_workshop(hub, "10.0.0.1")
        refused(await post(hub, "/api/workshops", {"title": "T"}, **at("10.0.0.1")))
        await new_workshop(hub, "10.0.0.2")  # another address is not held up
        assert await hub.service.store.count_workshops() == 3
        assert await metric(hub, 'schakel_rate_limited_total{limit="workshops"}') == 1


async def test_live_workshops_cap(make_hub: Callable[..., Any]) -> None:
    async with make_hub(max_workshops=2) as hub:
        first = await new_workshop(hub)
        await new_workshop(hub)
        r = await post(hub, "/api/workshops", {"title": "T"}, **at("10.0.0.9"))
        refused(r, 503, "unavailable")
        assert "maximum of 2 live workshops" in r.json()["reason"]
        async with httpx.AsyncClient(base_url=hub.http) as http:
            auth = {"authorization": f"Bearer {first['facilitator_token']}"}
            gone = await http.delete(f"/api/workshops/{first['workshop']['id']}", headers=auth)
            assert gone.status_code == 204
        await new_workshop(hub)  # room again once one is deleted


async def test_join_attempts_per_address(make_hub: Callable[..., Any]) -> None:
    async with make_hub(limit_joins="3/h") as hub:
        ws = await new_workshop(hub)
        for i in range(3):
            r = await post(
                hub, "/api/join", {"code": ws["join_code"], "nickname": f"p{i}"}, **at("10.1.0.1")
            )
            assert r.status_code == 201, r.text
        r = await post(
            hub, "/api/join", {"code": ws["join_code"], "nickname": "p4"}, **at("10.1.0.1")
        )
        refused(r)
        r = await post(
            hub, "/api/join", {"code": ws["join_code"], "nickname": "q"}, **at("10.1.0.2")
        )
        assert r.status_code == 201


async def test_misses_back_off_per_address_and_hub(make_hub: Callable[..., Any]) -> None:
    """Unknown codes spend an address's misses; once spent, even the right code is refused
    before it is looked up (so nothing is learnt). The hub's misses bound many addresses."""
    async with make_hub(limit_join_misses="3/h", limit_join_misses_hub="5/h") as hub:
        ws = await new_workshop(hub)
        code = ws["join_code"]
        wrong = "".join("A" if c != "A" else "B" for c in code)
        guesser = at("10.2.0.1")
        for _ in range(3):
            r = await post(hub, "/api/join", {"code": wrong, "nickname": "x"}, **guesser)
            refused(r, 404, "not_found")
        refused(await post(hub, "/api/join", {"code": code, "nickname": "x"}, **guesser))
        # Two more addresses miss once each: the hub's five misses are spent.
        for n in (2, 3):
            r = await post(hub, "/api/join", {"code": wrong, "nickname": "x"}, **at(f"10.2.0.{n}"))
            refused(r, 404, "not_found")
        # An address that has missed is refused now, whatever it sends...
        refused(await post(hub, "/api/join", {"code": code, "nickname": "x"}, **at("10.2.0.2")))
        # ...one that has not missed still joins with the right code.
        r = await post(hub, "/api/join", {"code": code, "nickname": "Ann"}, **at("10.2.0.9"))
        assert r.status_code == 201, r.text
        limited = hub.service.quotas.refused
        assert (limited["join_misses"], limited["join_misses_hub"]) == (1, 1)


async def test_facilitator_closes_joining(make_hub: Callable[..., Any]) -> None:
    async with make_hub() as hub:
        ws = await new_workshop(hub)
        code = ws["join_code"]
        async with await hello_at(hub, "10.3.0.1", ws["facilitator_token"], "fac") as fac:
            await fac.send(m.Control(1, "joining", {"open": False}))
            await fac.until(m.Done)
            closed = await post(hub, "/api/join", {"code": code, "nickname": "late"})
            wrong = await post(hub, "/api/join", {"code": "ZZZZZZZZ", "nickname": "late"})
            # A closed workshop answers exactly as an unknown code: nothing to learn.
            assert closed.status_code == wrong.status_code == 404
            assert closed.json() == wrong.json()
            assert hub.service.quotas.join_misses.empty("127.0.0.1") is False
            await fac.send(m.Control(2, "joining", {"open": True}))
            await fac.until(m.Done)
            again = await post(hub, "/api/join", {"code": code, "nickname": "late"})
            assert again.status_code == 201


async def test_participants_per_workshop(make_hub: Callable[..., Any]) -> None:
    async with make_hub(max_participants=3) as hub:
        ws = await new_workshop(hub)
        for i in range(3):
            r = await post(hub, "/api/join", {"code": ws["join_code"], "nickname": f"p{i}"})
            assert r.status_code == 201
        r = await post(hub, "/api/join", {"code": ws["join_code"], "nickname": "p4"})
        refused(r, 409, "conflict")
        assert "full (3 participants)" in r.json()["reason"]
        other = await new_workshop(hub)  # another workshop is not held up
        r = await post(hub, "/api/join", {"code": other["join_code"], "nickname": "q"})
        assert r.status_code == 201


async def test_groups_and_boards_per_workshop_are_capped(make_hub: Callable[..., Any]) -> None:
    """Boards are the groups' (at most 50) and one per participant (at most 200)."""
    async with make_hub() as hub:
        r = await post(hub, "/api/workshops", {"title": "T", "groups": 51})
        refused(r, 400, "invalid_message")
        assert "1..50" in r.json()["reason"]


async def test_heavy_requests_per_address_and_workshop(make_hub: Callable[..., Any]) -> None:
    async with make_hub(limit_heavy="2/h", limit_heavy_workshop="3/h") as hub:
        ws = await new_workshop(hub)
        other = await new_workshop(hub)
        auth = {"authorization": f"Bearer {ws['facilitator_token']}"}
        path = f"/api/workshops/{ws['workshop']['id']}/analysis"
        async with httpx.AsyncClient(base_url=hub.http, headers=auth) as http:
            for _ in range(2):
                assert (await http.get(path, headers=at("10.4.0.1"))).status_code == 200
            refused(await http.get(path, headers=at("10.4.0.1")))
            assert (await http.get(path, headers=at("10.4.0.2"))).status_code == 200
            refused(await http.get(path, headers=at("10.4.0.3")))  # the workshop's 3 are spent
            # A stranger's requests (no valid token) spend nothing of the workshop's.
            stranger = {"authorization": "Bearer forged", **at("10.4.0.4")}
            r = await http.get(
                f"/api/workshops/{other['workshop']['id']}/analysis", headers=stranger
            )
            refused(r, 401, "auth_failed")
            fac = {"authorization": f"Bearer {other['facilitator_token']}", **at("10.4.0.5")}
            r = await http.get(f"/api/workshops/{other['workshop']['id']}/analysis", headers=fac)
            assert r.status_code == 200


async def test_worker_queue_keeps_room_for_analyses() -> None:
    """Files may hold half of the queue; past it they are refused at once, and an
    analysis still gets in."""
    workers = Workers(0, max_pending=4)
    gate = threading.Event()
    try:
        files = [asyncio.create_task(workers.run(gate.wait, heavy=True)) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(Busy) as busy:
            await workers.run(gate.wait, heavy=True)
        assert busy.value.code == "unavailable" and busy.value.retry_after_s >= 1
        analyses = [asyncio.create_task(workers.run(gate.wait)) for _ in range(2)]
        await asyncio.sleep(0)
        assert workers.pending == 4
        with pytest.raises(Busy):
            await workers.run(gate.wait)  # the whole queue is full now
        gate.set()
        assert all(await asyncio.gather(*files, *analyses))
        assert workers.pending == 0 and workers.refused == 2
    finally:
        gate.set()
        workers.close()


# ---------------------------------------------------------- per address: WebSocket


async def test_connections_per_address(make_hub: Callable[..., Any]) -> None:
    async with make_hub(max_connections_per_address=2) as hub:
        ws = await new_workshop(hub)
        token = ws["viewer_token"]
        held = [await hello_at(hub, "10.5.0.1", token, f"v{i}") for i in range(2)]
        status, code, retry = await denied(hub, "10.5.0.1")
        assert (status, code) == (429, "rate_limited") and retry >= 1
        other = await hello_at(hub, "10.5.0.2", token, "o")  # another address connects
        await held[0].close()  # a slot comes free when one closes
        await hub_until(hub, lambda: hub.service.quotas.connections.count == 2)
        again = await hello_at(hub, "10.5.0.1", token, "v3")
        for raw in (*held, other, again):
            await raw.close()


async def test_connections_per_hub(make_hub: Callable[..., Any]) -> None:
    async with make_hub(max_connections=2) as hub:
        ws = await new_workshop(hub)
        held = [await hello_at(hub, f"10.6.0.{i}", ws["viewer_token"], f"v{i}") for i in range(2)]
        status, code, _ = await denied(hub, "10.6.0.9")
        assert (status, code) == (503, "unavailable")
        await held[0].quiet()  # the ones inside go on
        for raw in held:
            await raw.close()


async def test_new_connections_per_address(make_hub: Callable[..., Any]) -> None:
    async with make_hub(limit_connects="3/h") as hub:
        ws = await new_workshop(hub)
        for i in range(3):
            raw = await hello_at(hub, "10.7.0.1", ws["viewer_token"], f"v{i}")
            await raw.close()
        status, code, retry = await denied(hub, "10.7.0.1")
        assert (status, code) == (429, "rate_limited") and retry >= 1
        raw = await hello_at(hub, "10.7.0.2", ws["viewer_token"], "other")
        await raw.close()


async def test_hellos_without_a_valid_token(make_hub: Callable[..., Any]) -> None:
    async with make_hub(limit_bad_hellos="2/h") as hub:
        ws = await new_workshop(hub)
        for _ in range(2):
            raw = await ws_at(hub, "10.8.0.1")
            await raw.send(m.Hello("forged", "x"))
            code, frames = await raw.closed()
            assert code == CloseCode.AUTH_FAILED
        raw = await ws_at(hub, "10.8.0.1")
        await raw.send(m.Hello("forged", "x"))
        code, frames = await raw.closed()
        assert code == CloseCode.RATE_LIMITED
        assert [f.code for f in frames if isinstance(f, m.Error)] == ["rate_limited"]
        # A valid token from the same address still gets in; so does another address.
        for address in ("10.8.0.1", "10.8.0.2"):
            good = await hello_at(hub, address, ws["viewer_token"], "good")
            await good.close()


async def test_a_proxy_header_counts_only_from_a_trusted_proxy(
    make_hub: Callable[..., Any],
) -> None:
    async with make_hub(limit_workshops="1/h", trusted_proxies="10.0.0.0/8") as hub:
        await new_workshop(hub, "10.9.0.1")  # the header is ignored: this is 127.0.0.1
        refused(await post(hub, "/api/workshops", {"title": "T"}, **at("10.9.0.2")))
    async with make_hub(limit_workshops="1/h", proxy_header="") as hub:
        await new_workshop(hub, "10.9.0.1")
        refused(await post(hub, "/api/workshops", {"title": "T"}, **at("10.9.0.2")))


# ------------------------------------------------------------- per connection


@pytest.fixture
async def pair(make_hub: Callable[..., Any]) -> AsyncIterator[Callable[..., Any]]:
    """``await pair(**settings)``: a hub, a sender and a bystander on one board."""
    opened: list[Any] = []

    async def make(**overrides: Any) -> tuple[Hub, Raw, Raw, str]:
        cm = make_hub(**overrides)
        hub = await cm.__aenter__()
        opened.append(cm)
        ws = await new_workshop(hub)
        joined = []
        for name in ("Ann", "Bo"):
            r = await post(hub, "/api/join", {"code": ws["join_code"], "nickname": name})
            joined.append(r.json())
        board = joined[0]["board"]
        sender = await hello_at(hub, "10.10.0.1", joined[0]["token"], "ann")
        bystander = await hello_at(hub, "10.10.0.2", joined[1]["token"], "bo")
        opened.extend([sender, bystander])
        await sender.subscribe(board)
        await bystander.subscribe(board)
        return hub, sender, bystander, board

    yield make
    for thing in reversed(opened):
        if isinstance(thing, Raw):
            await thing.close()
        else:
            await thing.__aexit__(None, None, None)


async def test_messages_per_connection(pair: Callable[..., Any]) -> None:
    hub, sender, bystander, board = await pair(limit_messages="10/h", limit_refusals="50/h")
    for n in range(15):  # (the subscribe took one of the ten)
        await sender.send(m.Ping(n))
    answers = [await sender.recv() for _ in range(15)]
    assert [a.n for a in answers if isinstance(a, m.Pong)] == list(range(9))
    errors = [a for a in answers if isinstance(a, m.Error)]
    assert [e.code for e in errors] == ["rate_limited"] * 6
    # A refused batch names its ref and board, so the sender can send it again later.
    await sender.send(m.Ops(board, 77, [sender.op("x", "note", "text", "late")]))
    err = await sender.expect(m.Error)
    assert (err.code, err.ref, err.board) == ("rate_limited", 77, board)
    await bystander.quiet()  # saw nothing, and is not held up
    assert (await hub.service.store.load(board, 0)).seq == 0


async def test_ops_per_connection(pair: Callable[..., Any]) -> None:
    hub, sender, bystander, board = await pair(limit_ops="10/h")
    first = [sender.op(f"n{i}", "note", "text", "ok") for i in range(8)]
    await sender.send_ops(board, first, ref=1)
    assert (await sender.expect(m.Ack)).applied == len(first)
    await sender.send_ops(board, [sender.op(f"m{i}", "note", "text", "no") for i in range(8)], 2)
    err = await sender.expect(m.Error)
    assert (err.code, err.ref, err.board) == ("rate_limited", 2, board)
    assert (await bystander.expect(m.Update)).ops == first
    await bystander.quiet()
    assert (await hub.service.store.load(board, 0)).seq == 8


async def test_persistent_excess_closes_the_connection(pair: Callable[..., Any]) -> None:
    hub, sender, bystander, board = await pair(
        limit_messages="5/h", limit_refusals="3/h", limit_connects="31/h"
    )
    for n in range(20):
        await sender.send(m.Presence(board, {"cursor": [n, n]}))
    code, frames = await sender.closed()
    assert code is None  # dropped, without a close handshake (the peer sees 1006)
    codes = [f.code for f in frames if isinstance(f, m.Error)]
    assert codes == ["rate_limited"] * 4  # three refusals, then the fourth drops it
    # The bystander saw the presences within the limit (coalesced) and the sender
    # leave; it goes on working.
    seen, _ = await bystander.until(m.Leave)
    await bystander.quiet()
    assert seen.board == board
    assert await metric(hub, 'schakel_closes_total{code="4429"}') == 1
    # Its address pays for the close: its next connection must wait.
    status, code, retry = await denied(hub, "10.10.0.1")
    assert (status, code) == (429, "rate_limited") and retry >= 5
    await bystander.quiet()


async def test_presence_is_coalesced(pair: Callable[..., Any]) -> None:
    """A burst of presence reaches the others as far fewer frames, the last state last."""
    _, sender, bystander, board = await pair()
    for n in range(200):
        await sender.send(m.Presence(board, {"cursor": [n, 0]}))
    await sender.quiet()
    last, skipped = await bystander.until(m.PresenceOut, lambda p: p.data.get("cursor") == [199, 0])
    assert len(skipped) < 200
    assert last.name == "Ann"


# ----------------------------------------------------------------- keepalive


async def hub_until(hub: Hub, predicate: Callable[[], bool], timeout: float = 10) -> float:
    """Seconds until ``predicate`` holds (polled: it reads the hub's state)."""
    start = time.monotonic()
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return time.monotonic() - start
            await asyncio.sleep(0.02)


async def test_a_half_open_connection_is_closed_by_keepalive(
    make_hub: Callable[..., Any],
) -> None:
    """A peer that stops answering (its network gone) is dropped within interval +
    timeout, and its slot is free again."""
    async with make_hub(ws_ping_interval_s=0.3, ws_ping_timeout_s=0.3) as hub:
        ws = await new_workshop(hub)
        raw = await hello_at(hub, "10.11.0.1", ws["viewer_token"], "silent")
        assert len(hub.service.connections) == 1
        # Stop reading: pings are not answered, as when the tablet's Wi-Fi is gone.
        raw.ws.transport.pause_reading()
        waited = await hub_until(hub, lambda: not hub.service.connections)
        assert waited < 0.3 + 0.3 + 1.0
        assert hub.service.quotas.connections.count == 0
        raw.ws.transport.abort()


# -------------------------------------------------------------- pure helpers


def test_rates_parse_and_print() -> None:
    assert Rate.parse("10/5min") == Rate(10, 300)
    assert Rate.parse("1000/5s").per_s == 200
    assert Rate.parse("600/h").per_hour(2) == 1800
    assert str(Rate.parse("10/5min")) == "10/5min" and str(Rate.parse("600/h")) == "600/h"
    assert Rate.parse("0").off and Rate.parse("").off
    for bad in ("10", "x/s", "10/0s", "10/week"):
        with pytest.raises(ValueError, match="rate"):
            Rate.parse(bad)


def test_buckets_refill_and_stay_bounded() -> None:
    now = [0.0]
    b = Buckets(Rate(2, 10), max_keys=8, clock=lambda: now[0])
    assert b.take("a") and b.take("a") and not b.take("a")
    assert b.retry_after("a") == pytest.approx(5)
    now[0] = 5
    assert b.take("a") and not b.take("a")
    b.charge("a", 3)  # a penalty runs into debt (at most a burst): a wait of its own
    assert b.retry_after("a") == pytest.approx(15)
    for i in range(50):
        b.charge(f"k{i}")
    assert len(b) <= 8  # the table never holds more than max_keys


def test_addresses() -> None:
    assert address_key("2001:db8::1") == address_key("2001:db8::ffff") == "2001:db8::/64"
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"
    rule = AddressRule.from_settings(FORWARDED, "127.0.0.1/32")
    scope = {"client": ("127.0.0.1", 1), "headers": [(b"x-forwarded-for", b"6.6.6.6, 10.0.0.7")]}
    assert rule.address(scope) == "10.0.0.7"  # the last hop: the one the proxy saw
    assert rule.address({**scope, "client": ("10.0.0.1", 1)}) == "10.0.0.1"
    assert rule.address({**scope, "headers": [(b"x-forwarded-for", b"junk")]}) == "127.0.0.1"
    counted = Counted(per_key=1, total=2)
    assert counted.acquire("a") is None and counted.acquire("a") == "per_key"
    assert counted.acquire("b") is None and counted.acquire("c") == "total"
    counted.release("a")
    assert counted.acquire("c") is None


async def test_a_burst_is_spread_over_commits_and_others_go_first(
    make_hub: Callable[..., Any],
) -> None:
    """A connection's burst is committed a part per tick; another's batch that arrives
    behind it goes in the very first commit."""
    from schakel.hub import MAX_OPS_PER_CONNECTION

    async with make_hub(tick_ms=300) as hub:  # (a long tick: everything below is pending)
        ws = await new_workshop(hub)
        joined = [
            (await post(hub, "/api/join", {"code": ws["join_code"], "nickname": n})).json()
            for n in ("Burst", "Other")
        ]
        board = joined[0]["board"]
        burst = await hello_at(hub, "10.12.0.1", joined[0]["token"], "burst")
        other = await hello_at(hub, "10.12.0.2", joined[1]["token"], "other")
        await burst.subscribe(board)
        await other.subscribe(board)
        per = 100
        batches = 3 * MAX_OPS_PER_CONNECTION // per
        for k in range(batches):
            ops = [burst.op(f"b{k}-{i}", "note", "text", "x") for i in range(per)]
            await burst.send_ops(board, ops, ref=k + 1)
        await burst.send(m.Ping(1))
        await burst.until(m.Pong)  # every batch of the burst is pending now
        mine = other.op("o1", "note", "text", "mine")
        await other.send_ops(board, [mine], ref=1)
        first, _ = await other.until(m.Update)
        # In the first commit, with a part of the burst (its own op is not sent back,
        # but the update's range covers it, and the ack comes right after)
        assert first.seq - first.first + 1 == MAX_OPS_PER_CONNECTION + 1
        assert len(first.ops) == MAX_OPS_PER_CONNECTION and mine not in first.ops
        ack = await other.expect(m.Ack)
        assert (ack.ref, ack.seq, ack.applied) == (1, first.seq, 1)
        acks = []
        while not acks or acks[-1].ref != batches:
            acks.append((await burst.until(m.Ack))[0])
        assert len(acks) == 3  # the burst took three commits
        await burst.close()
        await other.close()
