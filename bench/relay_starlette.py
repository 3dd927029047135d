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


app = Starlette(
    routes=[
        Route("/healthz", health),
        WebSocketRoute("/plenary", follow_all),
        WebSocketRoute("/b/{name}", room),
    ]
)


def run() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay_starlette")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        loop="uvloop",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=256 * 1024,
    )


if __name__ == "__main__":
    run()
