"""What one board may hold, and what one connection may have waiting: over a limit, the
request is refused (``too_large``, naming the limit), nothing is stored, nobody else
notices; a connection whose queued frames pass the byte bound is cut off (4408)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx

from schakel_core import messages as m
from schakel_core.errors import CloseCode
from schakel_core.schema import MAX_BOARD_BYTES, MAX_BOARD_OBJECTS
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, join, running_hub
from tests.support.server import hub_settings as settings_for


async def test_a_board_full_of_ink_refuses_more_and_says_which_limit(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=2)
    ann = await join(hub.http, ws["join_code"], "Ann")
    bo = await join(hub.http, ws["join_code"], "Bo")
    board, other = ann["board"], ws["workshop"]["boards"][1]
    assert bo["board"] == board
    writer = await Raw.hello(hub.ws, ann["token"], "ann", deflate=False)
    peer = await Raw.hello(hub.ws, bo["token"], "bo")
    fac = await Raw.hello(hub.ws, ws["facilitator_token"], "fac")
    async with writer, peer, fac:
        await writer.subscribe(board)
        await peer.subscribe(board)
        await fac.subscribe(other)
        stroke = [random.Random(k).random() for k in range(6000)]  # ~54 kB each
        k = refused = 0
        while True:
            ref = await writer.send_ops(board, [writer.op(f"i{k}", "ink", "points", stroke)])
            answer, _ = await writer.until(object, lambda a, r=ref: getattr(a, "ref", 0) == r)
            if isinstance(answer, m.Error):
                assert answer.code == "too_large" and answer.board == board
                assert "maxBoardBytes" in answer.reason and str(MAX_BOARD_BYTES) in answer.reason
                refused = ref
                break
            k += 1
            assert k < MAX_BOARD_BYTES // 50_000, "the board took more than its limit"
        seq = (await hub.service.store.load(board, 0)).seq
        assert seq == k  # nothing of the refused batch was stored
        # The other participant saw every accepted stroke and nothing of the refused one.
        got = 0
        while got < k:
            update, _ = await peer.until(m.Update)
            got = update.seq
        await peer.quiet()
        # Smaller values still fit (erasing makes room), and other boards go on.
        ref = await writer.send_ops(board, [writer.op("i0", "ink", "points", [1, 2, 0.5])])
        ack, _ = await writer.until(m.Ack, lambda a: a.ref == ref)
        assert ack.applied == 1 and refused < ref
        ref = await fac.send_ops(other, [fac.op("n1", "note", "text", "fine")])
        await fac.until(m.Ack, lambda a: a.ref == ref)
    print(f"\na board took {k} strokes of ~54 kB before maxBoardBytes ({MAX_BOARD_BYTES})")


async def test_an_import_is_held_to_the_board_limits(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=1)
    wid = ws["workshop"]["id"]
    auth = {"authorization": f"Bearer {ws['facilitator_token']}"}
    actor = {"type": "actor", "label": "x", "kind": "person", "stance": "unknown"}
    too_many = {f"a{i}": actor for i in range(MAX_BOARD_OBJECTS + 1)}
    body = {"format": "schakel-board", "version": 1, "objects": too_many}
    async with httpx.AsyncClient(base_url=hub.http, headers=auth, timeout=60) as http:
        r = await http.post(
            f"/api/workshops/{wid}/import",
            content=json.dumps(body),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 413 and r.json()["error"] == "too_large"
        assert str(MAX_BOARD_OBJECTS) in r.json()["reason"]
        # The roles of a board file (a list) become one register per role.
        one = {"a1": {**actor, "roles": ["schakel", "mover"]}}
        r = await http.post(
            f"/api/workshops/{wid}/import",
            content=json.dumps({**body, "objects": one}),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 201, r.text
        state = (await http.get(f"/api/boards/{r.json()['board']}")).json()
        assert state["objects"]["a1"]["roles"] == ["schakel", "mover"]


async def test_a_send_queue_is_bounded_by_bytes_as_well(tmp_path: Path) -> None:
    """Many frames may wait (2,000), but not many bytes: a reader that stops is cut off
    once 1 MB of big updates waits for it, long before 2,000 frames."""
    settings = settings_for(tmp_path, send_queue_frames=2000, send_queue_bytes=1024 * 1024)
    async with running_hub(settings) as hub:
        ws = await create_workshop(hub.http, groups=1)
        p = await join(hub.http, ws["join_code"], "Ink")
        board = p["board"]
        big = await Raw.hello(hub.ws, p["token"], "ink", deflate=False)
        slow = await Raw.hello(hub.ws, ws["facilitator_token"], "fac", rcvbuf=4096, deflate=False)
        async with big, slow:
            await big.subscribe(board)
            await slow.subscribe(board)
            assert slow.welcome is not None
            conn = hub.service.hub.rooms[board].subs[slow.welcome.conn].conn
            slow.ws.transport.pause_reading()
            rng = random.Random(1009)
            k = 0
            while not conn.outbox.overflowed:
                strokes = [
                    big.op(f"i{j}", "ink", "points", [rng.random() for _ in range(6000)])
                    for j in range(2)
                ]
                ref = await big.send_ops(board, strokes)
                await big.until(m.Ack, lambda a, r=ref: a.ref == r)
                k += 1
                assert k < 100, "never cut off"
            assert k < 2000 / 2  # by bytes, not by frames
            slow.ws.transport.resume_reading()
            code, frames = await slow.closed(timeout=30)
            assert code == CloseCode.TOO_SLOW
            assert isinstance(frames[-1], m.Error) and frames[-1].code == "too_slow"
