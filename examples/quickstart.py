"""Train a few scikit-learn models, track each candidate as a trial, and print the leaderboard.

Runs on the embedded store (``.mltrail/mltrail.db`` in the working directory) unless
``MLTRAIL_TRACKING_URI`` says otherwise:

    python examples/quickstart.py
    mltrail trials search breast-cancer --order-by "metrics.val_auc DESC"
"""

from __future__ import annotations

import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mltrail

EXPERIMENT = "breast-cancer"
DATASET_URI = "sklearn://datasets/breast_cancer"

CANDIDATES: list[tuple[str, Any, dict[str, Any]]] = [
    ("logreg", LogisticRegression, {"C": 0.01, "max_iter": 2000}),
    ("logreg", LogisticRegression, {"C": 1.0, "max_iter": 2000}),
    ("forest", RandomForestClassifier, {"n_estimators": 100, "max_depth": 3, "random_state": 0}),
    ("forest", RandomForestClassifier, {"n_estimators": 100, "max_depth": 8, "random_state": 0}),
    (
        "gbm",
        GradientBoostingClassifier,
        {"learning_rate": 0.1, "n_estimators": 100, "max_depth": 2, "random_state": 0},
    ),
    (
        "gbm",
        GradientBoostingClassifier,
        {"learning_rate": 0.01, "n_estimators": 100, "max_depth": 3, "random_state": 0},
    ),
]


SHORT = {"C": "C", "learning_rate": "lr", "max_depth": "depth", "n_estimators": "n"}


def trial_name(family: str, params: dict[str, Any]) -> str:
    return "-".join([family, *(f"{SHORT[k]}{v}" for k, v in params.items() if k in SHORT)])


def main() -> None:
    console = Console()
    features, labels = load_breast_cancer(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        features, labels, test_size=0.25, random_state=42, stratify=labels
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for family, estimator, params in CANDIDATES:
            name = trial_name(family, params)
            with mltrail.start_run(
                experiment=EXPERIMENT,
                trial=name,
                kind="training",
                name=f"train-{name}",
                params={"model": family, **params},
            ) as train:
                train.log_input(DATASET_URI, role="train")
                model = make_pipeline(StandardScaler(), estimator(**params)).fit(x_train, y_train)
                if hasattr(model[-1], "train_score_"):  # boosting: a loss curve, one point per stage
                    for step, loss in enumerate(model[-1].train_score_):
                        train.log_metric("train_loss", float(loss), step=step)
                model_path = Path(scratch) / f"{name}.pkl"
                model_path.write_bytes(pickle.dumps(model))
                model_uri = train.log_artifact(model_path, role="model")
            with mltrail.start_run(
                experiment=EXPERIMENT, trial=name, kind="evaluation", name=f"evaluate-{name}"
            ) as evaluation:
                evaluation.log_input(model_uri, role="model")
                evaluation.log_input(DATASET_URI, role="validation")
                scores = model.predict_proba(x_val)[:, 1]
                evaluation.log_metrics(
                    {
                        "val_auc": roc_auc_score(y_val, scores),
                        "val_accuracy": accuracy_score(y_val, scores > 0.5),
                        "val_log_loss": log_loss(y_val, scores),
                    }
                )
            console.print(f"trained [bold]{name}[/bold]")
    elapsed = time.perf_counter() - started

    leaderboard = mltrail.search_trials(
        experiment=EXPERIMENT,
        filter="metrics.val_auc > 0.9",
        order_by=["metrics.val_auc DESC", "metrics.val_log_loss ASC"],
        max_results=10,
    )
    table = Table(title=f"{EXPERIMENT}: trials with val_auc > 0.9 (tracked in {elapsed:.1f} s)")
    table.add_column("rank", justify="right")
    table.add_column("trial", no_wrap=True)
    for column in ("val_auc", "val_accuracy", "val_log_loss", "runs"):
        table.add_column(column, justify="right")
    for rank, trial in enumerate(leaderboard, start=1):
        metrics = trial.metrics
        table.add_row(
            str(rank),
            trial.name,
            f"{metrics['val_auc'].last:.4f}",
            f"{metrics['val_accuracy'].last:.4f}",
            f"{metrics['val_log_loss'].last:.4f}",
            str(len(trial.run_ids)),
        )
    console.print(table)
    if leaderboard:
        print_provenance(console, leaderboard[0])
    console.print(f"store: {mltrail.get_tracking_uri()}")
    console.print(
        f"try: mltrail trials search {EXPERIMENT} --filter \"params.model = 'gbm'\" "
        '--order-by "metrics.val_auc DESC"'
    )


def print_provenance(console: Console, trial: mltrail.Trial) -> None:
    """Show where the best trial's evaluation came from: model, training run, dataset."""
    evaluation = max(trial.run_ids, key=lambda run_id: mltrail.get_run(run_id).start_time)
    page = mltrail.lineage.query(f"run:{evaluation}", direction="ascendants", depth=4)
    console.print(f"[bold]lineage of {trial.name}[/bold] (mltrail lineage upstream run:{evaluation})")
    for node in page.nodes:
        label = node.data.get("job", {}).get("name") if node.type == "run" else node.data.get("uri")
        console.print(f"  {'  ' * node.depth}{node.type} {label}")


if __name__ == "__main__":
    main()
