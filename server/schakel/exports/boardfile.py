"""Schakel's own board file (JSON), and reading a board from a file: our JSON or GraphML.

The board file holds a board's visible objects as :meth:`Document.visible` gives them (an
actor's roles as the list ``roles``)::

    {"format": "schakel-board", "version": 1, "board": "<id>", "title": "Groep 2",
     "exported": "2026-11-30T12:00:00Z", "objects": {"<id>": {"type": "actor", ...}}}

Importing turns a file into ops for an (empty) board: every object and field is checked
against the schema, exactly as ops from the wire are (``roles`` becomes one register per
role); a file with anything wrong is refused whole with a reason that names the object and
the field, and nothing is stored. A file holds at most as many objects as a board may
(:data:`~schakel_core.schema.MAX_BOARD_OBJECTS`); the board's other limits apply when the
hub writes it.

A GraphML file from another tool (networkx, Gephi, yEd) becomes actors and relations:
a node's ``label`` (or ``name``, or its id) is the actor's name; ``kind``, ``stance``,
``influence``, ``roles`` (or booleans ``role_<name>``), ``note`` and ``colour`` are read
when they hold values Schakel knows, and positions from ``x``/``y``; an edge's ``kind``,
``sign`` (or a negative ``weight``), ``strength`` (or the size of ``weight``, 1..3),
``direction`` (else: forward in a directed graph) and ``label``. Other attributes are left
out. XML is parsed with defusedxml first: no DTDs, no entities.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schakel_core.document import Document
from schakel_core.errors import InvalidMessage, InvalidOp, Malformed, RequestError, TooLarge
from schakel_core.ops import Op, op_from_wire
from schakel_core.schema import (
    ACTOR_KINDS,
    DIRECTIONS,
    ID_PATTERN,
    LEGACY_ROLES_FIELD,
    MAX_BOARD_OBJECTS,
    MAX_COORD,
    META_ID,
    RELATION_KINDS,
    ROLES,
    STANCES,
    TYPES,
    roles_as_fields,
)

FORMAT = "schakel-board"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 4 * 1024 * 1024
LAYOUT_SPACING = 220.0

_ID = re.compile(ID_PATTERN)
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, slots=True)
class Imported:
    """A board read from a file: objects with their fields, checked against the schema."""

    objects: dict[str, dict[str, Any]]
    source: str  # "schakel" or "graphml"

    def count(self, obj_type: str) -> int:
        return sum(1 for o in self.objects.values() if o["type"] == obj_type)


def board_json(objects: Mapping[str, Mapping[str, Any]], *, board: str, title: str) -> bytes:
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "board": board,
        "title": title,
        "exported": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "objects": {k: dict(objects[k]) for k in sorted(objects)},
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def parse_import(data: bytes) -> Imported:
    """Read a board file (Schakel JSON or GraphML); raise a RequestError saying what is wrong."""
    if len(data) > MAX_IMPORT_BYTES:
        raise TooLarge(f"an imported file holds at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    head = data.lstrip()[:1]
    if head == b"{":
        return _from_json(data)
    if head == b"<":
        return _from_graphml(data)
    raise Malformed("the file is neither a Schakel board (JSON) nor GraphML")


def _check_objects(objects: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(objects, dict):
        raise InvalidMessage("'objects' must be a map from id to object")
    if len(objects) > MAX_BOARD_OBJECTS:
        raise TooLarge(f"a board holds at most {MAX_BOARD_OBJECTS} objects")
    out: dict[str, dict[str, Any]] = {}
    for oid, obj in objects.items():
        where = f"object {str(oid)[:64]!r}"
        if not isinstance(obj, dict):
            raise InvalidMessage(f"{where} must be a map of fields")
        obj_type = obj.get("type")
        if obj_type not in TYPES:
            raise InvalidOp(f"{where}: unknown type {obj_type!r}; known: {', '.join(TYPES)}")
        fields = {k: v for k, v in obj.items() if k != "type"}
        try:
            if obj_type == "actor" and LEGACY_ROLES_FIELD in fields:
                fields |= roles_as_fields(fields.pop(LEGACY_ROLES_FIELD))
            for field, value in fields.items():
                op_from_wire([oid, obj_type, field, value, 1, "import"])
        except RequestError as exc:
            raise type(exc)(f"{where}: {exc.reason}") from None
        if fields.get("deleted") is True:
            continue  # a deleted object is not part of the map
        out[oid] = {"type": obj_type, **fields}
    actors = {k for k, o in out.items() if o["type"] == "actor"}
    for oid, o in out.items():
        if o["type"] == "relation":
            for end in ("source", "target"):
                if o.get(end) not in actors:
                    raise InvalidOp(
                        f"relation {oid!r}: its {end} {o.get(end)!r} is not an actor in the file"
                    )
    return out


def _from_json(data: bytes) -> Imported:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the file is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidMessage(f'a Schakel board file has "format": "{FORMAT}"')
    if doc.get("version") != FORMAT_VERSION:
        raise InvalidMessage(f"this hub reads board files of version {FORMAT_VERSION}")
    return Imported(_check_objects(doc.get("objects")), "schakel")


def _text(attrs: Mapping[str, Any], *keys: str) -> str | None:
    for k in keys:
        for name, value in attrs.items():
            if name.lower() == k and isinstance(value, str | int | float) and str(value).strip():
                return str(value).strip()
    return None


def _number(attrs: Mapping[str, Any], key: str) -> float | None:
    for name, value in attrs.items():
        if name.lower() == key and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value) if math.isfinite(value) else None
        if name.lower() == key and isinstance(value, str):
            try:
                f = float(value)
            except ValueError:
                return None
            return f if math.isfinite(f) else None
    return None


def _node(attrs: Mapping[str, Any], node_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "actor", "label": _text(attrs, "label", "name") or node_id}
    kind = _text(attrs, "kind")
    out["kind"] = kind if kind in ACTOR_KINDS else "person"
    stance = _text(attrs, "stance")
    out["stance"] = stance if stance in STANCES else "unknown"
    influence = _number(attrs, "influence")
    if influence is not None and influence == int(influence) and 0 <= influence <= 5:
        out["influence"] = int(influence)
    roles_text = _text(attrs, "roles") or ""
    roles = [
        r for r in ROLES if r in re.split(r"[;,\s]+", roles_text) or attrs.get(f"role_{r}") is True
    ]
    out["roles"] = roles
    note = _text(attrs, "note", "description")
    if note:
        out["note"] = note
    colour = _text(attrs, "colour", "color")
    if colour and _COLOUR.fullmatch(colour):
        out["colour"] = colour
    return out


def _edge(attrs: Mapping[str, Any], directed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "relation"}
    kind = _text(attrs, "kind")
    out["kind"] = kind if kind in RELATION_KINDS else "other"
    weight = _number(attrs, "signed_weight")
    if weight is None:
        weight = _number(attrs, "weight")
    sign = _text(attrs, "sign")
    out["sign"] = sign if sign in ("+", "-") else "-" if weight is not None and weight < 0 else "+"
    strength = _number(attrs, "strength")
    if strength is None and weight is not None:
        strength = min(3.0, max(1.0, round(abs(weight))))
    out["strength"] = int(strength) if strength is not None and 1 <= strength <= 3 else 2
    direction = _text(attrs, "direction")
    out["direction"] = direction if direction in DIRECTIONS else "forward" if directed else "none"
    label = _text(attrs, "label")
    if label:
        out["label"] = label
    return out


def _layout(nodes: list[tuple[str, Mapping[str, Any]]]) -> dict[str, list[float]]:
    """Positions from the file (scaled to a readable spread), else a circle."""
    n = len(nodes)
    given = {k: (_number(a, "x"), _number(a, "y")) for k, a in nodes}
    if n and all(x is not None and y is not None for x, y in given.values()):
        xs = [x for x, _ in given.values() if x is not None]
        ys = [y for _, y in given.values() if y is not None]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        want = LAYOUT_SPACING * max(1.0, math.sqrt(n)) * 1.5
        k = want / span if span < want / 3 or span > want * 3 else 1.0
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        return {
            key: [
                max(-MAX_COORD, min(MAX_COORD, round(((x or 0) - cx) * k, 1))),
                max(-MAX_COORD, min(MAX_COORD, round(((y or 0) - cy) * k, 1))),
            ]
            for key, (x, y) in given.items()
        }
    radius = max(300.0, n * LAYOUT_SPACING / (2 * math.pi))
    return {
        key: [
            round(radius * math.cos(2 * math.pi * i / n), 1),
            round(radius * math.sin(2 * math.pi * i / n), 1),
        ]
        for i, (key, _) in enumerate(nodes)
    }


def _from_graphml(data: bytes) -> Imported:
    import defusedxml.ElementTree as safe_et
    import networkx as nx
    from defusedxml import DefusedXmlException

    try:
        safe_et.fromstring(data)
    except DefusedXmlException:
        raise Malformed("the GraphML file uses DTDs or entities, which are not accepted") from None
    except safe_et.ParseError as exc:
        raise Malformed(f"the file is not valid XML: {exc}") from None
    try:
        g = nx.parse_graphml(data.decode("utf-8"), force_multigraph=True)
    except (nx.NetworkXError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise Malformed(f"the file is not GraphML networkx can read: {exc}") from None
    if g.number_of_nodes() + g.number_of_edges() > MAX_BOARD_OBJECTS:
        raise TooLarge(f"a board holds at most {MAX_BOARD_OBJECTS} objects")
    nodes = [(str(k), a) for k, a in g.nodes(data=True)]
    positions = _layout(nodes)
    ids: dict[str, str] = {}
    objects: dict[str, dict[str, Any]] = {}
    for k, (key, attrs) in enumerate(nodes):
        oid = key if _ID.fullmatch(key) and key != META_ID else f"n{k + 1}"
        while oid in objects:
            oid = f"n{k + 1}-{secrets.token_hex(2)}"
        ids[key] = oid
        objects[oid] = {**_node(attrs, key), "pos": positions[key]}
    for k, (u, v, attrs) in enumerate(g.edges(data=True)):
        rid = f"e{k + 1}"
        objects[rid] = {
            **_edge(attrs, g.is_directed()),
            "source": ids[str(u)],
            "target": ids[str(v)],
        }
    return Imported(_check_objects(objects), "graphml")


def import_ops(imported: Imported, target: Document, client: str) -> list[Op]:
    """The ops that write ``imported`` into the board ``target``: ids kept where they are
    free on that board, counters above everything it holds."""
    used = set(target.types)
    ids: dict[str, str] = {}
    for oid, o in imported.objects.items():
        if o["type"] == "meta":
            ids[oid] = META_ID
            continue
        new = oid
        while new in used or new == META_ID:
            new = f"i-{secrets.token_hex(5)}"
        used.add(new)
        ids[oid] = new
    counter = target.max_counter
    ops: list[Op] = []
    # Actors before relations, so that a live client sees them appear in a sensible order.
    order = sorted(imported.objects, key=lambda k: (imported.objects[k]["type"] == "relation", k))
    for oid in order:
        o = imported.objects[oid]
        for field in sorted(k for k in o if k != "type"):
            value = o[field]
            if field in ("source", "target"):
                value = ids[value]
            counter += 1
            ops.append(op_from_wire([ids[oid], o["type"], field, value, counter, client]))
    return ops


def import_client() -> str:
    return f"import-{secrets.token_hex(4)}"
