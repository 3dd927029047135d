"""A client's replica of one board: optimistic local edits on top of what the hub stored.

Pure: no I/O. :class:`Replica` keeps the document (server ops and own ops merged by the
core rule), the last sequence number seen, the ops not yet sent and the batches sent but
not yet acknowledged. The connection layer (:mod:`.client`) moves ops between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from schakel_core.document import Document
from schakel_core.ops import Op
from schakel_core.schema import MAX_OPS_PER_BATCH


@dataclass
class Replica:
    board: str
    doc: Document = field(default_factory=Document)
    seq: int = 0  # last sequence number received in a sync or update
    unsent: list[Op] = field(default_factory=list)
    inflight: dict[int, list[Op]] = field(default_factory=dict)  # ref -> ops, unacked
    synced: bool = False
    undo_stack: list[list[Op]] = field(default_factory=list)
    redo_stack: list[list[Op]] = field(default_factory=list)

    # ----------------------------------------------------------- local edits

    def _apply_group(self, ops: list[Op]) -> list[Op]:
        """Apply ops; return the ops that undo them, in the order to apply them."""
        inverse: list[Op] = []
        for op in ops:
            inv = self.doc.inverse(op, op.counter, op.client)
            if inv is not None:
                inverse.append(inv)
            self.doc.apply(op)
        self.unsent.extend(ops)
        return inverse[::-1]

    def local(self, ops: Iterable[Op]) -> list[Op]:
        """Apply own ops at once, queue them for sending, and make them undoable."""
        ops = list(ops)
        inverse = self._apply_group(ops)
        if inverse:
            self.undo_stack.append(inverse)
            self.redo_stack.clear()
        return ops

    def undo(self, counter: int, client: str) -> list[Op]:
        """Undo the last own edit group with fresh clocks from ``counter``; [] if none."""
        return self._swap(self.undo_stack, self.redo_stack, counter, client)

    def redo(self, counter: int, client: str) -> list[Op]:
        return self._swap(self.redo_stack, self.undo_stack, counter, client)

    def _swap(
        self, source: list[list[Op]], target: list[list[Op]], counter: int, client: str
    ) -> list[Op]:
        if not source:
            return []
        group = [
            op._replace(counter=counter + i, client=client) for i, op in enumerate(source.pop())
        ]
        inverse = self._apply_group(group)
        if inverse:
            target.append(inverse)
        return group

    def take_batch(self, ref: int) -> list[Op] | None:
        """Move up to one batch of unsent ops to in-flight under ``ref``."""
        if not self.unsent:
            return None
        batch, self.unsent = self.unsent[:MAX_OPS_PER_BATCH], self.unsent[MAX_OPS_PER_BATCH:]
        self.inflight[ref] = batch
        return batch

    def acked(self, ref: int) -> None:
        """An ack of ``ref`` covers every batch sent before it on this board (cumulative)."""
        if ref not in self.inflight:
            return  # requeued meanwhile: it will be sent again
        for key in list(self.inflight):
            del self.inflight[key]
            if key == ref:
                break

    def refused(self, ref: int) -> list[Op]:
        """The hub refused batch ``ref``; it will not be retried."""
        return self.inflight.pop(ref, [])

    def requeue(self, ref: int) -> None:
        """Batch ``ref`` was refused for now (a rate limit): send it again, first. The
        batches sent after it are answered on their own."""
        self.unsent = self.inflight.pop(ref, []) + self.unsent

    def requeue_inflight(self) -> None:
        """After a reconnect: everything unacknowledged is sent again (ops are idempotent)."""
        again = [op for ref in sorted(self.inflight) for op in self.inflight[ref]]
        self.inflight.clear()
        self.unsent = again + self.unsent

    @property
    def pending(self) -> int:
        return len(self.unsent) + sum(len(b) for b in self.inflight.values())

    # ---------------------------------------------------------- from the hub

    def on_sync(self, seq: int, full: bool, ops: list[Op]) -> None:
        if full:
            mine = [op for ref in sorted(self.inflight) for op in self.inflight[ref]]
            self.doc = Document(ops)
            for op in mine + self.unsent:  # own edits not yet stored stay visible
                self.doc.apply(op)
        else:
            for op in ops:
                self.doc.apply(op)
        self.seq = seq
        self.synced = True

    def on_update(self, seq: int, ops: list[Op]) -> None:
        if seq <= self.seq:
            return
        first = seq - len(ops) + 1
        for op in ops[max(0, self.seq + 1 - first) :]:
            self.doc.apply(op)  # own ops too: idempotent
        self.seq = seq

    def view(self) -> dict[str, dict[str, Any]]:
        return self.doc.visible()
