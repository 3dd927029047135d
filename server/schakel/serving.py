"""Serving the app with uvicorn, and stopping it without leaving an op unacknowledged.

uvicorn's own shutdown closes every WebSocket (1012) before the app hears of it, so a
batch the hub stores during shutdown could never be acknowledged. :class:`SchakelServer`
first lets the hub drain (:meth:`schakel.hub.Hub.drain`: no new batches, store what was
taken, send every ack, then close each socket with 1012), and only then shuts uvicorn
down.
"""

from __future__ import annotations

import logging
import socket

import uvicorn
from starlette.applications import Starlette

logger = logging.getLogger(__name__)


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
