"""Four replicas and a server under a hostile network must converge.

A Hypothesis state machine: clients edit optimistically; their batches reach the server
reordered, duplicated and late; connections drop (unacknowledged batches are resent);
the server's log reaches each client in bursts of any size; replicas also gossip raw ops
to each other in random order. At the end of every schedule, once the network drains, all
replicas equal the server, and the server equals the order-free merge of every op made.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from schakel_core.document import Document
from schakel_core.ops import Op

from .strategies import CLIENTS, writes


class Replica:
    def __init__(self, client: str) -> None:
        self.client = client
        self.doc = Document()
        self.counter = 0
        self.unsent: list[Op] = []
        self.unacked: list[list[Op]] = []
        self.seq = 0  # position in the server's log


class Network(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.replicas = {c: Replica(c) for c in CLIENTS}
        self.server = Document()
        self.log: list[Op] = []
        self.wire: list[tuple[str, list[Op]]] = []  # batches on their way to the server
        self.made: list[Op] = []
        self.rnd = random.Random(0)

    @rule(client=st.sampled_from(CLIENTS), write=writes())
    def edit(self, client: str, write: tuple[str, str, str, Any]) -> None:
        r = self.replicas[client]
        r.counter = max(r.counter, r.doc.max_counter) + 1
        op = Op(*write, r.counter, client)
        r.doc.apply(op)
        r.unsent.append(op)
        self.made.append(op)

    @rule(client=st.sampled_from(CLIENTS), duplicate=st.booleans())
    def send(self, client: str, duplicate: bool) -> None:
        r = self.replicas[client]
        if r.unsent:
            batch, r.unsent = r.unsent, []
            r.unacked.append(batch)
            self.wire.append((client, batch))
            if duplicate:
                self.wire.append((client, list(batch)))

    @precondition(lambda self: self.wire)
    @rule(pick=st.integers(0, 10_000))
    def server_receives(self, pick: int) -> None:
        client, batch = self.wire.pop(pick % len(self.wire))  # any order: reordering
        for op in self.server.apply_batch(batch):
            self.log.append(op)
        r = self.replicas[client]
        if batch in r.unacked:
            r.unacked.remove(batch)  # the ack

    @rule(client=st.sampled_from(CLIENTS), burst=st.integers(1, 20))
    def client_receives(self, client: str, burst: int) -> None:
        r = self.replicas[client]
        for op in self.log[r.seq : r.seq + burst]:
            r.doc.apply(op)
            r.counter = max(r.counter, op.counter)
        r.seq = min(len(self.log), r.seq + burst)

    @rule(client=st.sampled_from(CLIENTS))
    def connection_drops(self, client: str) -> None:
        """In-flight batches of this client are lost; unacked ones are sent again."""
        r = self.replicas[client]
        self.wire = [(c, b) for c, b in self.wire if c != client]
        again = [op for batch in r.unacked for op in batch]
        r.unacked.clear()
        r.unsent = again + r.unsent

    @rule(a=st.sampled_from(CLIENTS), b=st.sampled_from(CLIENTS), k=st.integers(0, 30))
    def gossip(self, a: str, b: str, k: int) -> None:
        """Late, reordered, duplicated delivery of raw ops between two replicas."""
        ops = list(self.replicas[a].doc.ops())
        self.rnd.shuffle(ops)
        for op in ops[:k] + ops[: k // 3]:
            self.replicas[b].doc.apply(op)

    def teardown(self) -> None:
        # Drain: everyone sends what is left, the server takes it all, everyone catches up.
        for r in self.replicas.values():
            self.connection_drops(r.client)
            self.send(r.client, duplicate=False)
        while self.wire:
            self.server_receives(0)
        for r in self.replicas.values():
            self.client_receives(r.client, len(self.log) + 1)
        expected = Document(self.made)
        assert self.server == expected
        assert Document(self.log) == expected  # the log alone rebuilds the state
        for r in self.replicas.values():
            assert r.doc == expected, r.client
            assert r.doc.visible() == expected.visible()


Network.TestCase.settings = settings(max_examples=400, stateful_step_count=40, deadline=None)
TestConvergence = Network.TestCase
