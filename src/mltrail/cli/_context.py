"""The state every command shares: the root options, the settings they resolve to, and the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mltrail.config import Settings
    from mltrail.store import Store
    from mltrail.tracking.backends import Backend


@dataclass(frozen=True, slots=True)
class CliState:
    """The root group's options, kept on the Click context for the commands.

    Attributes:
        tracking_uri: The ``--tracking-uri`` given on the command line, or ``None`` to let
            :func:`mltrail.config.resolve_settings` find it (env, ``mltrail.yml``, default).
    """

    tracking_uri: str | None = None

    def settings(self) -> Settings:
        """Resolve the settings in force for this invocation.

        Raises:
            ConfigError: If a setting from the environment or ``mltrail.yml`` is unusable.
        """
        from mltrail.config import resolve_settings

        return resolve_settings({"tracking_uri": self.tracking_uri})

    def open_store(self) -> Store:
        """Return the tracking store; use it as a context manager so its connections close."""
        return _open_store(self.settings())

    def point_sdk(self) -> None:
        """Point the SDK (for commands built on it) at the tracking URI and token resolved here."""
        from mltrail.tracking import api

        settings = self.settings()
        api.set_tracking_uri(settings.tracking_uri, token=settings.tracking_token)

    @contextmanager
    def open_backend(self) -> Iterator[Backend]:
        """Yield what read commands query: the database, or the ``mltrail server`` at an http(s) URI."""
        from mltrail.tracking.backends import SERVER_SCHEMES, create_backend

        settings = self.settings()
        if urlsplit(settings.tracking_uri).scheme.lower() in SERVER_SCHEMES:
            backend: Backend = create_backend(settings.tracking_uri, token=settings.tracking_token)
        else:
            backend = _open_store(settings)
        try:
            yield backend
        finally:
            backend.close()

    @contextmanager
    def open_engine(self) -> Iterator[Engine]:
        """Yield a bare engine on the tracking database (for migrations, which need no ``Store``)."""
        from mltrail.store.engine import make_engine

        engine = make_engine(self.settings().tracking_uri)
        try:
            yield engine
        finally:
            engine.dispose()


def _open_store(settings: Settings) -> Store:
    """Build the ``Store`` for ``settings.tracking_uri``; the one place commands get a store.

    The CLI never migrates implicitly: a database that is behind raises ``StoreError`` telling
    the user to run ``mltrail db upgrade``.
    """
    from mltrail.store import Store

    return Store(settings.tracking_uri, upgrade=False)


pass_state = click.make_pass_decorator(CliState, ensure=True)
"""Decorator that passes the :class:`CliState` of the invocation as a command's first argument."""


def search_and_render(
    state: CliState,
    noun: str,
    experiment: str,
    *,
    filter_text: str | None,
    order_by: tuple[str, ...],
    limit: int,
    page_token: str | None,
    fmt: str,
    columns: tuple[str, ...],
) -> None:
    """Run ``trials search`` or ``runs search`` (``noun``) and print the page."""
    from mltrail.cli import output
    from mltrail.cli._options import split_columns

    with state.open_backend() as backend:
        search = backend.search_trials if noun == "trials" else backend.search_runs
        page = search(
            experiment=experiment,
            filter=filter_text,
            order_by=list(order_by) or None,
            max_results=limit,
            page_token=page_token,
        )
    output.render_page(page, fmt=fmt, columns=split_columns(columns), noun=noun)
