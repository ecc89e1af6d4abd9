"""``mltrail lineage``: walk the lineage graph upstream (where it came from) or downstream (what it feeds)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mltrail.cli._context import CliState, pass_state
from mltrail.cli._options import ALL_FORMATS, format_option
from mltrail.core.lineage import Direction, Granularity, NodeType

if TYPE_CHECKING:
    from mltrail.core.lineage import LineageEdge, LineageNode, LineagePage
    from mltrail.governance import GovernanceReport

F = TypeVar("F", bound=Callable[..., Any])

_NODE_HELP = (
    "NODE is a node id: dataset:<namespace>:<name>[#<version>], job:<namespace>:<name>, run:<uuid>, "
    "experiment:<name>, trial:<experiment>:<name> or context:<name>; a plain dataset URI such as "
    "s3://bucket/key also works."
)


class IsoDateTime(click.ParamType[datetime]):
    """An ISO 8601 date or date-time; a value without a UTC offset is taken as UTC."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        """Return ``value`` as an aware datetime, or fail with a usage error naming it."""
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = datetime.fromisoformat(str(value))
            except ValueError:
                example = "2026-11-01 or 2026-11-01T12:30:00+02:00"
                self.fail(f"{value!r} is not an ISO 8601 date or time, e.g. {example}", param, ctx)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def walk_options(func: F) -> F:
    """Add the options ``lineage upstream`` and ``lineage downstream`` share to a command."""
    decorators = [
        click.argument("node"),
        click.option(
            "--depth",
            type=click.IntRange(min=0),
            default=10,
            show_default=True,
            help="How many edges away from NODE to go (0 to 100).",
        ),
        click.option(
            "--granularity",
            type=click.Choice([g.value for g in Granularity]),
            default=Granularity.RUN.value,
            show_default=True,
            help="run: exact dataset versions and every run; job: runs collapsed into their jobs.",
        ),
        click.option(
            "--type",
            "node_types",
            type=click.Choice([t.value for t in NodeType]),
            multiple=True,
            help="Show only nodes of this type; repeat for more (the walk still passes through the others).",
        ),
        click.option(
            "--created-after",
            type=IsoDateTime(),
            metavar="DATETIME",
            help="Follow only runs first seen at or after this ISO 8601 date or time (no offset means UTC).",
        ),
        click.option(
            "--created-before",
            type=IsoDateTime(),
            metavar="DATETIME",
            help="Follow only runs first seen before this ISO 8601 date or time (no offset means UTC).",
        ),
        click.option(
            "--page-size",
            type=click.IntRange(min=1),
            default=100,
            show_default=True,
            help="Most nodes to return in one page.",
        ),
        click.option(
            "--page-token", metavar="TOKEN", help="Token printed by the previous page of the same walk."
        ),
        click.option(
            "--all", "fetch_all", is_flag=True, help="Follow page tokens and print every page as one."
        ),
        click.option(
            "--edges", "show_edges", is_flag=True, help="Also print the edges that reached each node."
        ),
        format_option(*ALL_FORMATS),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@click.group()
def lineage() -> None:
    """Walk the lineage graph of datasets, jobs and runs."""


@lineage.command(epilog=_NODE_HELP)
@walk_options
@pass_state
def upstream(state: CliState, /, **options: Any) -> None:
    """Show where NODE came from: the runs, jobs and datasets upstream of it, nearest first."""
    walk_and_render(state, direction=Direction.ASCENDANTS, **options)


@lineage.command(epilog=_NODE_HELP)
@walk_options
@pass_state
def downstream(state: CliState, /, **options: Any) -> None:
    """Show what NODE feeds: the runs, jobs and datasets downstream of it, nearest first."""
    walk_and_render(state, direction=Direction.DESCENDANTS, **options)


def walk_and_render(
    state: CliState,
    node: str,
    *,
    direction: Direction,
    depth: int,
    granularity: str,
    node_types: tuple[str, ...],
    created_after: datetime | None,
    created_before: datetime | None,
    page_size: int,
    page_token: str | None,
    fetch_all: bool,
    show_edges: bool,
    fmt: str,
) -> None:
    """Run one lineage walk from ``node`` (every page with ``fetch_all``) and print it.

    Raises:
        click.BadOptionUsage: If ``--edges`` is asked for with CSV, which holds only the nodes.
        ValidationError: If the node id, the page token or another argument is malformed.
        NotFoundError: If the graph has no such node.
    """
    if show_edges and fmt == "csv":
        raise click.BadOptionUsage(
            "show_edges", "--edges needs --format table or json; CSV holds only the nodes"
        )
    with state.open_backend() as backend:
        pages: list[LineagePage] = []
        token = page_token
        while True:
            page = backend.lineage(
                node,
                direction=direction,
                depth=depth,
                include_edges=show_edges,
                node_types=list(node_types) or None,
                created_after=created_after,
                created_before=created_before,
                page_size=page_size,
                page_token=token,
                granularity=granularity,
            )
            pages.append(page)
            token = page.next_page_token
            if not fetch_all or token is None:
                break
    nodes = [found for page in pages for found in page.nodes]
    edges = list(dict.fromkeys(edge for page in pages for edge in page.edges))
    render_walk(pages[0].start, nodes, edges, token=token, fmt=fmt, show_edges=show_edges)


def render_walk(
    start: str,
    nodes: Sequence[LineageNode],
    edges: Sequence[LineageEdge],
    *,
    token: str | None,
    fmt: str,
    show_edges: bool,
) -> None:
    """Print the nodes (and edges) of a walk.

    Tables show depth, type, id and a short detail, then the edges when asked and a dim
    ``--page-token`` hint; JSON is ``{"start", "nodes", "edges", "next_page_token"}``; CSV holds
    one row per node with its data flattened into columns.

    Args:
        start: The start node, as the store spelled it.
        nodes: The nodes, nearest first.
        edges: The edges that reached them (empty unless ``--edges``).
        token: The token of the next page, if there is one.
        fmt: ``table``, ``json`` or ``csv``.
        show_edges: Whether ``--edges`` was given.
    """
    from rich.console import RenderableType
    from rich.text import Text

    from mltrail.cli import output

    if fmt == "json":
        click.echo(
            output.to_json(
                {
                    "start": start,
                    "nodes": [
                        {"id": n.id, "type": n.type, "depth": n.depth, "data": dict(n.data)} for n in nodes
                    ],
                    "edges": [
                        {"origin": e.origin, "destination": e.destination, "type": e.type} for e in edges
                    ],
                    "next_page_token": token,
                }
            )
        )
        return
    if fmt == "csv":
        rows = [{"depth": n.depth, "type": n.type.value, "id": n.id, **_flatten(n.data)} for n in nodes]
        click.echo(output.to_csv(rows, list(dict.fromkeys(key for row in rows for key in row))), nl=False)
        return
    shown: list[RenderableType] = []
    if nodes:
        rows = [
            {"depth": n.depth, "type": n.type.value, "node": n.id, "detail": node_detail(n)} for n in nodes
        ]
        table = output.to_table(rows, ["depth", "type", "node", "detail"])
        table.columns[0].justify = "right"
        shown.append(table)
    else:
        shown.append(Text("no nodes found", style="dim"))
    if show_edges:
        rows = [{"origin": e.origin, "type": e.type, "destination": e.destination} for e in edges]
        shown.append(Text(""))
        shown.append(
            output.to_table(rows, ["origin", "type", "destination"], title="Edges")
            if rows
            else Text("no edges found", style="dim")
        )
    if token:
        shown.append(Text(f"more results: --page-token {token}", style="dim"))
    output.emit(output.make_console(), *shown)


def node_detail(node: LineageNode) -> str:
    """Return a short description of a node: state and job of a run, URI of a dataset."""
    data = node.data
    if node.type is NodeType.RUN:
        job = data.get("job")
        job_name = f"{job['namespace']}:{job['name']}" if isinstance(job, Mapping) else ""
        return " ".join(part for part in (str(data.get("state") or ""), job_name) if part)
    if node.type is NodeType.DATASET:
        return str(data.get("uri") or "")
    return ""


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return nested mappings as dotted keys, e.g. ``{"job": {"name": x}}`` → ``{"job.name": x}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# -- governance reports ----------------------------------------------------------------------------

_REPORT_FORMATS = ("table", "json")


def report_options(func: F) -> F:
    """Add the options ``lineage provenance`` and ``lineage impact`` share to a command."""
    func = format_option(*_REPORT_FORMATS)(func)
    func = click.option(
        "--depth",
        type=click.IntRange(min=0, max=100),
        default=20,
        show_default=True,
        help="How many edges away from the start to go (0 to 100).",
    )(func)
    return func


@lineage.command(epilog=_NODE_HELP)
@click.argument("node")
@report_options
@pass_state
def provenance(state: CliState, node: str, depth: int, fmt: str) -> None:
    """Report where NODE came from: data versions (raw first), runs, model versions, deployments.

    NODE is typically an endpoint (mltrail://endpoints/<name>) or a model version
    (mltrail://models/<model>/versions/<n>).
    """
    from mltrail import governance

    state.point_sdk()
    render_report(governance.provenance(node, depth=depth), fmt=fmt)


@lineage.command(epilog=_NODE_HELP)
@click.argument("uri")
@report_options
@pass_state
def impact(state: CliState, uri: str, depth: int, fmt: str) -> None:
    """Report what URI feeds: every affected model version and endpoint, and the runs in between."""
    from mltrail import governance

    state.point_sdk()
    render_report(governance.impact(uri, depth=depth), fmt=fmt)


def report_to_dict(report: GovernanceReport) -> dict[str, Any]:
    """Return every field of a report (model versions with their lineage ``uri``) for JSON."""
    import dataclasses

    from mltrail.cli.models import version_to_dict

    data = dataclasses.asdict(report)
    data["model_versions"] = [version_to_dict(version) for version in report.model_versions]
    return data


def render_report(report: GovernanceReport, *, fmt: str) -> None:
    """Print a governance report: JSON with every field, or one table per group."""
    from rich.console import RenderableType
    from rich.text import Text

    from mltrail.cli import output
    from mltrail.cli.models import approval_trail
    from mltrail.cli.output import format_cell

    if fmt == "json":
        click.echo(output.to_json(report_to_dict(report)))
        return
    shown: list[RenderableType] = [Text(f"{report.direction} of {report.start} (depth {report.depth})")]

    def section(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        shown.append(Text(""))
        shown.append(
            output.to_table(rows, columns, title=title) if rows else Text(f"no {title.lower()}", style="dim")
        )

    section(
        "Datasets",
        [
            {"raw": d.is_raw, "uri": d.uri, "version": d.version, "written by": d.written_by}
            for d in report.datasets
        ],
        ("raw", "uri", "version", "written by"),
    )
    section(
        "Runs",
        [
            {
                "kind": r.kind,
                "run": r.id,
                "experiment": r.experiment,
                "trials": ", ".join(r.trials),
                "status": r.status,
                "commit": " ".join(part for part in (r.commit, r.repo_url) if part),
                "params": ", ".join(f"{k}={format_cell(v)}" for k, v in sorted(r.params.items())),
                "metrics": ", ".join(f"{k}={format_cell(v)}" for k, v in r.metrics.items()),
            }
            for r in report.runs
        ],
        ("kind", "run", "experiment", "trials", "status", "commit", "params", "metrics"),
    )
    section(
        "Model versions",
        [
            {
                "model": v.model,
                "version": v.version,
                "status": v.status.value,
                "run": v.run_id,
                "metrics": ", ".join(f"{k}={format_cell(m)}" for k, m in sorted(v.metrics.items())),
            }
            for v in report.model_versions
        ],
        ("model", "version", "status", "run", "metrics"),
    )
    for version in report.model_versions:
        trail = approval_trail(version)
        trail.title = f"Approval trail of {version.model} v{version.version}"
        shown += [Text(""), trail]
    section(
        "Endpoints",
        [
            {
                "endpoint": e.endpoint,
                "serving": "" if e.serving is None else f"{e.serving.model} v{e.serving.version}",
                "target": None if e.serving is None else e.serving.target,
                "since": None if e.serving is None else e.serving.deployed_at,
            }
            for e in report.endpoints
        ],
        ("endpoint", "serving", "target", "since"),
    )
    deployments = [
        {
            "endpoint": d.endpoint,
            "model": d.model,
            "version": d.version,
            "target": d.target,
            "at": d.deployed_at,
        }
        for e in report.endpoints
        for d in e.deployments
    ]
    if deployments:
        section("Deployments", deployments, ("endpoint", "model", "version", "target", "at"))
    output.emit(output.make_console(), *shown)
