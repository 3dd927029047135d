"""The second baseline: the same naive relay as :mod:`bench.relay`, on Starlette and
uvicorn (the hub's own web stack), so that the cost of the ASGI layers is seen apart from
the hub's work.

Rooms by path (``/b/<name>``), ``/plenary`` receives every room; every binary message is
forwarded as it arrives, one frame per message, with an ``await send_bytes`` per peer
(ASGI offers no send without an await). Nothing is decoded, merged, stored or batched.

Run: ``python -m bench.relay_starlette --port 8765`` (uvloop and websockets-sansio, like
the hub).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

rooms: dict[str, set[WebSocket]] = {}
plenary: set[WebSocket] = set()


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok\n")


async def follow_all(ws: WebSocket) -> None:
    await ws.accept()
    plenary.add(ws)
    try:
        while True:
            await ws.receive_bytes()
    except WebSocketDisconnect:
        pass
    finally:
        plenary.discard(ws)


async def room(ws: WebSocket) -> None:
    name = ws.path_params["name"]
    await ws.accept()
    peers = rooms.setdefault(name, set())
    peers.add(ws)
    try:
        while True:
            message = await ws.receive_bytes()
            for peer in [*peers, *plenary]:
                if peer is not ws:
                    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                        await peer.send_bytes(message)
    except WebSocketDisconnect:
        pass
    finally:
        peers.discard(ws)
        if not peers:
            rooms.pop(name, None)


Endpoint = Callable[[WebSocket], Awaitable[None]]


def rooms_app(follow_all: Endpoint, room: Endpoint) -> Starlette:
    """The relay's routes: ``/healthz``, ``/plenary`` (every room), ``/b/<name>``."""
    return Starlette(
        routes=[
            Route("/healthz", health),
            WebSocketRoute("/plenary", follow_all),
            WebSocketRoute("/b/{name}", room),
        ]
    )


app = rooms_app(follow_all, room)


def arguments(
    prog: str, argv: list[str] | None = None, **more: dict[str, Any]
) -> argparse.Namespace:
    """``--host``, ``--port`` and the options named in ``more`` (name: add_argument's)."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    for name, options in more.items():
        parser.add_argument(f"--{name}", **options)
    return parser.parse_args(argv)


def serve(app: Starlette, args: argparse.Namespace, ws: Any) -> None:
    """uvicorn on uvloop, as the hub runs, with the WebSocket protocol ``ws``."""
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        loop="uvloop",
        ws=ws,
        ws_per_message_deflate=False,
        ws_max_size=256 * 1024,
    )


def run() -> None:
    serve(app, arguments("python -m bench.relay_starlette"), "websockets-sansio")


if __name__ == "__main__":
    run()
