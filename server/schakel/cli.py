"""The ``schakel`` command: ``schakel serve`` runs the hub; every option has a
``SCHAKEL_*`` environment variable, and the option wins over the variable."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

from schakel_core import schema

from .config import ConfigError, Settings

HEALTH_TIMEOUT_S = 2.0

# The options of `schakel serve`: a setting of config.Settings each, with its help; the
# environment variable (SCHAKEL_<NAME>) and the type come from the setting.
OPTIONS: list[tuple[str, str]] = [
    ("host", "address to listen on"),
    ("port", "port to listen on"),
    ("data_dir", "folder of the embedded store's database"),
    ("redis_url", "use Redis at this URL instead of the embedded store"),
    ("redis_pool_size", "most Redis connections in use at once (the feed has one more)"),
    ("redis_pool_timeout_s", "seconds a request waits for a free Redis connection"),
    (
        "redis_wait_replicas",
        "acknowledge only once this many Redis replicas have the ops (WAIT; 0: don't)",
    ),
    (
        "redis_wait_timeout_ms",
        "how long to wait for those replicas before answering store_unavailable",
    ),
    ("tick_ms", "op tick (batching window) in milliseconds when idle"),
    ("tick_max_ms", "the op tick at most, as it grows under load"),
    ("presence_tick_ms", "presence tick in milliseconds when idle"),
    ("presence_tick_max_ms", "the presence tick at most, as it grows under load"),
    ("token_ttl_hours", "lifetime of tokens"),
    ("retention_hours", "workshops are erased after this long"),
    (
        "unload_after_s",
        "a board nobody follows leaves the hub's memory after this many seconds (embedded)",
    ),
    ("send_queue_frames", "frames a slow client may have queued"),
    ("send_queue_bytes", "bytes a slow client may have queued"),
    ("max_inflight_batches", "unacked batches per connection"),
    ("public_url", "base URL for join links (default: the request's)"),
    ("web_dir", "folder of the built web client"),
    ("log_level", "debug, info, warning or error"),
    ("workers", "worker processes for analysis and exports (0: a thread)"),
    ("ws_impl", "WebSocket protocol: hub (direct sends), websockets-sansio, websockets"),
    ("log_format", "text, or json (one object per line, with conn ids)"),
    # --- safe on the open internet (docs/security.md); SCHAKEL_SECRET and
    # SCHAKEL_METRICS_TOKEN are read from the environment only (never a command line) ---
    ("production", "refuse to start without a SCHAKEL_SECRET of 32+ chars"),
    ("allowed_origins", "origins besides the public URL (WS, CORS)"),
    ("proxy_header", "header with the client address, e.g. x-forwarded-for"),
    ("trusted_proxies", "proxies whose proxy header counts (CIDRs)"),
    ("limit_workshops", "workshop creations per address"),
    ("limit_joins", "join attempts per address"),
    ("limit_join_misses", "joins with an unknown code per address"),
    ("limit_join_misses_hub", "the same for the whole hub"),
    ("limit_heavy", "analyses, exports, imports per address"),
    ("limit_heavy_workshop", "the same per workshop"),
    ("limit_connects", "new WebSocket connections per address"),
    ("limit_bad_hellos", "hellos without a valid token per address"),
    ("limit_messages", "messages per connection"),
    ("limit_ops", "ops per connection"),
    ("limit_refusals", "rate-limit refusals before a drop"),
    ("max_connections", "open WebSocket connections per hub"),
    ("max_connections_per_address", "open WebSocket connections per address"),
    ("max_workshops", "live workshops in the store"),
    ("max_participants", "participants per workshop (at most 200)"),
    ("worker_queue", "analysis and file jobs running or waiting"),
    ("ws_ping_interval_s", "seconds between keepalive pings"),
    ("ws_ping_timeout_s", "seconds to wait for a pong"),
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
    for attr, text in OPTIONS:
        default = getattr(defaults, attr)
        cast = type(default)
        kind: dict[str, object] = (
            {"action": argparse.BooleanOptionalAction} if cast is bool else {"type": cast}
        )
        serve.add_argument(
            "--" + attr.replace("_", "-"),
            default=default,
            help=f"{text} (env SCHAKEL_{attr.upper()}; now {default!r})",
            **kind,  # type: ignore[arg-type]
        )
    sub.add_parser("schema", help="print the board schema as JSON (shared/schema.json)")
    sub.add_parser(
        "health",
        help="exit 0 if the hub on SCHAKEL_PORT of this machine answers /healthz (the "
        "image's health check)",
    )
    export = sub.add_parser(
        "export",
        help="write a workshop's report, analysis and maps to a folder",
        description="Write a workshop's results, read from the store itself (the embedded "
        "store's folder, read-only, or Redis): the report, the analysis and every board in "
        "the chosen formats. WORKSHOP is the workshop's id or its join code.",
    )
    from .takeout import FORMATS

    export.add_argument("workshop", help="the workshop's id or join code")
    export.add_argument(
        "--format",
        action="append",
        choices=FORMATS,
        help="what to write (repeat for several; default all): "
        "report, report-pdf, analysis, zip, or a board format",
    )
    export.add_argument("--out", default=".", help="folder to write into (default: here)")
    export.add_argument("--lang", choices=("nl", "en"), default="nl", help="language of the files")
    for attr in ("data_dir", "redis_url"):
        env = attr.upper()
        export.add_argument(
            "--" + attr.replace("_", "-"),
            default=getattr(defaults, attr),
            help=f"as for serve (env SCHAKEL_{env}; now {getattr(defaults, attr)!r})",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    defaults = Settings.from_environ()
    args = build_parser(defaults).parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(schema.dumps())
        return 0
    if args.command == "export":
        return _export(args)
    if args.command == "health":
        return _health(defaults)
    settings = dataclasses.replace(defaults, **{attr: getattr(args, attr) for attr, *_ in OPTIONS})
    try:
        settings.check()
    except ConfigError as exc:
        print(f"schakel serve: {exc}", file=sys.stderr)
        return 2
    from .logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    from .app import create_app, server_config
    from .serving import SchakelServer, tune_gc

    tune_gc()
    print(f"Schakel on http://{settings.host}:{settings.port}/", flush=True)
    app = create_app(settings)
    config = server_config(app, settings, log_config=None)
    SchakelServer(config, app).run()
    return 0


def _health(settings: Settings) -> int:
    """GET /healthz of the hub on this machine (HEALTHCHECK of the image)."""
    import urllib.error
    import urllib.request

    url = f"http://127.0.0.1:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_S) as r:
            ok = r.status == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"schakel health: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


def _export(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from schakel_core.errors import RequestError
    from schakel_core.workshop import Workshop

    from .exports.report import ReportData
    from .stores import open_store
    from .takeout import gather, write

    async def read() -> tuple[Workshop, ReportData]:
        store = open_store(redis_url=args.redis_url, data_dir=args.data_dir, read_only=True)
        await store.start()
        try:
            return await gather(store, args.workshop, args.lang)
        finally:
            await store.close()

    try:
        ws, data = asyncio.run(read())
        files = write(ws, data, args.format or ["all"], Path(args.out))
    except RequestError as exc:
        print(f"schakel export: {exc.reason}", file=sys.stderr)
        return 1
    print(f"{len(files)} files in {Path(args.out).resolve()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
