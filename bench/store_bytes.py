"""What carrying ops as bytes through the stores saves: ops/s of the store paths an op takes.

    python -m bench.store_bytes [--ticks 300] [--boards 50] [--ops 2]

For each store (embedded in memory, embedded on disk, Redis on a ``redis-server`` of its
own in a temporary folder, AOF off so that the figures are CPU, not the disk) it times,
on one event loop, what the hub does with every op:

- **apply**: a tick of ``boards`` batches of ``ops`` ops each goes to ``store.apply``, and
  the hub builds one ``update`` frame per board from the result (the fan-out's encoding);
- **resume**: a subscriber ``since`` 200 ops back gets its ``sync`` frames;
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
from schakel_core import codec
from schakel_core.messages import encode_update_map, sync_frames
from schakel_core.ops import Op
from tests.support.redis_server import RedisServer

NEW_API = "packed" in getattr(Batch, "__slots__", ())


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
        return codec.pack_map(
            {"t": "update", "board": board, "seq": result.seq}, {"ops": codec.pack_array(packed)}
        )
    return codec.pack(encode_update_map(board, result.seq, [op.to_wire() for op in result.stored]))


async def time_apply(store: Any, ticks: int, boards: int, n: int) -> float:
    """ops/s of apply + the fan-out's encoding, ``boards`` batches per tick."""
    # (the arrived bytes are made outside the timing: the client made them)
    plan = [[batch(board_id(b), make_ops(t, b, n)) for b in range(boards)] for t in range(ticks)]
    began = time.perf_counter()
    for tick in plan:
        for r in await store.apply(tick):
            update_frame(r.board, r)
    return ticks * boards * n / (time.perf_counter() - began)


async def time_resume(store: Any, back: int = 200, rounds: int = 200) -> float:
    """ops/s of a resume ``back`` ops behind, as sync frames."""
    board = board_id(0)
    head = (await store.load(board, 0)).seq
    began = time.perf_counter()
    for _ in range(rounds):
        loaded = await store.load(board, head - back)
        assert not loaded.full
        for _frame in sync_frames(board, loaded.seq, False, loaded.packed(), None):
            pass
    return rounds * back / (time.perf_counter() - began)


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
            codec.pack_map(
                {"t": "update", "board": board, "seq": seq}, {"ops": codec.pack_array(packed)}
            )
            got[0] += len(packed)
        else:
            codec.pack(encode_update_map(board, seq, [op.to_wire() for op in ops]))
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
        base = (await reader.load(board_id(0), 0)).seq
        plan = [
            [batch(board_id(b), make_ops(base + t + 1, b, n)) for b in range(boards)]
            for t in range(ticks)
        ]
        began = time.perf_counter()
        for tick in plan:
            await writer.apply(tick)
        await done.wait()
        return want / (time.perf_counter() - began)
    finally:
        await writer.close()
        await reader.close()


@contextlib.asynccontextmanager
async def stores(kind: str, folder: Path) -> AsyncIterator[tuple[Any, str]]:
    if kind == "redis":
        server = RedisServer(folder / "redis").start()
        try:
            store = RedisStore(server.url)
            await store.start()
            try:
                yield store, server.url
            finally:
                await store.close()
        finally:
            server.stop()
        return
    embedded = EmbeddedStore(folder if kind == "embedded-file" else None)
    await embedded.start()
    try:
        yield embedded, ""
    finally:
        await embedded.close()


async def run(args: argparse.Namespace) -> None:
    print(f"store paths, {'bytes carried (new)' if NEW_API else 'ops re-packed (old)'} tree")
    print(f"{'store':<16}{'apply ops/s':>14}{'resume ops/s':>15}{'feed ops/s':>13}")
    for kind in ("embedded-memory", "embedded-file", "redis"):
        with tempfile.TemporaryDirectory(prefix="schakel-bench-") as tmp:
            async with stores(kind, Path(tmp)) as (store, url):
                best: Callable[[list[float]], float] = max
                apply = best(
                    [await time_apply(store, args.ticks, args.boards, args.ops) for _ in range(3)]
                )
                resume = best([await time_resume(store) for _ in range(3)])
                feed = (
                    best([await time_feed(url, args.ticks // 3, args.boards, args.ops)])
                    if url
                    else None
                )
        print(
            f"{kind:<16}{apply:>14,.0f}{resume:>15,.0f}{'' if feed is None else f'{feed:,.0f}':>13}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--boards", type=int, default=50)
    parser.add_argument("--ops", type=int, default=2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
