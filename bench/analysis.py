"""``python -m bench.analysis``: how fast the map is read, and what it costs the hub.

1. The analysis alone (pure function, this process): maps of workshop size up to the
   200-actor, 600-relation map of the target (≤ 50 ms), the median of ``--runs`` runs
   after a warm-up, with the time of each stage of the largest map.
2. Through a real hub (``schakel serve`` on loopback, embedded store): the first request
   for a board's analysis (worker start + analysis), a request for a changed board, and a
   request answered from the cache (board unchanged).
3. The event loop meanwhile: the round-trip time of pings from another connection while
   the large map is analysed again and again (each time after an edit, so never cached),
   with the analysis in a worker process (the hub's default) and in a thread of the hub
   (``SCHAKEL_WORKERS=0``), against the same pings on an idle hub.

4. The report of an 8-group workshop (each map about 14 actors and 22 relations, several
   actors named by more than one group, three parts of history): its HTML, PDF and ZIP,
   their sizes and the time to make them.

Prints figures and ratios; asserts nothing. Run it with ``OPENBLAS_NUM_THREADS=1`` (as
``make bench`` does), which is what the hub's worker processes set for themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from schakel_analysis import analyse_board
from schakel_analysis.brokerage import constraint_and_effective_size, gould_fernandez
from schakel_analysis.graph import build
from schakel_analysis.paths import shortest_paths
from schakel_analysis.players import important_actors
from schakel_analysis.polarisation import balance, best_split, communities
from schakel_analysis.whatif import cut_points_and_bridges, fragile_links
from schakel_client import SchakelClient

from .procs import BENCH_SECRET, free_port

SIZES = [(12, 18), (30, 60), (60, 150), (200, 600)]
STANCES = ("pole_a", "pole_b", "middle", "unknown")
ROLES = ("pusher", "joiner", "silent", "bridge_builder", "scapegoat", "schakel", "mover")


def random_map(actors: int, relations: int, seed: int = 1) -> dict[str, dict[str, Any]]:
    """A map with random stances, influence, roles, signs and directions (deterministic)."""
    rnd = random.Random(seed)
    out: dict[str, dict[str, Any]] = {}
    for i in range(actors):
        out[f"a{i:04d}"] = {
            "type": "actor",
            "label": f"Actor {i}",
            "stance": rnd.choice(STANCES),
            "influence": rnd.randint(0, 5),
            "roles": rnd.sample(ROLES, rnd.randint(0, 2)),
            "pos": [rnd.uniform(-1500, 1500), rnd.uniform(-1000, 1000)],
        }
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < relations:
        a, b = rnd.randrange(actors), rnd.randrange(actors)
        if a != b:
            pairs.add((a, b))
    for k, (a, b) in enumerate(sorted(pairs)):
        out[f"r{k:04d}"] = {
            "type": "relation",
            "source": f"a{a:04d}",
            "target": f"a{b:04d}",
            "sign": rnd.choice("+-"),
            "kind": rnd.choice(["alliance", "tension", "access", "influence"]),
            "strength": rnd.randint(1, 3),
            "direction": rnd.choice(["none", "forward", "backward", "both"]),
        }
    return out


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def pure(runs: int) -> dict[str, Any]:
    print("1. The analysis alone (ms; median, min, max):")
    print(f"   {'actors/relations':>18}  {'median':>8}  {'min':>7}  {'max':>7}")
    results = {}
    for n, m in SIZES:
        objects = random_map(n, m)
        ms = timed(lambda o=objects: analyse_board(o), runs)
        results[f"{n}/{m}"] = statistics.median(ms)
        print(f"   {f'{n}/{m}':>18}  {statistics.median(ms):8.1f}  {min(ms):7.1f}  {max(ms):7.1f}")
    n, m = SIZES[-1]
    g = build(random_map(n, m))
    targets = important_actors(g)
    stages: dict[str, Callable[[], object]] = {
        "graph": lambda: build(random_map(n, m)),
        "shortest paths (numpy)": lambda: shortest_paths(g, targets),
        "Burt": lambda: constraint_and_effective_size(g),
        "Gould-Fernandez": lambda: gould_fernandez(g.out, [g.actor(i).stance for i in range(n)]),
        "Louvain (networkx)": lambda: communities(g),
        "two-camp split": lambda: best_split(g),
        "balance": lambda: balance(g),
        "cut points, bridges": lambda: cut_points_and_bridges(g),
        "fragile links": lambda: fragile_links(g, cut_points_and_bridges(g)[1]),
    }
    print(f"   stages of the {n}/{m} map (median ms):")
    for name, fn in stages.items():
        print(f"     {name:<24} {statistics.median(timed(fn, max(3, runs // 3))):7.1f}")
    target = results[f"{n}/{m}"]
    print(f"   {n}/{m}: {target:.1f} ms against the target of 50 ms ({target / 50:.2f}x)")
    return results


async def _hub(workers: int, data: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    env = {**os.environ, "SCHAKEL_SECRET": BENCH_SECRET, "SCHAKEL_WORKERS": str(workers)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schakel", "serve", "--port", str(port), "--data-dir", str(data),
        "--log-level", "warning", env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as http:
        for _ in range(400):
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return proc, url
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("the hub did not start")


async def _draw(url: str, token: str, board: str, objects: dict[str, dict[str, Any]]) -> None:
    ws_url = url.replace("http", "ws") + "/ws"
    async with SchakelClient(ws_url, token, name="bench") as c:
        await c.subscribe(board)
        for oid, o in objects.items():
            c.edit(board, oid, o["type"], **{k: v for k, v in o.items() if k != "type"})
        await c.settled(60)


async def through_hub(workers: int, rounds: int) -> dict[str, Any]:
    with TemporaryDirectory() as tmp:
        proc, url = await _hub(workers, Path(tmp))
        try:
            async with httpx.AsyncClient(base_url=url, timeout=120) as http:
                made = (
                    await http.post("/api/workshops", json={"title": "Bench", "groups": 1})
                ).json()
                token, wid = made["facilitator_token"], made["workshop"]["id"]
                board = f"{wid}:g1"
                n, m = SIZES[-1]
                await _draw(url, token, board, random_map(n, m))
                auth = {"authorization": f"Bearer {token}"}

                async def ask() -> float:
                    t = time.perf_counter()
                    r = await http.get(f"/api/boards/{board}/analysis", headers=auth)
                    r.raise_for_status()
                    return (time.perf_counter() - t) * 1000

                first = await ask()
                cached = statistics.median([await ask() for _ in range(10)])
                ws_url = url.replace("http", "ws") + "/ws"
                async with SchakelClient(ws_url, token, name="pinger") as pinger:

                    async def pings(stop: asyncio.Event) -> list[float]:
                        rtts = []
                        while not stop.is_set():
                            t = time.perf_counter()
                            await pinger.ping()
                            rtts.append((time.perf_counter() - t) * 1000)
                            await asyncio.sleep(0.002)
                        return rtts

                    stop = asyncio.Event()
                    task = asyncio.create_task(pings(stop))
                    await asyncio.sleep(1.5)
                    stop.set()
                    idle = await task
                    async with SchakelClient(ws_url, token, name="editor") as ed:
                        await ed.subscribe(board)
                        stop = asyncio.Event()
                        task = asyncio.create_task(pings(stop))
                        fresh = []
                        for k in range(rounds):
                            ed.edit(board, "a0000", "actor", label=f"Actor 0 ({k})")
                            await ed.settled()
                            fresh.append(await ask())
                        stop.set()
                        busy = await task
        finally:
            proc.terminate()
            await proc.wait()
    return {
        "first": first,
        "cached": cached,
        "changed": statistics.median(fresh),
        "idle_p50": statistics.median(idle),
        "idle_p99": _p99(idle),
        "busy_p50": statistics.median(busy),
        "busy_p99": _p99(busy),
        "pings": len(busy),
    }


def _p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))]


LABELS = [
    *("Burgemeester", "Wijkagent", "Jongerenwerker", "Imam", "Buurtvader", "COA"),
    *("Actiegroep", "Lokale krant", "Basisschool", "Kerken", "Ouders", "Facebookgroep"),
    *("Wethouder", "Huisarts", "Sportclub", "Moskee", "Buurthuis", "Woningcorporatie"),
]


def group_map(g: int) -> dict[str, dict[str, Any]]:
    """A workshop-sized map with labels that several groups share (some misspelled)."""
    objects = random_map(14, 22, seed=100 + g)
    rnd = random.Random(g)
    names = rnd.sample(LABELS, 14)
    for i, name in enumerate(names):
        label = name if rnd.random() > 0.15 else name.lower() + " "
        objects[f"a{i:04d}"]["label"] = label
    objects["meta"] = {
        "type": "meta",
        "issue": "Een azc in de wijk",
        "pole_a": "Welkom",
        "pole_b": "Tegen",
    }
    return objects


def report(groups: int = 8) -> dict[str, float]:
    from schakel.exports.files import workshop_zip
    from schakel.exports.render import html_pdf
    from schakel.exports.report import BoardData, ReportData, report_html
    from schakel_analysis import shared_actors
    from schakel_analysis.compare import to_dicts
    from schakel_core.workshop import Workshop

    ws = Workshop.create("Lokale netwerken in tijden van polarisatie", groups, now=time.time())
    boards = []
    for g in range(1, groups + 1):
        objects = group_map(g)
        label = {"nl": f"Groep {g}", "en": f"Group {g}"}
        analysis = analyse_board(objects, who=label).to_dict()
        boards.append(
            BoardData(ws.group_board(g), label, [f"P{g}{i}" for i in range(4)], objects, analysis)
        )
    shared = to_dicts(
        shared_actors([(b.board, b.objects) for b in boards], {b.board: b.label for b in boards})
    )
    figures = {b.board: b.analysis["headline"] for b in boards}
    history = [
        {"round": r, "part": 0, "round_title": f"Ronde {r}", "part_title": "Groepjes van 4"}
        | {"at": time.time(), "boards": figures}
        for r in (1, 2, 3)
    ]
    data = ReportData(ws.to_dict(), boards, shared, history)
    t = time.perf_counter()
    html = report_html(data)
    t_html = time.perf_counter() - t
    t = time.perf_counter()
    pdf = html_pdf(html)
    t_pdf = time.perf_counter() - t
    t = time.perf_counter()
    z = workshop_zip(data, {b.board: f"groep-{i + 1}" for i, b in enumerate(boards)})
    t_zip = time.perf_counter() - t
    print(f"4. The report of a {groups}-group workshop ({len(shared)} actors shared by groups):")
    print(f"   report.html {len(html.encode()) / 1024:8.0f} KB  in {t_html * 1000:6.0f} ms")
    print(f"   report.pdf  {len(pdf) / 1024:8.0f} KB  in {t_pdf * 1000:6.0f} ms")
    print(
        f"   ZIP         {len(z) / 1024:8.0f} KB  in {t_zip * 1000:6.0f} ms (all maps, all formats)"
    )
    return {
        "html_kb": len(html.encode()) / 1024,
        "pdf_kb": len(pdf) / 1024,
        "zip_kb": len(z) / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.analysis", description=__doc__)
    ap.add_argument("--runs", type=int, default=20, help="runs per size of the pure analysis")
    ap.add_argument("--rounds", type=int, default=15, help="uncached analyses through the hub")
    ap.add_argument("--no-hub", action="store_true", help="no hub: the analysis and the report")
    ap.add_argument("--groups", type=int, default=8, help="groups of the workshop in the report")
    args = ap.parse_args(argv)
    pure(args.runs)
    report(args.groups)
    if args.no_hub:
        return 0
    n, m = SIZES[-1]
    print(f"2./3. Through a hub, the {n}/{m} map (ms):")
    runs = {
        label: asyncio.run(through_hub(w, args.rounds))
        for label, w in (("process", 1), ("thread", 0))
    }
    p, t = runs["process"], runs["thread"]
    speedup = p["changed"] / p["cached"]
    print(f"   first request (worker start + analysis) {p['first']:8.1f}")
    print(f"   after an edit (analysis, in the worker) {p['changed']:8.1f}")
    print(f"   unchanged board (from the cache)        {p['cached']:8.1f}  ({speedup:.0f}x faster)")
    print("   ping round trip of another connection, p50 / p99:")
    rows = (("idle hub", p["idle_p50"], p["idle_p99"]),
            ("analysing, in a worker process", p["busy_p50"], p["busy_p99"]),
            ("analysing, in a thread of the hub", t["busy_p50"], t["busy_p99"]))  # fmt: skip
    for label, p50, p99 in rows:
        print(f"     {label:<36} {p50:6.1f} / {p99:6.1f}  ({p99 / p['idle_p99']:.1f}x idle p99)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
