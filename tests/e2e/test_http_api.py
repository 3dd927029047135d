"""The HTTP API: validation answers with a JSON error (never a stack trace), joining fills
groups of four in order, and deleting a workshop erases it everywhere."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from schakel_core import messages as m
from schakel_core.errors import CloseCode
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, join


def assert_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error", "reason"} and body["error"] == code, body
    assert body["reason"] and "Traceback" not in r.text


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


BAD_CREATE: list[tuple[str, Any, int, str]] = [
    ("missing-title", {"groups": 2}, 400, "invalid_message"),
    ("blank-title", {"title": "   ", "groups": 2}, 400, "invalid_message"),
    ("title-not-str", {"title": 5, "groups": 2}, 400, "invalid_message"),
    ("title-too-long", {"title": "x" * 201, "groups": 2}, 413, "too_large"),
    ("groups-zero", {"title": "T", "groups": 0}, 400, "invalid_message"),
    ("groups-too-many", {"title": "T", "groups": 51}, 400, "invalid_message"),
    ("groups-str", {"title": "T", "groups": "2"}, 400, "invalid_message"),
    ("groups-bool", {"title": "T", "groups": True}, 400, "invalid_message"),
    ("groups-float", {"title": "T", "groups": 2.0}, 400, "invalid_message"),
    ("groups-null", {"title": "T", "groups": None}, 400, "invalid_message"),
    ("template-unknown", {"title": "T", "template": "nope"}, 400, "invalid_message"),
    ("template-not-str", {"title": "T", "template": ["x"]}, 400, "invalid_message"),
    ("programme-not-list", {"title": "T", "programme": "nope"}, 400, "invalid_message"),
    ("programme-empty-round", {"title": "T", "programme": [{}]}, 400, "invalid_message"),
    ("date-not-str", {"title": "T", "date": 20261129}, 400, "invalid_message"),
    ("body-array", [1, 2], 400, "malformed"),
    ("body-str", "title", 400, "malformed"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"), [c[1:] for c in BAD_CREATE], ids=[c[0] for c in BAD_CREATE]
)
async def test_create_workshop_validation(hub: Hub, body: Any, status: int, code: str) -> None:
    before = len(hub.service.store._workshops)
    async with httpx.AsyncClient(base_url=hub.http) as http:
        assert_error(await http.post("/api/workshops", json=body), status, code)
    assert len(hub.service.store._workshops) == before


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "malformed"),
        (b"\xff\xfe", 400, "malformed"),
        (json.dumps({"title": "T", "pad": "x" * 70_000}).encode(), 413, "too_large"),
    ],
    ids=["bad-json", "not-utf8", "too-large"],
)
async def test_create_workshop_bad_body(hub: Hub, content: bytes, status: int, code: str) -> None:
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.post(
            "/api/workshops", content=content, headers={"content-type": "application/json"}
        )
        assert_error(r, status, code)
    assert hub.service.store._workshops == {}


async def test_join_checks_code_and_nickname(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    code = ws["join_code"]
    async with httpx.AsyncClient(base_url=hub.http) as http:
        wrong = "".join("A" if c != "A" else "B" for c in code)
        r = await http.post("/api/join", json={"code": wrong, "nickname": "Ann"})
        assert_error(r, 404, "not_found")
        assert_error(await http.post("/api/join", json={"nickname": "Ann"}), 400, "invalid_message")
        r = await http.post("/api/join", json={"code": code})
        assert_error(r, 400, "invalid_message")
        r = await http.post("/api/join", json={"code": code, "nickname": "x" * 41})
        assert_error(r, 413, "too_large")
        bad_json = {"content-type": "application/json"}
        r = await http.post("/api/join", content=b"[{", headers=bad_json)
        assert_error(r, 400, "malformed")
        # People type codes: case, spaces and dashes do not matter.
        typed = f"{code[:4].lower()} - {code[4:].lower()}"
        r = await http.post("/api/join", json={"code": typed, "nickname": "Ann"})
        assert r.status_code == 201, r.text
    stored = await hub.service.store.get_workshop(ws["workshop"]["id"])
    assert stored is not None and [p.name for p in stored.participants.values()] == ["Ann"]


async def test_groups_of_four_fill_in_order_and_open_new_groups(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=2)
    wid = ws["workshop"]["id"]
    joined = [await join(hub.http, ws["join_code"], f"P{i}") for i in range(9)]
    assert [j["participant"]["group"] for j in joined] == [1] * 4 + [2] * 4 + [3]
    assert [j["board"] for j in joined] == [f"{wid}:g{g}" for g in [1] * 4 + [2] * 4 + [3]]
    assert joined[-1]["workshop"]["groups"] == 3
    async with httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.get(f"/api/workshops/{wid}", headers=bearer(ws["facilitator_token"]))
        assert r.json()["groups"] == 3 and f"{wid}:g3" in r.json()["group_boards"]
        # Moving someone out frees a place: the next one fills the lowest group again.
        pid = joined[0]["participant"]["id"]
        r = await http.post(
            f"/api/workshops/{wid}/participants/{pid}",
            json={"group": 3},
            headers=bearer(ws["facilitator_token"]),
        )
        assert r.status_code == 200 and r.json()["group"] == 3
    nxt = await join(hub.http, ws["join_code"], "Late")
    assert nxt["participant"]["group"] == 1
    # The newly opened group's board works.
    async with await Raw.hello(hub.ws, joined[-1]["token"], "p8") as raw:
        await raw.subscribe(f"{wid}:g3")
        ref = await raw.send_ops(f"{wid}:g3", [raw.op("a1", "actor", "label", "new group")])
        ack, _ = await raw.until(m.Ack)
        assert ack.ref == ref and ack.applied == 1


async def test_move_participant_validation(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=2)
    wid = ws["workshop"]["id"]
    p = await join(hub.http, ws["join_code"], "Ann")
    pid = p["participant"]["id"]
    before = (await hub.service.store.get_workshop(wid)).to_dict()  # type: ignore[union-attr]
    path = f"/api/workshops/{wid}/participants/{pid}"
    async with httpx.AsyncClient(base_url=hub.http, headers=bearer(ws["facilitator_token"])) as h:
        assert_error(await h.post(path, json={"group": 3}), 400, "invalid_message")
        assert_error(await h.post(path, json={"group": "2"}), 400, "invalid_message")
        assert_error(await h.post(path, json={}), 400, "invalid_message")
        r = await h.post(path, content=b"nope", headers={"content-type": "application/json"})
        assert_error(r, 400, "malformed")
        r = await h.post(f"/api/workshops/{wid}/participants/nobody", json={"group": 2})
        assert_error(r, 404, "not_found")
        r = await h.post(f"/api/workshops/{wid}/participants/{pid}", headers=bearer("forged"))
        assert_error(r, 401, "auth_failed")
    after = await hub.service.store.get_workshop(wid)
    assert after is not None and after.to_dict() == before


async def test_delete_workshop_erases_everything(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=1)
    wid = ws["workshop"]["id"]
    p = await join(hub.http, ws["join_code"], "Ann")
    board = p["board"]
    keep = await create_workshop(hub.http, groups=1, title="Unrelated")
    k = await join(hub.http, keep["join_code"], "Kim")
    async with (
        await Raw.hello(hub.ws, p["token"], "ann") as ann,
        await Raw.hello(hub.ws, k["token"], "kim") as kim,
    ):
        await ann.subscribe(board)
        await kim.subscribe(k["board"])
        await ann.send_ops(board, [ann.op("a1", "actor", "label", "to be erased")])
        await ann.until(m.Ack)
        await kim.send_ops(k["board"], [kim.op("k1", "actor", "label", "kept")])
        await kim.until(m.Ack)
        async with httpx.AsyncClient(base_url=hub.http) as http:
            r = await http.delete(f"/api/workshops/{wid}", headers=bearer(ws["facilitator_token"]))
            assert r.status_code == 204
            # The connected participant is told and closed with 4404.
            code, frames = await ann.closed()
            assert code == CloseCode.GONE
            assert [f.code for f in frames if isinstance(f, m.Error)] == ["not_found"]
            fac = bearer(ws["facilitator_token"])
            assert_error(await http.get(f"/api/boards/{board}", headers=fac), 404, "not_found")
            assert_error(await http.get(f"/api/workshops/{wid}", headers=fac), 404, "not_found")
            assert_error(await http.delete(f"/api/workshops/{wid}", headers=fac), 404, "not_found")
            r = await http.post("/api/join", json={"code": ws["join_code"], "nickname": "B"})
            assert_error(r, 404, "not_found")
        loaded = await hub.service.store.load(board, 0)
        assert (loaded.seq, loaded.ops) == (0, [])
        # Tokens of the workshop no longer open anything.
        again = await Raw.open(hub.ws, "ann")
        async with again:
            await again.send(m.Hello(p["token"], "ann"))
            code, frames = await again.closed()
        assert code == CloseCode.GONE
        assert [f.code for f in frames if isinstance(f, m.Error)] == ["not_found"]
        # The other workshop is untouched.
        await kim.quiet()
        assert (await hub.service.store.load(k["board"], 0)).seq == 1
