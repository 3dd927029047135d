"""The hub's small helpers: single-flight calls and the rate-limited failure log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from schakel.single_flight import SingleFlight
from schakel.stores.failures import ERROR, UNAVAILABLE, Failures


async def test_concurrent_requests_share_one_call() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()
    calls = 0

    async def call() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return calls

    waiting = [asyncio.ensure_future(flights.run("k", call)) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [1] * 50
    assert (flights.calls, flights.shared) == (1, 49)
    assert await flights.run("k", call) == 2  # done: the next request calls again


async def test_a_failure_reaches_every_waiter_and_a_leaver_cancels_only_itself() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()

    async def fail() -> int:
        await release.wait()
        raise ValueError("no")

    first = asyncio.ensure_future(flights.run("k", fail))
    second = asyncio.ensure_future(flights.run("k", fail))
    await asyncio.sleep(0)
    first.cancel()  # the caller that started the call goes away
    release.set()
    with pytest.raises(ValueError, match="no"):
        await second
    assert first.cancelled()


async def test_forget_makes_later_requests_call_again() -> None:
    flights: SingleFlight[str, str] = SingleFlight()
    release = asyncio.Event()

    async def old() -> str:
        await release.wait()
        return "old"

    async def new() -> str:
        return "new"

    before = asyncio.ensure_future(flights.run("k", old))
    await asyncio.sleep(0)
    flights.forget("k")  # something changed: later requests must not get "old"
    assert await flights.run("k", new) == "new"
    release.set()
    assert await before == "old"


def test_failures_are_counted_and_logged_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    log = logging.getLogger("test.failures")
    counted = Failures(log, interval_s=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="test.failures"):
        for _ in range(30):
            counted.record(UNAVAILABLE, ConnectionError("refused"))
        counted.record(ERROR, RuntimeError("bug"))
        now[0] += 10
        counted.record(UNAVAILABLE, ConnectionError("refused"))
    assert counted.counts[UNAVAILABLE] == 31 and counted.counts[ERROR] == 1
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3, messages
    assert "29 more since the last report" in messages[2]


async def test_closing_the_hub_cancels_and_awaits_the_workshop_layers_tasks() -> None:
    from schakel.hub import Hub
    from schakel.stores.embedded import EmbeddedStore

    store = EmbeddedStore(None)
    await store.start()
    hub = Hub(store)
    forever = asyncio.Event()
    hub.workshops._spawn(forever.wait())
    (task,) = hub._tasks
    await hub.close()
    assert task.cancelled() and not hub._tasks
    await store.close()
