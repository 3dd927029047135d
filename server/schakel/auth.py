"""Signed, expiring tokens: who a connection or HTTP request is, in which workshop.

A token is an itsdangerous timestamped signature over ``{"w": workshop, "r": role,
"p": participant, "g": generation}``. It says *who*, never *which boards*: board access
is decided from the workshop's current record at every subscribe (see
``Workshop.board_access``), so a participant moved to another group follows the move.

Lifetimes: a facilitator's or viewer's token lasts as long as the workshop (it is the key
to the workshop's controls and its results); a participant's ``token_ttl``. The workshop
record decides besides (:func:`token_problem`): a participant's token holds while the
participant is in the workshop; a facilitator's or viewer's while its generation is the
workshop's (the facilitator revokes them all by moving the generation on).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from schakel_core.errors import AuthFailed
from schakel_core.workshop import Role, Workshop

SALT = "schakel-token-v1"


@dataclass(frozen=True, slots=True)
class Claims:
    workshop: str
    role: Role
    participant: str | None = None
    generation: int = 0


def token_problem(claims: Claims, ws: Workshop) -> str | None:
    """Why a valid token no longer holds for the workshop as it is now, or None."""
    if claims.role == Role.PARTICIPANT:
        if claims.participant not in ws.participants:
            return "the facilitator has removed you from this workshop"
        return None
    if claims.generation != ws.token_generation:
        return "this link was revoked by the facilitator; ask for the new one"
    return None


class Tokens:
    def __init__(self, secret: str, ttl_s: float, *, key_ttl_s: float | None = None) -> None:
        """``ttl_s``: lifetime of a participant's token; ``key_ttl_s``: of a
        facilitator's or viewer's (default: as long)."""
        if len(secret) < 16:
            raise ValueError("the token secret must be at least 16 characters")
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self._ttl_s = int(ttl_s)
        self._key_ttl_s = int(ttl_s if key_ttl_s is None else key_ttl_s)

    def issue(self, claims: Claims) -> str:
        return self._serializer.dumps(
            {
                "w": claims.workshop,
                "r": claims.role.value,
                "p": claims.participant,
                "g": claims.generation,
            }
        )

    def verify(self, token: str | None) -> Claims:
        """Return the token's claims, or raise AuthFailed with a reason a person reads."""
        if not token:
            raise AuthFailed("a token is required: join the workshop first")
        try:
            data = self._serializer.loads(token, max_age=max(self._ttl_s, self._key_ttl_s))
            claims = Claims(
                workshop=str(data["w"]),
                role=Role(data["r"]),
                participant=data["p"],
                generation=int(data.get("g", 0)),
            )
            if claims.role == Role.PARTICIPANT:
                self._serializer.loads(token, max_age=self._ttl_s)
        except SignatureExpired:
            raise AuthFailed("the token has expired: join the workshop again") from None
        except BadSignature:
            raise AuthFailed("the token is not valid for this server") from None
        except (KeyError, ValueError, TypeError, AttributeError):
            raise AuthFailed("the token is not valid for this server") from None
        return claims
