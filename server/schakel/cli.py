"""The ``schakel`` command: ``schakel serve`` runs the hub; every option has a
``SCHAKEL_*`` environment variable, and the option wins over the variable."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Sequence

from schakel_core import schema

from .config import Settings

OPTIONS: list[tuple[str, str, type, str]] = [
    ("host", "HOST", str, "address to listen on"),
    ("port", "PORT", int, "port to listen on"),
    ("data_dir", "DATA_DIR", str, "folder of the embedded store's database"),
    ("redis_url", "REDIS_URL", str, "use Redis at this URL instead of the embedded store"),
    (
        "redis_pool_size",
        "REDIS_POOL_SIZE",
        int,
        "most Redis connections in use at once (the feed has one more)",
    ),
    (
        "redis_pool_timeout_s",
        "REDIS_POOL_TIMEOUT_S",
        float,
        "seconds a request waits for a free Redis connection",
    ),
    ("tick_ms", "TICK_MS", float, "fan-out batching window in milliseconds"),
    ("token_ttl_hours", "TOKEN_TTL_HOURS", float, "lifetime of tokens"),
    ("retention_hours", "RETENTION_HOURS", float, "workshops are erased after this long"),
    ("send_queue_frames", "SEND_QUEUE_FRAMES", int, "frames a slow client may have queued"),
    ("max_inflight_batches", "MAX_INFLIGHT_BATCHES", int, "unacked batches per connection"),
    ("public_url", "PUBLIC_URL", str, "base URL for join links (default: the request's)"),
    ("web_dir", "WEB_DIR", str, "folder of the built web client"),
    ("log_level", "LOG_LEVEL", str, "debug, info, warning or error"),
    (
        "ws_impl",
        "WS_IMPL",
        str,
        "uvicorn's WebSocket implementation: auto, websockets, websockets-sansio",
    ),
]


def build_parser(defaults: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schakel",
        description="Schakel: live collaborative actor maps for polarisation workshops.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the hub (HTTP API, WebSocket, web client)",
        description="Run the hub. Each option also reads SCHAKEL_<NAME> from the environment; "
        "SCHAKEL_SECRET sets the token-signing secret (default: made once and kept in the store).",
    )
    for attr, env, cast, text in OPTIONS:
        default = getattr(defaults, attr)
        serve.add_argument(
            "--" + attr.replace("_", "-"),
            type=cast,
            default=default,
            help=f"{text} (env SCHAKEL_{env}; now {default!r})",
        )
    sub.add_parser("schema", help="print the board schema as JSON (shared/schema.json)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    defaults = Settings.from_environ()
    args = build_parser(defaults).parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(schema.dumps())
        return 0
    settings = dataclasses.replace(defaults, **{attr: getattr(args, attr) for attr, *_ in OPTIONS})
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    import uvicorn

    from .app import create_app

    print(f"Schakel on http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws_max_size=schema.MAX_FRAME_BYTES,
        timeout_graceful_shutdown=10,
        ws=settings.ws_impl,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
