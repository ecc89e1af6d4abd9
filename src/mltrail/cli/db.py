"""``mltrail db``: migrate the tracking database and show its schema revision."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from mltrail.cli._context import CliState, pass_state


@click.group()
def db() -> None:
    """Migrate the tracking database."""


@db.command()
@click.option(
    "--revision",
    default="head",
    show_default=True,
    help="Schema revision to upgrade to; 'head' is the newest this mltrail ships.",
)
@pass_state
def upgrade(state: CliState, revision: str) -> None:
    """Upgrade the database schema, creating it in an empty database."""
    from mltrail.store import migrate

    with state.open_engine() as engine, _database_errors():
        before, after = migrate.upgrade(engine, revision)
        url = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"already at {_revision_text(after)}")
    else:
        click.echo(f"upgraded {url} from {_revision_text(before)} to {_revision_text(after)}")


@db.command()
@pass_state
def current(state: CliState) -> None:
    """Print the database's schema revision and whether it is the newest."""
    from mltrail.store import migrate

    with state.open_engine() as engine, _database_errors(), engine.connect() as connection:
        revision = migrate.current_revision(connection)
    head = migrate.head_revision()
    if revision == head:
        click.echo(f"{revision} (head)")
    else:
        click.echo(f"{_revision_text(revision)} (head is {head}; run `mltrail db upgrade`)")


def _revision_text(revision: str | None) -> str:
    return revision or "empty"


@contextmanager
def _database_errors() -> Iterator[None]:
    """Translate SQLAlchemy and Alembic exceptions into mltrail errors."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from mltrail.core.errors import StoreError, ValidationError

    try:
        yield
    except CommandError as exc:
        raise ValidationError(str(exc), field="revision") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"database error: {getattr(exc, 'orig', None) or exc}", cause=exc) from exc
