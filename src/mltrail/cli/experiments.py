"""``mltrail experiments``: list the experiments in the tracking store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mltrail.cli._context import CliState, pass_state
from mltrail.cli._options import format_option

if TYPE_CHECKING:
    from mltrail.core.entities import Experiment


@click.group()
def experiments() -> None:
    """List experiments."""


@experiments.command("list")
@click.option("--all", "include_archived", is_flag=True, help="Include archived experiments.")
@format_option("table", "json", "csv")
@pass_state
def list_experiments(state: CliState, include_archived: bool, fmt: str) -> None:
    """List experiments by name, with their number of trials."""
    from mltrail.cli import output

    with state.open_backend() as backend:
        found = backend.list_experiments(include_archived=include_archived)
    rows = [_experiment_row(experiment, include_archived=include_archived) for experiment in found]
    output.render_rows(rows, fmt=fmt, noun="experiments")


def _experiment_row(experiment: Experiment, *, include_archived: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": experiment.name,
        "trials": experiment.trial_count,
        "created_at": experiment.created_at,
        "description": experiment.description,
    }
    if include_archived:
        row["archived"] = experiment.is_archived
    row |= {f"tags.{key}": value for key, value in sorted(experiment.tags.items())}
    return row
