"""Render dict rows (from ``to_record``) as a rich table, JSON or CSV on standard output."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any
from uuid import UUID

import click
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from mltrail.core.page import Page

PIPE_WIDTH = 1000
"""Console width when standard output is not a terminal, so piped tables are not wrapped."""

_ATTRIBUTES = ("id", "name", "experiment", "kind", "trials", "status", "start_time", "end_time", "duration")
_TABLE_ATTRIBUTES = ("id", "name", "kind", "status", "start_time", "duration", "trials")
_SUMMARIES = ("min", "max", "avg", "count")


def make_console() -> Console:
    """Return a console on standard output; wide and colourless when it is not a terminal."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=PIPE_WIDTH)
    return console


def emit(console: Console, *renderables: RenderableType) -> None:
    """Print ``renderables``; off a terminal, without the padding that ends each line."""
    if console.is_terminal:
        for renderable in renderables:
            console.print(renderable)
        return
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


# -- columns ---------------------------------------------------------------------------------------


def record_columns(rows: Iterable[Mapping[str, Any]], *, is_table: bool = False) -> list[str]:
    """Return the columns of ``to_record`` rows in reading order.

    Attributes come first, then ``params.*``, ``metrics.*`` and ``tags.*``, each sorted by key.
    ``is_table`` keeps the compact set a terminal can show: no experiment or end time, and only
    the last value of each metric.

    Args:
        rows: Rows built by :func:`mltrail.core.page.to_record`.
        is_table: Whether the columns are for the table format.
    """
    keys = dict.fromkeys(key for row in rows for key in row)
    attributes = [name for name in (_TABLE_ATTRIBUTES if is_table else _ATTRIBUTES) if name in keys]
    params = sorted(key for key in keys if key.startswith("params."))
    tags = sorted(key for key in keys if key.startswith("tags."))
    metric_columns = [key for key in keys if key.startswith("metrics.")]
    # ``metrics.<k>`` holds the last value; to_record always writes ``metrics.<k>.count`` beside it.
    lasts = sorted(key for key in metric_columns if f"{key}.count" in keys)
    metrics: list[str] = []
    for last in lasts:
        metrics += [last] if is_table else [last, *(f"{last}.{name}" for name in _SUMMARIES)]
    if not is_table:
        metrics += sorted(set(metric_columns) - set(metrics))
    return [*attributes, *params, *metrics, *tags]


def select_columns(available: Sequence[str], requested: Sequence[str]) -> list[str]:
    """Return the ``--columns`` selection: names kept as given, globs expanded against ``available``.

    A name that no row has is kept, so the columns stay the same from one page to the next.
    """
    selected: list[str] = []
    for name in requested:
        if any(ch in name for ch in "*?["):
            selected += [column for column in available if fnmatchcase(column, name)]
        else:
            selected.append(name)
    return list(dict.fromkeys(selected))


# -- rendering -------------------------------------------------------------------------------------


def render_page(page: Page[Any], *, fmt: str, columns: Sequence[str] | None, noun: str) -> None:
    """Print one page of trials or runs, with how to get the next page.

    Tables end with a dim ``--page-token`` hint, JSON is ``{"items": [...], "next_page_token": ...}``
    and CSV holds only the rows.

    Args:
        page: The search result.
        fmt: ``table``, ``json`` or ``csv``.
        columns: The ``--columns`` selection, or ``None`` for the format's default.
        noun: What the rows are, for the empty-result message, e.g. ``trials``.

    Raises:
        click.BadParameter: If ``columns`` holds only globs and none matches a column of the rows.
    """
    from mltrail.core.page import to_record

    rows = [to_record(item) for item in page]
    token = page.next_page_token
    chosen = select_columns(record_columns(rows), columns) if columns else None
    if rows and chosen == []:
        raise click.BadParameter(f"no column matches {', '.join(columns or ())}", param_hint="'--columns'")
    if fmt == "json":
        items = [{key: row.get(key) for key in chosen or record_columns([row])} for row in rows]
        click.echo(to_json({"items": items, "next_page_token": token}))
    elif fmt == "csv":
        click.echo(to_csv(rows, chosen or record_columns(rows)), nl=False)
    else:
        shown: list[RenderableType] = [
            to_table(rows, chosen or record_columns(rows, is_table=True))
            if rows
            else Text(f"no {noun} found", style="dim")
        ]
        if token:
            shown.append(Text(f"more results: --page-token {token}", style="dim"))
        emit(make_console(), *shown)


def render_rows(rows: Sequence[Mapping[str, Any]], *, fmt: str, noun: str) -> None:
    """Print rows whose keys are their columns: a table, a JSON list or CSV."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    if fmt == "json":
        click.echo(to_json([{key: row.get(key) for key in columns} for row in rows]))
    elif fmt == "csv":
        click.echo(to_csv(rows, columns), nl=False)
    else:
        emit(make_console(), to_table(rows, columns) if rows else Text(f"no {noun} found", style="dim"))


def to_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None) -> Table:
    """Return a rich table of ``rows``; missing values are blank cells."""
    table = Table(
        *columns, box=box.SIMPLE_HEAD, show_edge=False, title=title, title_justify="left", title_style="bold"
    )
    for column in table.columns:
        if str(column.header).startswith(("metrics.", "params.")) or column.header == "duration":
            column.justify = "right"
    for row in rows:
        table.add_row(*(Text(format_cell(row.get(column), column=column)) for column in columns))
    return table


def to_json(value: Any) -> str:
    """Return ``value`` as indented JSON: datetimes in ISO 8601, UUIDs as text, NaN and ±inf as null."""
    return json.dumps(jsonable(value), indent=2, allow_nan=False, ensure_ascii=False)


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Return ``rows`` as CSV text with a header line; missing values are empty fields."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if columns:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row.get(column)) for column in columns])
    return buffer.getvalue()


# -- values ----------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Return ``value`` with every part JSON can hold: mappings, lists, text, numbers, null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def format_cell(value: Any, *, column: str = "") -> str:
    """Return ``value`` as short text for a table cell."""
    if value is None:
        return ""
    if column == "duration" and isinstance(value, (int, float)):
        return format_duration(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def format_number(value: float) -> str:
    """Return a float with six significant digits; ``NaN``, ``inf`` and ``-inf`` as such."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


def format_time(value: datetime) -> str:
    """Return a time in UTC to the second, e.g. ``2026-01-31 14:05:09Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def format_duration(seconds: float) -> str:
    """Return a duration for people: ``850ms``, ``42.5s``, ``3m 07s``, ``2h 05m``, ``3d 04h``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)
