"""``mltrail trials``: search the trials of an experiment."""

from __future__ import annotations

import click

from mltrail.cli._context import CliState, pass_state, search_and_render
from mltrail.cli._options import search_options


@click.group()
def trials() -> None:
    """Search trials (candidate configurations)."""


@trials.command()
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
    """Search the trials of EXPERIMENT, one page at a time.

    A trial shows the params, metrics and tags of its runs. See docs/search.md for the filter
    language, e.g. --filter "metrics.val_auc > 0.9" --order-by "metrics.val_auc DESC".
    """
    search_and_render(
        state,
        "trials",
        experiment,
        filter_text=filter_text,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
        fmt=fmt,
        columns=columns,
    )
