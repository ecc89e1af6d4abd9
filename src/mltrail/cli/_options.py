"""Options several commands share: output format, columns and the search options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

ALL_FORMATS = ("table", "json", "csv")


def format_option(*choices: str) -> Callable[[F], F]:
    """Return the ``--format`` option limited to ``choices`` (default ``table``)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices or ALL_FORMATS),
        default="table",
        show_default=True,
        help="Output format: a readable table, JSON or CSV (JSON and CSV hold every column).",
    )


def search_options(func: F) -> F:
    """Add the options of ``trials search`` and ``runs search`` to a command."""
    decorators = [
        click.option(
            "--filter",
            "filter_text",
            metavar="TEXT",
            help="Search filter, e.g. \"metrics.val_auc > 0.9 AND params.optimizer = 'adam'\".",
        ),
        click.option(
            "--order-by",
            multiple=True,
            metavar="TEXT",
            help="Sort key, e.g. 'metrics.val_auc DESC'; repeat for ties (default: newest first).",
        ),
        click.option(
            "--limit",
            type=click.IntRange(min=1),
            default=100,
            show_default=True,
            help="Most results to return in one page.",
        ),
        click.option(
            "--page-token",
            metavar="TOKEN",
            help="Token printed by the previous page of the same search.",
        ),
        format_option(*ALL_FORMATS),
        click.option(
            "--columns",
            multiple=True,
            metavar="NAMES",
            help="Comma-separated columns to show, in order; globs allowed, e.g. 'name,params.*'.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def split_columns(values: tuple[str, ...]) -> list[str] | None:
    """Return the ``--columns`` values split on commas, or ``None`` when none were given."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or None
