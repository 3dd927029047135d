"""What carrying ops as bytes through the stores saves: ops/s of the store paths an op takes.

    python -m bench.store_bytes [--ticks 300] [--boards 50] [--ops 2]

For each store (embedded in memory, embedded on disk, Redis on a ``redis-server`` of its
own in a temporary folder, AOF off so that the figures are CPU, not the disk) it runs,
on one event loop, what the hub does with every op, and prints ops per CPU second (this
process's CPU, its SQLite thread's included, plus Redis's own: a busy machine slows the
wall clock, not this), the best of ``--rounds``:

- **apply**: a tick of ``boards`` batches of ``ops`` ops each goes to ``store.apply``, and
  the hub builds one ``update`` frame per board from the result (the fan-out's encoding);
- **resume**: a subscriber ``since`` 200 ops back gets its ``sync`` frames;
- **full**: a late joiner of a board of 3,000 objects (9,000 registers) gets its ``sync``
  frames (counted in registers);
- **feed** (Redis): a second store watching every board is fed the first store's ops, and
  builds the ``update`` frame of each.

The same script runs on the tree before this change (``Batch`` without ``packed``,
``Applied`` without ``packed``): what each path uses is what the tree offers, so running it
on the old and the new tree gives the before and after figures (docs/benchmarks.md). It
prints figures; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from schakel.stores.base import Applied, Batch
from schakel.stores.embedded import EmbeddedStore
from schakel.stores.redis import RedisStore
from schakel_core import codec, messages
from schakel_core.messages import sync_frames
from schakel_core.ops import Op
from tests.support.redis_server import RedisServer

NEW_API = "packed" in getattr(Batch, "__slots__", ())
REDIS_CPU: list[Callable[[], float]] = []  # Redis's CPU seconds so far, when it runs
_REDIS_CPU_KEYS = ("used_cpu_sys", "used_cpu_user")
TICKS = [1]  # the next tick's number (it makes the ops' counters)


def cpu() -> float:
    """CPU seconds of this process (its SQLite thread's too) and of the Redis server."""
    return time.process_time() + sum(f() for f in REDIS_CPU)


def board_id(i: int) -> str:
    return f"wbench{i:03d}:g1"


def make_ops(tick: int, board: int, n: int) -> list[Op]:
    """A drag: the ``pos`` of one actor, and its label now and then (as tablets send)."""
    out = []
    for k in range(n):
        counter = tick * n + k + 1
        field, value = (
            ("pos", [float(tick % 500), float(board)])
            if k % 2 == 0
            else (
                "label",
                f"actor {board} moved {tick}",
            )
        )
        out.append(Op(f"a{board}x{k % 3}", "actor", field, value, counter, f"client{board}"))
    return out


def arrived(ops: list[Op]) -> list[bytes]:
    """Each op as the bytes it arrived in (the hub's decoder keeps them)."""
    return [codec.pack(op.to_wire()) for op in ops]


def batch(board: str, ops: list[Op]) -> Batch:
    if NEW_API:
        return Batch(board, ops, packed=arrived(ops))
    return Batch(board, ops)


def update_frame(board: str, result: Applied) -> bytes:
    """The ``update`` frame the fan-out sends for one result."""
    packed = getattr(result, "packed", None)
    if packed is not None:
        first = result.seq - len(packed) + 1
        return messages.encode_update(board, first, result.seq, packed)
    return old_update(board, result.seq, result.stored)


def old_update(board: str, seq: int, ops: list[Op]) -> bytes:
    """The fan-out's encoding before the bytes were kept (a tree without ``packed``)."""
    encode_update_map = messages.encode_update_map  # type: ignore[attr-defined]
    return codec.pack(encode_update_map(board, seq, [op.to_wire() for op in ops]))


async def time_apply(store: Any, ticks: int, boards: int, n: int) -> float:
    """ops/s of apply + the fan-out's encoding, ``boards`` batches per tick."""
    # (the arrived bytes are made outside the timing: the client made them)
    first = TICKS[0]  # every round writes new ops (old ones would change nothing)
    TICKS[0] += ticks
    plan = [
        [batch(board_id(b), make_ops(first + t, b, n)) for b in range(boards)] for t in range(ticks)
    ]
    began = cpu()
    for tick in plan:
        for r in await store.apply(tick):
            update_frame(r.board, r)
    return ticks * boards * n / (cpu() - began)


async def time_resume(store: Any, back: int = 200, rounds: int = 200) -> float:
    """ops/s of a resume ``back`` ops behind, as sync frames."""
    board = board_id(0)
    head = (await store.load(board, 0)).seq
    back = min(back, head // 2)  # (a tiny run has fewer ops)
    began = cpu()
    for _ in range(rounds):
        loaded = await store.load(board, head - back)
        assert not loaded.full
        for _frame in sync_frames(board, loaded.seq, False, loaded.packed(), None):
            pass
    return rounds * back / (cpu() - began)


async def fill(store: Any, board: str, objects: int = 3000) -> int:
    """A large board: ``objects`` actors of three registers each; returns registers."""
    ops = [
        Op(f"big{i}", "actor", field, value, 3 * i + k + 1, "filler")
        for i in range(objects)
        for k, (field, value) in enumerate(
            [("label", f"actor number {i}"), ("pos", [float(i), 2.5]), ("influence", i % 6)]
        )
    ]
    for start in range(0, len(ops), 1000):
        await store.apply([batch(board, ops[start : start + 1000])])
    return len(ops)


async def time_full(store: Any, board: str, registers: int, rounds: int = 10) -> float:
    """registers/s of a late joiner's full sync."""
    began = cpu()
    for _ in range(rounds):
        loaded = await store.load(board, 0)
        assert loaded.full
        for _frame in sync_frames(board, loaded.seq, True, loaded.packed(), None):
            pass
    return rounds * registers / (cpu() - began)


async def time_feed(url: str, ticks: int, boards: int, n: int) -> float:
    """ops/s from one Redis store's apply to another's listener, frames built."""
    writer, reader = RedisStore(url), RedisStore(url)
    await writer.start()
    await reader.start()
    got = [0]
    want = ticks * boards * n
    done = asyncio.Event()

    def on_update(board: str, seq: int, ops: Any) -> None:
        packed = getattr(ops, "packed", None)
        if packed is not None:
            messages.encode_update(board, seq - len(packed) + 1, seq, packed)
            got[0] += len(packed)
        else:
            old_update(board, seq, ops)
            got[0] += len(ops)
        if got[0] >= want:
            done.set()

    try:
        reader.listen(on_update, lambda board, frame: None)
        for b in range(boards):
            reader.watch(board_id(b))
            await reader.load(board_id(b), 0)
        while len(reader._confirmed) < boards:  # noqa: ASYNC110 (a store's own state)
            await asyncio.sleep(0.01)
        first = TICKS[0]
        TICKS[0] += ticks
        plan = [
            [batch(board_id(b), make_ops(first + t, b, n)) for b in range(boards)]
            for t in range(ticks)
        ]
        began = cpu()
        for tick in plan:
            await writer.apply(tick)
        await done.wait()
        return want / (cpu() - began)
    finally:
        await writer.close()
        await reader.close()


@contextlib.asynccontextmanager
async def stores(kind: str, folder: Path) -> AsyncIterator[tuple[Any, str]]:
    if kind == "redis":
        server = RedisServer(folder / "redis").start()
        info = server.client()
        REDIS_CPU.append(
            lambda: sum(float(v) for k, v in info.info("cpu").items() if k in _REDIS_CPU_KEYS)
        )
        try:
            store = RedisStore(server.url)
            await store.start()
            try:
                yield store, server.url
            finally:
                await store.close()
        finally:
            REDIS_CPU.clear()
            info.close()
            server.stop()
        return
    embedded = EmbeddedStore(folder if kind == "embedded-file" else None)
    await embedded.start()
    try:
        yield embedded, ""
    finally:
        await embedded.close()


async def run(args: argparse.Namespace) -> None:
    tree = "bytes carried (new)" if NEW_API else "ops re-packed (old)"
    print(f"store paths, {tree} tree: ops per CPU second, best of {args.rounds}")
    print(f"{'store':<16}{'apply':>10}{'resume':>11}{'full':>11}{'feed':>10}")
    for kind in ("embedded-memory", "embedded-file", "redis"):
        rounds = range(args.rounds)
        with tempfile.TemporaryDirectory(prefix="schakel-bench-") as tmp:
            async with stores(kind, Path(tmp)) as (store, url):
                apply = max(
                    [await time_apply(store, args.ticks, args.boards, args.ops) for _ in rounds]
                )
                resume = max([await time_resume(store) for _ in rounds])
                big = "wbenchbig:g1"
                registers = await fill(store, big)
                full = max([await time_full(store, big, registers) for _ in rounds])
                feed = None
                if url:
                    ticks = args.ticks // 3
                    feed = max([await time_feed(url, ticks, args.boards, args.ops) for _ in rounds])
        print(
            f"{kind:<16}{apply:>10,.0f}{resume:>11,.0f}{full:>11,.0f}"
            f"{'' if feed is None else f'{feed:,.0f}':>10}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--boards", type=int, default=50)
    parser.add_argument("--ops", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
