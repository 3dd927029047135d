"""A board as a graph file for other tools: GraphML (yEd, Gephi), GEXF (Gephi), node-link
JSON (d3, networkx) and CSV (spreadsheets).

Actors are nodes, relations are edges of a directed multigraph (two relations between the
same actors stay two edges; an undirected relation is an edge from its source with
``direction = "none"``). Every attribute of the board is kept:

- node: ``label``, ``kind``, ``stance``, ``influence`` (when drawn), ``roles`` (joined by
  ``;``), one boolean ``role_<name>`` per role (for filtering in Gephi), ``x``, ``y``,
  ``colour`` and ``note`` when set;
- edge: ``id``, ``kind``, ``sign``, ``strength``, ``direction``, ``label``, ``weight`` (the
  strength) and ``signed_weight`` (the strength with the sign);
- graph: ``board``, ``title``, ``issue``, ``pole_a``, ``pole_b``.

GEXF nodes also carry their position (``viz:position``), so Gephi opens the map as drawn.
CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

import networkx as nx

from schakel_core.schema import ROLES

from .svg import clean

Objects = Mapping[str, Mapping[str, Any]]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _pos(o: Mapping[str, Any]) -> tuple[float, float]:
    p = o.get("pos")
    if isinstance(p, list) and len(p) == 2:
        return float(p[0]), float(p[1])
    return 0.0, 0.0


def node_attributes(o: Mapping[str, Any]) -> dict[str, Any]:
    roles = [r for r in (o.get("roles") or []) if r in ROLES]
    x, y = _pos(o)
    attrs: dict[str, Any] = {
        "label": clean(o.get("label")),
        "kind": clean(o.get("kind")) or "person",
        "stance": clean(o.get("stance")) or "unknown",
        "roles": ";".join(roles),
        "x": x,
        "y": y,
    }
    if type(o.get("influence")) is int:
        attrs["influence"] = o["influence"]
    for r in ROLES:
        attrs[f"role_{r}"] = r in roles
    for key in ("colour", "note"):
        if isinstance(o.get(key), str) and o[key]:
            attrs[key] = clean(o[key])
    return attrs


def edge_attributes(rid: str, o: Mapping[str, Any]) -> dict[str, Any]:
    strength = o["strength"] if type(o.get("strength")) is int else 2
    sign = o.get("sign") if o.get("sign") in ("+", "-") else "+"
    return {
        "id": rid,
        "kind": clean(o.get("kind")) or "other",
        "sign": sign,
        "strength": strength,
        "direction": clean(o.get("direction")) or "none",
        "label": clean(o.get("label")),
        "weight": strength,
        "signed_weight": strength if sign == "+" else -strength,
    }


def to_networkx(objects: Objects, board: str = "") -> nx.MultiDiGraph:
    """The board as a networkx multigraph with every attribute (module docstring)."""
    meta = objects.get("meta", {})
    g = nx.MultiDiGraph(
        board=board,
        **{k: clean(meta.get(k)) for k in ("title", "issue", "pole_a", "pole_b")},
    )
    for oid in sorted(objects):
        o = objects[oid]
        if o.get("type") == "actor":
            g.add_node(oid, **node_attributes(o))
    for oid in sorted(objects):
        o = objects[oid]
        if o.get("type") == "relation" and o.get("source") in g and o.get("target") in g:
            g.add_edge(o["source"], o["target"], key=oid, **edge_attributes(oid, o))
    return g


def graphml(objects: Objects, board: str = "") -> bytes:
    out = io.BytesIO()
    nx.write_graphml_xml(to_networkx(objects, board), out, encoding="utf-8")
    return out.getvalue()


def gexf(objects: Objects, board: str = "") -> bytes:
    g = to_networkx(objects, board)
    for _, attrs in g.nodes(data=True):
        attrs["viz"] = {"position": {"x": attrs["x"], "y": -attrs["y"], "z": 0.0}}
    out = io.BytesIO()
    nx.write_gexf(g, out, encoding="utf-8", version="1.2draft")
    return out.getvalue()


def node_link(objects: Objects, board: str = "") -> bytes:
    data = nx.node_link_data(to_networkx(objects, board), edges="links")
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8


def actors_csv(objects: Objects) -> bytes:
    header = ["id", "label", "kind", "stance", "influence", "roles", "x", "y", "colour", "note"]
    rows = []
    for oid in sorted(objects):
        o = objects[oid]
        if o.get("type") != "actor":
            continue
        a = node_attributes(o)
        rows.append(
            [oid, a["label"], a["kind"], a["stance"], a.get("influence", ""), a["roles"],
             a["x"], a["y"], a.get("colour", ""), a.get("note", "")]
        )  # fmt: skip
    return _csv(header, rows)


def relations_csv(objects: Objects) -> bytes:
    header = ["id", "source", "target", "source_label", "target_label", "kind", "sign",
              "strength", "direction", "label"]  # fmt: skip
    rows = []
    for oid in sorted(objects):
        o = objects[oid]
        if o.get("type") != "relation":
            continue
        e = edge_attributes(oid, o)
        s, t = objects.get(str(o.get("source")), {}), objects.get(str(o.get("target")), {})
        rows.append(
            [oid, o.get("source"), o.get("target"), clean(s.get("label")), clean(t.get("label")),
             e["kind"], e["sign"], e["strength"], e["direction"], e["label"]]
        )  # fmt: skip
    return _csv(header, rows)
