"""Stores: where boards and workshops live. See :mod:`.base` for the seam and its parts."""

from __future__ import annotations

from .base import Applied, Batch, Loaded, Store
from .redis_pool import DEFAULT_POOL_SIZE, DEFAULT_POOL_TIMEOUT_S

__all__ = ["Applied", "Batch", "Loaded", "Store", "open_store"]


def open_store(
    *,
    redis_url: str = "",
    data_dir: str | None = None,
    retention_s: float = 72 * 3600,
    read_only: bool = False,
    redis_pool_size: int = DEFAULT_POOL_SIZE,
    redis_pool_timeout_s: float = DEFAULT_POOL_TIMEOUT_S,
    redis_wait_replicas: int = 0,
    redis_wait_timeout_ms: int = 1000,
    unload_after_s: float = 120.0,
) -> Store:
    """Choose the store from configuration: Redis when a URL is given, else embedded.
    ``read_only`` (for ``schakel export`` beside a running hub): the embedded store opens
    its database read-only and writes nothing; Redis is only read by such a caller anyway.

    Backends are imported lazily so that the embedded store needs no Redis client.
    """
    if redis_url:
        from .redis import RedisStore

        return RedisStore(
            redis_url,
            retention_s=retention_s,
            pool_size=redis_pool_size,
            pool_timeout_s=redis_pool_timeout_s,
            wait_replicas=redis_wait_replicas,
            wait_timeout_ms=redis_wait_timeout_ms,
        )
    from .embedded import EmbeddedStore

    return EmbeddedStore(
        data_dir, retention_s=retention_s, read_only=read_only, unload_after_s=unload_after_s
    )
