"""Tables and ratios from benchmark results, as plain text and as Markdown."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = [
    ("server", "server"),
    ("mode", "mode"),
    ("sent/s", "sent ops/s"),
    ("deliv/s", "delivered ops/s"),
    ("frames/s", "frames/s out"),
    ("peer p50/95/99", "peer latency p50/p95/p99 ms"),
    ("plen p50/95/99", "plenary latency p50/p95/p99 ms"),
    ("ack p50/99", "ack latency p50/p99 ms"),
    ("cpu/1k", "server CPU s per 1000 delivered"),
    ("srv cpu", "server CPU %"),
    ("gen cpu", "generator CPU %"),
    ("other", "other processes CPU %"),
    ("ok", "complete"),
]


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def mode_of(r: dict[str, Any]) -> str:
    p = r["params"]
    return f"{p['rate']:g}/s" if p["rate"] > 0 else f"sat w{p['window']}"


def row(r: dict[str, Any]) -> list[str]:
    peer, plen, ack = r["latency_peer_ms"], r["latency_plenary_ms"], r["latency_ack_ms"]
    secs = r["window_s"]
    return [
        r["server"],
        mode_of(r),
        f"{r['sent_per_s']:,.0f}",
        f"{r['delivered_per_s']:,.0f}",
        f"{r['frames_per_s']:,.0f}",
        "/".join(_ms(peer[k]) for k in ("p50", "p95", "p99")),
        "/".join(_ms(plen[k]) for k in ("p50", "p95", "p99")),
        "/".join(_ms(ack[k]) for k in ("p50", "p99")) if ack["p50"] is not None else "-",
        f"{r['server_cpu_per_1000']:.3f}",
        f"{100 * r['server_cpu_s'] / secs:.0f}%",
        f"{100 * r['gen_cpu_s'] / secs:.0f}%",
        f"{100 * r.get('other_cpu_s', 0) / secs:.0f}%",
        "yes" if r["complete"] else f"NO ({r['missing']} missing, {r['error_count']} errors)",
    ]


def text_table(results: Sequence[dict[str, Any]]) -> str:
    rows = [[short for short, _ in COLUMNS]] + [row(r) for r in results]
    widths = [max(len(x[i]) for x in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(
            c.rjust(w) if i > 1 else c.ljust(w)
            for i, (c, w) in enumerate(zip(x, widths, strict=True))
        )
        for x in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: Sequence[dict[str, Any]]) -> str:
    head = "| " + " | ".join(long for _, long in COLUMNS) + " |"
    sep = "|" + "|".join("---" if i < 2 else "---:" for i in range(len(COLUMNS))) + "|"
    return "\n".join([head, sep] + ["| " + " | ".join(row(r)) + " |" for r in results])


QUIET_CORES = 0.5  # a run is "quiet" when other processes used less than this many cores


def quiet(r: dict[str, Any]) -> bool:
    return bool(r.get("other_cpu_s", 0) / r["window_s"] < QUIET_CORES)


def _runs(results: Sequence[dict[str, Any]], server: str, mode: str) -> list[dict[str, Any]]:
    """The runs of ``server`` in ``mode``: the quiet ones if there are any, else all."""
    runs = [r for r in results if r["server"] == server and mode_of(r) == mode]
    return [r for r in runs if quiet(r)] or runs


def _median(results: Sequence[dict[str, Any]], server: str, mode: str, key: str) -> float | None:
    values = [r[key] for r in _runs(results, server, mode)]
    return statistics.median(values) if values else None


def _p99(results: Sequence[dict[str, Any]], server: str, mode: str) -> float | None:
    values = [
        r["latency_plenary_ms"]["p99"]
        for r in _runs(results, server, mode)
        if r["latency_plenary_ms"]["p99"]
    ]
    return statistics.median(values) if values else None


def _lat(runs: Sequence[dict[str, Any]], kind: str, q: str) -> str:
    values = [r[kind][q] for r in runs if r[kind][q] is not None]
    return _ms(statistics.median(values)) if values else "-"


def _range(values: Sequence[float], fmt: str) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return format(med, fmt)
    return f"{format(med, fmt)} ({format(min(values), fmt)}..{format(max(values), fmt)})"


SUMMARY = [
    "server",
    "mode",
    "runs (quiet/all)",
    "delivered ops/s (range)",
    "frames/s out",
    "plenary p50/p99 ms",
    "peer p50/p99 ms",
    "ack p50/p99 ms",
    "server CPU s per 1000 (range)",
]


def summary_rows(results: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Per server and mode: medians over the quiet runs (ranges in brackets)."""
    rows: list[list[str]] = []
    modes = list(dict.fromkeys(mode_of(r) for r in results))
    servers = list(dict.fromkeys(r["server"] for r in results))
    for mode in modes:
        for server in servers:
            runs = _runs(results, server, mode)
            if not runs:
                continue
            total = sum(1 for r in results if r["server"] == server and mode_of(r) == mode)
            n_quiet = sum(1 for r in runs if quiet(r))
            rows.append(
                [
                    server,
                    mode,
                    f"{n_quiet}/{total}",
                    _range([r["delivered_per_s"] for r in runs], ",.0f"),
                    format(statistics.median(r["frames_per_s"] for r in runs), ",.0f"),
                    "/".join(_lat(runs, "latency_plenary_ms", q) for q in ("p50", "p99")),
                    "/".join(_lat(runs, "latency_peer_ms", q) for q in ("p50", "p99")),
                    "/".join(_lat(runs, "latency_ack_ms", q) for q in ("p50", "p99")),
                    _range([r["server_cpu_per_1000"] for r in runs], ".3f"),
                ]
            )
    return rows


