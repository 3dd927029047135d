"""Configuration, read once from the environment (prefix ``SCHAKEL_``).

Every setting is also a ``schakel serve`` option (see :mod:`schakel.cli`); tests build a
:class:`Settings` from their own ``environ`` mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from starlette.config import Config
from starlette.datastructures import Secret

from schakel_core.workshop import MAX_PARTICIPANTS

from .limits import AddressRule, LimitSettings, Rate
from .stores.redis_pool import DEFAULT_POOL_SIZE, DEFAULT_POOL_TIMEOUT_S
from .ticks import Ticks

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "client" / "web" / "dist"
MIN_PRODUCTION_SECRET = 32  # characters of SCHAKEL_SECRET that production mode requires
LIMITS = LimitSettings()  # the default rates and caps


class ConfigError(ValueError):
    """The settings cannot be served (production mode refuses them)."""


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
    tick_ms: float = 5.0  # the op tick when idle
    tick_max_ms: float = 20.0  # the op tick at most, under load
    presence_tick_ms: float = 50.0  # the presence tick when idle
    presence_tick_max_ms: float = 100.0  # the presence tick at most, under load
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
    ws_impl: str = "hub"
    workers: int = 1
    # --- safe on the open internet (docs/security.md) ---
    production: bool = False
    allowed_origins: str = ""  # comma-separated origins besides the public URL's
    proxy_header: str = ""  # e.g. x-forwarded-for: the client address a proxy saw
    trusted_proxies: str = "127.0.0.1/32,::1/128"  # peers whose proxy_header counts
    limit_workshops: str = str(LIMITS.workshops)
    limit_joins: str = str(LIMITS.joins)
    limit_join_misses: str = str(LIMITS.join_misses)
    limit_join_misses_hub: str = str(LIMITS.join_misses_hub)
    limit_heavy: str = str(LIMITS.heavy)
    limit_heavy_workshop: str = str(LIMITS.heavy_workshop)
    limit_connects: str = str(LIMITS.connects)
    limit_bad_hellos: str = str(LIMITS.bad_hellos)
    limit_messages: str = str(LIMITS.messages)
    limit_ops: str = str(LIMITS.ops)
    limit_refusals: str = str(LIMITS.refusals)
    max_connections: int = LIMITS.connections
    max_connections_per_address: int = LIMITS.connections_per_address
    max_workshops: int = 1000
    max_participants: int = MAX_PARTICIPANTS
    worker_queue: int = 8
    ws_ping_interval_s: float = 20.0
    ws_ping_timeout_s: float = 20.0
    metrics_token: Secret = field(default_factory=lambda: Secret(""))
    log_format: str = "text"

    def ticks(self) -> Ticks:
        """The hub's op and presence ticks (each at least its idle value)."""
        return Ticks(
            op_s=self.tick_ms / 1000,
            op_max_s=max(self.tick_ms, self.tick_max_ms) / 1000,
            presence_s=self.presence_tick_ms / 1000,
            presence_max_s=max(self.presence_tick_ms, self.presence_tick_max_ms) / 1000,
        )

    def limit_settings(self) -> LimitSettings:
        return LimitSettings(
            workshops=Rate.parse(self.limit_workshops),
            joins=Rate.parse(self.limit_joins),
            join_misses=Rate.parse(self.limit_join_misses),
            join_misses_hub=Rate.parse(self.limit_join_misses_hub),
            heavy=Rate.parse(self.limit_heavy),
            heavy_workshop=Rate.parse(self.limit_heavy_workshop),
            connects=Rate.parse(self.limit_connects),
            bad_hellos=Rate.parse(self.limit_bad_hellos),
            messages=Rate.parse(self.limit_messages),
            ops=Rate.parse(self.limit_ops),
            refusals=Rate.parse(self.limit_refusals),
            connections=self.max_connections,
            connections_per_address=self.max_connections_per_address,
        )

    def address_rule(self) -> AddressRule:
        return AddressRule.from_settings(self.proxy_header, self.trusted_proxies)

    def origins(self) -> list[str]:
        """Origins allowed besides the hub's own (its public URL, or the request's)."""
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    def check(self) -> None:
        """Raise ConfigError if these settings must not be served. In production mode:
        a configured secret of at least MIN_PRODUCTION_SECRET characters."""
        try:
            self.limit_settings()
            self.address_rule()
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if not 1 <= self.max_participants <= MAX_PARTICIPANTS:
            raise ConfigError(
                f"max participants: 1..{MAX_PARTICIPANTS}, not {self.max_participants}"
            )
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log format: text or json, not {self.log_format!r}")
        if not self.production:
            return
        secret = str(self.secret)
        if not secret:
            raise ConfigError(
                "production mode needs SCHAKEL_SECRET (at least "
                f"{MIN_PRODUCTION_SECRET} characters; e.g. python -c "
                "'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if len(secret) < MIN_PRODUCTION_SECRET:
            raise ConfigError(
                f"production mode needs a SCHAKEL_SECRET of at least {MIN_PRODUCTION_SECRET} "
                f"characters (it has {len(secret)})"
            )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Every setting from ``SCHAKEL_<NAME>`` (the field's name in capitals), cast to
        the type of its default; secrets are read into :class:`Secret`."""
        config = Config(environ=os.environ if environ is None else environ, env_prefix="SCHAKEL_")
        d = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            default = getattr(d, f.name)
            if isinstance(default, Secret):
                values[f.name] = Secret(config(f.name.upper(), default=""))
            else:
                values[f.name] = config(f.name.upper(), cast=type(default), default=default)
        return cls(**values)
