"""Limits against abuse: token buckets per client address, per workshop and per connection.

Every limit is a :class:`Rate` written ``"<burst>/<period>"``: up to ``burst`` events at
once, refilled at ``burst`` per ``period`` (``"10/5min"``: ten at once, then one every 30
seconds). ``"0"`` turns a limit off. The settings (``SCHAKEL_LIMIT_*``) and their
defaults are listed in PROTOCOL.md ("Limits") and the README; ``docs/security.md``
explains the numbers.

What is limited, and where it is checked:

======================  ==========================  ==================================
limit                   key                         checked in
======================  ==========================  ==================================
workshop creations      client address              ``api.create_workshop``
join attempts           client address              ``api.join`` (before the look-up)
join misses (back-off)  client address, and hub     ``api.join``
heavy requests          client address and workshop ``reading`` (analysis, exports, import)
WebSocket connections   client address (rate and    ``app.websocket_endpoint``
                        concurrent), and hub
hellos without a valid  client address              ``Connection._hello``
token
messages, ops           connection                  ``Connection._session``
======================  ==========================  ==================================

Addresses are the socket's peer, or (behind a proxy) the one a trusted proxy put in the
configured header (:func:`client_address`); IPv6 addresses count per /64, the block one
subscriber usually holds. Tables of buckets are bounded (:data:`MAX_KEYS`): a full bucket
carries no information and is the first to go.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from starlette.types import Scope

from schakel_core.errors import CloseCode, ProtocolViolation, RateLimited

MAX_KEYS = 65_536  # buckets kept per limit; beyond, full buckets and then the oldest go
MAX_PAUSE_S = 1.0  # a connection over its rate reads nothing for up to this long
CLOSE_PENALTY = 30  # connects an address spends when one of its connections is dropped
UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_RATE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(\d*(?:\.\d+)?)\s*(s|min|h|d)")

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Rate:
    """``burst`` events at once, refilled at ``burst`` per ``period_s``; burst 0 is off."""

    burst: float
    period_s: float = 1.0

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"300/s"``, ``"10/5min"``, ``"600/h"``; ``"0"`` or ``""``: no limit."""
        text = text.strip()
        if text in ("", "0"):
            return OFF
        match = _RATE_RE.fullmatch(text)
        if match is None:
            raise ValueError(f"a rate is '<burst>/<period>', like 300/s or 10/5min: {text!r}")
        burst, count, unit = match.groups()
        period = float(count or 1) * UNITS[unit]
        if float(burst) <= 0 or period <= 0:
            raise ValueError(f"a rate needs a positive burst and period: {text!r}")
        return cls(float(burst), period)

    @property
    def off(self) -> bool:
        return self.burst <= 0

    @property
    def per_s(self) -> float:
        return self.burst / self.period_s

    def per_hour(self, hours: float = 1.0) -> float:
        """Events let through in ``hours`` by a bucket that starts full."""
        return math.inf if self.off else self.burst + self.per_s * 3600 * hours

    def __str__(self) -> str:
        if self.off:
            return "0"
        for unit, seconds in sorted(UNITS.items(), key=lambda u: -u[1]):
            n = self.period_s / seconds
            if n >= 1 and n == int(n):
                return f"{self.burst:g}/{'' if n == 1 else f'{n:g}'}{unit}"
        return f"{self.burst:g}/{self.period_s:g}s"


OFF = Rate(0.0)


