"""``mltrail tokens``: create, list and revoke the server's API tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

from mltrail.cli._context import CliState, pass_state
from mltrail.cli._options import ALL_FORMATS, format_option

ROLES = ("reader", "writer", "approver", "admin")
_DURATION = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@click.group()
def tokens() -> None:
    """Manage API tokens of `mltrail server`.

    Once any token exists, the server wants `Authorization: Bearer <token>`: writes need a
    writer token (approvals an approver one), and reads a reader token if the server runs with
    --require-auth-for-reads. Tokens are stored hashed; a token's secret is shown only once.
    """


@tokens.command()
@click.option("--name", required=True, help="What the token is for, e.g. 'airflow-prod'.")
@click.option("--role", type=click.Choice(ROLES), default="writer", show_default=True)
@click.option("--expires-in", metavar="DURATION", help="Lifetime such as 12h, 30d or 8w (default: none).")
@pass_state
def create(state: CliState, name: str, role: str, expires_in: str | None) -> None:
    """Create a token and print it (once: it cannot be shown again)."""
    expires_at = None if expires_in is None else datetime.now(UTC) + _duration(expires_in)
    with state.open_store() as store:
        info, secret = store.tokens.create(name, role, expires_at=expires_at)
    click.echo(secret)
    until = f", expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""
    click.echo(f"created {info.role} token {info.key} ({info.name}{until}); keep it secret", err=True)


@tokens.command(name="list")
@format_option(*ALL_FORMATS)
@pass_state
def list_tokens(state: CliState, fmt: str) -> None:
    """List tokens (never their secrets): key, name, role, created, expires, revoked."""
    from mltrail.cli import output

    with state.open_store() as store:
        found = store.tokens.list()
    now = datetime.now(UTC)
    rows = [
        {
            "key": t.key,
            "name": t.name,
            "role": t.role.value,
            "active": t.is_active(now),
            "created": t.created_at,
            "expires": t.expires_at,
            "revoked": t.revoked_at,
        }
        for t in found
    ]
    output.render_rows(rows, fmt=fmt, noun="tokens")


@tokens.command()
@click.argument("key")
@pass_state
def revoke(state: CliState, key: str) -> None:
    """Revoke the token with this KEY (see `mltrail tokens list`)."""
    with state.open_store() as store:
        info = store.tokens.revoke(key)
    click.echo(f"revoked {info.role} token {info.key} ({info.name})")


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise click.BadParameter(
            f"{text!r} is not a duration such as 12h, 30d or 8w", param_hint="--expires-in"
        )
    return int(match.group(1)) * _UNITS[match.group(2)]
