"""A client's replica of one board: optimistic local edits on top of what the hub stored.

Pure: no I/O. :class:`Replica` is the core's
:class:`~schakel_core.client_session.BoardSession` (last seq, unsent ops, batches in
flight) with the board's document (server ops and own ops merged by the core rule) and
undo/redo of own edits. The session (:mod:`schakel_core.client_session`) drives it; in
protocol v2 the hub never sends a client its own ops back, so the document holds them
from the moment they are made.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schakel_core.client_session import BoardSession
from schakel_core.document import Document
from schakel_core.ops import Op


class Replica(BoardSession):
    def __init__(self, board: str) -> None:
        super().__init__(board)
        self.doc = Document()
        self.undo_stack: list[list[Op]] = []
        self.redo_stack: list[list[Op]] = []

    # ----------------------------------------------------------- local edits

    def _apply_group(self, ops: list[Op]) -> list[Op]:
        """Apply ops; return the ops that undo them, in the order to apply them."""
        inverse: list[Op] = []
        for op in ops:
            inv = self.doc.inverse(op, op.counter, op.client)
            if inv is not None:
                inverse.append(inv)
            self.doc.apply(op)
        self.queue(ops)
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

    # ---------------------------------------------------------- from the hub

    def on_sync(self, seq: int, full: bool, ops: list[Op]) -> None:
        if full:
            self.doc = Document(ops)
            for op in self.own_pending():  # own edits not yet stored stay visible
                self.doc.apply(op)
        else:
            for op in ops:
                self.doc.apply(op)
        super().on_sync(seq, full, ops)

    def on_update(self, first: int, seq: int, ops: list[Op]) -> bool:
        before = self.seq
        if not super().on_update(first, seq, ops):
            return False
        if seq > before:
            for op in ops:
                self.doc.apply(op)  # (others' ops: the hub sends none of one's own)
        return True

    def view(self) -> dict[str, dict[str, Any]]:
        return self.doc.visible()
