"""The Starlette application: HTTP API, the WebSocket endpoint, and the web client.

``create_app(settings)`` builds everything in the lifespan (store, hub, tokens), so tests
and ``schakel serve`` run the same code with their own settings.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from starlette.websockets import WebSocket

from . import api, reading
from .config import Settings
from .connection import Connection
from .service import running_service

logger = logging.getLogger(__name__)

WS_PATH = "/ws"

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
    await Connection(websocket, websocket.app.state.service).run()


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
    if (web_dir / "index.html").is_file():
        routes.append(Mount("/", app=SinglePageApp(directory=web_dir, html=True), name="web"))
    else:
        routes.append(Route("/{path:path}", no_client, methods=["GET"]))
    return Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={Exception: internal_error}
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its traceback, answered as JSON, never shown."""
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal", "reason": "something went wrong on the server"}, 500)
