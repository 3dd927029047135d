"""The Store contract: what every store (embedded, Redis) must do, tested the same way."""

from __future__ import annotations

import asyncio
import time

import pytest

from schakel.stores.base import Batch, BoardLimits, Store
from schakel_core.document import Document
from schakel_core.errors import Conflict, InvalidOp, NotFound, TooLarge
from schakel_core.ops import Op
from schakel_core.schema import MAX_COUNTER, MAX_COUNTER_JUMP
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


# ------------------------------------------------------------ what a board may hold


async def test_a_board_over_its_limits_refuses_the_batch_and_no_other(
    make_store: StoreFactory,
) -> None:
    limits = BoardLimits(objects=3, state_bytes=2000, object_bytes=700)
    store = await make_store(limits=limits)
    await store.apply([Batch(B1, [op("a1", "label", "x", 1), op("a2", "label", "y", 2)])])
    results = await store.apply(
        [
            Batch(B1, [op("a3", "label", "z", 3), op("a4", "label", "one too many", 4)]),
            Batch(B2, [op("a1", "label", "another board is unharmed", 5)]),
            Batch(B1, [op("i1", "points", [0.5] * 90, 6, typ="ink")]),  # > 700 bytes
            Batch(B1, [op("a3", "label", "fits", 7)]),
        ]
    )
    assert isinstance(results[0].error, TooLarge)
    assert "maxBoardObjects" in results[0].error.reason and "3" in results[0].error.reason
    assert (results[1].error, results[1].seq) == (None, 1)
    assert isinstance(results[2].error, TooLarge)
    assert "maxObjectBytes" in results[2].error.reason
    assert (results[3].error, results[3].seq) == (None, 3)
    assert set(Document((await store.load(B1, 0)).ops).visible()) == {"a1", "a2", "a3"}
    # Bytes of the whole board: three objects of ~600 bytes fit in 2000, a bigger fourth
    # value does not; making a value smaller always does.
    big = [op(f"a{i}", "note", "n" * 560, 10 + i) for i in (1, 2, 3)]
    [r] = await store.apply([Batch(B1, big)])
    assert r.error is None
    [r] = await store.apply([Batch(B1, [op("a1", "note", "n" * 800, 20)])])
    assert isinstance(r.error, TooLarge) and "maxBoardBytes" in r.error.reason
    [r] = await store.apply([Batch(B1, [op("a1", "note", "short", 21)])])
    assert r.error is None and len(r.stored) == 1


async def test_a_counter_that_jumps_too_far_is_refused(store: Store) -> None:
    await store.apply([Batch(B1, [op("a1", "label", "x", 5)])])
    [r] = await store.apply([Batch(B1, [op("a1", "label", "y", MAX_COUNTER)], seen=0)])
    assert isinstance(r.error, InvalidOp) and "above the highest counter" in r.error.reason
    assert r.stored == []
    # Within the bound of the board, or of what the writer has seen elsewhere: fine.
    [r] = await store.apply([Batch(B1, [op("a1", "label", "y", 5 + MAX_COUNTER_JUMP)], seen=0)])
    assert r.error is None
    far = 9 * MAX_COUNTER_JUMP
    [r] = await store.apply([Batch(B2, [op("a1", "label", "y", far)], seen=far - 10)])
    assert r.error is None
    # Honest writers still write after a refused jump: the board is not frozen.
    [r] = await store.apply([Batch(B1, [op("a1", "label", "z", 6 + MAX_COUNTER_JUMP)], seen=0)])
    assert (r.error, len(r.stored)) == (None, 1)


async def test_a_clock_reused_after_it_lost_its_register_changes_nothing(store: Store) -> None:
    """The rule (PROTOCOL.md, The merge rule): a clock reused for another value is
    refused while the register holds it; once a higher clock won the register, such an
    op just loses, is not stored and reaches no replica."""
    await store.apply([Batch(B1, [op("a1", "label", "first", 1)])])
    [r] = await store.apply([Batch(B1, [op("a1", "label", "other", 1)])])
    assert isinstance(r.error, Conflict)
    await store.apply([Batch(B1, [op("a1", "label", "newer", 2, "c2")])])
    [r] = await store.apply([Batch(B1, [op("a1", "label", "other", 1)])])
    assert (r.error, r.stored, r.seq) == (None, [], 2)
    assert Document((await store.load(B1, 0)).ops).get("a1") == {"label": "newer"}


async def test_the_log_is_bounded_by_bytes_too(make_store: StoreFactory) -> None:
    store = await make_store(log_keep_bytes=20_000)
    strokes = [op("i1", "points", [c + 0.5] * 600, c, typ="ink") for c in range(1, 21)]
    for s in strokes:  # each ~5.4 kB: the log keeps the last three or four
        await store.apply([Batch(B1, [s])])
    assert (await store.load(B1, 18)).ops == strokes[18:]
    old = await store.load(B1, 5)
    assert (old.seq, old.full) == (20, True)
    assert Document(old.ops).get("i1") == {"points": strokes[-1].value}


async def test_a_deleted_workshop_takes_no_batch_still_in_flight(store: Store) -> None:
    ws = Workshop.create("Gone for good", 2, now=time.time())
    await store.create_workshop(ws)
    board = ws.group_board(1)
    await store.apply([Batch(board, [op("a1", "label", "secret", 1)])])
    await store.delete_workshop(ws.id)
    late = await store.apply(
        [Batch(board, [op("a2", "label", "in flight", 2)]), Batch(B1, [op("b", "label", "x", 1)])]
    )
    assert isinstance(late[0].error, NotFound)
    assert late[1].error is None  # other workshops go on
    loaded = await store.load(board, 0)
    assert (loaded.seq, loaded.ops) == (0, [])


async def test_count_live_workshops(make_store: StoreFactory) -> None:
    """What the cap on live workshops counts: created, not deleted, not expired."""
    store = await make_store(retention_s=3600)
    base = await store.count_workshops()  # (a shared cluster may hold other tests')
    made = [Workshop.create(f"W{i}", 1, now=time.time()) for i in range(3)]
    for ws in made:
        await store.create_workshop(ws)
    assert await store.count_workshops() == base + 3
    await store.delete_workshop(made[0].id)
    assert await store.count_workshops() == base + 2
    old = Workshop.create("Old", 1, now=time.time() - 7200)  # past its retention
    await store.create_workshop(old)
    assert await store.count_workshops() == base + 2
