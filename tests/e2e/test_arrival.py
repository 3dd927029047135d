"""Messages handled where they arrive (``Connection._arrived``, the socket's
``on_message``): a message that comes while the connection's loop waits on an empty queue
is handled in the socket's callback, no task woken. What it leaves (a subscribe that waits
on the store, a pause after a refusal, an error that ends the connection) goes to the
loop, and what arrives meanwhile queues behind it, so the order is the client's.

A real uvicorn and hub in this loop (embedded store); raw WebSocket clients.
"""

from __future__ import annotations

from typing import Any

from websockets.frames import Frame, Opcode

from schakel.connection import Connection
from schakel.sockets import HANDLED_PER_READ, WAKE
from schakel_core import messages as m
from schakel_core.errors import CloseCode
from schakel_core.ops import Op
from tests.e2e.raw import Raw
from tests.support.server import Hub, create_workshop, join


async def two_on_a_board(hub: Hub) -> tuple[str, Raw, Raw, Connection]:
    """A writer and a peer subscribed to one board; the writer's connection in the hub."""
    ws = await create_workshop(hub.http, groups=1)
    a, b = [await join(hub.http, ws["join_code"], name) for name in ("Ann", "Bo")]
    writer = await Raw.hello(hub.ws, a["token"], "wa")
    peer = await Raw.hello(hub.ws, b["token"], "wb")
    await writer.subscribe(a["board"])
    await peer.subscribe(a["board"])
    conn = next(c for c in hub.service.hub.connections if c.client == "wa")
    return a["board"], writer, peer, conn


def queued_to(conn: Connection) -> list[Any]:
    """Records what is put in the connection's queue from now on (what wakes its loop)."""
    assert conn.socket is not None
    inbox = conn.socket.queue
    seen: list[Any] = []
    put = inbox.put_nowait

    def spy(item: Any) -> None:
        seen.append(item)
        put(item)

    inbox.put_nowait = spy  # type: ignore[method-assign]
    return seen


def one_write(raw: Raw, *messages: m.ClientMessage) -> None:
    """``messages`` as masked frames in one TCP write (one read on the hub's side)."""
    frames = [Frame(Opcode.BINARY, m.encode(msg)).serialize(mask=True) for msg in messages]
    raw.ws.transport.write(b"".join(frames))


async def test_ops_and_presence_are_handled_without_waking_the_loop(hub: Hub) -> None:
    board, writer, peer, conn = await two_on_a_board(hub)
    async with writer, peer:
        queued = queued_to(conn)
        for k in range(10):
            ops = [writer.op(f"a{k}", "actor", "label", f"A{k}")]
            ref = await writer.send_ops(board, ops)
            ack = await writer.expect(m.Ack)
            assert (ack.ref, ack.seq) == (ref, k + 1)
            update, _ = await peer.until(m.Update)
            assert update.ops == ops
            await writer.send(m.Presence(board, {"cursor": [k, k]}))
            await peer.until(m.PresenceOut, lambda p, k=k: p.data == {"cursor": [k, k]})
        assert queued == []
        # A subscribe waits on the store: the loop is woken for it, once.
        sync = await writer.subscribe(board)
        assert sync.seq == 10
        assert queued == [WAKE] and queued[0] is WAKE


async def test_what_arrives_behind_a_subscribe_waits_for_it(hub: Hub) -> None:
    """Subscribe, ops, presence, a second subscribe and ops, all in one read: each is
    handled after the one before it (no ``not_subscribed``), in the client's order."""
    board, writer, peer, _ = await two_on_a_board(hub)
    async with writer, peer:
        await writer.send(m.Unsubscribe(board))
        await writer.quiet()
        first = [writer.op("a1", "actor", "label", "one")]
        second = [writer.op("a2", "actor", "label", "two")]
        one_write(
            writer,
            m.Subscribe(board, 0, 1),
            m.Ops(board, 2, first),
            m.Presence(board, {"cursor": [1, 2]}),
            m.Subscribe(board, 1, 3),
            m.Ops(board, 4, second),
        )
        got: list[m.ServerMessage] = []
        while not any(isinstance(x, m.Ack) and x.ref == 4 for x in got):  # (acks add up)
            try:
                got.append(await writer.recv(timeout=5))
            except TimeoutError:
                raise AssertionError(got) from None
        assert not [x for x in got if isinstance(x, m.Error)], got
        syncs = [x for x in got if isinstance(x, m.Sync)]
        acks = [x for x in got if isinstance(x, m.Ack)]
        assert [s.ref for s in syncs] == [1, 3]
        assert got.index(syncs[0]) < got.index(acks[0])
        assert [a.ref for a in acks] in ([2, 4], [4]), acks
        assert (acks[-1].seq, sum(a.applied for a in acks)) == (2, 2)
        seen: list[Op] = []
        while len(seen) < 2:
            update, _ = await peer.until(m.Update)
            seen += update.ops
        assert seen == first + second


async def test_a_violation_found_where_it_arrives_closes_as_before(hub: Hub) -> None:
    _, writer, peer, conn = await two_on_a_board(hub)
    async with writer, peer:
        queued = queued_to(conn)
        await writer.send(m.Hello("whatever", "wa"))
        code, frames = await writer.closed()
        assert code == CloseCode.PROTOCOL_VIOLATION
        assert [f.code for f in frames if isinstance(f, m.Error)] == ["hello_required"]
        assert queued[:1] == [WAKE]
        await peer.quiet()  # the peer goes on


async def test_a_bug_where_it_arrives_ends_that_connection_with_1011(hub: Hub) -> None:
    board, writer, peer, _ = await two_on_a_board(hub)
    async with writer, peer:
        service_hub = hub.service.hub
        presence = service_hub.presence

        def broken(conn: Connection, board: str, data: Any) -> None:
            if conn.client == "wa":
                raise RuntimeError("a bug")
            presence(conn, board, data)

        service_hub.presence = broken
        await writer.send(m.Presence(board, {"cursor": [0, 0]}))
        code, _ = await writer.closed()
        assert code == CloseCode.INTERNAL_ERROR
        await peer.send(m.Presence(board, {"cursor": [1, 1]}))
        ops = [peer.op("b1", "actor", "label", "still here")]
        ref = await peer.send_ops(board, ops)
        ack, _ = await peer.until(m.Ack)
        assert (ack.ref, ack.seq) == (ref, 1)


async def test_one_read_of_many_messages_is_handled_in_turns(hub: Hub) -> None:
    """At most HANDLED_PER_READ messages of one read are handled in the socket's callback;
    the rest queue for the loop, which lets others run between them. All are answered,
    in order."""
    _, writer, peer, conn = await two_on_a_board(hub)
    async with writer, peer:
        queued = queued_to(conn)
        n = 4 * HANDLED_PER_READ
        one_write(writer, *[m.Ping(k) for k in range(1, n + 1)])
        pongs = [await writer.expect(m.Pong) for _ in range(n)]
        assert [p.n for p in pongs] == list(range(1, n + 1))
        messages = [q for q in queued if q is not WAKE and q.get("bytes")]
        assert HANDLED_PER_READ <= len(messages) <= n - HANDLED_PER_READ
        await peer.quiet()
