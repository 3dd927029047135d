"""The Redis Lua merge against the golden merge vectors (shared/vectors/index.json), the
same cases the Python core and the TypeScript client are held to.

Each case's ops go to a fresh board one batch per op, in many orders (every order for
short cases, a sample for long ones), all in one pipeline; Redis must end with the
case's registers (value and clock per field, the object's type) and visible objects,
or refuse the op the case names with its error code.

A ``roles`` op is never sent (clients may not: ``invalid_op``); it is data stored before
each role had its own register. So it is written into the board's keys as such a board
holds it, and the merge that comes first migrates it (PROTOCOL.md, The board model).
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from schakel.stores.base import Batch
from schakel.stores.redis_layout import board_keys
from schakel_core import codec
from schakel_core.document import Document
from schakel_core.ops import Op
from schakel_core.schema import LEGACY_ROLES_FIELD
from tests.support.redis_server import RedisServer

from .conftest import MakeStore

pytestmark = pytest.mark.redis

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "vectors"
CASES = json.loads((VECTORS / "index.json").read_text())["merge"]
ORDERS = 24  # per case at most


def orders(ops: list[Op], seed: int) -> list[list[Op]]:
    every = itertools.permutations(ops)
    if len(ops) <= 4:
        return [list(o) for o in every]
    rnd = random.Random(seed)
    return [list(ops), list(reversed(ops))] + [rnd.sample(ops, len(ops)) for _ in range(ORDERS)]


def state_of(ops: list[Op]) -> dict[str, Any]:
    """The registers as the vectors write them: {id: {type, fields: {f: [v, c, client]}}}."""
    out: dict[str, Any] = {}
    for op in ops:
        obj = out.setdefault(op.id, {"type": op.type, "fields": {}})
        obj["fields"][op.field] = [op.value, op.counter, op.client]
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
async def test_lua_merge_matches_the_vectors(
    make: MakeStore, redis_srv: RedisServer, case: dict[str, Any]
) -> None:
    store = await make()
    every = [Op(*o) for o in case["ops"]]
    legacy = [op for op in every if op.field == LEGACY_ROLES_FIELD]
    ops = [op for op in every if op.field != LEGACY_ROLES_FIELD]
    for n, order in enumerate(orders(ops, seed=len(case["name"]))):
        board = f"vec{n}:g1"
        state, types = board_keys(board)[:2]
        with redis_srv.client() as r:
            for op in legacy:  # a board stored before roles had a register each
                r.hset(state, f"{op.id}\0{op.field}", codec.pack(op.to_wire()))
                r.hset(types, op.id, op.type)
        results = await store.apply([Batch(board, [op]) for op in order])
        errors = [r.error.code for r in results if r.error is not None]
        if "error" in case:
            # The Python test stops at the refused op; here the other ops go on: the
            # case's error must be the only answer besides stores and no-ops.
            assert errors and set(errors) == {case["error"]}, (order, errors)
            continue
        assert errors == [], (order, errors)
        loaded = await store.load(board, 0)
        assert loaded.full
        assert state_of(loaded.ops) == case["state"], order
        assert Document(loaded.ops).visible() == case["visible"], order
        assert loaded.seq == sum(len(r.stored) for r in results)
