"""The ``runs show`` view: a run's summary and its params, metrics, tags, datasets, code and machine."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from mltrail.cli.output import format_cell, format_duration, format_number, format_time
from mltrail.core.entities import CodeInfo, EnvironmentInfo, Run

NONFINITE_MARKER = "*"


def run_to_dict(run: Run) -> dict[str, Any]:
    """Return every field of a run, nested, plus its ``duration`` (for ``--format json``)."""
    data = dataclasses.asdict(run)
    data["duration"] = run.duration
    return data


def render_run(run: Run) -> list[RenderableType]:
    """Return a run's summary, then one section per kind of data it has, blank lines between."""
    summary = [
        ("id", str(run.id)),
        ("name", run.name),
        ("experiment", run.experiment),
        ("trials", ", ".join(run.trials)),
        ("kind", run.kind.value),
        ("status", run.status.value),
        ("started", format_time(run.start_time)),
        ("ended", format_time(run.end_time) if run.end_time else ""),
        ("duration", format_duration(run.duration) if run.duration is not None else ""),
        ("error", run.error_message or ""),
        ("artifacts", run.artifact_uri or ""),
    ]
    parts: list[RenderableType] = [fields_grid(summary)]
    if run.params:
        rows = [(key, _param_text(value), _param_type(value)) for key, value in sorted(run.params.items())]
        parts.append(_section("Params", ("key", "value", "type"), rows))
    if run.metrics:
        parts += _metrics(run)
    if run.tags:
        parts.append(_section("Tags", ("key", "value"), sorted(run.tags.items())))
    datasets = [("input", ref) for ref in run.inputs] + [("output", ref) for ref in run.outputs]
    if datasets:
        rows = [(direction, ref.uri, ref.role or "") for direction, ref in datasets]
        parts.append(_section("Datasets", ("direction", "uri", "role"), rows))
    if run.code:
        parts += _titledfields_grid("Code", _codefields_grid(run.code))
    if run.environment:
        parts += _titledfields_grid("Environment", _environmentfields_grid(run.environment))
    spaced: list[RenderableType] = []
    for part in parts:
        is_note = isinstance(part, Text)  # a note stays under the table it explains
        spaced += [part] if is_note or not spaced else [Text(""), part]
    return spaced


def _metrics(run: Run) -> list[RenderableType]:
    rows = []
    for key, summary in sorted(run.metrics.items()):
        marker = f" {NONFINITE_MARKER}" if summary.has_nonfinite else ""
        aggregates = (summary.min, summary.max, summary.avg)
        rows.append(
            (
                f"{key}{marker}",
                format_number(summary.last),
                *("" if value is None else format_number(value) for value in aggregates),
                str(summary.count),
            )
        )
    table = _section("Metrics", ("key", "last", "min", "max", "avg", "count"), rows)
    for column in table.columns[1:]:
        column.justify = "right"
    parts: list[RenderableType] = [table]
    if any(summary.has_nonfinite for summary in run.metrics.values()):
        note = f"{NONFINITE_MARKER} has NaN or infinite points, left out of min, max and avg"
        parts.append(Text(note, style="dim"))
    return parts


def _codefields_grid(code: CodeInfo) -> list[tuple[str, str]]:
    return [
        ("commit", code.commit or ""),
        ("branch", code.branch or ""),
        ("dirty", "" if code.is_dirty is None else ("yes" if code.is_dirty else "no")),
        ("repo", code.repo_url or ""),
        ("entry point", code.entry_point or ""),
    ]


def _environmentfields_grid(env: EnvironmentInfo) -> list[tuple[str, str]]:
    return [
        ("host", env.host or ""),
        ("os", env.os or ""),
        ("python", env.python or ""),
        ("cpus", "" if env.cpu_count is None else str(env.cpu_count)),
        ("memory", "" if env.memory_bytes is None else f"{env.memory_bytes / 2**30:.1f} GiB"),
        ("instance type", env.instance_type or ""),
    ]


def _titledfields_grid(title: str, fields: Sequence[tuple[str, str]]) -> list[RenderableType]:
    grid = fields_grid(fields)
    grid.title = title
    grid.title_justify = "left"
    grid.title_style = "bold"
    return [grid]


def fields_grid(fields: Sequence[tuple[str, str]]) -> Table:
    """Return a two-column grid of the non-empty fields."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in fields:
        if value:
            grid.add_row(Text(label), Text(value))
    return grid


def _section(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    table = Table(
        *headers, box=box.SIMPLE_HEAD, show_edge=False, title=title, title_justify="left", title_style="bold"
    )
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _param_text(value: Any) -> str:
    return "null" if value is None else format_cell(value)


def _param_type(value: Any) -> str:
    """Return the stored type of a param: bool, int, float, str or json."""
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind.__name__
    return "json"