def summary_text(results: Sequence[dict[str, Any]]) -> str:
    rows = [SUMMARY, *summary_rows(results)]
    widths = [max(len(x[i]) for x in rows) for i in range(len(SUMMARY))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) for x in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary_markdown(results: Sequence[dict[str, Any]]) -> str:
    head = "| " + " | ".join(SUMMARY) + " |"
    sep = "|" + "|".join("---" if i < 3 else "---:" for i in range(len(SUMMARY))) + "|"
    return "\n".join([head, sep] + ["| " + " | ".join(x) + " |" for x in summary_rows(results)])


def ratios(results: Sequence[dict[str, Any]], base: str = "schakel") -> list[str]:
    """Schakel against each other server, per mode (medians over the quiet repeats)."""
    lines: list[str] = []
    modes = list(dict.fromkeys(mode_of(r) for r in results))
    others = [s for s in dict.fromkeys(r["server"] for r in results) if s != base]
    for mode in modes:
        ours = _median(results, base, mode, "delivered_per_s")
        if ours is None:
            continue
        for other in others:
            theirs = _median(results, other, mode, "delivered_per_s")
            if not theirs:
                continue
            cpu_o = _median(results, base, mode, "server_cpu_per_1000")
            cpu_t = _median(results, other, mode, "server_cpu_per_1000")
            lat_o, lat_t = _p99(results, base, mode), _p99(results, other, mode)
            parts = [f"delivered ops/s x{ours / theirs:.2f}"]
            if cpu_o and cpu_t:
                parts.append(f"CPU per op x{cpu_o / cpu_t:.2f}")
            if lat_o and lat_t:
                parts.append(f"plenary p99 x{lat_o / lat_t:.2f}")
            lines.append(f"{mode}: {base} vs {other}: " + ", ".join(parts))
    return lines


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}"
    )


def node_version() -> str:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return "no node"
    return out.stdout.strip()


def write_section(doc_path: Path, begin: str, end: str, text: str) -> None:
    """Replaces what stands between the markers ``begin`` and ``end`` of ``doc_path`` (the
    markers are added at the end when missing); the rest of the page is left alone."""
    doc = doc_path.read_text() if doc_path.exists() else "# Benchmarks\n"
    if begin not in doc or end not in doc:
        doc += f"\n{begin}\n{end}\n"
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    doc_path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")
