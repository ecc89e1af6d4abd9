"""``mltrail spool``: show and replay the OpenLineage events that could not be delivered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from mltrail.cli._context import CliState, pass_state
from mltrail.cli._options import ALL_FORMATS, format_option

if TYPE_CHECKING:
    from mltrail.openlineage.delivery import ReplayResult
    from mltrail.openlineage.spool import Spool

EXIT_LEFT = 1


@click.group()
def spool() -> None:
    """Show and replay OpenLineage events waiting in the local spool.

    Events that a destination (the OpenLineage backend, or an mltrail store) could not take are
    kept in the spool folder (setting spool_dir, default .mltrail/spool) and replayed
    automatically after the next successful delivery, or by `mltrail spool replay`.
    """


@spool.command()
@format_option(*ALL_FORMATS)
@pass_state
def status(state: CliState, fmt: str) -> None:
    """List spooled events per destination: count, bytes, oldest, attempts and last error."""
    from mltrail.cli import output

    box = _open_spool(state)
    rows = [
        {
            "destination": stats.destination,
            "events": stats.entries,
            "bytes": stats.bytes,
            "oldest": stats.oldest,
            "attempts": stats.attempts,
            "last_error": stats.last_error,
        }
        for stats in box.stats()
    ]
    output.render_rows(rows, fmt=fmt, noun="spooled events")


@spool.command()
@click.option(
    "--destination",
    "destination_key",
    metavar="KEY",
    help="Replay only this destination's events, e.g. 'openlineage' or 'store:sqlite:///.mltrail/mltrail.db'.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Events sent per request.",
)
@pass_state
def replay(state: CliState, destination_key: str | None, batch_size: int) -> None:
    """Deliver spooled events, oldest first; exit 1 if any are left in the spool."""
    from mltrail.cli import output
    from mltrail.core.errors import ConfigError
    from mltrail.openlineage.delivery import ReplayResult
    from mltrail.openlineage.delivery import replay as replay_destination
    from mltrail.openlineage.destinations import open_destination

    box = _open_spool(state)
    keys = [destination_key] if destination_key else box.destinations()
    counts = {key: box.count(key) for key in keys}
    if not any(counts.values()):
        suffix = f" for {destination_key}" if destination_key else ""
        click.echo(f"no spooled events in {box.path}{suffix}")
        return
    results: list[ReplayResult] = []
    with _progress(sum(counts.values())) as advance:
        for key in keys:
            if not counts[key]:
                continue
            try:
                destination = open_destination(key)
            except ConfigError as error:
                results.append(ReplayResult(key, left=counts[key], error=error))
                advance(counts[key])
                continue
            results.append(replay_destination(box, destination, batch_size=batch_size, on_progress=advance))
            closer = getattr(destination, "close", None)
            if callable(closer):
                closer()
    lines = [_result_line(result) for result in results]
    total = ReplayResult(
        "total",
        delivered=sum(result.delivered for result in results),
        failed=sum(result.failed for result in results),
        left=sum(result.left for result in results),
    )
    if len(results) > 1:
        lines.append(_result_line(total))
    output.emit(output.make_console(), *lines)
    if total.left:
        click.get_current_context().exit(EXIT_LEFT)


def _open_spool(state: CliState) -> Spool:
    from mltrail.openlineage.spool import Spool

    settings = state.settings()
    return Spool(settings.spool_dir, settings.spool_max_bytes)


def _result_line(result: ReplayResult) -> str:
    line = f"{result.destination}: delivered {result.delivered}, failed {result.failed}, left {result.left}"
    if result.error is not None:
        line += f"\n  error: {result.error}"
    return line


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """Show a rich progress bar on standard error (not when it is not a terminal); yield its advance."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("replay", total=total)
        yield lambda count: bar.advance(task, count)
