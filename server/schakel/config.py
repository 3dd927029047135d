"""Configuration, read once from the environment (prefix ``SCHAKEL_``).

Every setting is also a ``schakel serve`` option (see :mod:`schakel.cli`); tests build a
:class:`Settings` from their own ``environ`` mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import Secret

from .stores.redis_pool import DEFAULT_POOL_SIZE, DEFAULT_POOL_TIMEOUT_S

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "client" / "web" / "dist"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = "data"
    redis_url: str = ""
    redis_pool_size: int = DEFAULT_POOL_SIZE
    redis_pool_timeout_s: float = DEFAULT_POOL_TIMEOUT_S
    redis_wait_replicas: int = 0
    redis_wait_timeout_ms: int = 1000
    secret: Secret = field(default_factory=lambda: Secret(""))
    tick_ms: float = 5.0
    token_ttl_hours: float = 24.0
    retention_hours: float = 72.0
    unload_after_s: float = 120.0
    send_queue_frames: int = 2000
    send_queue_bytes: int = 32 * 1024 * 1024
    max_inflight_batches: int = 256
    hello_timeout_s: float = 10.0
    public_url: str = ""
    web_dir: str = str(DEFAULT_WEB_DIR)
    log_level: str = "info"
    ws_impl: str = "auto"
    workers: int = 1

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        config = Config(environ=os.environ if environ is None else environ, env_prefix="SCHAKEL_")
        d = cls()
        return cls(
            host=config("HOST", default=d.host),
            port=config("PORT", cast=int, default=d.port),
            data_dir=config("DATA_DIR", default=d.data_dir),
            redis_url=config("REDIS_URL", default=d.redis_url),
            redis_pool_size=config("REDIS_POOL_SIZE", cast=int, default=d.redis_pool_size),
            redis_pool_timeout_s=config(
                "REDIS_POOL_TIMEOUT_S", cast=float, default=d.redis_pool_timeout_s
            ),
            redis_wait_replicas=config(
                "REDIS_WAIT_REPLICAS", cast=int, default=d.redis_wait_replicas
            ),
            redis_wait_timeout_ms=config(
                "REDIS_WAIT_TIMEOUT_MS", cast=int, default=d.redis_wait_timeout_ms
            ),
            secret=Secret(config("SECRET", default="")),
            tick_ms=config("TICK_MS", cast=float, default=d.tick_ms),
            token_ttl_hours=config("TOKEN_TTL_HOURS", cast=float, default=d.token_ttl_hours),
            retention_hours=config("RETENTION_HOURS", cast=float, default=d.retention_hours),
            unload_after_s=config("UNLOAD_AFTER_S", cast=float, default=d.unload_after_s),
            send_queue_frames=config("SEND_QUEUE_FRAMES", cast=int, default=d.send_queue_frames),
            send_queue_bytes=config("SEND_QUEUE_BYTES", cast=int, default=d.send_queue_bytes),
            max_inflight_batches=config(
                "MAX_INFLIGHT_BATCHES", cast=int, default=d.max_inflight_batches
            ),
            hello_timeout_s=config("HELLO_TIMEOUT_S", cast=float, default=d.hello_timeout_s),
            public_url=config("PUBLIC_URL", default=d.public_url),
            web_dir=config("WEB_DIR", default=d.web_dir),
            log_level=config("LOG_LEVEL", default=d.log_level),
            ws_impl=config("WS_IMPL", default=d.ws_impl),
            workers=config("WORKERS", cast=int, default=d.workers),
        )
