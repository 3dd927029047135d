"""Four clients and a hub under a hostile network must converge (protocol v2).

A Hypothesis state machine. Each client is the real pure session of the core
(:class:`~schakel_core.client_session.ClientSession`) with the Python client's replica;
they exchange real frames (bytes) with a model hub that keeps the v2 rules: no echo (an
``update`` leaves out the ops that came in over the receiving connection and says
``from``), one frame per connection per tick (updates then acks, back to back), and the
ack guarantee (an ack waits until the connection has been sent every op through its
seq). The hub's room lags behind its store by any amount (as with another hub's ops on
the feed), so acks are really held. Clients edit optimistically (concurrent writes to one
field make ``lost`` ops); frames are delivered in bursts of any size, per connection in
order, connections in any order; connections drop (what was on the wire is lost, the
client reconnects, resumes from its last seq and sends every unacknowledged batch again).
(No gossip between replicas here: it would hide an op a session failed to fetch; the
merge's own properties are ``test_merge_properties``'s.) At the end of every schedule, once the
network drains, every replica equals the hub's board, has its seq, and holds nothing
pending; and the hub's log alone rebuilds the board.

The hub delivers ops once merged and numbered, before they are durable (as on the
embedded store, at most ``W`` ops of a board merged and not yet on disk), and acks an op
only once it is durable. It may crash between the two: what was not durable is gone,
every connection drops, and the board's head moves ``W + 1`` past what the disk holds,
where its log starts anew. A peer that saw a lost op resumes from inside that range and
gets a full sync, which replaces its replica; the lost op's author never had its ack and
sends it again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from schakel_client.replica import Replica
from schakel_core import messages as m
from schakel_core.client_session import ClientSession
from schakel_core.document import Document
from schakel_core.ops import Op

from .strategies import CLIENTS, writes

BOARD = "w:g1"
W = 3  # ops merged (and maybe delivered) and not yet durable, at most


@dataclass
class Conn:
    """The hub's side of one connection."""

    id: int
    client: str
    inbox: list[bytes] = field(default_factory=list)  # client → hub, in order
    outbox: list[bytes] = field(default_factory=list)  # hub → client frames, in order
    welcomed: bool = False
    subscribed: bool = False
    sent: int = 0  # the last seq this connection has (sent to it, or its own)
    acks: dict[str, list[Any]] = field(default_factory=dict)  # board -> [ref, seq, applied, lost]


