"""Bearer tokens: signed JWTs (HS256) carrying who the caller is, issued and read here."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from complaints.application.principals import AuthenticationError, Principal
from complaints.domain.values import Role

ISSUER = "huiyin"
ALGORITHM = "HS256"
_KEY_LABEL = b"huiyin/api-tokens/v1"
_ROLES = {role.value: role for role in Role if role is not Role.SYSTEM}


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    principal: Principal


class TokenIssuer:
    def __init__(
        self,
        secret_key: str,
        ttl_seconds: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        # A key of its own, so a token never doubles as any other use of the secret.
        self._key = hmac.new(secret_key.encode(), _KEY_LABEL, hashlib.sha256).digest()
        self._ttl = ttl_seconds
        self._clock = clock

    def issue(self, principal: Principal) -> IssuedToken:
        now = self._clock()
        claims = {
            "iss": ISSUER,
            "sub": principal.actor_id,
            "role": principal.role.value,
            "dept": principal.department,
            "case": str(principal.case_id) if principal.case_id else None,
            "gen": principal.generation,
            "iat": now,
            "exp": now + timedelta(seconds=self._ttl),
        }
        return IssuedToken(jwt.encode(claims, self._key, ALGORITHM), self._ttl, principal)

    def read(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss", "sub", "role"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the token has expired; sign in again") from None
        except jwt.PyJWTError:
            raise AuthenticationError("the token is not valid") from None
        role = _ROLES.get(claims["role"])
        if role is None or (role is Role.FILER and not claims.get("case")):
            raise AuthenticationError("the token is not valid")
        try:
            case_id = UUID(claims["case"]) if claims.get("case") else None
        except ValueError:
            raise AuthenticationError("the token is not valid") from None
        return Principal(
            actor_id=str(claims["sub"]),
            role=role,
            department=claims.get("dept"),
            case_id=case_id,
            generation=claims.get("gen") if isinstance(claims.get("gen"), int) else None,
        )
