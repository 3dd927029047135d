"""The board schema: object types, their fields, value types and limits.

One declaration serves three purposes: validation of every op that enters the hub, the
language-neutral export ``shared/schema.json`` for the TypeScript client
(``python -m schakel_core.schema``), and the field tables in PROTOCOL.md.

Values are stored exactly as sent: validation accepts or rejects, it never rewrites a
value, so that the sender's optimistic replica and everyone else's hold the same bytes.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any, TypeGuard

from .errors import InvalidOp, TooLarge

PROTOCOL_VERSION = 2

# Limits of the wire, named once; PROTOCOL.md and schema.json repeat them.
MAX_FRAME_BYTES = 256 * 1024
MAX_OPS_PER_BATCH = 1000
MAX_ID_LEN = 64
MAX_BOARDS_PER_CONNECTION = 64
MAX_COUNTER = 2**53 - 1  # largest integer a JavaScript number holds exactly
MAX_COORD = 1_000_000.0
MAX_SELECTION = 50
MAX_STROKE_NUMBERS = 3 * 200
# An op's counter may lie at most this far above the highest counter of its board (or of
# any op the hub has sent to or taken from the connection): one op can never push a board
# to MAX_COUNTER, where no honest client could write any more.
MAX_COUNTER_JUMP = 1_000_000

# Limits of one board, named once; imports are held to them as well. A board's *bytes*
# are the msgpack bytes of its registers, each packed as its op [id, type, field, value,
# counter, client] (what the Redis store keeps per register, byte for byte).
MAX_BOARD_OBJECTS = 10_000
MAX_BOARD_BYTES = 16 * 1024 * 1024
MAX_OBJECT_BYTES = 64 * 1024  # all fields of one object (a full ink stroke is ~54 kB)

# Identifiers and colours match whole: ``fullmatch``, never ``match`` (whose ``$`` also
# matches before a final newline, so "a1\n" would pass).
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
ID_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-")
_ID_RE = re.compile(ID_PATTERN)
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
_COLOUR_RE = re.compile(COLOUR_PATTERN)

META_ID = "meta"


def is_id(value: Any) -> TypeGuard[str]:
    """Whether ``value`` is a valid object, board or client id."""
    return type(value) is str and _ID_RE.fullmatch(value) is not None


def check_id(value: Any, what: str = "id") -> str:
    """Return ``value`` if it is a valid object, board or client id; else raise."""
    if type(value) is not str or not _ID_RE.fullmatch(value):
        raise InvalidOp(f"{what} must be 1-{MAX_ID_LEN} characters of A-Z a-z 0-9 _ . : -")
    return value


def is_colour(value: Any) -> bool:
    """``#rrggbb`` exactly (hex digits, either case)."""
    return type(value) is str and _COLOUR_RE.fullmatch(value) is not None


def _is_number(value: Any) -> bool:
    t = type(value)
    if t is int:
        return True
    return t is float and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class Field:
    """A field of an object type; ``check`` returns the value or raises InvalidOp."""

    name: str
    type: str  # string | enum | int | number | bool | point | tags | ref | colour | numbers
    max_len: int = 0
    values: tuple[str, ...] = ()
    min: float = 0
    max: float = 0
    group: int = 1  # numbers: the list length must be a multiple of this
    ref_type: str = ""
    doc: str = ""

    def check(self, value: Any) -> Any:
        where = f"field {self.name!r}"
        match self.type:
            case "string":
                if type(value) is not str:
                    raise InvalidOp(f"{where} must be a string")
                if len(value) > self.max_len:
                    raise TooLarge(f"{where} is longer than {self.max_len} characters")
                return value
            case "enum":
                if type(value) is not str or value not in self.values:
                    raise InvalidOp(f"{where} must be one of {', '.join(self.values)}")
                return value
            case "bool":
                if type(value) is not bool:
                    raise InvalidOp(f"{where} must be true or false")
                return value
            case "int":
                if type(value) is not int or not self.min <= value <= self.max:
                    raise InvalidOp(f"{where} must be an integer {self.min:g}..{self.max:g}")
                return value
            case "number":
                if not _is_number(value) or not self.min <= value <= self.max:
                    raise InvalidOp(f"{where} must be a finite number {self.min:g}..{self.max:g}")
                return value
            case "point":
                if (
                    type(value) is not list
                    or len(value) != 2
                    or not all(_is_number(v) and abs(v) <= MAX_COORD for v in value)
                ):
                    raise InvalidOp(f"{where} must be [x, y], finite, |v| <= {MAX_COORD:g}")
                return value
            case "tags":
                if type(value) is not list or not all(
                    type(v) is str and v in self.values for v in value
                ):
                    raise InvalidOp(f"{where} must be a list of {', '.join(self.values)}")
                if len(set(value)) != len(value):
                    raise InvalidOp(f"{where} must not repeat a tag")
                return value
            case "ref":
                return check_id(value, where)
            case "colour":
                if not is_colour(value):
                    raise InvalidOp(f"{where} must be a colour #rrggbb")
                return value
            case "numbers":
                if type(value) is not list:
                    raise InvalidOp(f"{where} must be a list of numbers")
                if len(value) > self.max_len:
                    raise TooLarge(f"{where} holds more than {self.max_len} numbers")
                if len(value) % self.group or not all(
                    _is_number(v) and abs(v) <= MAX_COORD for v in value
                ):
                    raise InvalidOp(
                        f"{where} must be finite numbers in groups of {self.group}, "
                        f"|v| <= {MAX_COORD:g}"
                    )
                return value
        raise AssertionError(f"unknown field type {self.type}")  # pragma: no cover

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.type in ("string", "numbers"):
            out["maxLength"] = self.max_len
        if self.type in ("enum", "tags"):
            out["values"] = list(self.values)
        if self.type in ("int", "number"):
            out["min"], out["max"] = self.min, self.max
        if self.type == "numbers":
            out["group"] = self.group
        if self.type == "ref":
            out["refType"] = self.ref_type
        if self.type == "point":
            out["maxAbs"] = MAX_COORD
        if self.type == "colour":
            out["pattern"] = COLOUR_PATTERN
        if self.doc:
            out["doc"] = self.doc
        return out


