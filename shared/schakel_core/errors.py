"""Errors of the Schakel protocol, each with a stable code and a human reason.

Hierarchy::

    SchakelError                      root; never raised itself
    ├── ProtocolViolation             the peer broke the protocol: the socket is closed
    │   ├── BinaryOnly                a text frame
    │   ├── HelloRequired             a message before ``hello``, or a second ``hello``
    │   ├── FrameTooLarge             a frame over the size limit
    │   └── VersionMismatch           a ``hello`` of another protocol version (4426)
    └── RequestError                  one message was refused: answered, socket stays open
        ├── Malformed                 not msgpack, or not a map with a string ``t``
        ├── UnknownMessage            a ``t`` this side does not know
        ├── InvalidMessage            a field missing, mistyped or out of range
        ├── InvalidOp                 an op that breaks the schema (kind, field, value)
        ├── TooLarge                  a batch, string or list over its limit
        ├── AuthFailed                token missing, forged or expired
        ├── Forbidden                 the token does not allow this action
        ├── NotSubscribed             ops or presence for a board not subscribed
        ├── NotFound                  an unknown workshop, board or join code
        ├── Conflict                  the request contradicts the state (e.g. type of an id)
        ├── StoreUnavailable          the store could not be reached; retry later
        ├── RateLimited               too many requests; slow down
        ├── Unavailable               a part of the hub cannot serve this now (HTTP only:
        │                             e.g. the PDF renderer's system library is missing)
        └── UnsupportedMediaType      an HTTP body of a type the endpoint does not take

Codes are stable strings (``error.code``) listed in ``shared/PROTOCOL.md``; the close
codes of protocol violations are in :class:`CloseCode`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class CloseCode(IntEnum):
    """WebSocket close codes used by the hub (documented in PROTOCOL.md)."""

    NORMAL = 1000
    UNSUPPORTED_DATA = 1003  # text frame
    POLICY_VIOLATION = 1008  # a WebSocket upgrade refused (foreign Origin): HTTP 403
    MESSAGE_TOO_BIG = 1009  # frame over the size limit
    INTERNAL_ERROR = 1011  # the hub failed on a request (a bug, not an outage): reconnect
    RESTARTING = 1012  # the hub is shutting down: reconnect (to any hub) and resume
    TRY_AGAIN_LATER = 1013  # the store is unavailable: reconnect with backoff
    PROTOCOL_VIOLATION = 4400  # message before hello, second hello
    AUTH_FAILED = 4401  # hello with a bad token
    GONE = 4404  # the workshop was deleted
    TOO_SLOW = 4408  # the send queue overflowed: resync on reconnect
    RATE_LIMITED = 4429  # too many messages or connections: reconnect after a while
    VERSION_MISMATCH = 4426  # hello of another protocol version: reload the client's code


class SchakelError(Exception):
    """Root of every Schakel error: a stable ``code`` and a human ``reason``."""

    code: ClassVar[str] = "error"

    def __init__(self, reason: str, *, ref: int | None = None, board: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.ref = ref
        self.board = board

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason!r})"


class ProtocolViolation(SchakelError):
    """The peer broke the protocol; the connection is closed with ``close_code``."""

    code = "protocol_violation"
    close_code: ClassVar[CloseCode] = CloseCode.PROTOCOL_VIOLATION


class BinaryOnly(ProtocolViolation):
    code = "binary_only"
    close_code = CloseCode.UNSUPPORTED_DATA


class HelloRequired(ProtocolViolation):
    code = "hello_required"


class FrameTooLarge(ProtocolViolation):
    code = "frame_too_large"
    close_code = CloseCode.MESSAGE_TOO_BIG


class VersionMismatch(ProtocolViolation):
    """A ``hello`` of another protocol version: the client must reload its code."""

    code = "version_mismatch"
    close_code = CloseCode.VERSION_MISMATCH


class RequestError(SchakelError):
    """One request was refused; the connection stays open."""

    code = "bad_request"


class Malformed(RequestError):
    code = "malformed"


class UnknownMessage(RequestError):
    code = "unknown_message"


class InvalidMessage(RequestError):
    code = "invalid_message"


class InvalidOp(RequestError):
    code = "invalid_op"


class TooLarge(RequestError):
    code = "too_large"


class AuthFailed(RequestError):
    code = "auth_failed"


class Forbidden(RequestError):
    code = "forbidden"


class NotSubscribed(RequestError):
    code = "not_subscribed"


class NotFound(RequestError):
    code = "not_found"


class Conflict(RequestError):
    code = "conflict"


class StoreUnavailable(RequestError):
    code = "store_unavailable"


class RateLimited(RequestError):
    code = "rate_limited"


class Unavailable(RequestError):
    code = "unavailable"


class UnsupportedMediaType(RequestError):
    code = "unsupported_media_type"


ERROR_CODES: tuple[str, ...] = tuple(
    cls.code
    for cls in (
        BinaryOnly,
        HelloRequired,
        FrameTooLarge,
        VersionMismatch,
        Malformed,
        UnknownMessage,
        InvalidMessage,
        InvalidOp,
        TooLarge,
        AuthFailed,
        Forbidden,
        NotSubscribed,
        NotFound,
        Conflict,
        StoreUnavailable,
        RateLimited,
        Unavailable,
        UnsupportedMediaType,
    )
)
