"""``mltrail models``: list, show, approve, reject and alias the model registry's versions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from mltrail.cli._context import CliState, pass_state
from mltrail.cli._options import ALL_FORMATS, format_option

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from mltrail.core.registry import ApprovalStatus, ModelRegistry, ModelVersion, RegisteredModel

_DETAIL_FORMATS = ("table", "json")
_VERSION = click.IntRange(min=1)


@click.group()
def models() -> None:
    """List and govern the versions of registered models.

    Versions are registered from Python (mltrail.registry.register_model) or by the pipeline
    steps; see docs/registry.md. The registry is the tracking database's or server's; a server
    with tokens needs an approver token to approve or reject.
    """


@models.command(name="list")
@format_option(*ALL_FORMATS)
@pass_state
def list_models(state: CliState, fmt: str) -> None:
    """List the registered models with their latest and latest approved versions."""
    from mltrail.cli import output

    with _open_registry(state) as registry:
        found = registry.models()
    if fmt == "json":
        click.echo(output.to_json([dataclasses.asdict(model) for model in found]))
    else:
        output.render_rows([_model_row(model) for model in found], fmt=fmt, noun="models")


@models.command()
@click.argument("model")
@format_option(*ALL_FORMATS)
@pass_state
def versions(state: CliState, model: str, fmt: str) -> None:
    """List the versions of MODEL, newest first, with status, source run and metric snapshot."""
    from mltrail.cli import output

    with _open_registry(state) as registry:
        found = registry.versions(model)
    if fmt == "json":
        click.echo(output.to_json([version_to_dict(version) for version in found]))
    else:
        output.render_rows(
            [_version_row(version, is_table=fmt == "table") for version in found], fmt=fmt, noun="versions"
        )


@models.command()
@click.argument("model")
@click.argument("version", type=_VERSION, required=False)
@format_option(*_DETAIL_FORMATS)
@pass_state
def show(state: CliState, model: str, version: int | None, fmt: str) -> None:
    """Show a version of MODEL with its links and audit trail.

    Name the version by number (`fraud 3`) or by alias (`fraud@champion`).
    """
    with _open_registry(state) as registry:
        if version is not None:
            found = registry.get(model, version)
        elif "@" in model:
            name, alias = model.rsplit("@", 1)
            found = registry.by_alias(name, alias)
        else:
            raise click.UsageError("give a VERSION, or name the version MODEL@ALIAS")
    _render_version(found, fmt=fmt)


@models.command()
@click.argument("model")
@click.argument("version", type=_VERSION)
@click.option("--reason", required=True, help="Why: kept in the version's audit trail.")
@format_option(*_DETAIL_FORMATS)
@pass_state
def approve(state: CliState, model: str, version: int, reason: str, fmt: str) -> None:
    """Approve VERSION of MODEL (pending or rejected) and print its audit trail."""
    from mltrail.core.registry import ApprovalStatus

    _decide(state, model, version, ApprovalStatus.APPROVED, reason=reason, fmt=fmt)


@models.command()
@click.argument("model")
@click.argument("version", type=_VERSION)
@click.option("--reason", required=True, help="Why: kept in the version's audit trail.")
@format_option(*_DETAIL_FORMATS)
@pass_state
def reject(state: CliState, model: str, version: int, reason: str, fmt: str) -> None:
    """Reject VERSION of MODEL (pending or approved) and print its audit trail."""
    from mltrail.core.registry import ApprovalStatus

    _decide(state, model, version, ApprovalStatus.REJECTED, reason=reason, fmt=fmt)


@models.command()
@click.argument("model")
@format_option(*_DETAIL_FORMATS)
@pass_state
def latest(state: CliState, model: str, fmt: str) -> None:
    """Show the newest Approved version of MODEL; exit 2 when none is approved."""
    with _open_registry(state) as registry:
        found = registry.latest_approved(model)
    _render_version(found, fmt=fmt)


@models.command()
@click.argument("model")
@click.argument("alias")
@click.argument("version", type=_VERSION)
@pass_state
def alias(state: CliState, model: str, alias: str, version: int) -> None:
    """Point ALIAS (e.g. champion) of MODEL at VERSION, moving it from any other version."""
    with _open_registry(state) as registry:
        found = registry.set_alias(model, alias, version)
    click.echo(f"{model}@{alias} -> version {found.version} ({found.status.value})")


# -- helpers ---------------------------------------------------------------------------------------


def version_to_dict(version: ModelVersion) -> dict[str, Any]:
    """Return every field of a version, its lineage ``uri`` and its audit trail (for JSON)."""
    data = dataclasses.asdict(version)
    return {"model": data.pop("model"), "version": data.pop("version"), "uri": version.uri, **data}


@contextmanager
def _open_registry(state: CliState) -> Iterator[ModelRegistry]:
    """Yield the registry of the tracking database or server."""
    with state.open_backend() as backend:
        yield backend.registry


def _decide(
    state: CliState, model: str, version: int, status: ApprovalStatus, *, reason: str, fmt: str
) -> None:
    from mltrail import registry as models_registry
    from mltrail.cli import output

    state.point_sdk()  # the SDK records the change (and its events) where the CLI points
    changed = models_registry.update_approval(model, version, status, reason=reason)
    if fmt == "json":
        click.echo(output.to_json(version_to_dict(changed)))
        return
    click.echo(f"{changed.model} version {changed.version} is now {changed.status.value}")
    output.emit(output.make_console(), approval_trail(changed))


def _render_version(version: ModelVersion, *, fmt: str) -> None:
    from mltrail.cli import output

    if fmt == "json":
        click.echo(output.to_json(version_to_dict(version)))
    else:
        output.emit(output.make_console(), *_version_detail(version))


def _model_row(model: RegisteredModel) -> dict[str, Any]:
    return {
        "model": model.name,
        "versions": model.versions,
        "latest": model.latest_version,
        "latest status": model.latest_status.value,
        "latest approved": model.latest_approved,
        "updated": model.updated_at,
    }


def _version_row(version: ModelVersion, *, is_table: bool) -> dict[str, Any]:
    """Return a version as one row: compact for a table, every scalar field for CSV."""
    from mltrail.cli.output import format_cell

    row: dict[str, Any] = {
        "version": version.version,
        "status": version.status.value,
        "created": version.created_at,
        "run": version.run_id,
        "experiment": version.experiment,
        "trials": ", ".join(version.trials),
        "aliases": ", ".join(version.aliases),
    }
    if is_table:
        row["metrics"] = ", ".join(f"{k}={format_cell(v)}" for k, v in sorted(version.metrics.items()))
        return row
    row |= {
        "updated": version.updated_at,
        "source_uri": version.source_uri,
        "description": version.description,
    }
    row |= {f"metrics.{key}": value for key, value in sorted(version.metrics.items())}
    row |= {f"tags.{key}": value for key, value in sorted(version.tags.items())}
    return row


def _version_detail(version: ModelVersion) -> list[RenderableType]:
    """Return a version's summary, then its metric snapshot and tags, then its audit trail."""
    from rich.text import Text

    from mltrail.cli.output import format_time, to_table
    from mltrail.cli.run_detail import fields_grid

    parts: list[RenderableType] = [
        fields_grid(
            [
                ("model", version.model),
                ("version", str(version.version)),
                ("status", version.status.value),
                ("aliases", ", ".join(version.aliases)),
                ("source", version.source_uri),
                ("lineage", version.uri),
                ("run", "" if version.run_id is None else str(version.run_id)),
                ("experiment", version.experiment or ""),
                ("trials", ", ".join(version.trials)),
                ("created", format_time(version.created_at)),
                ("updated", format_time(version.updated_at)),
                ("description", version.description or ""),
            ]
        )
    ]
    if version.metrics:
        rows = [{"key": key, "value": value} for key, value in sorted(version.metrics.items())]
        parts.append(to_table(rows, ("key", "value"), title="Metrics"))
    if version.tags:
        rows = [{"key": key, "value": value} for key, value in sorted(version.tags.items())]
        parts.append(to_table(rows, ("key", "value"), title="Tags"))
    parts.append(approval_trail(version))
    spaced: list[RenderableType] = []
    for part in parts:
        spaced += [part] if not spaced else [Text(""), part]
    return spaced


def approval_trail(version: ModelVersion) -> Table:
    """A version's audit trail as a table: from → to, actor, when, reason (governance reports too)."""
    from mltrail.cli.output import to_table

    rows = [
        {
            "from": None if change.from_status is None else change.from_status.value,
            "to": change.to_status.value,
            "actor": change.actor,
            "at": change.at,
            "reason": change.reason,
        }
        for change in version.history
    ]
    return to_table(rows, ("from", "to", "actor", "at", "reason"), title="Approval trail")
