"""An op: one write of one field of one object, stamped with a logical clock.

On the wire an op is a msgpack array of six items, in this order::

    [id, type, field, value, counter, client]

``(counter, client)`` is the op's clock: a Lamport counter, then the writer's client id.
Clocks are totally ordered (counter first, then client id compared as ASCII strings), so
concurrent writes resolve the same way on every replica whatever the arrival order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .errors import InvalidOp
from .schema import MAX_COUNTER, META_ID, check_id, field_spec

OP_ARITY = 6


class Op(NamedTuple):
    id: str
    type: str
    field: str
    value: Any
    counter: int
    client: str

    @property
    def clock(self) -> tuple[int, str]:
        return (self.counter, self.client)

    def to_wire(self) -> list[Any]:
        return [self.id, self.type, self.field, self.value, self.counter, self.client]


def check_counter(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_COUNTER:
        raise InvalidOp(f"counter must be an integer 0..{MAX_COUNTER}")
    return value


def op_from_wire(raw: Any) -> Op:
    """Validate one wire op against the schema; return it as an :class:`Op`."""
    if type(raw) is not list or len(raw) != OP_ARITY:
        raise InvalidOp("an op is an array [id, type, field, value, counter, client]")
    obj_id, obj_type, field, value, counter, client = raw
    check_id(obj_id)
    spec = field_spec(obj_type, field)
    if (obj_type == "meta") != (obj_id == META_ID):
        raise InvalidOp(f"the board's meta object has id {META_ID!r} and only it")
    spec.check(value)
    check_counter(counter)
    check_id(client, "client")
    return Op(obj_id, obj_type, field, value, counter, client)
