"""The running service: settings, store, hub, tokens and workers, built and torn down together.

:func:`running_service` is the lifespan of the app: it opens the store, makes or reads the
token secret, starts the hub's committer and the expiry sweep, and on the way out stops
them and closes the store, so that no acknowledged op is left unwritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schakel_core import schema
from schakel_core.errors import RequestError

from .analyses import Analyses
from .auth import Tokens
from .config import Settings
from .hub import Hub
from .limits import Quotas
from .metrics import Metrics
from .stores.base import Store, open_store
from .workers import Workers

if TYPE_CHECKING:
    from .connection import Connection

logger = logging.getLogger(__name__)

EXPIRY_SWEEP_S = 300.0
HOUSEKEEP_S = 10.0


@dataclass
class Service:
    settings: Settings
    store: Store
    hub: Hub
    tokens: Tokens
    workers: Workers
    analyses: Analyses
    quotas: Quotas
    metrics: Metrics
    connections: set[Connection] = field(default_factory=set)

    def limits(self) -> dict[str, int]:
        """``welcome.limits`` (PROTOCOL.md, Limits)."""
        limits = self.quotas.limits
        return {
            "maxFrameBytes": schema.MAX_FRAME_BYTES,
            "maxOpsPerBatch": schema.MAX_OPS_PER_BATCH,
            "maxBoardsPerConnection": schema.MAX_BOARDS_PER_CONNECTION,
            "maxInflightBatches": self.settings.max_inflight_batches,
            "maxBoardObjects": schema.MAX_BOARD_OBJECTS,
            "maxBoardBytes": schema.MAX_BOARD_BYTES,
            "maxObjectBytes": schema.MAX_OBJECT_BYTES,
            "maxCounterJump": schema.MAX_COUNTER_JUMP,
            "maxMessagesPerSecond": int(limits.messages.per_s),
            "maxOpsPerSecond": int(limits.ops.per_s),
            "opTickMs": round(self.settings.tick_ms),
            "presenceTickMs": round(self.settings.presence_tick_ms),
        }

    async def sweep(self) -> list[str]:
        """Erase what is past its retention, and close what is left of it here."""
        gone = await self.store.expire()
        retention_s = self.settings.retention_hours * 3600
        ended = self.hub.workshops.ended(retention_s, time.time())
        for wid in gone:
            if wid not in ended:
                self.hub.workshops.deleted(wid, publish=False, reason="expired")
        return sorted(set(gone) | set(ended))


async def _secret(settings: Settings, store: Store) -> str:
    configured = str(settings.secret)
    if configured:
        return configured
    return await store.shared_secret(lambda: secrets.token_urlsafe(32))


async def _sweep(service: Service) -> None:
    while True:
        await asyncio.sleep(EXPIRY_SWEEP_S)
        try:
            gone = await service.sweep()
        except RequestError as exc:
            logger.warning("the expiry sweep failed: %s", exc.reason)
            continue
        if gone:
            logger.info("expired %d workshops", len(gone))


async def _housekeep(store: Store, every_s: float) -> None:
    """Let go of what nobody uses: idle boards' memory, the hub's per-board maps."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await store.housekeep()
        except RequestError as exc:
            logger.warning("housekeeping failed: %s", exc.reason)


@contextlib.asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[Service]:
    settings.check()
    store = open_store(
        redis_url=settings.redis_url,
        data_dir=settings.data_dir or None,
        retention_s=settings.retention_hours * 3600,
        redis_pool_size=settings.redis_pool_size,
        redis_pool_timeout_s=settings.redis_pool_timeout_s,
        redis_wait_replicas=settings.redis_wait_replicas,
        redis_wait_timeout_ms=settings.redis_wait_timeout_ms,
        unload_after_s=settings.unload_after_s,
    )
    await store.start()
    try:
        tokens = Tokens(
            await _secret(settings, store),
            settings.token_ttl_hours * 3600,
            key_ttl_s=max(settings.token_ttl_hours, settings.retention_hours) * 3600,
        )
        metrics = Metrics()
        hub = Hub(store, ticks=settings.ticks(), metrics=metrics)
        workers = Workers(settings.workers, max_pending=settings.worker_queue)
        analyses = Analyses(store, workers)
        hub.workshops.on_gone.append(analyses.forget)
        quotas = Quotas(settings.limit_settings(), settings.address_rule())
        service = Service(settings, store, hub, tokens, workers, analyses, quotas, metrics)
        metrics.bind(service)
        tasks = [
            asyncio.create_task(hub.run()),
            asyncio.create_task(_sweep(service)),
            asyncio.create_task(
                _housekeep(store, min(HOUSEKEEP_S, max(0.2, settings.unload_after_s / 2)))
            ),
        ]
        try:
            yield service
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await hub.drain()  # what was submitted before shutdown is stored and acked
            await hub.close()
            workers.close()
    finally:
        await store.close()
