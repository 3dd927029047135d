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

from collections.abc import Callable

from starlette.websockets import WebSocket

from schakel.sockets import EXTENSION, HubSocket

from .relay_starlette import arguments, rooms_app, serve

rooms: dict[str, set[HubSocket]] = {}
plenary: set[HubSocket] = set()
FANOUT = {"mode": "broadcast"}


def socket_of(ws: WebSocket) -> HubSocket:
    socket: HubSocket = ws.scope["extensions"][EXTENSION]["socket"]
    return socket


async def connected(
    ws: WebSocket, peers: set[HubSocket], on_message: Callable[[bytes], bool]
) -> None:
    """Accept, then hand every message to ``on_message`` until the client goes."""
    socket = socket_of(ws)
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


def dropped(data: bytes) -> bool:
    return True


async def follow_all(ws: WebSocket) -> None:
    await connected(ws, plenary, dropped)


async def room(ws: WebSocket) -> None:
    name = ws.path_params["name"]
    peers = rooms.setdefault(name, set())
    me = socket_of(ws)

    def relay(data: bytes) -> bool:
        for peer in (*peers, *plenary):
            if peer is not me:
                peer.write_frame(data)
        return True

    try:
        await connected(ws, peers, relay if FANOUT["mode"] == "broadcast" else dropped)
    finally:
        if not peers:
            rooms.pop(name, None)


app = rooms_app(follow_all, room)


def run() -> None:
    fanout = {"choices": ("broadcast", "none"), "default": "broadcast"}
    args = arguments("python -m bench.relay_hubsocket", fanout=fanout)
    FANOUT["mode"] = args.fanout
    serve(app, args, HubSocket)


if __name__ == "__main__":
    run()
