"""Generate a seeded, deterministic ML lineage graph as OpenLineage RunEvent dicts.

The graph is ``pipelines`` runs of ``DAGS`` (100) training DAGs, one pipeline starting every
minute and DAG ``i % DAGS`` running at minute ``i``, so each DAG runs every 100 minutes and a
pipeline (at most ~60 minutes long) never overlaps the previous run of its own DAG. A pipeline is
a parent run (job ``dag-KK``) and 9 task runs that name it in their ``parent`` run facet:

* ``processing`` reads the raw dataset ``s3://mltrail-raw`` / ``raw-KK.parquet`` (one per DAG, so
  ~100 raw datasets each read by ``pipelines / 100`` pipelines over time) and writes
  ``s3://mltrail-features`` / ``dag-KK/features.parquet`` (one name per DAG: a new version each run);
* 5 ``train-J`` trials read the features and each write a model ``s3://mltrail-models`` /
  ``dag-KK/run-NNNNN/trial-J/model.pkl``;
* ``evaluate`` reads the 5 models and writes ``s3://mltrail-reports`` / ``dag-KK/run-NNNNN/eval.json``;
* ``register`` reads the best model and the report and writes the model version
  ``mltrail://registry`` / ``model-KK/versions/N``;
* ``deploy`` reads the model version and writes the endpoint ``mltrail://endpoints`` /
  ``endpoint-EE`` with ``EE = KK % 50`` (50 endpoints, each redeployed by two DAGs over time).

Every run sends START (with its inputs) and COMPLETE (with its outputs); the parent run sends both
with no datasets. Edges per pipeline: 23 inputs and outputs plus 9 parent links = 32
(:data:`EDGES_PER_PIPELINE`), so 1,000,000 edges take 31,250 pipelines (625,000 events).

Only the standard library is used; the same ``(pipelines, seed)`` always yields the same events.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mltrail.core.ids import uuid7

__all__ = [
    "DAGS",
    "EDGES_PER_PIPELINE",
    "ENDPOINTS",
    "EVENTS_PER_PIPELINE",
    "Pipeline",
    "endpoint_name",
    "generate_pipelines",
    "pipelines_for_edges",
    "raw_dataset",
]

PRODUCER = "https://github.com/mltrail/mltrail/benchmarks/lineage"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PARENT_SCHEMA = "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet"
JOB_NAMESPACE = "airflow"
RAW_NAMESPACE = "s3://mltrail-raw"
FEATURES_NAMESPACE = "s3://mltrail-features"
MODELS_NAMESPACE = "s3://mltrail-models"
REPORTS_NAMESPACE = "s3://mltrail-reports"
REGISTRY_NAMESPACE = "mltrail://registry"
ENDPOINTS_NAMESPACE = "mltrail://endpoints"

DAGS = 100
ENDPOINTS = 50
TRIALS = 5
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PIPELINE_SPACING = timedelta(minutes=1)

TASK_RUNS = 1 + TRIALS + 3
"""processing, the trials, evaluate, register, deploy."""
EVENTS_PER_PIPELINE = 2 * (TASK_RUNS + 1)
IO_EDGES_PER_PIPELINE = 2 + 2 * TRIALS + (TRIALS + 1) + 3 + 2
EDGES_PER_PIPELINE = IO_EDGES_PER_PIPELINE + TASK_RUNS
"""Inputs and outputs of every run, plus one parent link per task run."""

Dataset = tuple[str, str]
"""``(namespace, name)``."""


@dataclass(frozen=True, slots=True)
class TaskRun:
    """One run of a pipeline: its job, times (minutes after the pipeline starts) and datasets."""

    run_id: uuid.UUID
    job: str
    start: float
    end: float
    inputs: tuple[Dataset, ...]
    outputs: tuple[Dataset, ...]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """One pipeline run: the parent run and its 9 task runs, in the order they start."""

    index: int
    dag: int
    run_number: int
    start: datetime
    run_id: uuid.UUID
    tasks: tuple[TaskRun, ...] = field(default=())

    @property
    def end(self) -> float:
        """Minutes after its start when the last task ends."""
        return max(task.end for task in self.tasks)

    @property
    def endpoint(self) -> Dataset:
        """The endpoint its deploy task wrote."""
        return self.tasks[-1].outputs[0]

    def datasets(self) -> set[Dataset]:
        """Every dataset its tasks read or wrote."""
        return {d for task in self.tasks for d in (*task.inputs, *task.outputs)}

    def events(self) -> list[dict[str, Any]]:
        """START and COMPLETE of the parent run and of each task, in event-time order."""
        facets = {"parent": _parent_facet(self.run_id, self.job)}
        pairs = [(0.0, _event("START", self.run_id, self.job, self._at(0.0)))]
        for task in self.tasks:
            start = _event(
                "START", task.run_id, task.job, self._at(task.start), facets=facets, inputs=task.inputs
            )
            end = _event(
                "COMPLETE", task.run_id, task.job, self._at(task.end), facets=facets, outputs=task.outputs
            )
            pairs += [(task.start, start), (task.end, end)]
        pairs.append((self.end + 0.5, _event("COMPLETE", self.run_id, self.job, self._at(self.end + 0.5))))
        pairs.sort(key=lambda pair: pair[0])  # stable: a START sorts before a COMPLETE at the same time
        return [event for _, event in pairs]

    @property
    def job(self) -> str:
        """The parent run's job name, the DAG's."""
        return f"dag-{self.dag:02d}"

    def _at(self, minutes: float) -> str:
        return (self.start + timedelta(minutes=minutes)).isoformat(timespec="milliseconds")


def raw_dataset(dag: int) -> Dataset:
    """The raw dataset DAG ``dag`` reads."""
    return (RAW_NAMESPACE, f"raw-{dag:02d}.parquet")


def endpoint_name(endpoint: int) -> str:
    """The name of endpoint ``endpoint`` in :data:`ENDPOINTS_NAMESPACE`."""
    return f"endpoint-{endpoint:02d}"


def pipelines_for_edges(edges: int) -> int:
    """The fewest pipelines whose graph has at least ``edges`` edges."""
    return -(-edges // EDGES_PER_PIPELINE)


def generate_pipelines(pipelines: int, seed: int = 42) -> Iterator[Pipeline]:
    """Yield ``pipelines`` deterministic pipelines; the first ``m`` never depend on ``pipelines``."""
    rng = random.Random(seed)
    for index in range(pipelines):
        dag = index % DAGS
        run_number = index // DAGS + 1
        yield _pipeline(rng, index, dag, run_number)


def _uuid(rng: random.Random, at: datetime) -> uuid.UUID:
    """A UUIDv7 run id drawn at ``at``, as OpenLineage's client and Airflow provider make them."""
    return uuid7(int(at.timestamp() * 1000), rng.getrandbits(74))


