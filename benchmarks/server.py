"""Benchmark the server over HTTP on loopback: ``python -m benchmarks.server``.

On each backend, ``mltrail server --workers 2`` runs as its own process group and clients in this
process post the events of :mod:`benchmarks.lineage_data` (the lineage benchmark's graph):

* **S1** one event per ``POST /api/v1/lineage`` from ``--clients`` threads, into a fresh database;
* **S2** the whole graph in ``POST /api/v1/lineage/batch`` requests of ``--batch-size`` events from
  ``--batch-clients`` threads, into another fresh database, which S3 then reads;
* **S3** Marquez's ``GET /api/v1/lineage?nodeId=<endpoint>&depth=2`` (the web UI's default depth),
  after ``ANALYZE`` on PostgreSQL (autovacuum's job within a minute of the load),
  the median of ``--repeat`` calls on each of ``--starts`` endpoints.

Rates count events the server answered 2xx for, over the wall time of the posting phase.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import queue
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.table import Table

from benchmarks import lineage_data as data
from benchmarks.__main__ import _postgres
from benchmarks.lineage import WORK, _analyze, _events

TARGETS = {
    "S1": ("ingest one event per request, 2 workers (events/s)", "rate", 500.0),
    "S2": ("ingest batches, 2 workers (events/s)", "rate", 5_000.0),
    "S3": ("Marquez lineage graph of an endpoint, depth 2", "ms", None),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server", description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", type=int, default=data.pipelines_for_edges(1_000_000))
    parser.add_argument("--single-events", type=int, default=20_000, help="events posted one by one (S1)")
    parser.add_argument("--clients", type=int, default=8, help="client threads for S1")
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--batch-clients", type=int, default=2, help="client threads for S2")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, default=WORK / "results-server.json")
    args = parser.parse_args(argv)
    console = Console()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results: dict[str, Any] = {"pipelines": args.pipelines, "seed": args.seed, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="mltrail-bench-server-") as folder:
        for backend in backends:
            with _databases(backend, Path(folder), console) as fresh:
                results["runs"][backend] = run_backend(args, fresh, Path(folder), console)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    console.print(_table(results, backends))
    console.print(f"results written to {args.json}")
    return 0


def run_backend(
    args: argparse.Namespace, fresh: Callable[[], str], folder: Path, console: Console
) -> dict[str, Any]:
    """S1, S2 and S3 on one backend."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
    from ol_http_backend import free_port
    from server_process import server_process

    found: dict[str, Any] = {}
    pipelines = -(-args.single_events // data.EVENTS_PER_PIPELINE)
    singles = [e for _, events in _events(pipelines, args.seed) for e in events][: args.single_events]
    with server_process(fresh(), free_port(), folder) as server:
        console.log(f"S1: {len(singles):,} events one per request, {args.clients} clients")
        found["S1"] = _post(server.url, [[e] for e in singles], args.clients, batch=False)
        console.log(f"S1: {found['S1']['per_s']:,.0f} events/s")
    with server_process(fresh(), free_port(), folder) as server:
        console.log(f"S2: {args.pipelines:,} pipelines in batches of {args.batch_size:,}")
        found["S2"] = _post(server.url, _batches(args), args.batch_clients, batch=True)
        console.log(f"S2: {found['S2']['per_s']:,.0f} events/s")
        if server.db_url.startswith("postgresql"):
            _analyze(server.db_url)  # as autovacuum would within a minute of such a load
        endpoints = [
            data.endpoint_name(e) for e in range(0, data.ENDPOINTS, max(1, data.ENDPOINTS // args.starts))
        ]
        samples = []
        for endpoint in endpoints[: args.starts]:
            node = f"dataset:{data.ENDPOINTS_NAMESPACE}:{endpoint}"
            for attempt in range(args.repeat + 1):
                started = time.perf_counter()
                response = requests.get(
                    f"{server.url}/api/v1/lineage", params={"nodeId": node, "depth": 2}, timeout=60
                )
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                if attempt:
                    samples.append((elapsed, len(response.json()["graph"])))
        found["S3"] = {
            "median_ms": statistics.median(s[0] for s in samples),
            "p95_ms": sorted(s[0] for s in samples)[int(0.95 * (len(samples) - 1))],
            "nodes_median": statistics.median(s[1] for s in samples),
        }
        console.log(f"S3: {found['S3']['median_ms']:,.1f} ms, {found['S3']['nodes_median']:g} nodes")
    return found


def _batches(args: argparse.Namespace) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for _, events in _events(args.pipelines, args.seed):
        batch += events
        if len(batch) >= args.batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _post(url: str, requests_to_send: Any, clients: int, *, batch: bool) -> dict[str, Any]:
    """Post every item from ``clients`` threads; return the rate of events answered 2xx."""
    work: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(maxsize=clients * 4)
    counts = [0] * clients
    errors: list[str] = []

    def client(index: int) -> None:
        with requests.Session() as session:
            while (item := work.get()) is not None:
                if batch:
                    body = gzip.compress(json.dumps(item).encode())
                    # A new connection per batch, as a worker that is free takes it: kept-alive
                    # connections would stick to the worker that accepted them.
                    headers = {
                        "Content-Type": "application/json",
                        "Content-Encoding": "gzip",
                        "Connection": "close",
                    }
                    response = session.post(
                        f"{url}/api/v1/lineage/batch", data=body, headers=headers, timeout=300
                    )
                    ok = response.status_code == 200 and response.json()["summary"]["failed"] == 0
                else:
                    response = session.post(f"{url}/api/v1/lineage", json=item[0], timeout=60)
                    ok = response.status_code == 201
                if ok:
                    counts[index] += len(item)
                else:
                    errors.append(f"{response.status_code}: {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for item in requests_to_send:
        work.put(item)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "events": sum(counts),
        "seconds": round(seconds, 3),
        "per_s": sum(counts) / seconds,
        "errors": errors[:5],
    }


@contextmanager
def _databases(backend: str, folder: Path, console: Console) -> Iterator[Callable[[], str]]:
    """Yield a maker of fresh databases: SQLite files in ``folder``, or on a throwaway PostgreSQL."""
    if backend == "sqlite":
        names = itertools.count(1)
        yield lambda: f"sqlite:///{folder / f'server-{next(names)}.db'}"
        return
    server = _postgres(console)
    try:
        yield lambda: str(server.create_database())
    finally:
        server.stop()


def _table(results: dict[str, Any], backends: list[str]) -> Table:
    table = Table(
        title=f"mltrail server over HTTP: {results['pipelines']:,} pipelines (seed {results['seed']})"
    )
    for column in ("id", "what", "target", *(f"mltrail {b}" for b in backends)):
        table.add_column(column, justify="left" if column in ("id", "what") else "right")
    for bench_id, (description, kind, target) in TARGETS.items():
        shown = "–" if target is None else f"≥ {target:,.0f}/s"
        cells = []
        for backend in backends:
            result = results["runs"].get(backend, {}).get(bench_id)
            if not result:
                cells.append("–")
            elif kind == "rate":
                met = target is None or result["per_s"] >= target
                text = f"{result['per_s']:,.0f}/s" + (
                    f" · {len(result['errors'])} errors" if result["errors"] else ""
                )
                cells.append(f"[{'green' if met and not result['errors'] else 'red'}]{text}[/]")
            else:
                median, p95, nodes = result["median_ms"], result["p95_ms"], result["nodes_median"]
                cells.append(f"{median:,.1f} ms (p95 {p95:,.1f}) · {nodes:g} nodes")
        table.add_row(bench_id, description, shown, *cells)
    return table


if __name__ == "__main__":
    sys.exit(main())