ACTOR_KINDS = (
    "person",
    "organisation",
    "group",
    "institution",
    "media",
    "online_community",
    "other",
)
ROLES = ("pusher", "joiner", "silent", "bridge_builder", "scapegoat", "schakel", "mover")
ROLE_PREFIX = "role_"


def role_field(role: str) -> str:
    """The field of an actor that holds one role: ``role_<role>``, true or false."""
    return ROLE_PREFIX + role


ROLE_FIELDS = tuple(role_field(r) for r in ROLES)
# How readers see the role registers of an actor (Document.visible), how a board file
# gives them, and what boards stored before each role had its own register hold: one
# register ``roles`` with the list of roles that are on.
LEGACY_ROLES_FIELD = "roles"
ROLES_LIST = Field(LEGACY_ROLES_FIELD, "tags", values=ROLES, doc="the roles that are on")


def roles_as_fields(value: Any) -> dict[str, bool]:
    """A list of roles (a board file's ``roles``, or a register stored before roles had
    one register each) as the seven role fields: true for each role listed."""
    ROLES_LIST.check(value)
    return {role_field(r): r in value for r in ROLES}


STANCES = ("pole_a", "pole_b", "middle", "unknown")
RELATION_KINDS = ("alliance", "tension", "access", "influence", "conflict", "other")
SIGNS = ("+", "-")
DIRECTIONS = ("none", "forward", "backward", "both")


def _deleted() -> Field:
    return Field("deleted", "bool", doc="tombstone; a later write of false restores")


def _pos() -> Field:
    return Field("pos", "point", doc="[x, y] in board units")


TYPES: dict[str, dict[str, Field]] = {
    spec_type: {f.name: f for f in fields}
    for spec_type, fields in {
        "meta": (
            Field("issue", "string", max_len=500, doc="the issue the map is about"),
            Field("pole_a", "string", max_len=100, doc="name of pole A"),
            Field("pole_b", "string", max_len=100, doc="name of pole B"),
            Field("title", "string", max_len=200, doc="the board's title"),
        ),
        "actor": (
            Field("label", "string", max_len=120),
            Field("kind", "enum", values=ACTOR_KINDS),
            *(Field(role_field(r), "bool", doc=f"the actor has the role {r}") for r in ROLES),
            Field("stance", "enum", values=STANCES),
            Field("influence", "int", min=0, max=5),
            _pos(),
            Field("colour", "colour"),
            Field("note", "string", max_len=2000),
            _deleted(),
        ),
        "relation": (
            Field("source", "ref", ref_type="actor"),
            Field("target", "ref", ref_type="actor"),
            Field("kind", "enum", values=RELATION_KINDS),
            Field("sign", "enum", values=SIGNS),
            Field("direction", "enum", values=DIRECTIONS),
            Field("strength", "int", min=1, max=3),
            Field("label", "string", max_len=120),
            _deleted(),
        ),
        "note": (
            Field("text", "string", max_len=1000),
            _pos(),
            Field("colour", "colour"),
            Field("question", "string", max_len=64, doc="the programme question it answers"),
            _deleted(),
        ),
        "ink": (
            Field(
                "points",
                "numbers",
                max_len=3 * 2000,
                group=3,
                doc="flat list x, y, pressure (pressure 0..1)",
            ),
            Field("colour", "colour"),
            Field("width", "number", min=0.5, max=64),
            _deleted(),
        ),
    }.items()
}


def field_spec(obj_type: str, field: str) -> Field:
    """Return the spec of ``field`` of ``obj_type``, or raise InvalidOp."""
    fields = TYPES.get(obj_type) if type(obj_type) is str else None
    if fields is None:
        raise InvalidOp(f"unknown object type {obj_type!r}; known: {', '.join(TYPES)}")
    spec = fields.get(field) if type(field) is str else None
    if spec is None:
        raise InvalidOp(f"unknown field {field!r} of {obj_type}; known: {', '.join(fields)}")
    return spec


def to_json() -> dict[str, Any]:
    """The language-neutral schema (``shared/schema.json``)."""
    return {
        "protocolVersion": PROTOCOL_VERSION,
        "limits": {
            "maxFrameBytes": MAX_FRAME_BYTES,
            "maxOpsPerBatch": MAX_OPS_PER_BATCH,
            "maxIdLength": MAX_ID_LEN,
            "maxBoardsPerConnection": MAX_BOARDS_PER_CONNECTION,
            "maxCounter": MAX_COUNTER,
            "maxCoord": MAX_COORD,
            "maxSelection": MAX_SELECTION,
            "maxStrokeNumbers": MAX_STROKE_NUMBERS,
            "maxCounterJump": MAX_COUNTER_JUMP,
            "maxBoardObjects": MAX_BOARD_OBJECTS,
            "maxBoardBytes": MAX_BOARD_BYTES,
            "maxObjectBytes": MAX_OBJECT_BYTES,
        },
        "idPattern": ID_PATTERN,
        "roles": list(ROLES),
        "rolePrefix": ROLE_PREFIX,
        "metaId": META_ID,
        "types": {
            name: {fname: f.to_json() for fname, f in fields.items()}
            for name, fields in TYPES.items()
        },
    }


def dumps() -> str:
    return json.dumps(to_json(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - tiny CLI: python -m schakel_core.schema
    sys.stdout.write(dumps())