class Hub:
    """The hub's rules of protocol v2, over one board, without sockets."""

    def __init__(self) -> None:
        self.doc = Document()
        self.log: list[tuple[int, Op, int]] = []  # (seq, op, the connection it came over)
        self.head = 0  # the last seq given
        self.durable = 0  # the ops through this seq are on disk
        self.log_start = 0  # the log for resume holds the ops after this seq
        self.delivered = 0  # what the room has been given of the log (lags the store)
        self.conns: dict[int, Conn] = {}
        self.next_id = 0

    def open(self, client: str) -> Conn:
        self.next_id += 1
        conn = self.conns[self.next_id] = Conn(self.next_id, client)
        return conn

    def receive(self, conn: Conn, frame: bytes) -> None:
        msg = m.decode_client(frame)  # a client frame is exactly one message
        match msg:
            case m.Hello():
                assert not conn.welcomed
                conn.welcomed = True
                welcome = m.Welcome("c", "participant", "w", "p", [BOARD], [BOARD], 0.0, {})
                conn.outbox.append(m.encode(welcome))
            case m.Subscribe(board=board, since=since, ref=ref):
                assert conn.welcomed and board == BOARD
                conn.subscribed = True
                if since == 0 or since > self.delivered or since < self.log_start:
                    sync = m.Sync(board, self.delivered, True, self._state(), ref)
                else:
                    ops = [op for seq, op, _ in self.log if since < seq <= self.delivered]
                    sync = m.Sync(board, self.delivered, False, ops, ref)
                conn.sent = self.delivered
                conn.outbox.append(m.encode(sync))
            case m.Ops(board=board, ref=ref, ops=ops):
                assert conn.subscribed, "ops before the sync"
                assert all(op.client == conn.client for op in ops)
                if self.head - self.durable + len(ops) > W:
                    self.durable = self.head  # the committer waits for the disk
                stored = self.doc.apply_batch(ops)
                for op in stored:
                    self.head += 1
                    self.log.append((self.head, op, conn.id))
                if len(stored) > W:
                    self.durable = self.head  # more than W at once: durable before delivery
                kept = {(op.id, op.field, op.counter) for op in stored}
                lost = [
                    (o.id, o.field, o.counter)
                    for o in ops
                    if (o.id, o.field, o.counter) not in kept
                ]
                held = conn.acks.get(board)
                if held is None:
                    conn.acks[board] = [ref, self.head, len(stored), lost]
                else:
                    held[0], held[1] = ref, self.head
                    held[2] += len(stored)
                    held[3] += lost
            case _:
                raise AssertionError(msg)

    def _state(self) -> list[Op]:
        """The whole board as one op per register, in no particular order."""
        ops = list(self.doc.ops())
        random.Random(len(ops)).shuffle(ops)
        return ops

    def tick(self) -> None:
        """One frame per connection: its update (less its own ops), then ready acks."""
        for conn in self.conns.values():
            parts: list[bytes] = []
            if conn.subscribed and self.delivered > conn.sent:
                first = conn.sent + 1
                others = [
                    op
                    for seq, op, c in self.log
                    if conn.sent < seq <= self.delivered and c != conn.id
                ]
                if others:
                    parts.append(m.encode(m.Update(BOARD, first, self.delivered, others)))
                conn.sent = self.delivered
            for board, (ref, seq, applied, lost) in list(conn.acks.items()):
                # the ack guarantee, and only for what is durable
                if conn.subscribed and conn.sent >= seq and self.durable >= seq:
                    lost_t = tuple(lost)
                    parts.append(m.encode(m.Ack(board, ref, conn.sent, applied, lost_t)))
                    del conn.acks[board]
            if parts:
                conn.outbox.append(b"".join(parts))

    def crash(self) -> None:
        """The process dies: what was not durable is gone, and so is every connection;
        it starts again with each head ``W + 1`` past the disk's, its log starting there."""
        self.log = [(seq, op, c) for seq, op, c in self.log if seq <= self.durable]
        self.doc = Document(op for _, op, _ in self.log)
        self.head = self.durable = self.log_start = self.delivered = self.durable + W + 1
        self.conns.clear()


class Client:
    def __init__(self, name: str) -> None:
        self.name = name
        self.session: ClientSession[Replica] = ClientSession("tok", name, make_board=Replica)
        self.replica = self.session.subscribe(BOARD)
        self.conn: Conn | None = None

    def pump(self) -> None:
        """What the session wants to send goes on the wire (if connected)."""
        out = self.session.data_to_send()
        if self.conn is not None:
            self.conn.inbox += out


