"""The baseline: a bare WebSocket relay with the ``websockets`` library (asyncio).

Rooms by path (``/b/<name>``); every binary message is relayed as it arrives, one frame
per message, to every other client of its room and to every ``/plenary`` connection.
Nothing is decoded, merged, stored or batched: the naive design the hub is measured
against. Two fan-outs:

- ``--fanout broadcast`` (default): :func:`websockets.asyncio.server.broadcast`, which
  writes to each peer without an await: the fastest fan-out the library offers, so the
  baseline is the strongest naive relay, not a straw man;
- ``--fanout await``: ``await peer.send(message)`` for each peer in turn, the textbook
  relay (one await per peer and message).

Run: ``python -m bench.relay --port 8765`` (uvloop when installed, like uvicorn).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

rooms: dict[str, set[ServerConnection]] = {}
plenary: set[ServerConnection] = set()
FANOUT = {"mode": "broadcast"}


def health(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/healthz":
        return connection.respond(200, "ok\n")
    return None


async def handler(ws: ServerConnection) -> None:
    path = ws.request.path if ws.request is not None else "/"
    if path == "/plenary":
        plenary.add(ws)
        try:
            await ws.wait_closed()
        finally:
            plenary.discard(ws)
        return
    room = rooms.setdefault(path, set())
    room.add(ws)
    try:
        if FANOUT["mode"] == "broadcast":
            async for message in ws:
                broadcast([peer for peer in room if peer is not ws], message)
                broadcast(plenary, message)
        else:
            async for message in ws:
                for peer in [*room, *plenary]:
                    if peer is not ws:
                        with contextlib.suppress(ConnectionClosed):
                            await peer.send(message)
    except ConnectionClosed:
        pass
    finally:
        room.discard(ws)
        if not room:
            rooms.pop(path, None)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        host,
        port,
        compression=None,
        max_size=256 * 1024,
        max_queue=None,
        process_request=health,
    ):
        print(f"relay on ws://{host}:{port}/", flush=True)
        await stop


def run() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fanout", choices=["broadcast", "await"], default="broadcast")
    args = parser.parse_args()
    FANOUT["mode"] = args.fanout
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        asyncio.run(main(args.host, args.port))
    else:
        uvloop.run(main(args.host, args.port))


if __name__ == "__main__":
    run()
