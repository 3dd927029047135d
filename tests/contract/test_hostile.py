"""Whatever a client sends, every board stays writable by honest clients and every
replica converges (a property test over hostile batches).

A hostile client sends anything that is a frame: ops with any counter up to the largest
the schema allows, any id (including the honest clients' objects), any type, field and
value, valid or not. What the hub's validation (``decode_client``) lets through goes to
the store as the hub would send it, with the highest counter that connection has seen.
Honest clients interleave edits that follow the Lamport rule. Every honest batch must be
stored; and a replica that applies the stored ops, in any order and twice, must hold
exactly the board's state.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schakel.stores.base import Batch
from schakel.stores.embedded import EmbeddedStore
from schakel_core import codec
from schakel_core.document import Document
from schakel_core.errors import RequestError
from schakel_core.messages import Ops, decode_client
from schakel_core.ops import Op
from schakel_core.schema import MAX_COUNTER, ROLE_FIELDS, TYPES

BOARD = "w0000001:g1"
HONEST = ("ann", "bo")
EVIL = "evil"
HONEST_IDS = [f"{c}-{k}" for c in HONEST for k in range(3)]

counters = st.one_of(
    st.integers(0, 50),
    st.integers(0, MAX_COUNTER),
    st.sampled_from([MAX_COUNTER, MAX_COUNTER - 1, 2**52, 10**6, 10**6 + 1]),
    st.integers(-5, -1),
    st.floats(allow_nan=True),
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(-5, 5) | st.floats(-1e6, 1e6), max_size=12),
    st.sampled_from(["pusher", "#a0b1c2", "red", "pole_a", "+", "a1\n", *HONEST_IDS]),
)
fields = st.sampled_from(sorted({f for t in TYPES.values() for f in t} | {"roles", "size"}))
wire_ops = st.lists(
    st.tuples(
        st.sampled_from([*HONEST_IDS, "x1", "x2", "meta", "a1\n", ""]),
        st.sampled_from([*TYPES, "planet"]),
        fields,
        values,
        counters,
    ).map(lambda t: [*t, EVIL]),
    min_size=1,
    max_size=6,
)
honest_fields = st.sampled_from(["label", "stance", "pos", "deleted", *ROLE_FIELDS[:3]])
honest_edit = st.tuples(
    st.sampled_from(HONEST), st.integers(0, 2), honest_fields, st.randoms(use_true_random=False)
)
steps = st.lists(
    st.one_of(wire_ops.map(lambda o: ("evil", o)), honest_edit.map(lambda e: ("honest", e))),
    max_size=25,
)


def _pick(field: str, rnd: random.Random) -> Any:
    match field:
        case "label":
            return rnd.choice(["Imam", "Wijkagent", "", "Buurtvader"])
        case "stance":
            return rnd.choice(["pole_a", "pole_b", "middle"])
        case "pos":
            return [rnd.randint(-100, 100), rnd.randint(-100, 100)]
        case _:
            return rnd.random() < 0.5


def checked(frame: bytes) -> Ops | RequestError:
    try:
        msg = decode_client(frame)
    except RequestError as exc:
        return exc
    assert isinstance(msg, Ops)
    return msg


async def play(script: list[tuple[str, Any]]) -> None:
    store = EmbeddedStore(None)
    await store.start()
    try:
        seen: dict[str, int] = dict.fromkeys((*HONEST, EVIL), 0)  # what each connection saw
        stored: list[tuple[int, Op]] = []
        for who, step in script:
            if who == "evil":
                client, raw = EVIL, step
            else:
                client, k, field, rnd = step
                seen[client] += 1  # the Lamport rule: above everything seen
                raw = [[f"{client}-{k}", "actor", field, _pick(field, rnd), seen[client], client]]
            frame = codec.pack({"t": "ops", "board": BOARD, "ref": 1, "ops": raw})
            msg = checked(frame)  # what the hub checks before the store sees it
            if not isinstance(msg, Ops):
                assert who == "evil", f"an honest edit was refused: {msg!r}"
                continue
            batch = Batch(BOARD, msg.ops, seen[client] - (who == "honest"))
            [r] = await store.apply([batch])
            if who == "honest":
                assert r.error is None, f"an honest edit was refused: {r.error!r}"
            if r.error is None:
                top = max(o.counter for o in batch.ops)
                seen[client] = max(seen[client], top)
                first = r.seq - len(r.stored) + 1
                stored += [(first + i, o) for i, o in enumerate(r.stored)]
                for c in seen:  # every subscriber is sent what was stored
                    seen[c] = max([seen[c]] + [o.counter for o in r.stored])
        # Every replica converges: the stored ops, in any order and twice, give the state.
        state = Document((await store.load(BOARD, 0)).ops)
        ops = [o for _, o in stored] * 2
        random.Random(len(ops)).shuffle(ops)
        replica = Document()
        for o in ops:
            replica.apply(o)
        assert replica == state
        assert [s for s, _ in stored] == list(range(1, len(stored) + 1))
    finally:
        await store.close()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps)
@example(  # the board once froze: one op at the largest counter, then nobody could write
    [
        ("evil", [["x1", "actor", "label", "frozen", MAX_COUNTER, EVIL]]),
        ("honest", ("ann", 0, "label", random.Random(0))),
    ]
)
@example(  # an honest object's id taken with another type first: its later writes fail
    [
        ("honest", ("bo", 1, "label", random.Random(1))),
        ("evil", [["bo-1", "note", "text", "mine now", 10**6, EVIL]]),
        ("honest", ("bo", 1, "stance", random.Random(2))),
    ]
)
def test_hostile_batches_leave_every_board_writable_and_replicas_converge(
    script: list[tuple[str, Any]],
) -> None:
    asyncio.run(play(script))
