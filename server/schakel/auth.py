"""Signed, expiring tokens: who a connection or HTTP request is, in which workshop.

A token is an itsdangerous timestamped signature over ``{"w": workshop, "r": role,
"p": participant}``. It says *who*, never *which boards*: board access is decided from
the workshop's current record at every subscribe (see ``Workshop.board_access``), so a
participant moved to another group follows the move.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from schakel_core.errors import AuthFailed
from schakel_core.workshop import Role

SALT = "schakel-token-v1"


@dataclass(frozen=True, slots=True)
class Claims:
    workshop: str
    role: Role
    participant: str | None = None


class Tokens:
    def __init__(self, secret: str, ttl_s: float) -> None:
        if len(secret) < 16:
            raise ValueError("the token secret must be at least 16 characters")
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self._ttl_s = int(ttl_s)

    def issue(self, claims: Claims) -> str:
        return self._serializer.dumps(
            {"w": claims.workshop, "r": claims.role.value, "p": claims.participant}
        )

    def verify(self, token: str | None) -> Claims:
        """Return the token's claims, or raise AuthFailed with a reason a person reads."""
        if not token:
            raise AuthFailed("a token is required: join the workshop first")
        try:
            data = self._serializer.loads(token, max_age=self._ttl_s)
        except SignatureExpired:
            raise AuthFailed("the token has expired: join the workshop again") from None
        except BadSignature:
            raise AuthFailed("the token is not valid for this server") from None
        try:
            return Claims(workshop=str(data["w"]), role=Role(data["r"]), participant=data["p"])
        except (KeyError, ValueError, TypeError):
            raise AuthFailed("the token is not valid for this server") from None
