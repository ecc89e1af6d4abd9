"""``mltrail server``: serve the OpenLineage ingest, the Marquez-compatible API and mltrail's REST API."""

from __future__ import annotations

import ipaddress
import os

import click

from mltrail.cli._context import CliState
from mltrail.core.errors import ConfigError

DEFAULT_PORT = 5000
"""Marquez's port, so Marquez's web UI and clients find the server where they look by default."""


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", "database", metavar="URL", help="Database URL (default: the tracking URI).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes.")
@click.option("--artifact-root", metavar="PATH|URI", help="Where artifacts are stored (default: settings).")
@click.option(
    "--require-auth-for-reads",
    is_flag=True,
    default=None,
    help="Reads need a reader token too (once any token exists; see `mltrail tokens`).",
)
@click.pass_obj
def server(
    state: CliState,
    host: str,
    port: int,
    database: str | None,
    workers: int,
    artifact_root: str | None,
    require_auth_for_reads: bool | None,
) -> None:
    """Serve mltrail over HTTP (uvicorn), stateless: several servers can share one PostgreSQL database."""
    try:
        import uvicorn
    except ImportError as exc:
        raise ConfigError(
            "the server needs the 'server' extra: pip install 'mltrail[server]'", key="server"
        ) from exc
    from mltrail.config import resolve_settings
    from mltrail.store import Store

    settings = resolve_settings(
        {
            "tracking_uri": database or state.tracking_uri,
            "artifact_root": artifact_root,
            "require_auth_for_reads": require_auth_for_reads,
        }
    )
    store = Store(settings.tracking_uri)  # migrate once here, not in every worker at once
    try:
        has_tokens = store.tokens.any_active()
    finally:
        store.close()
    # Workers are new processes: they resolve the same settings from the environment.
    os.environ["MLTRAIL_TRACKING_URI"] = settings.tracking_uri
    os.environ["MLTRAIL_ARTIFACT_ROOT"] = settings.artifact_root
    os.environ["MLTRAIL_REQUIRE_AUTH_FOR_READS"] = "1" if settings.require_auth_for_reads else "0"
    if not has_tokens and not _is_loopback(host):
        click.secho(
            f"WARNING: listening on {host} with no API token: anyone who can reach this port can "
            "read and write tracking data. Create one with `mltrail tokens create`.",
            err=True,
            fg="red",
            bold=True,
        )
    uvicorn.run("mltrail.server:create_app", factory=True, host=host, port=port, workers=workers)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
