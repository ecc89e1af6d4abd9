"""Run the example Kubeflow pipeline (``pipelines/fraud_detection.py``) once with ``kfp.local``, then
show what mltrail recorded: the leaderboard of the pipeline run's trials, the model version it
registered (approved by its policy), the endpoint it deployed that version to, and the endpoint's
lineage.

Needs ``mltrail[kfp,examples]``; ``make demo`` runs it. The tasks run as subprocesses of this one
(``SubprocessRunner(use_venv=False)``: no Docker, no cluster) and write their artifacts under
``.mltrail/kfp``; their logs go to ``.mltrail/kfp/last-run.log``. mltrail records to its embedded
default (``.mltrail/mltrail.db``) unless ``MLTRAIL_TRACKING_URI`` says otherwise; the tasks
inherit this process's environment and working directory, so they record to the same store. The
endpoint is local (``MLTRAIL_SERVING_DIR``, ``.mltrail/endpoints`` by default): serve it with
``mltrail serve fraud-detection-kfp``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from pathlib import Path

from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(".mltrail/kfp").resolve()


def main() -> None:
    console = Console()
    ROOT.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO / "pipelines"))

    from fraud_detection import ENDPOINT, MODEL_NAME, PIPELINE, fraud_detection
    from kfp import local

    import mltrail
    from mltrail.cli import mltrail as cli
    from mltrail.deploy import endpoint_uri

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(ROOT))
    log_file = ROOT / "last-run.log"
    root_logger = logging.getLogger()
    handlers, level = root_logger.handlers[:], root_logger.level
    started = time.perf_counter()
    with (
        console.status("running the fraud-detection pipeline with kfp.local"),
        log_file.open("w") as log,
        contextlib.redirect_stdout(log),  # kfp.local prints every task's output
    ):
        try:
            fraud_detection()
        except Exception as exc:  # noqa: BLE001 - reported with the log's path
            failure: Exception | None = exc
        else:
            failure = None
        finally:  # kfp.local's loop threads can leave its handler (on the log file) on the root logger
            root_logger.handlers[:], root_logger.level = handlers, level
    elapsed = time.perf_counter() - started
    if failure is not None:
        console.print(f"[red]the pipeline failed[/red] after {elapsed:.1f} s: {failure} (see {log_file})")
        raise SystemExit(1)

    latest = mltrail.search_runs(
        experiment=PIPELINE, filter="tags.kfp.task = 'prepare'", order_by="start_time DESC", max_results=1
    )
    pipeline_run = next(iter(latest)).tags["kfp.run_id"]
    console.print(
        f"[bold]{PIPELINE}[/bold] run {pipeline_run}: succeeded in {elapsed:.1f} s (logs: {log_file})"
    )

    console.rule("leaderboard: this pipeline run's trials, best test AUC first")
    cli.main(
        [
            "trials",
            "search",
            PIPELINE,
            "--filter",
            f"name LIKE 'run-{pipeline_run} [%'",
            "--order-by",
            "metrics.test_auc DESC",
            "--columns",
            "name,params.model,params.C,params.max_depth,metrics.val_auc,metrics.test_auc,metrics.test_f1",
        ],
        standalone_mode=False,
    )
    registration = mltrail.search_runs(
        experiment=PIPELINE,
        filter=f"tags.kfp.task = 'register-model' AND tags.kfp.run_id = '{pipeline_run}'",
        max_results=1,
    )
    version = mltrail.registry.get_model_version(
        MODEL_NAME, int(next(iter(registration)).tags["model.version"])
    )
    decided = version.history[-1]
    console.print(
        f"registered [bold]{version.model}[/bold] version {version.version}:"
        f" {version.status.value} by {decided.actor} ({decided.reason})"
    )
    deployment = mltrail.deploy.history(ENDPOINT)[0]
    console.print(
        f"deployed version {deployment.version} to [bold]{endpoint_uri(ENDPOINT)}[/bold]"
        f" ({deployment.target}: `mltrail serve {ENDPOINT}`)"
    )

    console.rule("lineage: where the endpoint's model came from")
    namespace, _, name = endpoint_uri(ENDPOINT).rpartition("/")
    cli.main(
        ["lineage", "upstream", f"dataset:{namespace}:{name}", "--granularity", "job"],
        standalone_mode=False,
    )
    console.print(f"store: {mltrail.get_tracking_uri()}")


if __name__ == "__main__":
    main()
