"""Four participants co-edit one board and converge; a plenary screen follows every board."""

from __future__ import annotations

import asyncio
import contextlib
import random

from schakel_client import SchakelClient
from schakel_core.document import Document
from schakel_core.ops import Op
from tests.e2e.raw import board_state
from tests.support.server import Hub, create_workshop, join

ROLE_TAGS = ["pusher", "joiner", "silent", "bridge_builder", "scapegoat", "schakel", "mover"]


async def server_doc(hub: Hub, board: str) -> tuple[int, Document]:
    loaded = await hub.service.store.load(board, 0)
    assert loaded.full
    return loaded.seq, Document(loaded.ops)


def random_edit(rng: random.Random, c: SchakelClient, board: str, me: int, step: int) -> None:
    """One edit of a mixed workload: creates, shared fields, deletes, restores, relations."""
    actors = [f"a{i}-{k}" for i in range(4) for k in range(3)] + ["shared"]
    kind = rng.randrange(8)
    if kind == 0:
        c.edit(board, f"a{me}-{step % 3}", "actor", label=f"actor {me}/{step}", pos=[me, step])
    elif kind == 1:  # everyone writes the same fields of one object
        c.edit(board, "shared", "actor", label=f"by {me} at {step}", influence=rng.randrange(6))
    elif kind == 2:
        c.edit(board, rng.choice(actors), "actor", roles=rng.sample(ROLE_TAGS, 2))
    elif kind == 3:
        c.edit(board, rng.choice(actors), "actor", deleted=True)
    elif kind == 4:
        c.edit(board, rng.choice(actors), "actor", deleted=False)
    elif kind == 5:
        src, dst = rng.sample(actors, 2)
        c.edit(board, f"r{me}-{step % 4}", "relation", source=src, target=dst, kind="tension")
    elif kind == 6:
        c.edit(board, "meta", "meta", issue=f"issue from {me} at {step}")
    else:
        c.edit(board, f"n{me}-{step % 2}", "note", text=f"note {step}", pos=[step, -me])


async def test_four_clients_converge(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=1)
    joined = [await join(hub.http, ws["join_code"], f"P{i}") for i in range(4)]
    board = joined[0]["board"]
    assert {j["board"] for j in joined} == {board}
    clients = [SchakelClient(hub.ws, j["token"], client_id=f"c{i}") for i, j in enumerate(joined)]
    async with contextlib.AsyncExitStack() as stack:
        for c in clients:
            await stack.enter_async_context(c)
        replicas = [await c.subscribe(board) for c in clients]
        rng = random.Random(20261129)
        for step in range(60):
            for i in rng.sample(range(4), 4):
                for _ in range(rng.randrange(1, 4)):
                    random_edit(rng, clients[i], board, i, step)
            if step % 3 == 0:
                await asyncio.sleep(0)  # let some batches leave between edits
            if step in (20, 40):  # a tablet loses its connection mid-edit; edits go on
                await clients[step // 20].drop_connection()
        # Some undo and redo too: fresh clocks over earlier values.
        for c in clients:
            c.undo(board)
            c.undo(board)
            c.redo(board)
        for c in clients:
            await c.settled()
        assert [c.connects for c in clients] == [1, 2, 2, 1]
        seq, expected = await server_doc(hub, board)
        await clients[0].wait_for(lambda: all(r.seq == seq for r in replicas))
        for r in replicas:
            assert r.doc == expected
        state = await board_state(hub.http, board, ws["facilitator_token"])
        assert state["seq"] == seq
        assert state["objects"] == expected.visible()
        assert len(state["objects"]) > 5
        assert all(r.view() == state["objects"] for r in replicas)


async def test_plenary_sees_every_board_and_never_writes(hub: Hub) -> None:
    ws = await create_workshop(hub.http, groups=2)
    joined = [await join(hub.http, ws["join_code"], f"P{i}") for i in range(5)]
    g1, g2 = ws["workshop"]["boards"][:2]
    assert [j["board"] for j in joined] == [g1] * 4 + [g2]
    async with (
        SchakelClient(hub.ws, ws["viewer_token"], client_id="plenary") as viewer,
        SchakelClient(hub.ws, joined[0]["token"], client_id="ann") as ann,
        SchakelClient(hub.ws, joined[4]["token"], client_id="eve") as eve,
    ):
        assert viewer.welcome is not None
        assert set(viewer.welcome.boards) == {g1, g2} and viewer.welcome.writable == []
        v1, v2 = await viewer.subscribe(g1), await viewer.subscribe(g2)
        await ann.subscribe(g1)
        await eve.subscribe(g2)
        for k in range(10):
            ann.edit(g1, f"a{k}", "actor", label=f"Ann {k}", pos=[k, 0])
            eve.edit(g2, f"e{k}", "actor", label=f"Eve {k}", pos=[0, k])
            await asyncio.sleep(0)
        await ann.settled()
        await eve.settled()
        seq1, doc1 = await server_doc(hub, g1)
        seq2, doc2 = await server_doc(hub, g2)
        await viewer.wait_for(lambda: v1.seq == seq1 and v2.seq == seq2)
        assert v1.doc == doc1 and v2.doc == doc2
        assert set(v1.view()) == {f"a{k}" for k in range(10)}
        assert set(v2.view()) == {f"e{k}" for k in range(10)}

        # The plenary screen tries to write on both boards: forbidden, nothing stored.
        seen_by_ann = ann.replicas[g1].seq
        for board in (g1, g2):
            op = Op("x1", "actor", "label", "from the screen", 10_000, "plenary")
            ref = viewer.send_raw_ops(board, [op])
            await viewer.wait_for(lambda ref=ref: any(e.ref == ref for e in viewer.errors))
            err = next(e for e in viewer.errors if e.ref == ref)
            assert (err.code, err.board) == ("forbidden", board)
        assert await server_doc(hub, g1) == (seq1, doc1)
        assert await server_doc(hub, g2) == (seq2, doc2)
        await ann.ping(7)  # anything for Ann would have come before the pong
        assert ann.replicas[g1].seq == seen_by_ann
        assert "x1" not in ann.replicas[g1].doc.fields
