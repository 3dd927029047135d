"""Serving the app with uvicorn, and stopping it without leaving an op unacknowledged.

uvicorn's own shutdown closes every WebSocket (1012) before the app hears of it, so a
batch the hub stores during shutdown could never be acknowledged. :class:`SchakelServer`
first lets the hub drain (:meth:`schakel.hub.Hub.drain`: no new batches, store what was
taken, send every ack, then close each socket with 1012), and only then shuts uvicorn
down.
"""

from __future__ import annotations

import gc
import logging
import socket

import uvicorn
from starlette.applications import Starlette

logger = logging.getLogger(__name__)

# The cyclic garbage collector's thresholds for the hub process (CPython's are 700, 10,
# 10). The hub allocates at a high rate (frames, messages, ops) and keeps many objects
# for some milliseconds (a tick's batches until durable, queued frames): with a young
# generation of 700 objects, these survive two collections and reach the old
# generation, whose full collections then come every few seconds and, with 3,000
# connections, hold the event loop 110-190 ms each (measured: W2 p99 at 3,000 tablets
# 235 ms). With 10,000 they die young: W2 holds 4,000 tablets (p99 43 ms), and W1's CPU
# per op is unchanged (docs/benchmarks.md, "Direct writes").
GC_THRESHOLDS = (10_000, 10, 10)


def tune_gc() -> tuple[int, int, int]:
    """Set the hub's collector thresholds; returns the ones before."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    return before


class SchakelServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self.app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        service = getattr(self.app.state, "service", None)
        if service is not None:
            for server in self.servers:
                server.close()  # no new connections while the hub drains
            await service.hub.drain()
        await super().shutdown(sockets)
