"""Alembic environment: runs the migrations on the connection ``mltrail.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from mltrail.store import models  # noqa: F401  (defines the tables)
from mltrail.store.base import Base


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations inside the caller's transaction."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("mltrail migrations run online only: use `mltrail db upgrade`")
run_migrations(context.config.attributes["connection"])
