"""Web security: headers on every answer, the CSP the built client satisfies, the Origin
of WebSocket upgrades, JSON-only bodies, closed CORS, production mode, no token in any
log line, structured logs and ``/metrics``."""

from __future__ import annotations

import html.parser
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.datastructures import Secret
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from schakel.config import ConfigError, Settings
from schakel.logs import JsonFormatter
from schakel.security import BASE_HEADERS
from schakel_core import messages as m
from tests.e2e.raw import Raw
from tests.support.server import (
    Hub,
    create_workshop,
    free_port,
    hub_settings,
    join,
    running_hub,
)

ROOT = Path(__file__).resolve().parents[2]
DIST = Path(Settings().web_dir)
PAGES = ["/", "/join/ABCD2345", "/board", "/facilitator/new", "/facilitator", "/plenary"]
PAGES += ["/analysis?board=x:g1", "/new", "/nowhere"]


def check_headers(r: httpx.Response) -> None:
    for name, value in BASE_HEADERS.items():
        assert r.headers.get(name) == value, (r.url, name)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    if r.headers.get("content-type", "").startswith("text/html"):
        assert "script-src 'self';" in csp and "style-src 'self';" in csp, csp
    else:
        assert csp.startswith("default-src 'none'"), (r.url, csp)
    if r.url.path.startswith("/api/"):
        assert r.headers["cache-control"] == "no-store"


