"""The Starlette application: HTTP API, the WebSocket endpoint, and the web client.

``create_app(settings)`` builds everything in the lifespan (store, hub, tokens), so tests
and ``schakel serve`` run the same code with their own settings; :func:`server_config`
is the uvicorn configuration both use (keepalive pings, frame size, no proxy headers
but the one configured).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from starlette.websockets import WebSocket

from schakel_core import schema
from schakel_core.errors import CloseCode

from . import api, reading
from .config import Settings
from .connection import Connection
from .metrics import metrics_endpoint
from .security import SecurityHeaders, origin_allowed
from .service import Service, running_service
from .sockets import HubSocket

logger = logging.getLogger(__name__)

WS_PATH = "/ws"
DENIED_RETRY_S = 1.0  # Retry-After of an upgrade refused for a cap (not a rate)

NO_CLIENT_PAGE = """<!doctype html><meta charset="utf-8"><title>Schakel</title>
<h1>Schakel</h1><p>The hub is running, but the web client has not been built.
Run <code>make run</code> (it builds <code>client/web</code>) or
<code>make web</code>.</p><p>Health: <a href="/healthz">/healthz</a></p>"""


class SinglePageApp(StaticFiles):
    """Static files of the web client; unknown paths get ``index.html`` (client routing)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or path.startswith(("api/", "assets/")):
                raise
            return await super().get_response("index.html", scope)


async def websocket_endpoint(websocket: WebSocket) -> None:
    """Check the upgrade's Origin and the client address's limits, then run the
    connection. A foreign Origin is refused before the handshake (HTTP 403); a limit
    is answered after it, with ``error`` and a close the client understands."""
    service: Service = websocket.app.state.service
    settings = service.settings
    if not origin_allowed(websocket.scope, settings.public_url, settings.origins()):
        service.metrics.errors["origin"] += 1
        logger.info("websocket from origin %r refused", websocket.headers.get("origin"))
        await websocket.close(CloseCode.POLICY_VIOLATION)
        return
    quotas = service.quotas
    address = quotas.address(websocket.scope)
    refused = quotas.connections.acquire(address)
    if refused is None and not quotas.connects.take(address):
        quotas.connections.release(address)
        refused = "connects"
    if refused is not None:
        await _refuse(websocket, service, refused, address)
        return
    conn = Connection(websocket, service, address)
    service.connections.add(conn)
    service.metrics.connections_opened += 1
    try:
        await conn.run()
    finally:
        service.connections.discard(conn)
        quotas.connections.release(address)


async def _refuse(websocket: WebSocket, service: Service, limit: str, address: str) -> None:
    """Refuse the upgrade itself (HTTP 429, or 503 when the hub is full), with the JSON
    error and ``Retry-After``: no WebSocket is opened, so nothing the client goes on
    sending is ever read."""
    quotas = service.quotas
    quotas.refuse(f"connections_{limit}" if limit != "connects" else limit)
    if limit == "total":
        body = {"error": "unavailable", "reason": "this hub holds all the connections it can"}
        status, wait = 503, DENIED_RETRY_S
    else:
        body = {"error": "rate_limited", "reason": "too many connections from your address"}
        status = 429
        wait = quotas.connects.retry_after(address) if limit == "connects" else DENIED_RETRY_S
    service.metrics.errors[body["error"]] += 1
    headers = {"retry-after": str(max(1, math.ceil(wait)))}
    await websocket.send_denial_response(JSONResponse(body, status, headers=headers))


async def no_client(request: Request) -> Response:
    return HTMLResponse(NO_CLIENT_PAGE)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_environ()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running_service(settings) as service:
            app.state.service = service
            yield

    web_dir = Path(settings.web_dir)
    routes: list[Route | WebSocketRoute | Mount] = [
        *api.routes,
        *reading.routes,
        WebSocketRoute(WS_PATH, websocket_endpoint),
    ]
    routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    if (web_dir / "index.html").is_file():
        routes.append(Mount("/", app=SinglePageApp(directory=web_dir, html=True), name="web"))
    else:
        routes.append(Route("/{path:path}", no_client, methods=["GET"]))
    middleware = [Middleware(SecurityHeaders, public_url=settings.public_url)]
    if settings.origins():
        # CORS is closed unless origins are allowed (a client served from elsewhere).
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.origins(),
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=["authorization", "content-type"],
            )
        )
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={Exception: internal_error},
    )


def server_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """uvicorn for the hub: WebSocket keepalive pings (a half-open or silent peer is
    closed within ``ws_ping_interval_s + ws_ping_timeout_s``), the client frame size
    limit, the hub's own WebSocket protocol (:mod:`schakel.sockets`; ``SCHAKEL_WS_IMPL``
    names one of uvicorn's instead), and uvicorn's own proxy-header handling off, so
    that the client address comes only from ``SCHAKEL_PROXY_HEADER`` set by a trusted
    proxy (``limits.AddressRule``)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "ws_max_size": schema.MAX_FRAME_BYTES,
        "ws_ping_interval": settings.ws_ping_interval_s or None,
        "ws_ping_timeout": settings.ws_ping_timeout_s or None,
        "timeout_graceful_shutdown": 10,
        "ws": HubSocket if settings.ws_impl == "hub" else settings.ws_impl,
        "proxy_headers": False,
        "server_header": False,
        "lifespan": "on",
        **overrides,
    }
    return uvicorn.Config(app, **options)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its traceback, answered as JSON, never shown."""
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal", "reason": "something went wrong on the server"}, 500)
