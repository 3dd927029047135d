"""Single-flight: concurrent requests for the same key share one call.

When three hundred tablets say hello at once, each would read the same workshop record
and load the same few boards. :class:`SingleFlight` runs one call per key at a time and
hands its result (or its exception) to every caller that asked while it ran. The call
runs as its own task, so a caller that goes away (its socket closed) cancels only its
own wait, never the others'.

A caller that must not get an answer older than some event (a change announced by
another hub) calls :meth:`forget` first: later callers start a new call, while the
callers already waiting keep the one they joined.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._calls: dict[K, asyncio.Future[V]] = {}
        self.calls = 0  # calls made
        self.shared = 0  # requests answered by a call another request had made

    async def run(self, key: K, call: Callable[[], Awaitable[V]]) -> V:
        """The result of ``call()``, or of the call for ``key`` already running."""
        fut = self._calls.get(key)
        if fut is None:
            self.calls += 1
            fut = self._calls[key] = asyncio.ensure_future(call())
            fut.add_done_callback(lambda done: self._done(key, done))
        else:
            self.shared += 1
        return await asyncio.shield(fut)

    def forget(self, key: K) -> None:
        """Requests for ``key`` from now on start a new call."""
        self._calls.pop(key, None)

    def _done(self, key: K, fut: asyncio.Future[V]) -> None:
        if self._calls.get(key) is fut:
            del self._calls[key]
        if not fut.cancelled():
            fut.exception()  # retrieved here: every waiter may have gone
