"""The server's API tokens in the database: create, list, revoke and verify."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from mltrail.core.access import Role, TokenInfo, digests_match, new_token, token_key
from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.core.validation import choice, validate_name
from mltrail.store import tables as t
from mltrail.store.hydrate import to_datetime
from mltrail.store.transaction import Transaction

_c = t.api_token.c
_COLUMNS = (_c.key, _c.name, _c.role, _c.created_at, _c.expires_at, _c.revoked_at)


class Tokens:
    """API tokens; each call is one transaction."""

    def __init__(self, read: Transaction, write: Transaction) -> None:
        self._read = read
        self._write = write

    def create(
        self, name: str, role: Role | str, *, expires_at: datetime | None = None
    ) -> tuple[TokenInfo, str]:
        """Create a token; return it and its secret, which is not kept and cannot be shown again.

        Raises:
            ValidationError: For an empty name, an unknown role or an expiry in the past.
        """
        validate_name("name", name, max_length=256)
        chosen = choice(Role, role, "role")
        now = _now_ms()
        expires = None if expires_at is None else int(expires_at.timestamp() * 1000)
        if expires is not None and expires <= now:
            raise ValidationError(
                f"expires_at must be in the future, got {expires_at}", field="expires_at", value=expires_at
            )
        token, key, digest = new_token()
        row = {
            "key": key,
            "digest": digest,
            "name": name,
            "role": chosen.value,
            "created_at": now,
            "expires_at": expires,
            "revoked_at": None,
        }
        self._write(lambda c: c.execute(insert(t.api_token), [row]))
        return _info((key, name, chosen.value, now, expires, None)), token

    def list(self) -> list[TokenInfo]:
        """Every token, newest first (revoked and expired ones too)."""
        rows = self._read(
            lambda c: c.execute(select(*_COLUMNS).order_by(_c.created_at.desc(), _c.id.desc())).all()
        )
        return [_info(row) for row in rows]

    def revoke(self, key: str) -> TokenInfo:
        """Revoke a token by its key; revoking it again changes nothing.

        Raises:
            NotFoundError: If no token has that key.
        """

        def write(connection: Connection) -> Any:
            connection.execute(
                update(t.api_token).where(_c.key == key, _c.revoked_at.is_(None)).values(revoked_at=_now_ms())
            )
            return connection.execute(select(*_COLUMNS).where(_c.key == key)).first()

        row = self._write(write)
        if row is None:
            raise NotFoundError("token", key)
        return _info(row)

    def verify(self, token: str) -> TokenInfo | None:
        """The stored token a presented one matches, active or not; ``None`` if it matches none."""
        key = token_key(token)
        if key is None:
            return None
        row = self._read(lambda c: c.execute(select(*_COLUMNS, _c.digest).where(_c.key == key)).first())
        if row is None or not digests_match(token, row[-1]):
            return None
        return _info(row[:-1])

    def any_active(self) -> bool:
        """Whether any token is neither revoked nor expired: then the server requires tokens."""
        now = _now_ms()
        query = select(func.count()).where(
            _c.revoked_at.is_(None), (_c.expires_at.is_(None)) | (_c.expires_at > now)
        )
        return bool(self._read(lambda c: c.execute(query).scalar_one()))


def _info(row: Any) -> TokenInfo:
    key, name, role, created, expires, revoked = row
    return TokenInfo(
        key=key,
        name=name,
        role=Role(role),
        created_at=to_datetime(created),
        expires_at=None if expires is None else to_datetime(expires),
        revoked_at=None if revoked is None else to_datetime(revoked),
    )


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


__all__ = ["Tokens"]
