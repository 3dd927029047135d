"""``/metrics``: the hub's figures in Prometheus' text format (prometheus-client).

The hot paths (every frame sent, every op stored) bump plain integers in
:class:`Metrics`: an attribute increment costs tens of nanoseconds, where a
prometheus-client counter takes a lock. :class:`HubCollector` turns them, and what can be
read off the live hub (connections, rooms, send queues, store failures), into metric
families at scrape time. Only the store latency is a prometheus-client
:class:`~prometheus_client.Histogram` (observed once per commit or load, not per frame).
prometheus-client is the reference implementation of the exposition format (escaping,
``_total``, histogram buckets, OpenMetrics negotiation): writing that by hand is where
exporters go subtly wrong.

Each app has its own registry, so several hubs in one process (tests) never mix figures.
``SCHAKEL_METRICS_TOKEN``, when set, is required as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from .service import Service

STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Counters of one hub, bumped where things happen, read at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.store_seconds = Histogram(
            "schakel_store_seconds",
            "Duration of store calls made by the hub (apply: one commit tick; load: a sync)",
            ["call"],
            registry=self.registry,
            buckets=STORE_BUCKETS,
        )
        self.ops_in = 0  # ops received in batches that passed validation and limits
        self.ops_stored = 0  # ops that changed a board (numbered)
        self.ops_out = 0  # ops sent to subscribers in updates (one per op per recipient)
        self.frames_out = 0
        self.bytes_out = 0
        self.presence_dropped = 0  # of connections that have closed (live ones: outbox)
        self.resyncs = 0  # connections told too_slow or resync
        self.connections_opened = 0
        self.errors: Counter[str] = Counter()  # error messages and HTTP errors, by code
        self.closes: Counter[int] = Counter()  # WebSocket closes by code

    def bind(self, service: Service) -> None:
        self.registry.register(HubCollector(service))


class HubCollector(Collector):
    def __init__(self, service: Service) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        s = self.service
        m = s.metrics
        conns = list(s.connections)
        yield GaugeMetricFamily(
            "schakel_connections", "Open WebSocket connections", value=len(conns)
        )
        yield CounterMetricFamily(
            "schakel_connections_opened", "WebSocket connections accepted", m.connections_opened
        )
        yield GaugeMetricFamily(
            "schakel_boards_loaded", "Boards with subscribers on this hub", len(s.hub.rooms)
        )
        yield GaugeMetricFamily(  # the embedded store's; Redis holds its boards itself: 0
            "schakel_store_boards_in_memory",
            "Boards the store holds in this process",
            s.store.boards_in_memory(),
        )
        yield GaugeMetricFamily(
            "schakel_workshops_followed",
            "Workshops with connections on this hub",
            len(s.hub.workshops.conns),
        )
        for name, doc, value in (
            ("schakel_ops_in", "Ops received in accepted batches", m.ops_in),
            ("schakel_ops_stored", "Ops that changed a board", m.ops_stored),
            ("schakel_ops_out", "Ops sent to subscribers (per recipient)", m.ops_out),
            ("schakel_frames_out", "WebSocket frames sent", m.frames_out),
            ("schakel_bytes_out", "Bytes of WebSocket frames sent", m.bytes_out),
            ("schakel_resyncs", "Connections cut to resync (too_slow, resync)", m.resyncs),
        ):
            yield CounterMetricFamily(name, doc, value)
        dropped = m.presence_dropped + sum(c.outbox.dropped for c in conns)
        yield CounterMetricFamily(
            "schakel_presence_dropped", "Presence frames dropped (slow receivers)", dropped
        )
        depth = [len(c.outbox) for c in conns]
        queue = GaugeMetricFamily(
            "schakel_send_queue_frames", "Frames waiting in send queues", labels=["stat"]
        )
        queue.add_metric(["total"], sum(depth))
        queue.add_metric(["max"], max(depth, default=0))
        yield queue
        errors = CounterMetricFamily(
            "schakel_errors", "Errors answered, by code (WebSocket and HTTP)", labels=["code"]
        )
        for code, n in sorted(m.errors.items()):
            errors.add_metric([code], n)
        yield errors
        closes = CounterMetricFamily(
            "schakel_closes", "WebSocket connections closed, by close code", labels=["code"]
        )
        for close, n in sorted(m.closes.items()):
            closes.add_metric([str(close)], n)
        yield closes
        limited = CounterMetricFamily(
            "schakel_rate_limited", "Requests refused by a limit, by limit", labels=["limit"]
        )
        for limit, n in sorted(s.quotas.refused.items()):
            limited.add_metric([limit], n)
        yield limited
        failures = CounterMetricFamily(
            "schakel_store_failures", "Store failures by kind (Redis)", labels=["kind"]
        )
        counts = getattr(getattr(s.store, "failures", None), "counts", {})
        for kind, n in sorted(counts.items()):
            failures.add_metric([kind], n)
        yield failures
        yield GaugeMetricFamily(
            "schakel_worker_jobs",
            "Jobs running or waiting in the worker processes",
            s.workers.pending,
        )


async def metrics_endpoint(request: Request) -> Response:
    service: Service = request.app.state.service
    token = str(service.settings.metrics_token)
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse(
                {"error": "auth_failed", "reason": "metrics need the metrics token"}, 401
            )
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(service.metrics.registry), headers={"content-type": content_type})
