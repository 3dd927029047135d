"""Tables and ratios of the W workloads (:mod:`bench.workloads`), as text and Markdown."""

from __future__ import annotations

from typing import Any

from .report import machine as _machine
from .report import node_version

REFERENCE = 0.5  # the multiplier at which CPU per op and latencies are compared


def machine() -> str:
    return f"{_machine()}, Node {node_version()}"


def _f(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def step_line(s: dict[str, Any]) -> str:
    lat = s["latency_ms"]
    head = f"x{s['multiplier']:g}" if "multiplier" in s else f"{s['step']}"
    if "clients" in s:
        head += f" ({s['clients']} clients, {s['kb_per_connection']:.0f} kB/conn)"
    return (
        f"{head}: delivered {s['delivered_per_s']:,.0f}/s, p50/p99 {_f(lat['p50'])}/"
        f"{_f(lat['p99'])} ms, lost {s['lost']}, server {s['server_cpu_pct']:.0f}%, "
        f"generator {s['gen_cpu_pct']:.0f}%, {'held' if s['held'] else 'NOT held'}"
        + (f", disorder {s['disorder']}" if s["disorder"] else "")
        + (f", seq gaps {s['seq_gaps']}" if s.get("seq_gaps") else "")
        + (f", errors {s['errors']}" if s["errors"] else "")
    )


def sweep_capacity(run: dict[str, Any]) -> float:
    """The highest multiplier held before the first step that was not (the sweep)."""
    cap = 0.0
    for s in run["steps"]:
        if not s["held"]:
            break
        cap = s["multiplier"]
    return cap


def to_confirm(run: dict[str, Any], tried: list[dict[str, Any]]) -> float | None:
    """The next multiplier to confirm over a longer window after ``tried``: the sweep's
    capacity first, then each held step below the last one that failed; None when one
    held (or nothing is left). Bounded by the caller."""
    if any(s["held"] for s in tried):
        return None
    cap = sweep_capacity(run)
    held = [s["multiplier"] for s in run["steps"] if s["held"] and s["multiplier"] <= cap]
    below = [k for k in held if not tried or k < min(s["multiplier"] for s in tried)]
    return max(below) if below else None


def capacity(run: dict[str, Any]) -> float:
    """The capacity the tables give: the sweep's, or, when its boundary was confirmed over
    a longer window (``run["confirm"]``), the highest multiplier held there. When every
    confirmation failed, the highest sweep step below the last one tried (unconfirmed)."""
    tried = run.get("confirm") or []
    if not tried:
        return sweep_capacity(run)
    held = [s["multiplier"] for s in tried if s["held"]]
    if held:
        return float(max(held))
    lowest = min(s["multiplier"] for s in tried)
    below = [s["multiplier"] for s in run["steps"] if s["held"] and s["multiplier"] < lowest]
    return float(max(below)) if below else 0.0


def capacity_label(run: dict[str, Any]) -> str:
    """``x5``, or ``x5 (x6 in the sweep)`` when a confirmation moved it."""
    cap, sweep = capacity(run), sweep_capacity(run)
    return f"x{cap:g}" + (f" (x{sweep:g} in the sweep)" if cap != sweep else "")


def at(run: dict[str, Any], k: float) -> dict[str, Any] | None:
    """The step at multiplier ``k``; when the run stopped before it, its last step below
    ``k`` (the tables then name that step's multiplier)."""
    exact = next((s for s in run["steps"] if s.get("multiplier") == k), None)
    below = [s for s in run["steps"] if s.get("multiplier", k + 1) < k]
    return exact or (below[-1] if below else None)


def _at_label(s: dict[str, Any] | None) -> str:
    return "" if s is None or s.get("multiplier") == REFERENCE else f" (x{s['multiplier']:g})"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"x{a / b:.2f}"


W1_HEAD = (
    "server",
    "capacity",
    f"p50/p99 ms at x{REFERENCE:g} (or the step named)",
    "server CPU (same step)",
    "server CPU µs per delivered op (same step)",
    "presence coalesced (same step)",
    "generator CPU (max)",
    "capacity vs relay / vs Yjs",
    "CPU per op vs relay / vs Yjs",
)


def w1_rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    w1 = [r for r in runs if r["workload"] == "w1"]
    base = {r["server"]: r for r in w1 if r["server"] in ("relay", "yjs")}

    def cpu_op(r: dict[str, Any] | None) -> float | None:
        s = at(r, REFERENCE) if r else None
        return s["server_us_per_delivered"] if s else None

    rows = []
    for r in w1:
        s = at(r, REFERENCE)
        cap = capacity(r) if r["steps"] else None
        relay, yjs = base.get("relay"), base.get("yjs")
        rows.append(
            [
                r["label"] + (" (error)" if r["error"] else ""),
                capacity_label(r) if cap is not None else "-",
                f"{_f(s['latency_ms']['p50'])}/{_f(s['latency_ms']['p99'])}{_at_label(s)}"
                if s
                else "-",
                f"{s['server_cpu_pct']:.0f} %" if s else "-",
                _f(cpu_op(r)),
                f"{100 * s['presence_coalesced']:.0f} %"
                if s and s["presence_coalesced"] is not None
                else "-",
                f"{max(x['gen_cpu_pct'] for x in r['steps']):.0f} %" if r["steps"] else "-",
                f"{_ratio(cap, capacity(relay) if relay else None)} / "
                f"{_ratio(cap, capacity(yjs) if yjs else None)}",
                f"{_ratio(cpu_op(r), cpu_op(relay))} / {_ratio(cpu_op(r), cpu_op(yjs))}",
            ]
        )
    return rows


STEP_HEAD = (
    "server",
    "load",
    "ops/s offered",
    "delivered ops/s",
    "op→peer p50/p99 ms",
    "plenary p99 ms",
    "ack p50 ms",
    "lost",
    "server CPU",
    "store CPU",
    "µs/op",
    "presence coalesced",
    "generator CPU",
    "others' CPU",
    "held",
)


def step_rows(runs: list[dict[str, Any]], workload: str) -> list[list[str]]:
    rows = []
    for r in runs:
        if r["workload"] != workload:
            continue
        for s in r["steps"] + r.get("confirm", []):
            lat = s["latency_ms"]
            load = f"x{s['multiplier']:g}" if "multiplier" in s else str(s["step"])
            if s.get("confirming"):
                load += f" (confirming, {s['confirming']:g} s)"
            if "clients" in s:
                load = f"{s['clients']} clients"
            pc = s["presence_coalesced"]
            rows.append(
                [
                    r["label"],
                    load,
                    _f(float(s["ops_per_s_offered"]), 0),
                    _f(float(s["delivered_per_s"]), 0),
                    f"{_f(lat['p50'])}/{_f(lat['p99'])}",
                    _f(s["latency_plenary_ms"]["p99"]),
                    _f(s["latency_ack_ms"]["p50"]),
                    str(s["lost"]),
                    f"{s['server_cpu_pct']:.0f} %",
                    f"{s['store_cpu_pct']:.0f} %" if s["store_cpu_pct"] else "-",
                    _f(s["server_us_per_delivered"]),
                    f"{100 * pc:.0f} %" if pc is not None else "-",
                    f"{s['gen_cpu_pct']:.0f} %",
                    f"{s['other_cpu_pct']:.0f} %",
                    "yes" if s["held"] else "no",
                ]
            )
    return rows


def w2_rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for r in runs:
        if r["workload"] != "w2":
            continue
        held = r["done"]["held"] if r["done"] else None
        last = r["steps"][-1] if r["steps"] else None
        rows.append(
            [
                r["label"] + (" (error)" if r["error"] else ""),
                str(held) if held is not None else "-",
                f"{last['clients']}" if last else "-",
                f"{last['kb_per_connection']:.0f} kB" if last else "-",
                f"{_f(last['latency_ms']['p99'])}" if last else "-",
                f"{last['server_cpu_pct']:.0f} %" if last else "-",
            ]
        )
    return rows


W2_HEAD = (
    "hub",
    "clients held (p99 ≤ limit)",
    "last step",
    "RSS per connection",
    "p99 ms at the last step",
    "server CPU",
)


def w3_rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for r in runs:
        if r["workload"] != "w3":
            continue
        d = r["done"] or {}
        steps = {s["step"]: s for s in r["steps"]}
        a, b = steps.get("without"), steps.get("with late joiners")
        sync = d.get("sync_ms") or {}
        rows.append(
            [
                r["label"] + (" (error)" if r["error"] else ""),
                str(d.get("joins", "-")),
                f"{_f(sync.get('p50'))} / {_f(sync.get('max'))}",
                _f(a["latency_ms"]["p99"]) if a else "-",
                _f(b["latency_ms"]["p99"]) if b else "-",
                f"x{d['p99_ratio']:.2f}" if d.get("p99_ratio") else "-",
                f"{b['joiner_cpu_pct']:.0f} %" if b and b.get("joiner_cpu_pct") else "-",
            ]
        )
    return rows


W3_HEAD = (
    "hub",
    "late joins",
    "time to full state p50 / max ms",
    "others' p99 without (ms)",
    "with joiners (ms)",
    "ratio",
    "joiners' process CPU",
)


def before_after(runs: list[dict[str, Any]]) -> list[str]:
    """One line per Schakel server measured from more than one hub source."""
    lines = []
    by: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in runs:
        if r["server"].startswith("schakel"):
            by.setdefault((r["workload"], r["server"]), {})[r["source"]] = r
    for (workload, server), sources in by.items():
        if len(sources) < 2:
            continue
        parts = []
        for label, r in sources.items():
            if workload == "w1":
                s = at(r, REFERENCE)
                cpu = s["server_us_per_delivered"] if s else None
                parts.append(f"{label}: capacity x{capacity(r):g}, {_f(cpu)} µs/op{_at_label(s)}")
            elif workload == "w2":
                parts.append(f"{label}: {(r['done'] or {}).get('held', '-')} clients")
            else:
                d = r["done"] or {}
                parts.append(
                    f"{label}: sync p50 {_f((d.get('sync_ms') or {}).get('p50'))} ms, "
                    f"others' p99 x{d.get('p99_ratio') or 0:.2f}"
                )
        lines.append(f"{workload} {server}: " + " → ".join(parts))
    return lines


# The W1 servers of two hubs on one Redis, and how the generator spreads the tablets over
# them (its ``spread``): in turn, or each board's on one hub.
TWO_HUBS = {"schakel-2hubs": "tablet", "schakel-2hubs-boards": "board"}
SPREADS = {"tablet": "tablets in turn", "board": "each board on one hub"}


def two_hubs(runs: list[dict[str, Any]]) -> list[str]:
    """Per hub source: what two hubs on one Redis would hold against one hub on it with a
    core each, projected from the CPU per delivered op at the highest step both held
    (``2 x one hub's µs/op / two hubs' µs/op``, both hubs' CPU counted). On 2 cores the
    capacity cannot show it: hub B shares the generator's core. It assumes Redis keeps up
    and that CPU per op stays as measured."""
    lines = []
    w1 = [r for r in runs if r["workload"] == "w1"]
    for two in (r for r in w1 if r["server"] in TWO_HUBS):
        one = next(
            (r for r in w1 if r["server"] == "schakel-redis" and r["source"] == two["source"]),
            None,
        )
        if one is None or not one["steps"] or not two["steps"]:
            continue
        k = min(sweep_capacity(one), sweep_capacity(two))
        a, b = at(one, k), at(two, k)
        if not k or a is None or b is None or a["multiplier"] != b["multiplier"]:
            continue
        ua, ub = a["server_us_per_delivered"], b["server_us_per_delivered"]
        if not ua or not ub:
            continue
        spread = SPREADS[TWO_HUBS[two["server"]]]
        lines.append(
            f"{two['source']}: at x{k:g} two hubs ({spread}) use {_f(ub)} µs "
            "per delivered op in all, "
            f"one hub {_f(ua)}: with a core each, two hubs would hold about "
            f"x{2 * ua / ub:.2f} one hub"
        )
    return lines


def _text_table(head: tuple[str, ...], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

    return "\n".join([line(list(head)), line(["-" * w for w in widths]), *map(line, rows)])


def _md_table(head: tuple[str, ...], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _describe(meta: dict[str, Any]) -> str:
    p = meta["params"]
    return (
        f"W1: {p['boards']} boards x {p['clients']} tablets + 1 plenary following all boards, "
        f"per tablet {p['ops_rate']:g} ops/s and {p['presence_rate']:g} presence/s at x1; "
        f"multipliers {', '.join(f'x{k:g}' for k in p['steps'])} until p99 op→peer > "
        f"{p['p99_limit_ms']:g} ms or ops lost; {p['warmup_s']:g} s warm-up and "
        f"{p['window_s']:g} s measured per step"
        + (
            f"; the capacity step measured again over {p['confirm_s']:g} s (and the step "
            "below it if it fails there), the capacity is what held there"
            if p.get("confirm_s")
            else ""
        )
        + f". W2: steps of {p['w2_steps']} tablets at 1 op/s. "
        f"W3: {p['w3_objects']} objects, the other boards at x{p['w3_multiplier']:g}. "
        + ("Pinned with taskset (see each run)." if meta["pinned"] else "No CPU pinning.")
        + f" Load average before/after: {meta['load_before'][0]:.2f}/{meta['load_after'][0]:.2f}."
    )


def _errors(runs: list[dict[str, Any]]) -> list[str]:
    return [f"{r['workload']} {r['label']}: {r['error'][:300]}" for r in runs if r["error"]]


def text(meta: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    out = [f"{meta['started']} · {meta['machine']}", _describe(meta), ""]
    out += ["W1 summary", _text_table(W1_HEAD, w1_rows(runs)), ""]
    out += ["W1 steps", _text_table(STEP_HEAD, step_rows(runs, "w1")), ""]
    out += ["W2", _text_table(W2_HEAD, w2_rows(runs)), ""]
    out += ["W3", _text_table(W3_HEAD, w3_rows(runs))]
    ba = before_after(runs)
    if ba:
        out += ["", "Before → after:", *ba]
    th = two_hubs(runs)
    if th:
        out += ["", "Two hubs on one Redis, projected from CPU per op:", *th]
    errs = _errors(runs)
    if errs:
        out += ["", "Errors:", *errs]
    out.append(f"\n({meta['elapsed_s']:.0f} s)")
    return "\n".join(out)


def markdown(meta: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    pins = sorted({f"{r['label']}: {r['pinning']}" for r in runs if r["pinning"]})
    out = [
        f"Last `make bench`: {meta['started']} on {meta['machine']}.",
        "",
        _describe(meta),
        "",
        "![p99 op→peer against load](../artifacts/bench/w1-p99.svg)"
        " (written by the run; not committed)",
        "",
        "**W1**",
        "",
        _md_table(W1_HEAD, w1_rows(runs)),
        "",
        "**W2**",
        "",
        _md_table(W2_HEAD, w2_rows(runs)),
        "",
        "**W3**",
        "",
        _md_table(W3_HEAD, w3_rows(runs)),
    ]
    ba = before_after(runs)
    if ba:
        out += ["", "**Before → after**", "", *(f"- {line}" for line in ba)]
    th = two_hubs(runs)
    if th:
        out += ["", "**Two hubs on one Redis, projected from CPU per op**", ""]
        out += [f"- {line}" for line in th]
    errs = _errors(runs)
    if errs:
        out += ["", "**Errors**", "", *(f"- {e}" for e in errs)]
    out += [
        "",
        "Every step:",
        "",
        _md_table(STEP_HEAD, step_rows(runs, "w1") + step_rows(runs, "w2") + step_rows(runs, "w3")),
    ]
    if pins:
        out += ["", "Pinning: " + "; ".join(pins) + "."]
    return "\n".join(out)
