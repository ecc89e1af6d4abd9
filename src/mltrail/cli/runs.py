"""``mltrail runs``: show one run, or search the runs (trial components) of an experiment."""

from __future__ import annotations

from uuid import UUID

import click

from mltrail.cli._context import CliState, pass_state, search_and_render
from mltrail.cli._options import format_option, search_options


@click.group()
def runs() -> None:
    """Show and search runs (trial components)."""


@runs.command()
@click.argument("run_id", type=click.UUID)
@format_option("table", "json")
@pass_state
def show(state: CliState, run_id: UUID, fmt: str) -> None:
    """Show everything recorded about the run RUN_ID."""
    from mltrail.cli import output, run_detail

    with state.open_backend() as backend:
        run = backend.get_run(run_id)
    if fmt == "json":
        click.echo(output.to_json(run_detail.run_to_dict(run)))
    else:
        output.emit(output.make_console(), *run_detail.render_run(run))


@runs.command()
@click.argument("experiment")
@search_options
@pass_state
def search(
    state: CliState,
    experiment: str,
    filter_text: str | None,
    order_by: tuple[str, ...],
    limit: int,
    page_token: str | None,
    fmt: str,
    columns: tuple[str, ...],
) -> None:
    """Search the runs of EXPERIMENT, one page at a time.

    See docs/search.md for the filter language, e.g. --filter "kind = 'training'".
    """
    search_and_render(
        state,
        "runs",
        experiment,
        filter_text=filter_text,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
        fmt=fmt,
        columns=columns,
    )