class Network(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.hub = Hub()
        self.clients = {c: Client(c) for c in CLIENTS}
        self.made: list[Op] = []
        for c in self.clients.values():  # everyone starts connected and synced
            self._connect(c)
            for _ in range(2):  # hello → welcome, subscribe → sync
                self.hub_receives(c.name, 1)
                self.client_receives(c.name, 1)
            assert c.replica.synced

    def _connect(self, c: Client) -> None:
        c.conn = self.hub.open(c.name)
        c.session.connect()
        c.pump()

    @rule(client=st.sampled_from(CLIENTS), write=writes())
    def edit(self, client: str, write: tuple[str, str, str, Any]) -> None:
        c = self.clients[client]
        s = c.session
        op = Op(*write, s.next_counter(), client)
        c.replica.local([op])
        self.made.append(op)

    @rule(write=writes(), k=st.integers(1, len(CLIENTS)))
    def together(self, write: tuple[str, str, str, Any], k: int) -> None:
        """``k`` clients write the same field at once and the hub takes all their batches
        in one tick: the common case of concurrency, and of ops lost to a higher clock."""
        for name in CLIENTS[:k]:
            c = self.clients[name]
            if c.conn is not None and c.replica.synced:
                self.edit(name, write)
                self.send(name)
                self.hub_receives(name, 10)

    @rule(client=st.sampled_from(CLIENTS))
    def send(self, client: str) -> None:
        c = self.clients[client]
        c.session.flush()
        c.pump()

    @rule(client=st.sampled_from(CLIENTS), burst=st.integers(1, 5))
    def hub_receives(self, client: str, burst: int) -> None:
        conn = self.clients[client].conn
        assert conn is not None
        take, conn.inbox = conn.inbox[:burst], conn.inbox[burst:]
        for frame in take:
            self.hub.receive(conn, frame)

    @rule(k=st.integers(0, 3))
    def hub_delivers(self, k: int) -> None:
        """The room takes up to ``k`` more ops of the store's log, then ticks."""
        self.hub.delivered = min(self.hub.head, self.hub.delivered + k)
        self.hub.tick()

    @rule(k=st.integers(1, 3))
    def hub_writes(self, k: int) -> None:
        """Up to ``k`` more ops reach the disk, then the hub ticks (acks they allow)."""
        self.hub.durable = min(self.hub.head, self.hub.durable + k)
        self.hub.tick()

    @rule()
    def hub_crashes(self) -> None:
        """Between delivery and the disk: every client loses its connection and
        reconnects to the restarted hub."""
        self.hub.crash()
        for c in self.clients.values():
            c.session.connection_lost()
            self._connect(c)

    @rule(client=st.sampled_from(CLIENTS), burst=st.integers(1, 4))
    def client_receives(self, client: str, burst: int) -> None:
        c = self.clients[client]
        assert c.conn is not None
        take, c.conn.outbox = c.conn.outbox[:burst], c.conn.outbox[burst:]
        for frame in take:
            c.session.receive(frame)
        c.pump()

    @rule(client=st.sampled_from(CLIENTS))
    def connection_drops(self, client: str) -> None:
        """What is on the wire either way is lost; the client reconnects and resumes."""
        c = self.clients[client]
        assert c.conn is not None
        del self.hub.conns[c.conn.id]
        c.session.connection_lost()
        self._connect(c)

    def teardown(self) -> None:
        # Drain: every frame reaches its end until nothing moves any more.
        for _ in range(20):
            for c in self.clients.values():
                self.send(c.name)
                self.hub_receives(c.name, 10_000)
            self.hub.durable = self.hub.head
            self.hub_delivers(10_000)
            for c in self.clients.values():
                self.client_receives(c.name, 10_000)
            if all(not c.replica.pending for c in self.clients.values()) and not any(
                conn.inbox or conn.outbox or conn.acks for conn in self.hub.conns.values()
            ):
                break
        expected = Document(self.made)
        assert self.hub.doc == expected
        assert Document(op for _, op, _ in self.hub.log) == expected  # the log rebuilds it
        for c in self.clients.values():
            r = c.replica
            assert r.pending == 0, (c.name, r.unsent, r.inflight)
            assert r.seq == self.hub.head, c.name
            assert r.doc == expected, c.name
            assert r.view() == expected.visible()


Network.TestCase.settings = settings(max_examples=400, stateful_step_count=40, deadline=None)
TestConvergence = Network.TestCase


def test_a_peer_that_saw_a_lost_op_gets_the_full_state_after_a_crash() -> None:
    """The schedule the head's move exists for: ``b`` is sent ``a``'s op, the hub dies
    before it is durable, ``c`` writes first on the restarted hub, then ``b`` resumes
    from the lost op's seq. Had the numbers been given again, ``b`` would resume past
    ``c``'s op and keep ``a``'s lost one beside it."""
    a, b, c = CLIENTS[:3]
    net = Network()
    net.edit(a, ("x1", "actor", "label", "lost, then sent again"))
    net.send(a)
    net.hub_receives(a, 10)
    net.hub_delivers(3)
    net.client_receives(b, 10)
    assert net.clients[b].replica.seq == 1 and net.hub.durable == 0
    net.hub_crashes()
    for name in (b, c):  # hello → welcome: their subscribes wait in the hub's inbox
        net.hub_receives(name, 1)
        net.client_receives(name, 1)
    net.hub_receives(c, 1)  # c's subscribe first, then its write
    net.client_receives(c, 1)
    net.edit(c, ("y1", "actor", "label", "the first op after the restart"))
    net.send(c)
    net.hub_receives(c, 10)
    net.hub_delivers(3)
    net.hub_receives(b, 10)  # b resumes from seq 1, inside the lost range
    assert net.clients[b].conn is not None
    net.client_receives(b, 10)
    assert net.clients[b].replica.doc == net.hub.doc  # the full state replaced it
    net.teardown()