def _pipeline(rng: random.Random, index: int, dag: int, run_number: int) -> Pipeline:
    prefix = f"dag-{dag:02d}"
    run_dir = f"{prefix}/run-{run_number:05d}"
    raw = raw_dataset(dag)
    features = (FEATURES_NAMESPACE, f"{prefix}/features.parquet")
    models = tuple((MODELS_NAMESPACE, f"{run_dir}/trial-{j}/model.pkl") for j in range(1, TRIALS + 1))
    report = (REPORTS_NAMESPACE, f"{run_dir}/eval.json")
    version = (REGISTRY_NAMESPACE, f"model-{dag:02d}/versions/{run_number}")
    endpoint = (ENDPOINTS_NAMESPACE, endpoint_name(dag % ENDPOINTS))

    start = T0 + index * PIPELINE_SPACING

    def task(job: str, begin: float, end: float, *datasets: tuple[Dataset, ...]) -> TaskRun:
        return TaskRun(_uuid(rng, start + timedelta(minutes=begin)), job, begin, end, *datasets)

    tasks = []
    clock = 0.5
    processing_end = clock + rng.uniform(3, 10)
    tasks.append(task(f"{prefix}.processing", clock, processing_end, (raw,), (features,)))
    clock = processing_end + 0.5
    trial_ends = []
    for j, model in enumerate(models, start=1):
        end = clock + rng.uniform(5, 25)
        trial_ends.append(end)
        tasks.append(task(f"{prefix}.train-{j}", clock, end, (features,), (model,)))
    clock = max(trial_ends) + 0.5
    end = clock + rng.uniform(1, 5)
    tasks.append(task(f"{prefix}.evaluate", clock, end, models, (report,)))
    best = models[rng.randrange(TRIALS)]
    clock = end + 0.5
    end = clock + rng.uniform(0.2, 1)
    tasks.append(task(f"{prefix}.register", clock, end, (best, report), (version,)))
    clock = end + 0.5
    end = clock + rng.uniform(1, 3)
    tasks.append(task(f"{prefix}.deploy", clock, end, (version,), (endpoint,)))
    return Pipeline(
        index=index,
        dag=dag,
        run_number=run_number,
        start=start,
        run_id=_uuid(rng, start),
        tasks=tuple(tasks),
    )


def _parent_facet(run_id: uuid.UUID, job: str) -> dict[str, Any]:
    return {
        "_producer": PRODUCER,
        "_schemaURL": PARENT_SCHEMA,
        "run": {"runId": str(run_id)},
        "job": {"namespace": JOB_NAMESPACE, "name": job},
    }


def _event(
    event_type: str,
    run_id: uuid.UUID,
    job: str,
    event_time: str,
    *,
    facets: dict[str, Any] | None = None,
    inputs: tuple[Dataset, ...] = (),
    outputs: tuple[Dataset, ...] = (),
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": event_time,
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {"runId": str(run_id), "facets": dict(facets or {})},
        "job": {"namespace": JOB_NAMESPACE, "name": job},
        "inputs": [{"namespace": ns, "name": name} for ns, name in inputs],
        "outputs": [{"namespace": ns, "name": name} for ns, name in outputs],
    }
