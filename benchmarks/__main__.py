"""Run mltrail's benchmarks, and MLflow's on the same data, and print one table: ``python -m benchmarks``.

mltrail runs in this interpreter; MLflow runs in a virtualenv of its own under
``benchmarks/.work/`` (created on first use), so it never constrains mltrail's dependencies.
PostgreSQL runs use a throwaway server started like the test harness does (``tests/support``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.ours import run_ours

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"

TARGETS: dict[str, tuple[str, str, float]] = {
    # id: (description, kind, target) — kind "ms" (lower is better) or "rate" (higher is better)
    "B1": ("lr < 0.01 AND val_auc > 0.9, top 100 by val_auc", "ms", 20.0),
    "B2": ("top 100 by val_auc, no filter", "ms", 20.0),
    "B3": ("page through all completed, 1,000/page", "ms", 2000.0),
    "B4": ("record trials through the SDK (trials/s)", "rate", 1000.0),
    "B5": ("log metric points (points/s)", "rate", 100_000.0),
    "B6": ("full history of a 100,000-point metric", "ms", 100.0),
    "B7": ("1,000-point downsampled history", "ms", 20.0),
}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmarks, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=50_000, help="trials (default 50,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions of each read")
    parser.add_argument("--points", type=int, default=1_000_000, help="metric points for B5")
    parser.add_argument("--history-points", type=int, default=100_000, help="points of the B6/B7 metric")
    parser.add_argument("--backends", default="sqlite,postgres", help="mltrail backends: sqlite,postgres")
    parser.add_argument("--peer", choices=("mlflow", "none"), default="mlflow")
    parser.add_argument("--peer-backends", default="sqlite", help="MLflow backends: sqlite,postgres")
    parser.add_argument("--peer-sdk-n", type=int, default=1000, help="trials MLflow's B4 records")
    parser.add_argument("--json", type=Path, default=WORK / "results.json", help="where to write all results")
    parser.add_argument(
        "--peer-from",
        type=Path,
        help="reuse MLflow's results from an earlier results file instead of running it",
    )
    args = parser.parse_args(argv)

    console = Console(stderr=True)
    results: dict[str, Any] = {"n": args.n, "seed": args.seed, "python": sys.version.split()[0], "runs": {}}
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    peer_backends = (
        [b.strip() for b in args.peer_backends.split(",") if b.strip()] if args.peer == "mlflow" else []
    )
    server = _postgres(console) if "postgres" in backends + peer_backends else None
    scratch = Path(tempfile.mkdtemp(prefix="mltrail-bench-"))
    try:
        for backend in backends:
            uri = (
                server.create_database()
                if backend == "postgres" and server
                else f"sqlite:///{scratch / 'mltrail.db'}"
            )
            started = time.perf_counter()
            results["runs"][f"mltrail-{backend}"] = run_ours(
                uri,
                n=args.n,
                seed=args.seed,
                repeat=args.repeat,
                points=args.points,
                history_points=args.history_points,
                progress=lambda text, b=backend: console.log(f"[bold]mltrail {b}[/bold] {text}"),
            )
            console.log(f"mltrail {backend} done in {time.perf_counter() - started:.0f} s")
        earlier = json.loads(args.peer_from.read_text())["runs"] if args.peer_from else {}
        for backend in peer_backends:
            key = f"mlflow-{backend}"
            if key in earlier:
                console.log(f"MLflow {backend}: reusing the results in {args.peer_from}")
                results["runs"][key] = earlier[key]
            else:
                results["runs"][key] = _run_mlflow(args, backend, server, scratch, console)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    Console(width=None if sys.stdout.isatty() else 160).print(_table(results, backends, peer_backends))
    console.log(f"results written to {args.json}")
    return 0


def _postgres(console: Console) -> Any:
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from postgres import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found; install 'postgresql' or pass --backends sqlite")
    console.log(f"starting a throwaway PostgreSQL from {bindir}")
    return PostgresServer.start(bindir)


def _run_mlflow(
    args: argparse.Namespace, backend: str, server: Any, scratch: Path, console: Console
) -> dict[str, Any]:
    from benchmarks.peers.mlflow_env import ensure_mlflow_venv, run_mlflow

    console.log(f"[bold]MLflow {backend}[/bold] preparing its virtualenv (first run installs MLflow)")
    python = ensure_mlflow_venv()
    if backend == "postgres":
        uri = server.create_database().replace("postgresql+psycopg://", "postgresql://")
    else:
        uri = f"sqlite:///{scratch / 'mlflow.db'}"
    console.log(f"[bold]MLflow {backend}[/bold] running (loads {args.n:,} runs, then B1-B7)")
    return run_mlflow(
        python,
        [
            "--backend-uri",
            uri,
            "--n",
            str(args.n),
            "--seed",
            str(args.seed),
            "--repeat",
            str(args.repeat),
            "--points",
            str(args.points),
            "--history-points",
            str(args.history_points),
            "--sdk-n",
            str(args.peer_sdk_n),
        ],
    )


def _figure(result: dict[str, Any] | None, kind: str) -> float | None:
    if not result or result.get("status", "ok") not in ("ok", "timeout"):
        return None
    if kind == "rate":
        value = result.get("per_s", result.get("rate"))
    else:
        value = result.get("median_ms")
    return float(value) if value is not None else None


def _timed_out(runs: dict[str, Any], backend: str, bench_id: str) -> bool:
    result = runs.get(f"mlflow-{backend}", {}).get("benchmarks", {}).get(bench_id, {})
    return bool(result.get("status") == "timeout")


def _format(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value:,.0f}/s"
    return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"


def _table(results: dict[str, Any], backends: list[str], peer_backends: list[str]) -> Table:
    table = Table(title=f"mltrail vs MLflow, {results['n']:,} trials (seed {results['seed']})")
    table.add_column("id")
    table.add_column("benchmark")
    table.add_column("target", justify="right")
    for backend in backends:
        table.add_column(f"mltrail {backend}", justify="right")
    for backend in peer_backends:
        table.add_column(f"MLflow {backend}", justify="right")
    for backend in peer_backends:
        if backend in backends:
            table.add_column(f"ratio {backend}", justify="right")
    runs = results["runs"]
    for bench_id, (description, kind, target) in TARGETS.items():
        ours = {b: _figure(runs.get(f"mltrail-{b}", {}).get(bench_id), kind) for b in backends}
        peer = {
            b: _figure(runs.get(f"mlflow-{b}", {}).get("benchmarks", {}).get(bench_id), kind)
            for b in peer_backends
        }
        cells = [bench_id, description, ("≥ " if kind == "rate" else "≤ ") + _format(target, kind)]
        for b in backends:
            value = ours[b]
            met = value is not None and (value >= target if kind == "rate" else value <= target)
            cells.append(f"[{'green' if met else 'red'}]{_format(value, kind)}[/]")
        cells += [
            _format(peer[b], kind) + (" (hit the time cap)" if _timed_out(runs, b, bench_id) else "")
            for b in peer_backends
        ]
        for b in peer_backends:
            if b in backends:
                mine, theirs = ours[b], peer[b]
                if mine and theirs:
                    ratio = theirs / mine if kind == "ms" else mine / theirs
                    cells.append(f"{ratio:,.0f}× better" if ratio >= 1 else f"{1 / ratio:,.1f}× worse")
                else:
                    cells.append("–")
        table.add_row(*cells)
    return table


if __name__ == "__main__":
    raise SystemExit(main())
