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

Each role of an actor is its own register (``role_pusher`` ... ``role_mover``, true or
false), so that two people toggling different roles at once both keep their toggle.
Readers see them as before: :meth:`Document.visible` gives an actor's ``roles`` as the
list of roles that are on. Boards stored before held one register ``roles`` with that
list; such an op is applied as the seven role registers with its clock (the migration
rule), so old logs and snapshots merge with new ops on every replica alike.

The hub bounds how far a counter may jump (:data:`~schakel_core.schema.MAX_COUNTER_JUMP`
above the board's highest counter), so that no op can push a board to the largest
counter, after which no honest client could write to it; replicas do not check it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from .errors import Conflict, InvalidOp
from .ops import Op
from .schema import LEGACY_ROLES_FIELD, MAX_COUNTER_JUMP, ROLE_FIELDS, ROLES, roles_as_fields

_ROLE_FIELDS = frozenset(ROLE_FIELDS)


class Register(NamedTuple):
    value: Any
    counter: int
    client: str


class Change(NamedTuple):
    """One register a merge changed, with what it held before (None: nothing)."""

    id: str
    field: str
    before: Register | None
    new_object: bool


class Journal:
    """What merges into a document changed, so that they can be taken back
    (:meth:`Document.rollback`): the hub merges, then stores, and keeps the merge only
    if the store took it."""

    __slots__ = ("changes", "max_counter")

    def __init__(self, doc: Document) -> None:
        self.changes: list[Change] = []
        self.max_counter = doc.max_counter


def expand(op: Op) -> tuple[Op, ...]:
    """``op`` as the registers it writes: itself, or for a stored ``roles`` op (from
    before each role had its own register) one op per role with the same clock."""
    if op.field != LEGACY_ROLES_FIELD or op.type != "actor":
        return (op,)
    fields = roles_as_fields(op.value)
    return tuple(op._replace(field=f, value=v) for f, v in fields.items())


def present_roles(fields: dict[str, Any]) -> dict[str, Any]:
    """An actor's fields as readers see them: the role registers become ``roles``, the
    list of roles that are on (in the schema's order); without role registers, as is."""
    if _ROLE_FIELDS.isdisjoint(fields):
        return fields
    out = {k: v for k, v in fields.items() if k not in _ROLE_FIELDS}
    out["roles"] = [r for r, f in zip(ROLES, ROLE_FIELDS, strict=True) if fields.get(f) is True]
    return out


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
        """Raise Conflict if ``op`` breaks the merge rule's preconditions here.

        A clock reused for another value is refused while the register holds that clock
        (or, in :meth:`check_batch`, within one batch). Once a higher clock has overwritten
        the register, such an op just loses: it changes nothing, is not stored and reaches
        no replica, so it cannot make replicas differ.
        """
        known = self.types.get(op.id)
        if known is not None and known != op.type:
            raise Conflict(f"object {op.id!r} is a {known}, not a {op.type}")
        obj = self.fields.get(op.id, {})
        for one in expand(op):
            reg = obj.get(one.field)
            if (
                reg is not None
                and reg.counter == one.counter
                and reg.client == one.client
                and reg.value != one.value
            ):
                raise Conflict(f"clock {one.counter}/{one.client} already wrote another value")

    def check_batch(self, ops: Iterable[Op], *, jump_from: int | None = None) -> None:
        """Raise Conflict if any op of a batch breaks the preconditions, here or within
        the batch itself, so that a batch is merged whole or not at all.

        With ``jump_from`` (the hub: the highest counter the writer is known to have
        seen), also raise InvalidOp for a counter more than ``MAX_COUNTER_JUMP`` above
        both that and the board's highest counter.
        """
        types: dict[str, str] = {}
        clocks: dict[tuple[str, str, int, str], Any] = {}
        ceiling = None if jump_from is None else max(self.max_counter, jump_from)
        for op in ops:
            if ceiling is not None and op.counter > ceiling + MAX_COUNTER_JUMP:
                raise InvalidOp(
                    f"counter {op.counter} is more than {MAX_COUNTER_JUMP} above the highest "
                    f"counter of the board and of what you have seen ({ceiling})"
                )
            self.check(op)
            if types.setdefault(op.id, op.type) != op.type:
                raise Conflict(f"the batch gives object {op.id!r} two types")
            for one in expand(op):
                key = (one.id, one.field, one.counter, one.client)
                if clocks.setdefault(key, one.value) != one.value:
                    raise Conflict(f"the batch uses clock {one.counter}/{one.client} twice")

    def apply(self, op: Op) -> bool:
        """Merge ``op``; return True if it changed the document (it won its field)."""
        self.check(op)
        return self._merge(op, None)

    def _merge(self, op: Op, journal: Journal | None) -> bool:
        changed = False
        for one in expand(op):
            changed = self._merge_one(one, journal) or changed
        return changed

    def _merge_one(self, op: Op, journal: Journal | None) -> bool:
        if op.counter > self.max_counter:
            self.max_counter = op.counter
        obj = self.fields.get(op.id)
        new_object = obj is None
        if obj is None:
            self.types[op.id] = op.type
            obj = self.fields[op.id] = {}
        reg = obj.get(op.field)
        if reg is not None and (reg.counter, reg.client) >= (op.counter, op.client):
            return False
        if journal is not None:
            journal.changes.append(Change(op.id, op.field, reg, new_object))
        obj[op.field] = Register(op.value, op.counter, op.client)
        return True

    def apply_batch(
        self, ops: Iterable[Op], *, jump_from: int | None = None, journal: Journal | None = None
    ) -> list[Op]:
        """Merge a batch whole or not at all; return the ops that changed the document.

        ``jump_from``: see :meth:`check_batch`. ``journal`` records every register
        changed, for :meth:`rollback`.
        """
        ops = list(ops)
        self.check_batch(ops, jump_from=jump_from)
        return [op for op in ops if self._merge(op, journal)]

    def rollback(self, journal: Journal) -> None:
        """Take back every change recorded in ``journal`` (newest first)."""
        for change in reversed(journal.changes):
            obj = self.fields[change.id]
            if change.before is None:
                del obj[change.field]
            else:
                obj[change.field] = change.before
            if change.new_object and not obj:
                del self.fields[change.id]
                del self.types[change.id]
        journal.changes.clear()
        self.max_counter = journal.max_counter

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
        """Every visible object as ``{id: {"type": ..., field: value, ...}}``; an actor's
        role registers as ``roles``, the list of its roles that are on."""
        out: dict[str, dict[str, Any]] = {}
        for obj_id, obj in self.fields.items():
            if self.is_visible(obj_id):
                view = present_roles({name: reg.value for name, reg in obj.items()})
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
