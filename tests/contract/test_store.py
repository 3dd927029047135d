"""The Store contract: what every store (embedded, Redis) must do, tested the same way."""

from __future__ import annotations

import asyncio
import time

import pytest

from schakel.stores.base import Batch, Store
from schakel_core.document import Document
from schakel_core.errors import Conflict, NotFound
from schakel_core.ops import Op
from schakel_core.workshop import Workshop

from .conftest import StoreFactory

B1 = "w0000001:g1"
B2 = "w0000001:g2"


def op(
    obj: str, field: str, value: object, counter: int, client: str = "c1", typ: str = "actor"
) -> Op:
    return Op(obj, typ, field, value, counter, client)


async def test_apply_numbers_what_changed(store: Store) -> None:
    [r] = await store.apply([Batch(B1, [op("a1", "label", "x", 1), op("a1", "pos", [1, 2], 2)])])
    assert (r.board, r.seq, r.error) == (B1, 2, None)
    assert r.stored == [op("a1", "label", "x", 1), op("a1", "pos", [1, 2], 2)]
    # A duplicate and a loser change nothing: not stored, no number.
    [r] = await store.apply([Batch(B1, [op("a1", "label", "x", 1), op("a1", "pos", [0, 0], 1)])])
    assert (r.seq, r.stored) == (2, [])
    [r] = await store.apply([Batch(B1, [op("a1", "label", "y", 3, "c2")])])
    assert (r.seq, r.stored) == (3, [op("a1", "label", "y", 3, "c2")])


async def test_one_call_many_batches_and_boards(store: Store) -> None:
    results = await store.apply(
        [
            Batch(B1, [op("a1", "label", "x", 1)]),
            Batch(B2, [op("a1", "label", "other board", 1)]),
            Batch(B1, [op("a2", "label", "y", 2), op("a3", "label", "z", 3)]),
        ]
    )
    assert [(r.board, r.seq, len(r.stored)) for r in results] == [
        (B1, 1, 1),
        (B2, 1, 1),
        (B1, 3, 2),
    ]
    loaded = await store.load(B2, 0)
    assert Document(loaded.ops).visible() == {"a1": {"label": "other board", "type": "actor"}}


async def test_a_refused_batch_stores_nothing_and_harms_no_other(store: Store) -> None:
    await store.apply([Batch(B1, [op("x", "label", "actor", 1)])])
    results = await store.apply(
        [
            Batch(
                B1, [op("ok", "label", "fine", 2), op("x", "text", "now a note?", 3, typ="note")]
            ),
            Batch(B1, [op("x", "label", "reused clock", 1)]),
            Batch(B1, [op("y", "label", "fine", 4)]),
        ]
    )
    assert isinstance(results[0].error, Conflict)
    assert isinstance(results[1].error, Conflict)
    assert results[0].stored == results[1].stored == []
    assert (results[2].error, results[2].seq) == (None, 2)
    doc = Document((await store.load(B1, 0)).ops)
    assert set(doc.visible()) == {"x", "y"}


async def test_load_resumes_or_gives_the_state(store: Store) -> None:
    assert (await store.load("w0000009:g1", 0)).ops == []
    ops = [op(f"a{i}", "label", str(i), i) for i in range(1, 11)]
    for i in range(0, 10, 2):
        await store.apply([Batch(B1, ops[i : i + 2])])
    full = await store.load(B1, 0)
    assert (full.seq, full.full) == (10, True)
    assert Document(full.ops) == Document(ops)
    delta = await store.load(B1, 7)
    assert (delta.seq, delta.full, delta.ops) == (10, False, ops[7:])
    assert (await store.load(B1, 10)).ops == []
    future = await store.load(B1, 99)  # a seq this board never had (e.g. it was deleted)
    assert (future.seq, future.full) == (10, True)


async def test_resume_falls_back_to_the_state_past_the_log(store: Store) -> None:
    n = store.log_keep + 20
    ops = [op("a1", "influence", c % 6, c) for c in range(1, n + 1)]
    for start in range(0, n, 1000):
        await store.apply([Batch(B1, ops[start : start + 1000])])
    recent = await store.load(B1, n - 5)
    assert (recent.full, len(recent.ops)) == (False, 5)
    old = await store.load(B1, 3)
    assert (old.seq, old.full) == (n, True)
    assert Document(old.ops).get("a1") == {"influence": n % 6}


async def test_delete_board(store: Store) -> None:
    await store.apply([Batch(B1, [op("a1", "label", "x", 1)])])
    await store.delete_board(B1)
    assert (await store.load(B1, 0)).ops == []


