"""A diagnostic: the hub's own socket layer with nothing of the hub above it.

``python -m bench.relay_hubsocket --port 8765 [--fanout broadcast|none]`` serves the bare
relay's rooms (``/b/<name>``, ``/plenary`` receiving every room) on uvicorn, uvloop and
:class:`schakel.sockets.HubSocket`, exactly as the hub serves: messages handled in the
socket's callback (``on_message``), frames written with ``write_frame``, no await per
message or per peer.

- ``--fanout broadcast``: every message is written, one frame each, to every other
  client of its room and to every plenary connection, as :mod:`bench.relay` does.
- ``--fanout none``: every message is read and dropped. The W1 generator then counts
  every op lost, but the server's CPU is what receiving W1's messages costs on the
  hub's stack, before anything is decoded, merged, stored, batched or sent: the floor
  under the hub's CPU per op (docs/benchmarks.md, "The floor under the hub's CPU").

Neither is in ``make bench``'s default list; name them with ``--servers``
(``relay-hubsocket``, ``sink-hubsocket``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from schakel.sockets import EXTENSION, HubSocket

rooms: dict[str, set[HubSocket]] = {}
plenary: set[HubSocket] = set()
FANOUT = {"mode": "broadcast"}


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok\n")


async def serve(ws: WebSocket, peers: set[HubSocket], on_message: Callable[[bytes], bool]) -> None:
    """Accept, then hand every message to ``on_message`` until the client goes."""
    socket: HubSocket = ws.scope["extensions"][EXTENSION]["socket"]
    await ws.accept()
    peers.add(socket)
    socket.on_message = on_message
    try:
        while True:  # what arrived while the reader was not parked comes this way
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if isinstance(data, bytes) and data:
                on_message(data)
    finally:
        socket.on_message = None
        peers.discard(socket)


async def follow_all(ws: WebSocket) -> None:
    await serve(ws, plenary, lambda data: True)


async def room(ws: WebSocket) -> None:
    name = ws.path_params["name"]
    peers = rooms.setdefault(name, set())
    me: list[HubSocket] = []

    def relay(data: bytes) -> bool:
        if FANOUT["mode"] == "broadcast":
            for peer in (*peers, *plenary):
                if peer is not me[0]:
                    peer.write_frame(data)
        return True

    me.append(ws.scope["extensions"][EXTENSION]["socket"])
    try:
        await serve(ws, peers, relay)
    finally:
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
    parser = argparse.ArgumentParser(prog="python -m bench.relay_hubsocket")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fanout", choices=("broadcast", "none"), default="broadcast")
    args = parser.parse_args()
    FANOUT["mode"] = args.fanout
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        loop="uvloop",
        ws=HubSocket,
        ws_per_message_deflate=False,
        ws_max_size=256 * 1024,
    )


if __name__ == "__main__":
    run()