class Bucket:
    """A token bucket: ``tokens`` as of ``stamp`` (clock seconds)."""

    __slots__ = ("stamp", "tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self.tokens = rate.burst
        self.stamp = now

    def _refill(self, rate: Rate, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(rate.burst, self.tokens + (now - self.stamp) * rate.per_s)
        self.stamp = now

    def take(self, rate: Rate, now: float, n: float = 1.0) -> bool:
        """Take ``n`` tokens if there are; False (and nothing taken) otherwise."""
        if rate.off:
            return True
        self._refill(rate, now)
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False

    def charge(self, rate: Rate, now: float, n: float = 1.0) -> None:
        """Take ``n`` tokens whether or not there are: into debt, down to minus a burst
        (a penalty is then a wait, not just an empty bucket)."""
        if not rate.off:
            self._refill(rate, now)
            self.tokens = max(-rate.burst, self.tokens - n)

    def full(self, rate: Rate, now: float) -> bool:
        self._refill(rate, now)
        return self.tokens >= rate.burst

    def retry_after(self, rate: Rate, now: float, n: float = 1.0) -> float:
        """Seconds until ``n`` tokens are there."""
        if rate.off:
            return 0.0
        self._refill(rate, now)
        return max(0.0, (n - self.tokens) / rate.per_s)


class Buckets:
    """One token bucket per key (an address, a workshop), at most ``max_keys`` kept."""

    def __init__(self, rate: Rate, *, max_keys: int = MAX_KEYS, clock: Clock = time.monotonic):
        self.rate = rate
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _get(self, key: str) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune()
            bucket = self._buckets[key] = Bucket(self.rate, self.clock())
        else:
            self._buckets.move_to_end(key)
        return bucket

    def _prune(self) -> None:
        """Forget full buckets (they say nothing), then the least recently used down to
        7/8 of the table, so that a table under attack is pruned once per many keys."""
        now = self.clock()
        for key in [k for k, b in self._buckets.items() if b.full(self.rate, now)]:
            del self._buckets[key]
        keep = self.max_keys * 7 // 8
        while len(self._buckets) > keep:
            self._buckets.popitem(last=False)

    def take(self, key: str, n: float = 1.0) -> bool:
        return self.rate.off or self._get(key).take(self.rate, self.clock(), n)

    def charge(self, key: str, n: float = 1.0) -> None:
        if not self.rate.off:
            self._get(key).charge(self.rate, self.clock(), n)

    def full(self, key: str) -> bool:
        """True if ``key`` has spent nothing lately (no bucket, or a full one)."""
        bucket = self._buckets.get(key)
        return bucket is None or self.rate.off or bucket.full(self.rate, self.clock())

    def empty(self, key: str, n: float = 1.0) -> bool:
        bucket = self._buckets.get(key)
        return bucket is not None and bucket.retry_after(self.rate, self.clock(), n) > 0

    def retry_after(self, key: str, n: float = 1.0) -> float:
        bucket = self._buckets.get(key)
        return 0.0 if bucket is None else bucket.retry_after(self.rate, self.clock(), n)


class Counted:
    """Live things per key (connections per address), at most ``per_key`` each and
    ``total`` in all; 0 means no cap."""

    def __init__(self, per_key: int, total: int) -> None:
        self.per_key = per_key
        self.total = total
        self.count = 0
        self._by_key: dict[str, int] = {}

    def acquire(self, key: str) -> str | None:
        """None if taken, else which cap refused it (``"total"`` or ``"per_key"``)."""
        if self.total and self.count >= self.total:
            return "total"
        held = self._by_key.get(key, 0)
        if self.per_key and held >= self.per_key:
            return "per_key"
        self._by_key[key] = held + 1
        self.count += 1
        return None

    def release(self, key: str) -> None:
        held = self._by_key.get(key, 0)
        if held <= 1:
            self._by_key.pop(key, None)
        else:
            self._by_key[key] = held - 1
        if held:
            self.count -= 1


class LimitReached(RateLimited):
    """A limit refused the request: ``rate_limited`` (429, ``Retry-After``)."""

    def __init__(
        self,
        reason: str,
        retry_after_s: float,
        *,
        limit: str,
        ref: int | None = None,
        board: str | None = None,
    ) -> None:
        super().__init__(reason, ref=ref, board=board)
        self.wait_s = retry_after_s  # until the allowance is back
        self.retry_after_s = max(1, math.ceil(retry_after_s))  # (whole seconds, for HTTP)
        self.limit = limit


# ------------------------------------------------------------------ addresses


def _networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()]


@dataclass(frozen=True)
class AddressRule:
    """Where a request's client address comes from: the socket's peer, or ``header``
    (e.g. ``x-forwarded-for``) when the peer is one of the ``trusted`` proxies. Of a
    header with several addresses the last one counts: the one the trusted proxy saw."""

    header: str = ""
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_settings(cls, header: str, trusted: str) -> AddressRule:
        return cls(header.strip().lower(), tuple(_networks(trusted)))

    def _trusts(self, peer: str) -> bool:
        try:
            ip = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def address(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = str(client[0]) if client else "unknown"
        if not self.header or not self._trusts(peer):
            return peer
        wanted = self.header.encode("latin-1")
        values = [v for k, v in scope.get("headers", ()) if k == wanted]
        if not values:
            return peer
        last = values[-1].decode("latin-1").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            return peer


def address_key(address: str) -> str:
    """The key an address is limited by: itself, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


# ----------------------------------------------------------------- the limits


@dataclass(frozen=True)
class LimitSettings:
    """The rates and caps of :class:`Quotas` (from :class:`schakel.config.Settings`)."""

    workshops: Rate = field(default_factory=lambda: Rate.parse("10/h"))
    joins: Rate = field(default_factory=lambda: Rate.parse("120/min"))
    join_misses: Rate = field(default_factory=lambda: Rate.parse("10/5min"))
    join_misses_hub: Rate = field(default_factory=lambda: Rate.parse("600/h"))
    heavy: Rate = field(default_factory=lambda: Rate.parse("60/min"))
    heavy_workshop: Rate = field(default_factory=lambda: Rate.parse("240/min"))
    connects: Rate = field(default_factory=lambda: Rate.parse("300/min"))
    bad_hellos: Rate = field(default_factory=lambda: Rate.parse("20/min"))
    messages: Rate = field(default_factory=lambda: Rate.parse("1000/5s"))
    ops: Rate = field(default_factory=lambda: Rate.parse("2000/5s"))
    refusals: Rate = field(default_factory=lambda: Rate.parse("100/10s"))
    connections_per_address: int = 500
    connections: int = 10_000


class Quotas:
    """Every limit of one hub: per address and per workshop buckets, the hub's own
    buckets, connection counts, and refusals counted by limit (for ``/metrics``)."""

    def __init__(self, limits: LimitSettings, rule: AddressRule, clock: Clock = time.monotonic):
        self.limits = limits
        self.rule = rule
        self.clock = clock
        self.workshops = Buckets(limits.workshops, clock=clock)
        self.joins = Buckets(limits.joins, clock=clock)
        self.join_misses = Buckets(limits.join_misses, clock=clock)
        self.join_misses_hub = Buckets(limits.join_misses_hub, clock=clock)
        self.heavy = Buckets(limits.heavy, clock=clock)
        self.heavy_workshop = Buckets(limits.heavy_workshop, clock=clock)
        self.connects = Buckets(limits.connects, clock=clock)
        self.bad_hellos = Buckets(limits.bad_hellos, clock=clock)
        self.connections = Counted(limits.connections_per_address, limits.connections)
        self.refused: dict[str, int] = {}

    def address(self, scope: Scope) -> str:
        """The limiting key of a request's client (see :class:`AddressRule`)."""
        return address_key(self.rule.address(scope))

    def refuse(self, limit: str) -> None:
        self.refused[limit] = self.refused.get(limit, 0) + 1

    def take(self, table: Buckets, limit: str, key: str, reason: str) -> None:
        """Take a token of ``key`` from ``table``, or raise LimitReached (counted)."""
        if not table.take(key):
            self.refuse(limit)
            raise LimitReached(reason, table.retry_after(key), limit=limit)

    def connection(self) -> ConnectionRates:
        return ConnectionRates(self.limits, self.clock)

    def tables(self) -> Iterable[tuple[str, Buckets]]:
        """The tables of buckets, for tests and metrics of their size."""
        return [(name, b) for name, b in vars(self).items() if isinstance(b, Buckets)]


class ConnectionRates:
    """One connection's buckets: messages, ops, and refusals (persistent excess)."""

    __slots__ = ("_clock", "_limits", "messages", "ops", "refusals")

    def __init__(self, limits: LimitSettings, clock: Clock) -> None:
        self._limits = limits
        self._clock = clock
        now = clock()
        self.messages = Bucket(limits.messages, now)
        self.ops = Bucket(limits.ops, now)
        self.refusals = Bucket(limits.refusals, now)

    def message(self) -> bool:
        return self.messages.take(self._limits.messages, self._clock())

    def take_ops(self, n: int) -> bool:
        return self.ops.take(self._limits.ops, self._clock(), n)

    def wait_messages(self) -> float:
        """Seconds until the next message is allowed."""
        return self.messages.retry_after(self._limits.messages, self._clock())

    def wait_ops(self, n: int) -> float:
        """Seconds until a batch of ``n`` ops is allowed (a batch over the burst: never,
        so the burst's refill time)."""
        rate = self._limits.ops
        return self.ops.retry_after(rate, self._clock(), min(n, rate.burst))

    def refused(self) -> bool:
        """Count one refusal; False once they persist (the connection is then closed)."""
        return self.refusals.take(self._limits.refusals, self._clock())


class TooManyRequests(ProtocolViolation):
    """Refusals by a rate limit went on: after the error, the connection is dropped
    (no close handshake: the peer sees 1006; ``close_code`` is what /metrics counts)."""

    code = "rate_limited"
    close_code = CloseCode.RATE_LIMITED
