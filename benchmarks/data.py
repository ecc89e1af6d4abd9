"""Generate the seeded, deterministic trial and metric-series data every benchmarked tool ingests.

The module uses only the standard library (``random.Random(seed)``, no numpy) because it is
loaded by file path inside each peer's own virtualenv as well as by mltrail's runner: the
same ``(n, seed)`` must give byte-identical data everywhere.

Shape of a trial (see :class:`TrialRecord`):

* name ``trial-000001`` ... (1-based, zero-padded to 6 digits);
* 10 hyperparameters: ``learning_rate`` in {0.1, 0.01, 0.001, 0.0001}, ``max_depth`` int 1-12,
  ``n_estimators`` int 10-500, ``subsample`` / ``colsample`` float 0.5-1.0,
  ``min_child_weight`` int 1-10, ``gamma`` float 0-5, ``reg_alpha`` float 0-1,
  ``optimizer`` in {"adam", "sgd", "rmsprop"}, ``use_bn`` bool (floats rounded to 4 places);
* status ``Completed``, except every 10th trial (index 10, 20, ...) which is ``Failed``,
  so exactly ``n - n // 10`` trials complete (45,000 of 50,000);
* 5 metrics for a completed trial: ``val_auc`` ~ U(0, 1) (full double precision, so
  ties are practically impossible and top-k results are unambiguous), ``val_loss``,
  ``train_auc``, ``train_loss``, ``accuracy``. A failed trial stopped before validation:
  it has only ``train_auc`` and ``train_loss``, so it never matches a ``val_auc`` filter
  or sort. Every trial draws all five values so the random stream does not depend on status;
* one input URI ``s3://bench-data/train-<k>.csv`` (k in 0-99, so datasets are shared
  across trials) and one output URI ``s3://bench-models/<name>/model.pkl``;
* deterministic start/end times (epoch ms), one trial starting every 60 s.

:func:`reference_answers` computes in pure Python the results benchmarks B1-B3 must
return, so each tool's output can be checked against it and against each other.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "BASE_TIME_MS",
    "LEARNING_RATES",
    "METRIC_NAMES",
    "PARAM_NAMES",
    "STATUS_COMPLETED",
    "STATUS_FAILED",
    "MetricPoint",
    "ParamValue",
    "ReferenceAnswers",
    "TrialRecord",
    "generate_trials",
    "metric_series",
    "names_digest",
    "reference_answers",
    "trial_name",
]

ParamValue = float | int | str | bool
"""Type of a hyperparameter value (``bool`` is listed apart from ``int`` on purpose)."""

LEARNING_RATES: tuple[float, ...] = (0.1, 0.01, 0.001, 0.0001)
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd", "rmsprop")
PARAM_NAMES: tuple[str, ...] = (
    "learning_rate",
    "max_depth",
    "n_estimators",
    "subsample",
    "colsample",
    "min_child_weight",
    "gamma",
    "reg_alpha",
    "optimizer",
    "use_bn",
)
METRIC_NAMES: tuple[str, ...] = ("val_auc", "val_loss", "train_auc", "train_loss", "accuracy")
FAILED_METRIC_NAMES: tuple[str, ...] = ("train_auc", "train_loss")
"""The metrics a failed trial still has (it failed before validation)."""

STATUS_COMPLETED = "Completed"
STATUS_FAILED = "Failed"
FAILED_EVERY = 10
"""Trial ``index`` is failed when ``index % FAILED_EVERY == 0``."""

N_DATASETS = 100
BASE_TIME_MS = 1_735_689_600_000
"""2025-01-01T00:00:00Z: first trial start and first metric-series timestamp."""
TRIAL_SPACING_MS = 60_000
SERIES_SPACING_MS = 100


@dataclass(frozen=True, slots=True)
class TrialRecord:
    """One generated trial, as every tool under test must record it.

    Attributes:
        index: 1-based position in the generated sequence. Example: ``1``.
        name: Unique trial name. Example: ``"trial-000001"``.
        params: The 10 hyperparameters, typed. Example: ``{"learning_rate": 0.001, ...}``.
        metrics: Final metric values: all 5 for a completed trial, ``train_auc`` and
            ``train_loss`` only for a failed one.
        status: ``"Completed"`` or ``"Failed"``.
        input_uri: The training data it read. Example: ``"s3://bench-data/train-7.csv"``.
        output_uri: The model it wrote. Example: ``"s3://bench-models/trial-000001/model.pkl"``.
        start_time_ms: Start, epoch milliseconds.
        end_time_ms: End, epoch milliseconds (always after ``start_time_ms``).
    """

    index: int
    name: str
    params: dict[str, ParamValue]
    metrics: dict[str, float]
    status: str
    input_uri: str
    output_uri: str
    start_time_ms: int
    end_time_ms: int

    @property
    def is_completed(self) -> bool:
        """Whether the trial finished successfully."""
        return self.status == STATUS_COMPLETED

    @property
    def dataset_name(self) -> str:
        """Short name of the input dataset, the file stem of :attr:`input_uri`. Example: ``"train-7"``."""
        return self.input_uri.rsplit("/", 1)[-1].removesuffix(".csv")


class MetricPoint(NamedTuple):
    """One point of a metric time series."""

    step: int
    value: float
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class ReferenceAnswers:
    """What benchmarks B1-B3 must return for a given ``(n, seed)``, computed in Python.

    Attributes:
        b1_names: Top 100 names by ``val_auc`` desc with ``learning_rate < 0.01 AND val_auc > 0.9``.
        b1_total: How many trials match B1's filter (before the limit).
        b2_names: Top 100 names by ``val_auc`` desc, no filter.
        completed_count: Number of completed trials (the rows B3 pages through).
        completed_digest: :func:`names_digest` of the completed trials' names.
    """

    b1_names: list[str]
    b1_total: int
    b2_names: list[str]
    completed_count: int
    completed_digest: str


def trial_name(index: int) -> str:
    """Return the name of the trial at 1-based ``index``. Example: ``trial_name(1) == "trial-000001"``."""
    return f"trial-{index:06d}"


def _draw_params(rng: random.Random) -> dict[str, ParamValue]:
    """Draw the 10 hyperparameters, always in the same order."""
    return {
        "learning_rate": rng.choice(LEARNING_RATES),
        "max_depth": rng.randint(1, 12),
        "n_estimators": rng.randint(10, 500),
        "subsample": round(rng.uniform(0.5, 1.0), 4),
        "colsample": round(rng.uniform(0.5, 1.0), 4),
        "min_child_weight": rng.randint(1, 10),
        "gamma": round(rng.uniform(0.0, 5.0), 4),
        "reg_alpha": round(rng.uniform(0.0, 1.0), 4),
        "optimizer": rng.choice(OPTIMIZERS),
        "use_bn": rng.random() < 0.5,
    }


def _draw_metrics(rng: random.Random) -> dict[str, float]:
    """Draw the 5 final metrics (``val_auc`` uniform; the others loosely consistent with it)."""
    val_auc = rng.random()
    train_auc = min(1.0, val_auc + rng.uniform(0.0, 0.1))
    val_loss = rng.uniform(0.05, 2.0)
    train_loss = val_loss * rng.uniform(0.5, 1.0)
    accuracy = rng.uniform(0.5, 1.0)
    return {
        "val_auc": val_auc,
        "val_loss": val_loss,
        "train_auc": train_auc,
        "train_loss": train_loss,
        "accuracy": accuracy,
    }


def generate_trials(n: int, seed: int = 42) -> Iterator[TrialRecord]:
    """Yield ``n`` deterministic trial records.

    The first ``m`` records of ``generate_trials(n, seed)`` equal those of
    ``generate_trials(m, seed)`` for any ``m <= n``.

    Args:
        n: Number of trials.
        seed: Seed of the ``random.Random`` stream.

    Yields:
        :class:`TrialRecord` for indexes ``1..n``.

    Raises:
        ValueError: If ``n`` is negative.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    for index in range(1, n + 1):
        params = _draw_params(rng)
        metrics = _draw_metrics(rng)
        dataset_k = rng.randrange(N_DATASETS)
        duration_ms = rng.randint(5_000, 3_600_000)
        is_failed = index % FAILED_EVERY == 0
        if is_failed:
            metrics = {k: metrics[k] for k in FAILED_METRIC_NAMES}
        name = trial_name(index)
        start_ms = BASE_TIME_MS + (index - 1) * TRIAL_SPACING_MS
        yield TrialRecord(
            index=index,
            name=name,
            params=params,
            metrics=metrics,
            status=STATUS_FAILED if is_failed else STATUS_COMPLETED,
            input_uri=f"s3://bench-data/train-{dataset_k}.csv",
            output_uri=f"s3://bench-models/{name}/model.pkl",
            start_time_ms=start_ms,
            end_time_ms=start_ms + duration_ms,
        )


