"""The document of one board and its merge rule.

A board is a map of objects; an object is a map of fields; every field is a
last-writer-wins register ordered by the op's clock ``(counter, client)``. Applying an op
keeps, per field, the value with the highest clock. Deletion is the field ``deleted``, a
register like any other, so a later write of ``false`` restores the object.

Applying ops is commutative, associative and idempotent *provided* that one clock is
never used for two different values of the same field (each client's counter moves on
with every op). The hub enforces that precondition by refusing such an op with
:class:`~schakel_core.errors.Conflict`, as it refuses an op whose type differs from the
type the object already has.

A relation whose source or target is missing, deleted or not an actor is *hidden*:
kept in the document and shown again as soon as its endpoints are back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from .errors import Conflict
from .ops import Op


class Register(NamedTuple):
    value: Any
    counter: int
    client: str


class Document:
    """A replica of one board: apply ops, read objects, list the state as ops."""

    __slots__ = ("fields", "max_counter", "types")

    def __init__(self, ops: Iterable[Op] = ()) -> None:
        self.types: dict[str, str] = {}
        self.fields: dict[str, dict[str, Register]] = {}
        self.max_counter = 0
        for op in ops:
            self.apply(op)

    def check(self, op: Op) -> None:
        """Raise Conflict if ``op`` breaks the merge rule's preconditions here."""
        known = self.types.get(op.id)
        if known is not None and known != op.type:
            raise Conflict(f"object {op.id!r} is a {known}, not a {op.type}")
        reg = self.fields.get(op.id, {}).get(op.field)
        if (
            reg is not None
            and reg.counter == op.counter
            and reg.client == op.client
            and reg.value != op.value
        ):
            raise Conflict(f"clock {op.counter}/{op.client} already wrote another value")

    def check_batch(self, ops: Iterable[Op]) -> None:
        """Raise Conflict if any op of a batch breaks the preconditions, here or within
        the batch itself, so that a batch is merged whole or not at all."""
        types: dict[str, str] = {}
        clocks: dict[tuple[str, str, int, str], Any] = {}
        for op in ops:
            self.check(op)
            if types.setdefault(op.id, op.type) != op.type:
                raise Conflict(f"the batch gives object {op.id!r} two types")
            key = (op.id, op.field, op.counter, op.client)
            if clocks.setdefault(key, op.value) != op.value:
                raise Conflict(f"the batch uses clock {op.counter}/{op.client} twice")

    def apply(self, op: Op) -> bool:
        """Merge ``op``; return True if it changed the document (it won its field)."""
        self.check(op)
        return self._merge(op)

    def _merge(self, op: Op) -> bool:
        if op.counter > self.max_counter:
            self.max_counter = op.counter
        obj = self.fields.get(op.id)
        if obj is None:
            self.types[op.id] = op.type
            obj = self.fields[op.id] = {}
        reg = obj.get(op.field)
        if reg is not None and (reg.counter, reg.client) >= (op.counter, op.client):
            return False
        obj[op.field] = Register(op.value, op.counter, op.client)
        return True

    def apply_batch(self, ops: Iterable[Op]) -> list[Op]:
        """Merge a batch whole or not at all; return the ops that changed the document."""
        ops = list(ops)
        self.check_batch(ops)
        return [op for op in ops if self._merge(op)]

    def merge(self, other: Document) -> None:
        """Merge every register of ``other`` into this document."""
        for op in other.ops():
            self.apply(op)

    def ops(self) -> Iterator[Op]:
        """The whole state as ops, one per register, in a deterministic order."""
        for obj_id in sorted(self.fields):
            obj_type = self.types[obj_id]
            obj = self.fields[obj_id]
            for name in sorted(obj):
                reg = obj[name]
                yield Op(obj_id, obj_type, name, reg.value, reg.counter, reg.client)

    def get(self, obj_id: str) -> dict[str, Any] | None:
        """The current field values of one object (deleted ones too), or None."""
        obj = self.fields.get(obj_id)
        if obj is None:
            return None
        return {name: reg.value for name, reg in obj.items()}

    def is_deleted(self, obj_id: str) -> bool:
        reg = self.fields.get(obj_id, {}).get("deleted")
        return reg is not None and reg.value is True

    def is_visible(self, obj_id: str) -> bool:
        """Present, not deleted, and for a relation: both endpoints are visible actors."""
        obj_type = self.types.get(obj_id)
        if obj_type is None or self.is_deleted(obj_id):
            return False
        if obj_type != "relation":
            return True
        obj = self.fields[obj_id]
        for end in ("source", "target"):
            reg = obj.get(end)
            if reg is None or self.types.get(reg.value) != "actor" or self.is_deleted(reg.value):
                return False
        return True

    def visible(self) -> dict[str, dict[str, Any]]:
        """Every visible object as ``{id: {"type": ..., field: value, ...}}``."""
        out: dict[str, dict[str, Any]] = {}
        for obj_id, obj in self.fields.items():
            if self.is_visible(obj_id):
                view = {name: reg.value for name, reg in obj.items()}
                view["type"] = self.types[obj_id]
                out[obj_id] = view
        return out

    def inverse(self, op: Op, counter: int, client: str) -> Op | None:
        """An op that sets ``op``'s field back to its value before ``op`` (for undo).

        Call it before applying ``op``. Undoing the creation of an object deletes it
        (and redoing that restores it); another field that an existing object never had
        cannot be unset, so there is nothing to undo (None).
        """
        obj = self.fields.get(op.id)
        if obj is None:
            return Op(op.id, op.type, "deleted", True, counter, client)
        reg = obj.get(op.field)
        if reg is not None:
            return Op(op.id, op.type, op.field, reg.value, counter, client)
        if op.field == "deleted":  # never deleted so far: the same as deleted = false
            return Op(op.id, op.type, "deleted", False, counter, client)
        return None

    def state(self) -> dict[str, dict[str, Any]]:
        """The registers as plain data (for test vectors and comparisons)."""
        return {
            obj_id: {
                "type": self.types[obj_id],
                "fields": {name: list(reg) for name, reg in sorted(self.fields[obj_id].items())},
            }
            for obj_id in sorted(self.fields)
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return self.types == other.types and self.fields == other.fields

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"Document({len(self.fields)} objects, max_counter={self.max_counter})"