async def test_headers_on_every_page_and_answer(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    auth = {"authorization": f"Bearer {ws['facilitator_token']}"}
    wid = ws["workshop"]["id"]
    async with httpx.AsyncClient(base_url=hub.http) as http:
        index = await http.get("/")
        assert index.status_code == 200
        asset = re.search(r'src="(/assets/[^"]+\.js)"', index.text)
        assert asset is not None
        answers = [await http.get(p) for p in PAGES]
        answers += [
            await http.get(asset.group(1)),
            await http.get("/healthz"),
            await http.get("/metrics"),
            await http.get(f"/api/workshops/{wid}", headers=auth),
            await http.get(f"/api/workshops/{wid}"),  # 401
            await http.get("/api/workshops/nope", headers=auth),  # 403
            await http.post("/api/join", json={"code": "ZZZZZZZZ", "nickname": "x"}),  # 404
            await http.get(f"/api/boards/{wid}:g1/export/svg", headers=auth),
            await http.get(f"/api/workshops/{wid}/export/analysis.json", headers=auth),
        ]
        for r in answers:
            assert r.status_code < 500, r.text
            check_headers(r)
        # A page revalidated from the browser's cache (304, no content type) keeps the
        # page's policy: its headers replace the cached ones.
        again = await http.get("/board", headers={"if-none-match": index.headers["etag"]})
        assert again.status_code == 304
        assert "script-src 'self';" in again.headers["content-security-policy"]
        assert all(r.status_code == 200 for r in answers[: len(PAGES)])
        report = await http.get(f"/api/workshops/{wid}/export/report.html", headers=auth)
    # The report is one self-contained page with inline styles: its own policy.
    assert report.headers["content-security-policy"] == (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    assert report.headers["x-content-type-options"] == "nosniff"


class _Inline(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("an inline <script>")
        if tag == "style":
            self.found.append("a <style> element")
        self.found += [f"{tag} {k}=" for k in names if k == "style" or k.startswith("on")]


def test_the_built_client_has_no_inline_script_or_style() -> None:
    index = DIST / "index.html"
    assert index.is_file(), "make web builds the client first"
    parser = _Inline()
    parser.feed(index.read_text())
    assert parser.found == []
    assert list(DIST.glob("assets/*.css")), "the styles are a file of their own"


def test_the_client_source_writes_no_markup() -> None:
    """The client stays XSS-free: every user string goes through textContent and
    setAttribute; no HTML parsing, no eval."""
    banned = re.compile(
        r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\("
    )
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "client" / "web" / "src").rglob("*.ts")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if banned.search(line)
    ]
    assert hits == []


# -------------------------------------------------------------------- Origin


async def upgrade(hub: Hub, origin: str | None) -> int:
    """101 if the upgrade was accepted, else the HTTP status it was refused with."""
    headers = {} if origin is None else {"origin": origin}
    try:
        async with connect(hub.ws, additional_headers=headers, open_timeout=5) as ws:
            raw = Raw(ws, "x")
            await raw.send(m.Ping(1))  # before hello: refused, but the socket was open
            await raw.recv()
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_websocket_origin_is_checked(tmp_path: Path) -> None:
    async with running_hub(
        hub_settings(tmp_path, allowed_origins="https://partner.example")
    ) as hub:
        assert await upgrade(hub, None) == 101  # not a browser page
        assert await upgrade(hub, hub.http) == 101  # the hub's own pages
        assert await upgrade(hub, "https://partner.example") == 101
        for evil in ("https://evil.example", "null", "http://127.0.0.1.evil.example"):
            assert await upgrade(hub, evil) == 403, evil
        assert hub.service.metrics.errors["origin"] == 3
    public = hub_settings(tmp_path / "p", public_url="https://schakel.example")
    async with running_hub(public) as hub:
        assert await upgrade(hub, "https://schakel.example") == 101
        assert await upgrade(hub, hub.http) == 403  # behind its public URL: that one only


# ------------------------------------------------------------ bodies and CORS


async def test_bodies_are_json_only(hub: Hub) -> None:
    ws = await create_workshop(hub.http)
    auth = {"authorization": f"Bearer {ws['facilitator_token']}"}
    body = json.dumps({"title": "T", "code": ws["join_code"], "nickname": "x", "group": 1})
    p = await join(hub.http, ws["join_code"], "Ann")
    paths = [
        "/api/workshops",
        "/api/join",
        f"/api/workshops/{ws['workshop']['id']}/participants/{p['participant']['id']}",
        f"/api/workshops/{ws['workshop']['id']}/import",
    ]
    kinds = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
    async with httpx.AsyncClient(base_url=hub.http, headers=auth) as http:
        for path in paths:
            for kind in kinds:
                headers = {} if kind is None else {"content-type": kind}
                r = await http.post(path, content=body, headers=headers)
                assert r.status_code == 415, (path, kind, r.text)
                assert r.json()["error"] == "unsupported_media_type"
        assert (await http.post("/api/workshops", json={"title": "T"})).status_code == 201
    before = await hub.service.store.count_workshops()
    assert before == 2  # nothing was made by the refused ones


async def test_cors_is_closed_unless_origins_are_allowed(tmp_path: Path) -> None:
    preflight = {
        "origin": "https://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    async with (
        running_hub(hub_settings(tmp_path)) as hub,
        httpx.AsyncClient(base_url=hub.http) as http,
    ):
        r = await http.options("/api/workshops", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
        r = await http.post(
            "/api/workshops", json={"title": "T"}, headers={"origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in r.headers
    allowed = hub_settings(tmp_path / "a", allowed_origins="https://partner.example")
    async with running_hub(allowed) as hub, httpx.AsyncClient(base_url=hub.http) as http:
        r = await http.options(
            "/api/workshops", headers={**preflight, "origin": "https://partner.example"}
        )
        assert r.headers["access-control-allow-origin"] == "https://partner.example"
        r = await http.options("/api/workshops", headers=preflight)
        assert "access-control-allow-origin" not in r.headers


# ------------------------------------------------------------ production mode


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCHAKEL_")}
    return subprocess.run(
        [sys.executable, "-m", "schakel", "serve", "--port", str(free_port()), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_production_refuses_a_missing_or_short_secret(tmp_path: Path) -> None:
    missing = serve({}, "--production", "--data-dir", str(tmp_path))
    assert missing.returncode == 2 and "needs SCHAKEL_SECRET" in missing.stderr
    short = serve({"SCHAKEL_SECRET": "x" * 31, "SCHAKEL_PRODUCTION": "true"})
    assert short.returncode == 2 and "at least 32 characters (it has 31)" in short.stderr
    assert "x" * 31 not in short.stderr + short.stdout  # (nor is a secret ever printed)
    with pytest.raises(ConfigError, match="needs SCHAKEL_SECRET"):
        Settings(production=True).check()
    Settings(production=True, secret=Secret("y" * 32)).check()
    Settings().check()  # outside production the store makes a secret


async def test_production_starts_with_a_good_secret(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path, production=True, secret=Secret("z" * 40))
    async with running_hub(settings) as hub, httpx.AsyncClient(base_url=hub.http) as http:
        assert (await http.get("/healthz")).status_code == 200


# -------------------------------------------------------------------- logging


async def test_no_token_in_any_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = hub_settings(tmp_path, log_level="debug")
    async with running_hub(settings) as hub:
        ws = await create_workshop(hub.http)
        p = await join(hub.http, ws["join_code"], "Ann")
        tokens = [ws["facilitator_token"], ws["viewer_token"], p["token"]]
        forged = p["token"][:-4] + "AAAA"
        async with await Raw.hello(hub.ws, p["token"], "ann") as raw:
            await raw.subscribe(p["board"])
            await raw.send(m.Hello(p["token"], "again"))  # a protocol violation: logged
            await raw.closed()
        bad = await Raw.open(hub.ws)
        await bad.send(m.Hello(forged, "x"))
        await bad.closed()
        async with httpx.AsyncClient(base_url=hub.http) as http:
            for token in [*tokens, forged]:
                auth = {"authorization": f"Bearer {token}"}
                await http.get(f"/api/workshops/{ws['workshop']['id']}", headers=auth)
                await http.get("/api/workshops/other", headers=auth)
    # Every line of the hub (its loggers and uvicorn's), not of the test's own clients.
    hub_records = [r for r in caplog.records if r.name.startswith(("schakel", "uvicorn"))]
    lines = [f"{r.getMessage()} {r.args!r} {r.__dict__}" for r in hub_records]
    assert any("hello" in line for line in lines)  # connections were logged
    leaks = [line for line in lines for t in [*tokens, forged] if t[-20:] in line]
    assert leaks == []


def test_json_logs_carry_the_connection_id() -> None:
    record = logging.LogRecord(
        "schakel.connection", logging.INFO, "f", 1, "conn %s: %s", ("ab12", "x"), None
    )
    record.conn = "ab12"
    line = json.loads(JsonFormatter().format(record))
    assert line["conn"] == "ab12" and line["message"] == "conn ab12: x"
    assert line["level"] == "info" and line["logger"] == "schakel.connection"


# -------------------------------------------------------------------- metrics


async def test_metrics(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path, metrics_token=Secret("m" * 20))
    async with running_hub(settings) as hub:
        ws = await create_workshop(hub.http)
        p = await join(hub.http, ws["join_code"], "Ann")
        async with await Raw.hello(hub.ws, p["token"], "ann") as raw:
            await raw.subscribe(p["board"])
            await raw.send_ops(p["board"], [raw.op("a1", "actor", "label", "x")])
            await raw.until(m.Ack)
            await raw.send_map({"t": "dance"})
            await raw.expect(m.Error)
            async with httpx.AsyncClient(base_url=hub.http) as http:
                assert (await http.get("/metrics")).status_code == 401
                auth = {"authorization": f"Bearer {'m' * 20}"}
                text = (await http.get("/metrics", headers=auth)).text
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    expected: dict[str, Any] = {
        "schakel_connections": 1,
        "schakel_boards_loaded": 1,
        "schakel_ops_in_total": 1,
        "schakel_ops_stored_total": 1,
        "schakel_ops_out_total": 0,  # (its own op is not sent back to it: no echo)
        'schakel_errors_total{code="unknown_message"}': 1,
        'schakel_store_seconds_count{call="apply"}': 1,
        'schakel_store_seconds_count{call="load"}': 1,
        'schakel_send_queue_frames{stat="max"}': 0,
        "schakel_worker_jobs": 0,
    }
    assert {k: values.get(k) for k in expected} == expected
    assert values["schakel_frames_out_total"] >= 5 and values["schakel_bytes_out_total"] > 100
    assert "schakel_rate_limited_total" in text and "schakel_store_failures_total" in text
