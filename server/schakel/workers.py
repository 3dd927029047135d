"""Worker processes for CPU-heavy work: the analysis, drawings, PDFs and ZIPs.

The hub's event loop must never run anything CPU-heavy: every board's fan-out waits while
it does. So these jobs run in a small pool of separate processes, started on first use
with the ``spawn`` method (safe beside the loop's threads), *niced*, so that on a machine
the hub shares with its workers the hub keeps the CPU when both want it, and with one
BLAS thread each.
``SCHAKEL_WORKERS`` sets the pool's size (default 1; 0 runs jobs in a thread of the hub
process instead, for debugging only: that thread competes with the loop for the GIL).
A worker that dies is replaced, and the job is tried once more.

The queue is bounded (``SCHAKEL_WORKER_QUEUE``, jobs running or waiting): a flood of
export requests must neither hold the hub's memory (every waiting job holds its board's
data) nor starve the analyses the plenary screen asks for. Files (``heavy`` jobs) may
take at most half of the queue; beyond their share, or beyond the whole queue, a request
is answered ``unavailable`` (503, ``Retry-After``) at once instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from schakel_core.errors import Unavailable

T = TypeVar("T")

logger = logging.getLogger(__name__)

WORKER_NICE = 10
BUSY_RETRY_S = 2  # Retry-After of a request refused because the queue is full


class Busy(Unavailable):
    """The worker queue is full: try again in ``retry_after_s`` seconds."""

    retry_after_s = BUSY_RETRY_S


def _prepare_worker() -> None:
    """In a new worker, before it imports numpy: one BLAS thread (the machine's cores are
    the hub's and the other workers'), and a lower priority than the hub."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICE)


class Workers:
    def __init__(self, processes: int = 1, *, max_pending: int = 0) -> None:
        self.processes = processes
        self.max_pending = max_pending  # 0: unbounded
        self.pending = 0  # jobs running or waiting
        self.pending_heavy = 0
        self.refused = 0
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        if self._executor is None:
            if self.processes > 0:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_prepare_worker,
                )
            else:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="schakel-worker")
        return self._executor

    def _admit(self, heavy: bool) -> None:
        if not self.max_pending:
            return
        share = max(1, self.max_pending // 2)
        if self.pending >= self.max_pending or (heavy and self.pending_heavy >= share):
            self.refused += 1
            what = "files" if heavy else "analyses"
            raise Busy(f"the server is busy making other {what}; try again in a moment")

    async def run(self, fn: Callable[..., T], *args: Any, heavy: bool = False) -> T:
        """Run ``fn(*args)`` in a worker; its arguments and result cross by pickle.
        ``heavy``: a file (drawing, PDF, ZIP), held to half of the queue."""
        self._admit(heavy)
        self.pending += 1
        self.pending_heavy += heavy
        loop = asyncio.get_running_loop()
        try:
            try:
                return await loop.run_in_executor(self._pool(), fn, *args)
            except BrokenProcessPool:
                logger.warning("a worker process died; starting a new pool")
                self.close(wait=False)
                return await loop.run_in_executor(self._pool(), fn, *args)
        finally:
            self.pending -= 1
            self.pending_heavy -= heavy

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers (at shutdown: waiting for a job that is running)."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None