def metric_series(n_points: int, seed: int = 42) -> Iterator[MetricPoint]:
    """Yield a deterministic, noisy, decaying loss curve of ``n_points`` points.

    Steps are ``0..n_points-1``; timestamps start at :data:`BASE_TIME_MS` and advance
    100 ms per step, so (step, timestamp) pairs are unique.

    Args:
        n_points: Number of points.
        seed: Seed of the ``random.Random`` stream.

    Yields:
        :class:`MetricPoint` in step order.

    Raises:
        ValueError: If ``n_points`` is negative.
    """
    if n_points < 0:
        raise ValueError(f"n_points must be >= 0, got {n_points}")
    rng = random.Random(seed)
    scale = max(n_points, 1)
    for step in range(n_points):
        value = 2.0 * math.exp(-3.0 * step / scale) + 0.05 + rng.gauss(0.0, 0.02)
        yield MetricPoint(step=step, value=value, timestamp_ms=BASE_TIME_MS + step * SERIES_SPACING_MS)


def names_digest(names: Iterable[str]) -> str:
    """Return a SHA-256 over the sorted names (one per line), to compare large result sets cheaply."""
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def reference_answers(n: int, seed: int = 42, *, limit: int = 100) -> ReferenceAnswers:
    """Compute the expected results of B1, B2 and B3 for ``generate_trials(n, seed)``.

    Args:
        n: Number of trials.
        seed: Seed of the generator.
        limit: Top-k size of B1 and B2.

    Returns:
        The expected names and counts.
    """
    with_auc: list[tuple[float, str, float]] = []
    completed: list[str] = []
    for record in generate_trials(n, seed):
        if record.is_completed:
            completed.append(record.name)
        if "val_auc" in record.metrics:
            lr = float(record.params["learning_rate"])
            with_auc.append((record.metrics["val_auc"], record.name, lr))
    with_auc.sort(key=lambda row: row[0], reverse=True)
    b1 = [name for auc, name, lr in with_auc if lr < 0.01 and auc > 0.9]
    return ReferenceAnswers(
        b1_names=b1[:limit],
        b1_total=len(b1),
        b2_names=[name for _, name, _ in with_auc[:limit]],
        completed_count=len(completed),
        completed_digest=names_digest(completed),
    )
