"""Access to the server: roles, and API tokens of the form ``mlt_<key>_<secret>``.

Only a token's SHA-256 is stored; the secret is shown once, when the token is created. The key
(public, in listings) finds the stored token; the digests are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

TOKEN_PREFIX = "mlt_"
KEY_LENGTH = 12
"""Characters of the public key (hex)."""


class Role(StrEnum):
    """What a token may do; each role may do what the ones before it may."""

    READER = "reader"
    WRITER = "writer"
    APPROVER = "approver"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token, without its secret."""

    key: str
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def new_token() -> tuple[str, str, str]:
    """A new token: ``(token, key, digest)``."""
    key = secrets.token_hex(KEY_LENGTH // 2)
    token = f"{TOKEN_PREFIX}{key}_{secrets.token_urlsafe(32)}"
    return token, key, token_digest(token)


def token_digest(token: str) -> str:
    """The SHA-256 of a token, hex: what is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_key(token: str) -> str | None:
    """The public key of a well-formed token, else ``None``."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    key, underscore, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not underscore or len(key) != KEY_LENGTH or not secret:
        return None
    return key


def digests_match(token: str, digest: str) -> bool:
    """Whether ``token`` hashes to ``digest``, compared in constant time."""
    return hmac.compare_digest(token_digest(token), digest)


__all__ = ["Role", "TokenInfo", "digests_match", "new_token", "token_digest", "token_key"]
