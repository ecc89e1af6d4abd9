"""The tracking store: SQLAlchemy schema, Alembic migrations, writes, search and reads."""

from __future__ import annotations

from mltrail.store.store import Store

__all__ = ["Store"]
