"""Bytes stay bytes: an op's msgpack bytes, as they arrived at the hub, are what the
store keeps, logs, loads and feeds, over every store. The bytes here are valid msgpack of
the op but not as the hub's own packer writes it (a counter as uint32, a float as
float32, a string as str8), so that any re-packing on the way shows."""

from __future__ import annotations

import asyncio
import struct
import time

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schakel.stores.base import Batch, Store
from schakel.stores.embedded import EmbeddedStore
from schakel_core import codec
from schakel_core.document import Document
from schakel_core.ops import Op
from schakel_core.workshop import Workshop
from tests.unit.strategies import op_lists

from .conftest import StoreFactory
from .test_feeds import Heard

B1 = "w0000001:g1"


def odd_bytes(op: Op) -> bytes:
    """``op`` as valid msgpack that differs from ``codec.pack(op.to_wire())``."""

    def s8(text: str) -> bytes:  # str8 even for a short string
        raw = text.encode()
        return b"\xd9" + bytes([len(raw)]) + raw

    if isinstance(op.value, float):
        value = b"\xca" + struct.pack(">f", op.value)  # float32: exact for these values
    else:
        value = msgpack.packb(op.value, use_bin_type=True)
    counter = b"\xce" + op.counter.to_bytes(4, "big")  # uint32 even for a small counter
    return b"\x96" + s8(op.id) + s8(op.type) + s8(op.field) + value + counter + s8(op.client)


def ops_of(n: int, first: int = 1) -> list[Op]:
    return [
        Op(
            f"a{i % 3}",
            "actor",
            "influence" if i % 2 else "label",
            0.5 * (i % 6) if i % 2 else f"label {i}",
            i,
            "c1",
        )
        for i in range(first, first + n)
    ]


def test_odd_bytes_decode_to_the_op_but_are_not_the_hubs_packing() -> None:
    for op in ops_of(6):
        raw = odd_bytes(op)
        assert Op(*codec.unpack_value(raw)) == op
        assert raw != codec.pack(op.to_wire())


async def test_the_bytes_that_arrived_are_stored_loaded_and_returned(store: Store) -> None:
    ops = ops_of(8)
    packed = [odd_bytes(o) for o in ops]
    [r] = await store.apply([Batch(B1, ops[:4], packed=packed[:4])])
    assert (r.seq, r.stored, r.packed) == (4, ops[:4], packed[:4])
    # a batch where some ops lose: the winners' bytes, in order
    loser = Op("a1", "actor", "influence", 0.0, 0, "c0")
    [r] = await store.apply([Batch(B1, [loser, *ops[4:]], packed=[odd_bytes(loser), *packed[4:]])])
    assert (r.seq, r.stored, r.packed) == (8, ops[4:], packed[4:])
    resumed = await store.load(B1, 2)
    assert list(resumed.packed()) == packed[2:]
    assert resumed.ops == ops[2:]
    full = await store.load(B1, 0)  # the registers: the winners
    winners = set(Document(ops).ops())
    assert set(full.ops) == winners
    assert sorted(full.packed()) == sorted(
        raw for o, raw in zip(ops, packed, strict=True) if o in winners
    )


async def test_without_bytes_the_store_packs_the_ops(store: Store) -> None:
    ops = ops_of(3)
    [r] = await store.apply([Batch(B1, ops)])
    assert r.packed == [codec.pack(o.to_wire()) for o in ops]


def test_a_batch_whose_bytes_do_not_match_its_ops_is_refused() -> None:
    with pytest.raises(ValueError, match="2 ops but 1 packed"):
        Batch(B1, ops_of(2), packed=[b"\x90"])


async def test_other_hubs_are_fed_the_bytes_that_arrived(
    make_shared_store: StoreFactory,
) -> None:
    a, b = await make_shared_store(), await make_shared_store()
    heard = Heard(b)
    b.watch(B1)
    await b.load(B1, 0)
    ops = ops_of(6)
    packed = [odd_bytes(o) for o in ops]
    await a.apply([Batch(B1, ops[:3], packed=packed[:3])])
    await a.apply([Batch(B1, ops[3:], packed=packed[3:])])
    await heard.until(lambda: heard.seq == 6)
    assert [raw for _, _, part in heard.updates for raw in part] == packed


async def test_the_bytes_that_arrived_outlive_a_restart_and_a_snapshot(
    make_durable_store: StoreFactory,
) -> None:
    first = await make_durable_store(log_keep=4)
    ws = Workshop.create("Kept as sent", 1, now=time.time())  # (boards of no workshop
    await first.create_workshop(ws)  # are swept at start)
    board = ws.group_board(1)
    ops = ops_of(30)
    packed = [odd_bytes(o) for o in ops]
    for i in range(0, 30, 3):  # past 2 * log_keep ops: the embedded store snapshots
        await first.apply([Batch(board, ops[i : i + 3], packed=packed[i : i + 3])])
    await first.close()
    second = await make_durable_store(log_keep=4)
    winners = set(Document(ops).ops())
    full = await second.load(board, 0)
    assert sorted(full.packed()) == sorted(
        raw for o, raw in zip(ops, packed, strict=True) if o in winners
    )
    assert list((await second.load(board, 27)).packed()) == packed[27:]
    # and what is merged next is weighed and stored alike
    more = ops_of(3, first=31)
    [r] = await second.apply([Batch(board, more, packed=[odd_bytes(o) for o in more])])
    assert r.seq == 33 and r.packed == [odd_bytes(o) for o in more]


def clock_key(op: Op) -> tuple[str, str, int, str]:
    return (op.id, op.field, op.counter, op.client)


async def carry(batches: list[list[tuple[Op, bool]]]) -> None:
    store = EmbeddedStore(None)
    await store.start()
    try:
        sent: dict[tuple[str, str, int, str], bytes] = {}
        numbered: list[bytes] = []
        stored: list[Op] = []
        for batch in batches:
            ops = [o for o, _ in batch]
            packed = [odd_bytes(o) if odd else codec.pack(o.to_wire()) for o, odd in batch]
            sent.update((clock_key(o), raw) for o, raw in zip(ops, packed, strict=True))
            [r] = await store.apply([Batch(B1, ops, packed=packed)])
            assert r.error is None
            assert r.packed == [sent[clock_key(o)] for o in r.stored]
            numbered += r.packed
            stored += r.stored
        assert list((await store.load(B1, 1)).packed()) == numbered[1:] or not numbered
        full = await store.load(B1, 0)
        winners = Document(stored).ops()
        assert sorted(full.packed()) == sorted(sent[clock_key(o)] for o in winners)
    finally:
        await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 9), min_size=1, max_size=6, unique=True).flatmap(
        lambda tags: st.tuples(
            *(
                op_lists(max_size=6, tag=t).flatmap(
                    lambda ops: st.lists(st.booleans(), min_size=len(ops), max_size=len(ops)).map(
                        lambda odd, ops=ops: list(zip(ops, odd, strict=True))
                    )
                )
                for t in tags
            )
        )
    )
)
def test_any_ops_in_any_encoding_come_back_as_they_arrived(
    batches: tuple[list[tuple[Op, bool]], ...],
) -> None:
    """Whatever the ops and however each was encoded: what is stored, resumed and
    loaded whole is the bytes that arrived (the embedded store, in memory)."""
    asyncio.run(carry([b for b in batches if b]))
