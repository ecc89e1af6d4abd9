"""Schema migrations: upgrade a database to the newest revision, under a lock."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from mltrail.store.engine import WRITE

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_ID = 0x6D6C747261696C  # "mltrail": one advisory lock for every migrating process


def alembic_config() -> Config:
    """Return the Alembic configuration of the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """Return the newest revision id the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


def current_revision(connection: Connection) -> str | None:
    """Return the revision the database is at, or ``None`` for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the schema to ``revision`` and return ``(before, after)`` revisions.

    Runs inside one write transaction that holds SQLite's write lock or a PostgreSQL advisory
    lock, so processes that open a new database at once migrate it exactly once.
    """
    config = alembic_config()
    with engine.connect().execution_options(**{WRITE: True}) as connection:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            before = current_revision(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            after = current_revision(connection)
    return before, after


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest revision."""
    with engine.connect() as connection:
        return current_revision(connection) == head_revision()
