"""Fuzz the running hub: at least 100,000 frames per CI run (``FUZZ_FRAMES``; ``make fuzz``
runs more), structure-aware and byte-mutated, while honest clients edit the same board.
What is checked is in :mod:`tests.fuzz.harness`. The run is reproducible from its seed
(``FUZZ_SEED``, printed)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.procs import rss_kb
from schakel_client import SchakelClient
from schakel_core.document import Document
from schakel_core.ops import Op
from tests.support.server import HubProcess, create_workshop, join

from .frames import Mutator, messages, pack
from .harness import Fuzzer, FuzzFailure, Honest, Observer, Report, check_stream, fuzz

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(900)]

FRAMES = int(os.environ.get("FUZZ_FRAMES", "100000"))
SEED = int(os.environ.get("FUZZ_SEED", str(random.randrange(2**32))))
CORPUS = int(os.environ.get("FUZZ_CORPUS", "1500"))  # Hypothesis draws ~8 ms each
RSS_GROWTH_KB = 150 * 1024  # what the hub may grow by over a run
NO_LIMITS = {  # the oracle predicts every answer: no rate limit in between
    "SCHAKEL_LIMIT_MESSAGES": "0",
    "SCHAKEL_LIMIT_OPS": "0",
    "SCHAKEL_LIMIT_REFUSALS": "0",
}


def corpus(boards: list[str], client: str, token: str) -> tuple[list[bytes], list[bytes]]:
    """Structured frames drawn by Hypothesis from the schema: (others, hellos)."""
    frames: list[bytes] = []
    hellos: list[bytes] = []
    per_example = 50

    @seed(SEED)
    @settings(
        max_examples=max(1, CORPUS // per_example),
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        for _ in range(per_example):
            msg = data.draw(messages(boards, client, token))
            (hellos if msg.get("t") == "hello" else frames).append(pack(msg))

    draw()
    return frames, hellos


async def test_fuzz_the_running_hub(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub", env=NO_LIMITS).start()
    try:
        ws = await create_workshop(hub.http, groups=2, title="Fuzz")
        me = await join(hub.http, ws["join_code"], "Fuzz")
        board = me["board"]
        personal = f"{ws['workshop']['id']}:p{me['participant']['id']}"
        boards = [board, personal, f"{ws['workshop']['id']}:g2", "nope:g1"]
        frames, hellos = corpus(boards, "fuzz", me["token"])
        honest_clients = []
        for name in ("h1", "h2"):
            p = await join(hub.http, ws["join_code"], name)
            assert p["board"] == board
            client = SchakelClient(hub.ws, p["token"], client_id=name, name=name)
            await client.start()
            await client.subscribe(board)
            honest_clients.append(client)
        honest = Honest(honest_clients, board)
        observer = Observer()
        await observer.start(hub.ws, ws["viewer_token"], board)
        report = Report()
        fuzzer = Fuzzer(hub.ws, me["token"], "fuzz", board, report)
        await fuzzer.connect()
        assert hub.proc is not None
        rss_start = rss_kb(hub.proc.pid)
        honest.start()
        try:
            await fuzz(fuzzer, frames, hellos, FRAMES, SEED, Mutator(SEED))
        except FuzzFailure as exc:
            raise FuzzFailure(f"{exc} (FUZZ_SEED={SEED} repeats this run)") from exc
        finally:
            await honest.stop()
        rss_end = rss_kb(hub.proc.pid)
        # Everything settles: the observer and the honest clients have it all.
        stored = await hub_state(hub, ws["facilitator_token"], board)
        await honest_clients[0].wait_for(lambda: observer.seq >= stored[0], timeout=30)
        for c in honest_clients:
            await c.wait_for(lambda c=c: c.replicas[board].seq >= stored[0], timeout=30)
        check_stream(observer, fuzzer, honest, stored[1])
        for c in honest_clients:
            assert c.replicas[board].doc.state() == observer_doc(observer).state()
            assert [
                e for e in c.errors if e.code not in ("rate_limited", "store_unavailable")
            ] == []
        report.stored_ops, report.honest_ops = len(observer.ops), len(honest.written)
        await observer.stop()
        for c in honest_clients:
            await c.close()
        assert hub.proc.poll() is None, "the hub died"
        log = hub.log()
        assert "Traceback" not in log and " ERROR " not in log, log
        print(
            f"\nfuzz: {report.frames} frames ({report.first_frames} as first frames) in "
            f"{report.seconds:.0f} s, seed {SEED}, corpus {len(frames)} + {len(hellos)} hellos; "
            f"crashes {report.crashes}; batches accepted {report.accepted_batches}, "
            f"refused by the store {report.refused_batches}; reconnects {report.reconnects}; "
            f"ops stored {report.stored_ops} (honest ops {report.honest_ops}); "
            f"hub RSS {rss_start // 1024} -> {rss_end // 1024} MB\n"
            f"answers: {dict(report.by_outcome.most_common())}"
        )
        assert report.crashes == 0
        assert report.frames >= FRAMES
        assert rss_end - rss_start < RSS_GROWTH_KB
        # every message type and every kind of answer was reached
        for outcome in (
            "malformed",
            "invalid_message",
            "invalid_op",
            "unknown_message",
            "batch",
            "sync",
            "pong",
            "forbidden",
            "not_subscribed",
            "too_large",
        ):
            assert report.by_outcome[outcome] > 0, outcome
    finally:
        hub.kill()


async def hub_state(hub: HubProcess, token: str, board: str) -> tuple[int, list[Op]]:
    """The board as stored (seq and its registers), read through a fresh subscription."""
    c = SchakelClient(hub.ws, token, client_id="reader")
    await c.start()
    try:
        r = await c.subscribe(board)
        return r.seq, list(r.doc.ops())
    finally:
        await c.close()


def observer_doc(observer: Observer) -> Document:
    return Document(observer.ops)
