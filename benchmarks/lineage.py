"""Benchmark OpenLineage ingestion and lineage queries: ``python -m benchmarks.lineage``.

The graph comes from :mod:`benchmarks.lineage_data` (seeded; 32 edges per pipeline, so the default
31,250 pipelines make 1,000,000 edges from 625,000 RunEvents). On each backend:

* **L3** ``Store.ingest`` one event at a time (one transaction each) into a fresh database, after one
  warm-up event (the first call loads the ingest code and compiles the schemas): events/s;
* **L4** ``Store.ingest_batch`` in batches of ``--batch-size`` into another fresh database: the full
  graph, which L1/L2 then query (events/s counts only the time inside ``ingest_batch``);
* **L1** depth-10 ascendants of an endpoint (``dataset:mltrail://endpoints:endpoint-EE``), page of 100;
* **L2** depth-10 descendants of a raw dataset (``dataset:s3://mltrail-raw:raw-KK.parquet``), page of 100;
* **L1j / L2j** the same queries at job granularity (no target).

Reads are timed ``--repeat`` times after one warm-up on each of ``--starts`` start nodes; the
figure is the median (p95 beside it) over all samples, and the answer sizes are reported with it.
L1 and L2 are checked against what the generator says they must return. On PostgreSQL ``ANALYZE``
runs after the load, as in ``python -m benchmarks``; SQLite is measured as the store leaves it.
``--profile`` also writes, per read and ingest path, the SQL statements one call issues (grouped,
with their time) and a cProfile listing to ``benchmarks/.work/lineage-profile-*.txt``.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import itertools
import json
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks import lineage_data as data
from benchmarks.__main__ import _postgres
from benchmarks.ours import summarize
from mltrail.core.lineage import NodeType, parse_node_id
from mltrail.store import Store

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
EDGE_TARGET = 1_000_000

TARGETS: dict[str, tuple[str, str, float | None]] = {
    # id: (description, kind, target) — kind "ms" (lower is better) or "rate" (higher is better)
    "L1": ("depth-10 ascendants of an endpoint, page of 100", "ms", 20.0),
    "L2": ("depth-10 descendants of a raw dataset, page of 100", "ms", 20.0),
    "L3": ("ingest one event per call (events/s)", "rate", 2_000.0),
    "L4": ("ingest in batches (events/s)", "rate", 10_000.0),
    "L1j": ("L1 at job granularity", "ms", None),
    "L2j": ("L2 at job granularity", "ms", None),
}


@dataclass(slots=True)
class Expected:
    """What the generator says L1 and L2 must return, collected while the graph is loaded."""

    last_deploy: dict[str, data.Pipeline] = field(default_factory=dict)
    processing_runs: dict[int, list[str]] = field(default_factory=dict)

    def add(self, pipeline: data.Pipeline) -> None:
        """Record a pipeline (pipelines come in start order, so the last deploy wins)."""
        self.last_deploy[pipeline.endpoint[1]] = pipeline
        self.processing_runs.setdefault(pipeline.dag, []).append(f"run:{pipeline.tasks[0].run_id}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmarks, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.lineage", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--pipelines",
        type=int,
        default=data.pipelines_for_edges(EDGE_TARGET),
        help=f"pipelines in the graph (default {data.pipelines_for_edges(EDGE_TARGET):,}: 1,000,000 edges)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each read per start node")
    parser.add_argument("--starts", type=int, default=10, help="start nodes per read benchmark")
    parser.add_argument("--batch-size", type=int, default=2_000, help="events per ingest_batch call (L4)")
    parser.add_argument("--single-events", type=int, default=5_000, help="events ingested one by one (L3)")
    parser.add_argument("--backends", default="sqlite,postgres", help="backends: sqlite,postgres")
    parser.add_argument(
        "--profile", action="store_true", help="write SQL statement counts and cProfile listings"
    )
    parser.add_argument(
        "--json", type=Path, default=WORK / "results-lineage.json", help="where to write all results"
    )
    args = parser.parse_args(argv)

    console = Console(stderr=True)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    edges = args.pipelines * data.EDGES_PER_PIPELINE
    results: dict[str, Any] = {
        "pipelines": args.pipelines,
        "seed": args.seed,
        "events": args.pipelines * data.EVENTS_PER_PIPELINE,
        "edges": edges,
        "edges_per_pipeline": data.EDGES_PER_PIPELINE,
        "python": sys.version.split()[0],
        "runs": {},
    }
    console.log(
        f"graph: {args.pipelines:,} pipelines x {data.EDGES_PER_PIPELINE} edges = {edges:,} edges, "
        f"{results['events']:,} events"
    )
    server = _postgres(console) if "postgres" in backends else None
    scratch = Path(tempfile.mkdtemp(prefix="mltrail-bench-lineage-"))
    try:
        for backend in backends:
            databases = itertools.count(1)

            def fresh(backend: str = backend, databases: Iterator[int] = databases) -> str:
                if backend == "postgres" and server is not None:
                    return str(server.create_database())
                return f"sqlite:///{scratch / f'lineage-{next(databases)}.db'}"

            started = time.perf_counter()
            results["runs"][f"mltrail-{backend}"] = run_backend(fresh, args, backend, console)
            console.log(f"mltrail {backend} done in {time.perf_counter() - started:.0f} s")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    Console(width=None if sys.stdout.isatty() else 160).print(_table(results, backends))
    console.log(f"results written to {args.json}")
    return 0


def run_backend(
    fresh: Callable[[], str], args: argparse.Namespace, backend: str, console: Console
) -> dict[str, Any]:
    """Run L3, then load the graph (L4), then L1/L2 and their job-granularity twins."""
    results: dict[str, Any] = {}

    def say(text: str) -> None:
        console.log(f"[bold]mltrail {backend}[/bold] {text}")

    profile = _Profiler(WORK / f"lineage-profile-{backend}.txt") if args.profile else None

    say(f"L3: ingesting {args.single_events:,} events one by one into a fresh database")
    with Store(fresh()) as store:
        results["L3"] = _ingest_one_by_one(store, args, profile)

    say(f"L4: loading {args.pipelines * data.EVENTS_PER_PIPELINE:,} events in batches of {args.batch_size:,}")
    with Store(fresh()) as store:
        expected = Expected()
        results["L4"] = _load(store, args, expected, console)
        if store.dialect == "postgresql":
            _analyze(store.url)
        say("L1/L2: querying")
        endpoints = _spread(sorted(expected.last_deploy), args.starts)
        raws = _spread(sorted(expected.processing_runs), args.starts)
        l1_starts = [f"dataset:{data.ENDPOINTS_NAMESPACE}:{name}" for name in endpoints]
        l2_starts = ["dataset:{}:{}".format(*data.raw_dataset(dag)) for dag in raws]
        for bench_id, starts, direction, granularity in (
            ("L1", l1_starts, "ascendants", "run"),
            ("L2", l2_starts, "descendants", "run"),
            ("L1j", l1_starts, "ascendants", "job"),
            ("L2j", l2_starts, "descendants", "job"),
        ):

            def query(start: str, direction: str = direction, granularity: str = granularity) -> Any:
                return store.lineage(
                    start, direction=direction, depth=10, page_size=100, granularity=granularity
                )

            results[bench_id] = _reads(query, starts, args.repeat)
            if bench_id == "L1":
                results[bench_id]["matches_reference"] = all(
                    _check_l1(query(start), expected.last_deploy[name])
                    for start, name in zip(l1_starts, endpoints, strict=True)
                )
            elif bench_id == "L2":
                results[bench_id]["matches_reference"] = all(
                    _check_l2(query(start), expected.processing_runs[dag])
                    for start, dag in zip(l2_starts, raws, strict=True)
                )
            say(f"{bench_id}: median {results[bench_id]['median_ms']:.1f} ms")
            if profile is not None:
                profile.run(f"{bench_id} ({backend}) {starts[0]}", functools.partial(query, starts[0]), 3)
        if profile is not None:  # last, so the extra events change no figure
            more = [
                e
                for _, found in _events(-(-args.batch_size // data.EVENTS_PER_PIPELINE), args.seed + 1)
                for e in found
            ]
            profile.run(f"L4 Store.ingest_batch, {len(more):,} events", lambda: store.ingest_batch(more), 1)
    if profile is not None:
        profile.write()
        say(f"profile written to {profile.path}")
    return results


def _spread(items: list[Any], count: int) -> list[Any]:
    """``count`` items spread evenly over ``items`` (all of them if there are fewer)."""
    if len(items) <= count:
        return items
    return [items[i * len(items) // count] for i in range(count)]


# -- ingestion -------------------------------------------------------------------------------------


def _events(pipelines: int, seed: int) -> Iterator[tuple[data.Pipeline, list[dict[str, Any]]]]:
    for pipeline in data.generate_pipelines(pipelines, seed):
        yield pipeline, pipeline.events()


def _ingest_one_by_one(store: Store, args: argparse.Namespace, profile: _Profiler | None) -> dict[str, Any]:
    pipelines = -(-args.single_events // data.EVENTS_PER_PIPELINE)
    events = [e for _, found in _events(pipelines, args.seed) for e in found][: args.single_events + 1]
    store.ingest(events.pop(0))  # warm-up: the first call loads the ingest code and compiles the schemas
    latencies = []
    started = time.perf_counter()
    for one in events:
        before = time.perf_counter()
        store.ingest(one)
        latencies.append((time.perf_counter() - before) * 1000)
    seconds = time.perf_counter() - started
    if profile is not None:
        more = iter([e for _, found in _events(pipelines + 25, args.seed + 1) for e in found])
        profile.run("L3 Store.ingest, one event", lambda: store.ingest(next(more)), 200)
    return {
        "events": len(events),
        "seconds": round(seconds, 3),
        "per_s": len(events) / seconds,
        "latency_median_ms": statistics.median(latencies),
        "latency_p95_ms": summarize(latencies)["p95_ms"],
    }


def _load(store: Store, args: argparse.Namespace, expected: Expected, console: Console) -> dict[str, Any]:
    total = args.pipelines * data.EVENTS_PER_PIPELINE
    batch: list[dict[str, Any]] = []
    batch_seconds: list[float] = []
    batch_events: list[int] = []
    stored = 0
    started = time.perf_counter()
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("loading events", total=total, rate="")

        def flush() -> None:
            nonlocal stored
            before = time.perf_counter()
            result = store.ingest_batch(batch)
            batch_seconds.append(time.perf_counter() - before)
            batch_events.append(len(batch))
            if result.failed:
                raise SystemExit(f"{len(result.failed)} events refused: {result.failed[0]}")
            stored += result.stored
            rate = len(batch) / batch_seconds[-1]
            progress.update(task, advance=len(batch), rate=f"{rate:,.0f} events/s")
            batch.clear()

        for pipeline, events in _events(args.pipelines, args.seed):
            expected.add(pipeline)
            batch += events
            if len(batch) >= args.batch_size:
                flush()
        if batch:
            flush()
    wall = time.perf_counter() - started
    inside = sum(batch_seconds)
    tenth = max(1, len(batch_seconds) // 10)
    return {
        "events": total,
        "stored": stored,
        "batch_size": args.batch_size,
        "seconds": round(inside, 3),
        "wall_seconds": round(wall, 3),
        "per_s": total / inside,
        "first_tenth_per_s": sum(batch_events[:tenth]) / sum(batch_seconds[:tenth]),
        "last_tenth_per_s": sum(batch_events[-tenth:]) / sum(batch_seconds[-tenth:]),
        "batch_seconds": [round(s, 4) for s in batch_seconds],
    }


def _analyze(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


# -- reads -----------------------------------------------------------------------------------------


def _reads(query: Callable[[str], Any], starts: list[str], repeat: int) -> dict[str, Any]:
    samples: list[float] = []
    per_start: list[dict[str, Any]] = []
    for start in starts:
        page = query(start)  # warm-up
        mine = []
        for _ in range(repeat):
            before = time.perf_counter()
            page = query(start)
            mine.append((time.perf_counter() - before) * 1000)
        samples += mine
        per_start.append(
            {
                "start": start,
                "median_ms": statistics.median(mine),
                "nodes": len(page.nodes),
                "edges": len(page.edges),
                "max_depth": max((node.depth for node in page.nodes), default=0),
                "has_more": page.next_page_token is not None,
            }
        )
    nodes = [item["nodes"] for item in per_start]
    return summarize(samples) | {
        "nodes_median": statistics.median(nodes),
        "nodes_min": min(nodes),
        "nodes_max": max(nodes),
        "edges_median": statistics.median(item["edges"] for item in per_start),
        "pages_with_more": sum(item["has_more"] for item in per_start),
        "per_start": per_start,
    }


def _check_l1(page: Any, pipeline: data.Pipeline) -> bool:
    """The latest version of an endpoint comes from the last pipeline that deployed to it, whole."""
    runs, datasets = set(), set()
    for node in page.nodes:
        parsed = parse_node_id(node.id)
        if parsed.type is NodeType.RUN:
            runs.add(parsed.parts[0])
        else:
            datasets.add(parsed.parts)
    expected_runs = {str(pipeline.run_id)} | {str(task.run_id) for task in pipeline.tasks}
    return runs == expected_runs and datasets == pipeline.datasets()


def _check_l2(page: Any, processing_runs: list[str]) -> bool:
    """Every run one level below a raw dataset is a processing run of its DAG, in id order."""
    first = [node.id for node in page.nodes if node.depth == 1]
    return first == sorted(processing_runs)[: len(first)] and len(first) == min(
        len(processing_runs), len(page.nodes) - 1
    )


# -- profiling -------------------------------------------------------------------------------------


class _Profiler:
    """SQL statements (grouped by shape, with time) and a cProfile listing for one call at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sections: list[str] = []

    def run(self, title: str, fn: Callable[[], Any], calls: int) -> None:
        """Call ``fn`` ``calls`` times under the profiler and keep the report."""
        with _statements() as seen:
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for _ in range(calls):
                fn()
            profiler.disable()
            wall = (time.perf_counter() - started) * 1000 / calls
        sql_ms = sum(ms for _, ms in seen) / calls
        shapes: Counter[str] = Counter()
        shape_ms: dict[str, float] = {}
        for statement, ms in seen:
            shape = _shape(statement)
            shapes[shape] += 1
            shape_ms[shape] = shape_ms.get(shape, 0.0) + ms
        lines = [
            f"== {title}: {wall:.1f} ms per call, {len(seen) / calls:.1f} SQL statements per call, "
            f"{sql_ms:.1f} ms per call inside cursor.execute",
            "   statements per call / ms per call / shape:",
        ]
        for shape, count in shapes.most_common(25):
            lines.append(f"   {count / calls:8.1f} {shape_ms[shape] / calls:8.2f}  {shape}")
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
        lines.append(text.getvalue())
        self._sections.append("\n".join(lines))

    def write(self) -> None:
        """Write every report."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n\n".join(self._sections) + "\n")


@contextmanager
def _statements() -> Iterator[list[tuple[str, float]]]:
    """Record every statement any engine runs, with its time inside ``cursor.execute``."""
    seen: list[tuple[str, float]] = []

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append((statement, (time.perf_counter() - conn.info.pop("bench_started")) * 1000))

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


def _shape(statement: str) -> str:
    """A statement with its parameter lists collapsed, cut to one line."""
    text = " ".join(statement.split())
    text = re.sub(r"%\(\w+\)s(?:::\w+(?:\[\])?)?", "?", text)  # psycopg's named, cast parameters
    text = re.sub(r"\((?:\s*(?:\?|%\(\w+\)s|\$\d+|__\[POSTCOMPILE_\w+\])\s*,?)+\)", "(…)", text)
    text = re.sub(r"IN \([^)]*\)", "IN (…)", text)
    text = re.sub(r"\(…\)(?:, \(…\))+", lambda rows: f"(…) x {rows.group(0).count('(…)')}", text)
    return text[:230]


# -- table -----------------------------------------------------------------------------------------


def _cell(result: dict[str, Any] | None, kind: str, target: float | None) -> str:
    if not result:
        return "–"
    if kind == "rate":
        value = float(result["per_s"])
        text = f"{value:,.0f}/s"
        met = target is None or value >= target
    else:
        value = float(result["median_ms"])
        nodes = result["nodes_median"]
        text = f"{value:,.1f} ms (p95 {result['p95_ms']:,.1f}) · {nodes:g} nodes"
        met = target is None or value <= target
        if result.get("matches_reference") is False:
            text += " · WRONG ANSWER"
            met = False
    if target is None:
        return text
    return f"[{'green' if met else 'red'}]{text}[/]"


def _table(results: dict[str, Any], backends: list[str]) -> Table:
    table = Table(
        title=(
            f"mltrail lineage: {results['pipelines']:,} pipelines, {results['edges']:,} edges, "
            f"{results['events']:,} events (seed {results['seed']})"
        )
    )
    table.add_column("id")
    table.add_column("what")
    table.add_column("target", justify="right")
    for backend in backends:
        table.add_column(f"mltrail {backend}", justify="right")
    for bench_id, (description, kind, target) in TARGETS.items():
        if target is None:
            shown = "–"
        else:
            shown = ("≥ " if kind == "rate" else "≤ ") + (
                f"{target:,.0f}/s" if kind == "rate" else f"{target:g} ms"
            )
        cells = [bench_id, description, shown]
        cells += [
            _cell(results["runs"].get(f"mltrail-{b}", {}).get(bench_id), kind, target) for b in backends
        ]
        table.add_row(*cells)
    return table


if __name__ == "__main__":
    raise SystemExit(main())
