"""Fixtures for the CLI tests: an isolated working folder, a seeded SQLite store and a runner."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mltrail.cli import mltrail
from mltrail.core.entities import CodeInfo, DatasetRef, EnvironmentInfo
from mltrail.store import Store

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
EXPERIMENT = "fraud-detection"
RUN_IDS = [uuid.UUID(int=n) for n in (1, 2, 3)]
TRIALS = ["lr-0.01", "lr-0.1", "lr-1"]

Invoke = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every test in ``tmp_path`` with no mltrail.yml, HOME config or MLTRAIL_* variable in force."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("MLTRAIL_TRACKING_URI", "MLTRAIL_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def url(tmp_path: Path) -> str:
    """Return the URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'mltrail.db'}"


@pytest.fixture
def invoke(url: str) -> Invoke:
    """Return a function that runs ``mltrail --tracking-uri <url> ARGS…`` and returns the result."""

    def run(*args: str, env: dict[str, str] | None = None, tracking_uri: str | None = url) -> Result:
        prefix: Sequence[str] = ("--tracking-uri", tracking_uri) if tracking_uri else ()
        return CliRunner().invoke(mltrail, [*prefix, *args], env=env, catch_exceptions=False)

    return run


@pytest.fixture
def seeded(url: str) -> str:
    """Fill the store: three finished trials of ``fraud-detection`` and an archived ``churn``.

    ========  =============  =========  =======  ============  =======
    trial     learning_rate  optimizer  val_auc  loss (last)   started
    ========  =============  =========  =======  ============  =======
    lr-0.01   0.01           adam       0.81     NaN           T0
    lr-0.1    0.1            adam       0.93     0.2           T0 + 1m
    lr-1      1.0            sgd        0.7      0.9           T0 + 2m
    ========  =============  =========  =======  ============  =======

    Each run lasts 90 s, logs ``val_auc`` at steps 1 (0.5) and 2 (the value above).
    """
    aucs, losses = [0.81, 0.93, 0.7], [float("nan"), 0.2, 0.9]
    with Store(url) as store:
        for index, (run_id, trial) in enumerate(zip(RUN_IDS, TRIALS, strict=True)):
            start = T0 + index * 60_000
            store.start_run(
                run_id=run_id,
                experiment=EXPERIMENT,
                trial=trial,
                name=f"train-{trial}",
                kind="training",
                start_time=start,
                params={
                    "learning_rate": float(trial.removeprefix("lr-")),
                    "optimizer": "sgd" if index == 2 else "adam",
                    "epochs": 10,
                },
                tags={"owner": "ana"},
                code=CodeInfo(commit="abc1234", branch="main", is_dirty=False, entry_point="train.py"),
                environment=EnvironmentInfo(host="worker-1", python="3.11.9", cpu_count=8),
            )
            store.log_datasets(
                run_id,
                [DatasetRef("s3://data", "train.csv", "s3://data/train.csv", "train")],
                direction="input",
            )
            store.log_datasets(
                run_id,
                [DatasetRef("s3://models", f"{trial}.pkl", f"s3://models/{trial}.pkl", "model")],
                direction="output",
            )
            store.end_run(
                run_id,
                status="Completed",
                end_time=start + 90_000,
                metrics=[
                    ("val_auc", 0.5, 1, start + 30_000),
                    ("val_auc", aucs[index], 2, start + 60_000),
                    ("loss", losses[index], 2, start + 60_000),
                ],
            )
        churn = uuid.UUID(int=99)
        store.start_run(run_id=churn, experiment="churn", trial="baseline", name="train", start_time=T0)
        store.end_run(churn, status="Failed", end_time=T0 + 1_000, error_message="ValueError: no rows")
        store.set_experiment_archived("churn")
    return url
