"""What an acknowledgement means on Redis, per persistence setting, and with WAIT.

An op is acknowledged once the merge script returned. Whether it outlives Redis depends
on Redis's own persistence (docs/redis.md, Durability); these tests kill Redis (SIGKILL)
after the acknowledgements and count what a restarted Redis still has. With
``wait_replicas`` the hub acknowledges only once a replica has the ops too (``WAIT``);
a replica that does not answer in time makes the batch ``store_unavailable`` (retried),
and its cost is printed.
"""

from __future__ import annotations

import os
import signal
import statistics
import time
from pathlib import Path

import pytest

from schakel.stores.base import Batch
from schakel.stores.redis import RedisStore
from schakel_core.document import Document
from schakel_core.errors import StoreUnavailable
from schakel_core.ops import Op
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis

BOARD = "w0000001:g1"
N = 60

SETTINGS = {
    "appendfsync always": {"appendonly": True, "appendfsync": "always"},
    "appendfsync everysec": {"appendonly": True, "appendfsync": "everysec"},
    "no persistence": {"appendonly": False},
}
# What survives Redis being killed (a process crash; for a power loss, see docs/redis.md).
SURVIVES = {"appendfsync always": N, "appendfsync everysec": N, "no persistence": 0}


def op(k: int) -> Op:
    return Op(f"a{k}", "actor", "label", f"acknowledged {k}", k, "c1")


@pytest.mark.parametrize("setting", list(SETTINGS))
async def test_what_an_ack_means_per_persistence_setting(tmp_path: Path, setting: str) -> None:
    server = RedisServer(tmp_path / "redis", **SETTINGS[setting]).start()  # type: ignore[arg-type]
    try:
        store = RedisStore(server.url)
        await store.start()
        for k in range(1, N + 1):
            [r] = await store.apply([Batch(BOARD, [op(k)])])
            assert r.error is None and r.seq == k  # acknowledged
        await store.close()
        server.kill()
        server.start()
        again = RedisStore(server.url)
        await again.start()
        kept = Document((await again.load(BOARD, 0)).ops)
        await again.close()
    finally:
        server.stop()
    present = sum(1 for k in range(1, N + 1) if kept.get(f"a{k}") is not None)
    print(f"\n{setting}: {present} of {N} acknowledged ops after Redis was killed")
    assert present == SURVIVES[setting]


def replica_of(primary: RedisServer, path: Path) -> RedisServer:
    replica = RedisServer(path, extra=["--replicaof", "127.0.0.1", str(primary.port)]).start()
    deadline = time.monotonic() + 20
    with replica.client() as r:
        while r.info("replication").get("master_link_status") != "up":
            assert time.monotonic() < deadline, "the replica did not connect"
            time.sleep(0.02)
    return replica


async def ack_ms(store: RedisStore, first: int, n: int) -> list[float]:
    out = []
    for k in range(first, first + n):
        started = time.perf_counter()
        [r] = await store.apply([Batch(BOARD, [op(k)])])
        out.append((time.perf_counter() - started) * 1000)
        assert r.error is None
    return out


async def test_wait_acknowledges_once_a_replica_has_the_ops(tmp_path: Path) -> None:
    primary = RedisServer(tmp_path / "primary", appendonly=True, appendfsync="always").start()
    replica = replica_of(primary, tmp_path / "replica")
    try:
        plain = RedisStore(primary.url)
        waiting = RedisStore(primary.url, wait_replicas=1, wait_timeout_ms=300)
        await plain.start()
        await waiting.start()
        without = await ack_ms(plain, 1, 100)
        with_wait = await ack_ms(waiting, 101, 100)
        # Every acknowledged op is on the replica the moment it is acknowledged.
        with replica.client() as r:
            assert r.hget("schakel:{b:" + BOARD + "}:state", "a200\0label") is not None
        print(
            f"\nack latency, median: {statistics.median(without):.2f} ms without WAIT, "
            f"{statistics.median(with_wait):.2f} ms with WAIT for 1 replica"
        )
        # A replica that does not answer: not acknowledged (the client sends it again).
        assert replica.proc is not None
        os.kill(replica.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(StoreUnavailable):
                await waiting.apply([Batch(BOARD, [op(300)])])
        finally:
            os.kill(replica.proc.pid, signal.SIGCONT)
        # Sent again once it answers: stored once (it was on the primary), acknowledged.
        [r] = await waiting.apply([Batch(BOARD, [op(300)])])
        assert (r.error, r.stored) == (None, [])
        with replica.client() as rc:
            assert rc.hget("schakel:{b:" + BOARD + "}:state", "a300\0label") is not None
        await plain.close()
        await waiting.close()
    finally:
        replica.stop()
        primary.stop()


async def test_wait_is_refused_on_a_cluster_where_it_cannot_hold(tmp_path: Path) -> None:
    from tests.support.redis_server import RedisCluster

    cluster = RedisCluster(tmp_path / "cluster").start()
    try:
        store = RedisStore(cluster.url, wait_replicas=1)
        with pytest.raises(ValueError, match="WAIT"):
            await store.start()
    finally:
        cluster.stop()
