"""Web security: response headers (a strict CSP), the Origin of WebSocket upgrades, and
the content types request bodies may have.

- Every HTTP answer carries :data:`BASE_HEADERS` and a Content-Security-Policy: the web
  client's (:func:`page_csp`) for HTML pages, ``default-src 'none'`` for everything else
  (JSON, files). An answer that sets its own CSP keeps it (the report: one
  self-contained page with inline styles, ``reading.REPORT_CSP``). API answers are
  ``Cache-Control: no-store``: they hold people's maps.
- A WebSocket upgrade from a browser must come from the hub's own origin (its public
  URL, or the request's host when none is set) or one of ``SCHAKEL_ALLOWED_ORIGINS``.
  Upgrades without an ``Origin`` header are not from a browser page and pass (the
  Python client, scripts): Origin protects browser users from other sites' pages, it
  does not authenticate anyone; tokens do.
- Bodies: ``application/json`` only (the import takes XML too). A form or ``text/plain``
  POST, which any web page may send without asking, is refused with 415, so the hub
  needs no CSRF tokens; CORS stays closed unless origins are allowed.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schakel_core.errors import UnsupportedMediaType

JSON_TYPES = ("application/json",)
XML_TYPES = ("application/xml", "text/xml", "application/graphml+xml")

BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_HOST_RE = re.compile(r"[A-Za-z0-9.\-:\[\]]{1,255}")


def page_csp(ws_origins: list[str]) -> str:
    """The web client's policy: its own scripts, styles and images only, no inline
    script or style (the built client has none: ``tests/e2e/test_web_security.py``),
    WebSocket to the hub, never framed."""
    connect = " ".join(["'self'", *ws_origins])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data: blob:; font-src 'self'; "
        f"connect-src {connect}; manifest-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _host(scope: Scope) -> str | None:
    host = Headers(scope=scope).get("host")
    return host if host is not None and _HOST_RE.fullmatch(host) else None


def own_origins(scope: Scope, public_url: str) -> list[str]:
    """The origins of the hub's own pages: the public URL's, or the request's host's."""
    if public_url:
        return [origin_of(public_url)]
    host = _host(scope)
    return [] if host is None else [f"http://{host}".lower(), f"https://{host}".lower()]


def ws_origins(scope: Scope, public_url: str) -> list[str]:
    """WebSocket URLs of the hub for ``connect-src`` (``'self'`` covers them in current
    browsers; named as well for older ones)."""
    return [
        o.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        for o in own_origins(scope, public_url)
    ]


def origin_allowed(scope: Scope, public_url: str, allowed: list[str]) -> bool:
    """May a WebSocket upgrade with this ``Origin`` be accepted?"""
    origin = Headers(scope=scope).get("origin")
    if origin is None:
        return True  # not a browser page
    origin = origin.strip().rstrip("/").lower()
    return origin in own_origins(scope, public_url) or origin in [o.lower() for o in allowed]


def require_type(request: Request, types: tuple[str, ...] = JSON_TYPES) -> str:
    """The body's media type, if it is one of ``types``; else UnsupportedMediaType."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in types:
        raise UnsupportedMediaType(
            f"send the body as {' or '.join(types[:2])}"
            + (f", not {kind}" if kind else " (a content-type header is required)")
        )
    return kind


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP answer."""

    def __init__(self, app: ASGIApp, *, public_url: str = "") -> None:
        self.app = app
        self.public_url = public_url
        self.hsts = public_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    headers.setdefault(name, value)
                if "content-security-policy" not in headers:
                    # (a 304 has no content type; its headers replace the cached page's)
                    html = headers.get("content-type", "").startswith("text/html") or (
                        message["status"] == HTTPStatus.NOT_MODIFIED
                    )
                    csp = page_csp(ws_origins(scope, self.public_url)) if html else OTHER_CSP
                    headers["content-security-policy"] = csp
                if api:
                    headers["cache-control"] = "no-store"
                if self.hsts:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)
