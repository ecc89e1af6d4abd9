from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from mltrail.store import Store, migrate
from mltrail.store.base import Base
from mltrail.store.engine import make_engine


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_is_idempotent_and_reports_revisions(db_url: str) -> None:
    engine = make_engine(db_url)
    before, after = migrate.upgrade(engine)
    assert (before, after) == (None, migrate.head_revision())
    assert migrate.upgrade(engine) == (after, after)
    assert migrate.is_current(engine)
    engine.dispose()


def test_store_creates_the_schema_only_through_migrations(db_url: str) -> None:
    with Store(db_url) as store:
        tables = set(inspect(store._engine).get_table_names())
    assert "alembic_version" in tables
    assert {"experiment", "trial", "run", "metric_chunk"} <= tables


def test_every_migration_downgrades_to_base_and_upgrades_again(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        assert migrate.current_revision(connection) is None
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    assert migrate.upgrade(engine) == (None, migrate.head_revision())
    engine.dispose()