async def test_durable_across_restart(make_durable_store: StoreFactory) -> None:
    first = await make_durable_store()
    ws = Workshop.create("Durable", 2, now=time.time())
    await first.create_workshop(ws)
    ops = [op(f"a{i}", "label", str(i), i) for i in range(1, 51)]
    for i in range(0, 50, 10):
        await first.apply([Batch(ws.group_board(1), ops[i : i + 10])])
    secret = await first.shared_secret(lambda: "a-secret-made-once-0000")
    await first.close()
    second = await make_durable_store()
    loaded = await second.load(ws.group_board(1), 0)
    assert loaded.seq == 50
    assert Document(loaded.ops) == Document(ops)
    assert (await second.load(ws.group_board(1), 45)).ops == ops[45:]
    [r] = await second.apply([Batch(ws.group_board(1), [op("z", "label", "after", 99)])])
    assert r.seq == 51
    assert await second.get_workshop(ws.id) == ws
    assert await second.shared_secret(lambda: "another") == secret


async def test_workshops(store: Store) -> None:
    ws = Workshop.create("Polarisatie", 2, now=time.time())
    await store.create_workshop(ws)
    assert await store.get_workshop(ws.id) == ws
    assert await store.get_workshop("nope") is None
    assert await store.find_join_code(ws.join_code) == ws.id
    assert await store.find_join_code("ZZZZZZ") is None
    copy = await store.get_workshop(ws.id)
    assert copy is not None
    copy.title = "changed only here"
    assert (await store.get_workshop(ws.id)) == ws
    p = await store.update_workshop(ws.id, lambda w: w.join("Ann", now=1.0))
    got = await store.get_workshop(ws.id)
    assert got is not None and got.participants[p.id].name == "Ann"
    with pytest.raises(NotFound):
        await store.update_workshop("nope", lambda w: w.join("x", now=1.0))
    with pytest.raises(Conflict):
        await store.create_workshop(ws)


async def test_concurrent_changes_are_not_lost(store: Store) -> None:
    ws = Workshop.create("Busy", 3, now=time.time())
    await store.create_workshop(ws)
    joined = await asyncio.gather(
        *(store.update_workshop(ws.id, lambda w, i=i: w.join(f"p{i}", now=1.0)) for i in range(12))
    )
    got = await store.get_workshop(ws.id)
    assert got is not None
    assert len(got.participants) == 12
    assert sorted(len(got.members(g)) for g in (1, 2, 3)) == [4, 4, 4]
    assert {p.id for p in joined} == set(got.participants)


async def test_delete_workshop_erases_its_boards(store: Store) -> None:
    ws = Workshop.create("Gone", 2, now=time.time())
    await store.create_workshop(ws)
    await store.apply([Batch(b, [op("a1", "label", "x", 1)]) for b in ws.boards()])
    await store.delete_workshop(ws.id)
    assert await store.get_workshop(ws.id) is None
    assert await store.find_join_code(ws.join_code) is None
    for b in ws.boards():
        assert (await store.load(b, 0)).ops == []
    await store.delete_workshop(ws.id)  # twice is fine


async def test_workshops_expire(make_store: StoreFactory) -> None:
    store = await make_store(retention_s=0.2)
    ws = Workshop.create("Short", 1, now=time.time())
    await store.create_workshop(ws)
    assert await store.get_workshop(ws.id) is not None
    deadline = time.monotonic() + 10
    while await store.get_workshop(ws.id) is not None:
        assert time.monotonic() < deadline, "the workshop did not expire"
        await asyncio.sleep(0.05)
    await store.expire()
    assert await store.find_join_code(ws.join_code) is None


async def test_ping_and_secret(store: Store) -> None:
    await store.ping()
    first = await store.shared_secret(lambda: "made-first-0000000000")
    assert await store.shared_secret(lambda: "made-second-000000000") == first


async def test_history_is_kept_in_order_and_erased_with_the_workshop(store: Store) -> None:
    ws = Workshop.create("Over time", 1, now=time.time())
    await store.create_workshop(ws)
    assert await store.history(ws.id) == []
    entries = [f"part {i}".encode() for i in range(3)]
    for entry in entries:
        await store.add_history(ws.id, entry)
    assert await store.history(ws.id) == entries
    with pytest.raises(NotFound):
        await store.add_history("nope", b"x")
    assert await store.history("nope") == []
    await store.delete_workshop(ws.id)
    assert await store.history(ws.id) == []


async def test_history_survives_a_restart(make_durable_store: StoreFactory) -> None:
    first = await make_durable_store()
    ws = Workshop.create("Kept", 1, now=time.time())
    await first.create_workshop(ws)
    await first.add_history(ws.id, b"round 1")
    await first.close()
    second = await make_durable_store()
    assert await second.history(ws.id) == [b"round 1"]
