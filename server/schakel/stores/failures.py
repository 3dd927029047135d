"""Store failures, counted and logged at WARNING without flooding the log.

A Redis outage fails every request of every connection at once: hundreds of failures a
second. :class:`Failures` counts each one by kind (the counters are plain integers, ready
for a metrics endpoint: ``schakel_store_failures_total{kind="unavailable"}``), and logs
the first failure of a kind, then at most one line per ``FAILURE_LOG_INTERVAL_S`` per
kind saying how many followed.

Kinds:

- ``unavailable``: Redis could not be reached or could not serve (refused, reset, timed
  out, loading, cluster down, read-only replica, out of memory). Clients hear
  ``store_unavailable`` and retry.
- ``pool_timeout``: no connection of the hub's pool came free within the pool timeout,
  i.e. Redis has been answering nothing for that long. Clients hear
  ``store_unavailable`` too.
- ``error``: anything else Redis or its client raised (a script error, a client bug):
  not an outage, so never ``store_unavailable``: the request fails as a bug does (the hub
  logs it with its traceback and closes the connection with 1011, which reconnects).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

FAILURE_LOG_INTERVAL_S = 10.0

UNAVAILABLE = "unavailable"
POOL_TIMEOUT = "pool_timeout"
ERROR = "error"
KINDS = (UNAVAILABLE, POOL_TIMEOUT, ERROR)


class Failures:
    """Counters of store failures by kind, and their rate-limited log lines."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval_s: float = FAILURE_LOG_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        what: str = "store",
    ) -> None:
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._what = what
        self._logger = logger
        self._interval_s = interval_s
        self._clock = clock
        self._next_log: dict[str, float] = {}
        self._unlogged: dict[str, int] = dict.fromkeys(KINDS, 0)

    def record(self, kind: str, exc: BaseException, *, trace: bool = False) -> None:
        """Count one failure; log it unless a line about this kind was written lately
        (``trace``: with its traceback)."""
        self.counts[kind] += 1
        now = self._clock()
        if now < self._next_log.get(kind, now):
            self._unlogged[kind] += 1
            return
        self._next_log[kind] = now + self._interval_s
        more, self._unlogged[kind] = self._unlogged[kind], 0
        also = f" ({more} more since the last report)" if more else ""
        self._logger.warning(
            "%s failure (%s): %r%s", self._what, kind, exc, also, exc_info=exc if trace else None
        )
