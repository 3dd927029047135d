"""The bounded pool of one hub's Redis connections: a request waits for a free one.

redis-py's own async pools either refuse at their cap (``MaxConnectionsError``, which a
storm of hellos reaches at once) or, on a cluster, have one cap per node and no waiting
at all. So the store puts this gate in front of every Redis call: at most ``size`` calls
hold a connection at a time, across every node; a call beyond that waits, in arrival
order, for one to come free, for at most ``timeout_s``. The redis-py pool under it is
given the same cap, which the gate never lets it reach.

A wait that times out means no connection came free for ``timeout_s`` seconds, while a
command normally takes well under a millisecond: Redis is not answering, which the store
treats as an outage (:class:`PoolTimeout`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

DEFAULT_POOL_SIZE = 32
DEFAULT_POOL_TIMEOUT_S = 5.0


class PoolTimeout(Exception):
    """No Redis connection came free within the pool timeout."""


class ConnectionGate:
    """At most ``size`` leases at once; more wait (first come, first served)."""

    def __init__(self, size: int, timeout_s: float) -> None:
        if size < 1:
            raise ValueError("the Redis pool needs at least one connection")
        self.size = size
        self.timeout_s = timeout_s
        self.waits = 0  # leases that had to wait for a free connection
        self.high_water = 0  # the most leases held at once
        self.in_use = 0
        self._free = asyncio.Semaphore(size)

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[None]:
        """Hold one connection's worth of the pool for the block."""
        if self._free.locked():
            self.waits += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._free.acquire()
        except TimeoutError:
            raise PoolTimeout(
                f"no Redis connection came free within {self.timeout_s:g} s ({self.size} in use)"
            ) from None
        self.in_use += 1
        self.high_water = max(self.high_water, self.in_use)
        try:
            yield
        finally:
            self.in_use -= 1
            self._free.release()
