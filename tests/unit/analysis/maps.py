"""Small actor maps for the analysis tests, written as people would draw them."""

from __future__ import annotations

from typing import Any

Objects = dict[str, dict[str, Any]]


def actor(
    label: str,
    stance: str = "unknown",
    influence: int | None = 2,
    roles: tuple[str, ...] = (),
    pos: tuple[float, float] = (0, 0),
    kind: str = "person",
) -> dict[str, Any]:
    o: dict[str, Any] = {"type": "actor", "label": label, "stance": stance, "roles": list(roles)}
    if influence is not None:
        o["influence"] = influence
    o["pos"] = list(pos)
    o["kind"] = kind
    return o


def tie(
    source: str,
    target: str,
    sign: str = "+",
    kind: str = "alliance",
    direction: str = "none",
    strength: int = 2,
) -> dict[str, Any]:
    return {
        "type": "relation",
        "source": source,
        "target": target,
        "sign": sign,
        "kind": kind,
        "direction": direction,
        "strength": strength,
    }


def board(actors: dict[str, dict[str, Any]], ties: list[dict[str, Any]], **meta: str) -> Objects:
    out: Objects = dict(actors)
    for k, t in enumerate(ties):
        out[f"r{k:03d}"] = t
    if meta:
        out["meta"] = {"type": "meta", **meta}
    return out


def clique(prefix: str, n: int, **kw: Any) -> dict[str, dict[str, Any]]:
    return {f"{prefix}{i}": actor(f"{prefix.upper()}{i}", **kw) for i in range(n)}


def clique_ties(prefix: str, n: int, sign: str = "+") -> list[dict[str, Any]]:
    return [tie(f"{prefix}{i}", f"{prefix}{j}", sign) for i in range(n) for j in range(i + 1, n)]
