"""Structural brokerage: Burt's constraint and effective size, Gould-Fernandez roles.

**Burt** (Structural Holes, 1992), on the undirected map with tie weights = summed
strengths. With ``p[i][j] = w(i, j) / sum_k w(i, k)`` (the share of i's ties that go to
j) and ``m[j][q] = w(j, q) / max_k w(j, k)``:

- constraint ``c(i) = sum over neighbours j of (p[i][j] + sum over neighbours q of i,
  q != j, of p[i][q] * p[q][j])^2``: how much i's contacts are tied to each other; low
  constraint means i spans structural holes;
- effective size ``E(i) = sum over neighbours j of (1 - sum over neighbours q of
  p[i][q] * m[j][q])``: the number of i's contacts that are not redundant.

Both equal networkx's ``constraint`` and ``effective_size`` with ``weight="weight"``
(compared in the unit tests); an actor without ties has neither (None).

**Gould and Fernandez** (1989, "Structures of mediation", Sociological Methodology 19)
classify every *open two-path* ``i -> j -> k`` (i and k distinct, no tie ``i -> k``) by
the groups of the three actors; j is the broker. Here the groups are the stances the
group drew (pole A, pole B, the middle, unknown):

================  ==============================  =========================================
role              groups                          reads as
================  ==============================  =========================================
coordinator       g(i) = g(j) = g(k)              mediates inside its own camp
itinerant         g(i) = g(k) != g(j)             an outsider mediating inside another camp
representative    g(i) = g(j) != g(k)             speaks for its camp to another
gatekeeper        g(j) = g(k) != g(i)             decides who from outside gets into its camp
liaison           all three differ                links camps it does not belong to
================  ==============================  =========================================

Counts are per broker over ordered pairs (i, k), as in Gould and Fernandez and statnet's
``brokerage``; a relation without direction is a tie both ways.
"""

from __future__ import annotations

from .graph import MapGraph

GF_ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


def _weights(g: MapGraph) -> list[dict[int, float]]:
    w: list[dict[int, float]] = [{} for _ in range(g.n)]
    for (i, j), x in g.weight.items():
        w[i][j] = w[j][i] = float(x)
    return w


def constraint_and_effective_size(g: MapGraph) -> tuple[list[float | None], list[float | None]]:
    """Burt's constraint and effective size of every actor (None without ties)."""
    w = _weights(g)
    total = [sum(d.values()) for d in w]
    top = [max(d.values()) if d else 0.0 for d in w]
    p = [{j: x / total[i] for j, x in d.items()} for i, d in enumerate(w)]
    constraint: list[float | None] = []
    effective: list[float | None] = []
    for i in range(g.n):
        if not w[i]:
            constraint.append(None)
            effective.append(None)
            continue
        c = 0.0
        e = 0.0
        for j in w[i]:
            indirect = sum(p[i][q] * p[q].get(j, 0.0) for q in w[i] if q != j)
            c += (p[i][j] + indirect) ** 2
            redundancy = sum(p[i][q] * w[j].get(q, 0.0) / top[j] for q in w[i])
            e += 1.0 - redundancy
        constraint.append(c)
        effective.append(e)
    return constraint, effective


def gould_fernandez(out: list[set[int]], group: list[str]) -> list[dict[str, int]]:
    """The five brokerage counts of every actor (see the module docstring)."""
    n = len(out)
    into: list[set[int]] = [set() for _ in range(n)]
    for i, ks in enumerate(out):
        for k in ks:
            into[k].add(i)
    counts = [dict.fromkeys(GF_ROLES, 0) for _ in range(n)]
    for j in range(n):
        gj = group[j]
        for i in into[j]:
            gi = group[i]
            for k in out[j]:
                if k == i or k in out[i]:
                    continue
                gk = group[k]
                if gi == gj == gk:
                    role = "coordinator"
                elif gi == gk:
                    role = "itinerant"
                elif gi == gj:
                    role = "representative"
                elif gj == gk:
                    role = "gatekeeper"
                else:
                    role = "liaison"
                counts[j][role] += 1
    return counts
