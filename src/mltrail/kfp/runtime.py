"""What runs inside a tracked KFP component's pod: the component's identity and its tracked run.

Only the function source travels to the pod, so :func:`mltrail.kfp.component` writes a function
that imports this module there and calls :func:`run_component`. The pod's image must contain
mltrail; configuration comes from the environment (``MLTRAIL_TRACKING_URI``,
``MLTRAIL_TRACKING_TOKEN``, ``MLTRAIL_SPOOL_DIR``, ``OPENLINEAGE_*``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import mltrail
from mltrail.core.entities import RunKind
from mltrail.openlineage.events import ParentRef
from mltrail.tracking import api

DEFAULT_NAMESPACE = "kfp"
"""The OpenLineage namespace of pipeline jobs unless ``OPENLINEAGE_NAMESPACE`` says otherwise."""
METRICS_SCHEMAS = frozenset({"system.Metrics", "system.ClassificationMetrics"})
_PARAM_TYPES = (bool, int, float, str)
_IDS = uuid.UUID("6f1f4c4e-5a43-4c36-9a0f-9d4f3c1a6b21")
"""Namespace of the name-based UUIDs of KFP runs and tasks (KFP's local run ids are not UUIDs)."""


@dataclass(frozen=True, slots=True)
class ComponentIdentity:
    """A task of a pipeline run, from the placeholders KFP substitutes.

    Attributes:
        pipeline: The pipeline's name (a constant: KFP has no placeholder for it).
        pipeline_run: ``dsl.PIPELINE_JOB_ID_PLACEHOLDER``: a UUID on a cluster, a number locally.
        task: ``dsl.PIPELINE_TASK_NAME_PLACEHOLDER``.
        label: Tells apart the calls of one task in a ``dsl.ParallelFor`` (their hyperparameters).
        namespace: The OpenLineage namespace.
    """

    pipeline: str
    pipeline_run: str
    task: str
    label: str = ""
    namespace: str = DEFAULT_NAMESPACE
    launcher: ParentRef | None = None
    """The run that launched the pipeline run (an Airflow task), from ``OPENLINEAGE_PARENT_ID``."""

    @property
    def pipeline_run_id(self) -> uuid.UUID:
        """The pipeline run's OpenLineage run id: its KFP id if that is a UUID, else one derived from it."""
        try:
            return uuid.UUID(self.pipeline_run)
        except ValueError:
            return uuid.uuid5(_IDS, f"{self.pipeline}/{self.pipeline_run}")

    @property
    def run_id(self) -> uuid.UUID:
        """The task's run id: the same for the same pipeline run, task and label, wherever it runs."""
        return uuid.uuid5(_IDS, f"{self.pipeline_run_id}/{self.task}/{self.label}")

    @property
    def root(self) -> ParentRef:
        """The root of the pipeline run's tree: the launcher, else the pipeline run itself."""
        if self.launcher is not None:
            return self.launcher
        return ParentRef(run_id=self.pipeline_run_id, job_namespace=self.namespace, job_name=self.pipeline)

    @property
    def parent(self) -> ParentRef:
        """The pipeline run, as the parent of every task's run, with the root."""
        root = self.root
        return ParentRef(
            run_id=self.pipeline_run_id,
            job_namespace=self.namespace,
            job_name=self.pipeline,
            root_run_id=root.run_id,
            root_job_namespace=root.job_namespace,
            root_job_name=root.job_name,
        )

    @classmethod
    def from_environment(
        cls, pipeline: str, pipeline_run: str, task: str, label: str = ""
    ) -> ComponentIdentity:
        """The identity in a pod, with the namespace and the launcher from the environment.

        ``OPENLINEAGE_NAMESPACE`` names the namespace; ``OPENLINEAGE_PARENT_ID``
        (``<namespace>/<job>/<run id>``, the OpenLineage convention and what Airflow's
        ``macros.mltrail.lineage_parent`` gives) the run that launched the pipeline run.
        """
        return cls(
            pipeline=pipeline,
            pipeline_run=pipeline_run,
            task=task,
            label=label,
            namespace=os.environ.get("OPENLINEAGE_NAMESPACE") or DEFAULT_NAMESPACE,
            launcher=_launcher(os.environ.get("OPENLINEAGE_PARENT_ID", "")),
        )


def _launcher(text: str) -> ParentRef | None:
    """``<namespace>/<job>/<run id>`` as a run reference; ``None`` if absent or malformed."""
    namespace, _, rest = text.partition("/")
    job, _, run_id = rest.rpartition("/")
    try:
        return ParentRef(run_id=uuid.UUID(run_id), job_namespace=namespace, job_name=job) if job else None
    except ValueError:
        return None


def run_component(
    body: Callable[..., Any],
    *,
    kind: str,
    pipeline: str,
    pipeline_run: str,
    task: str,
    arguments: Mapping[str, Any],
    inputs: Sequence[str],
    outputs: Sequence[str],
    experiment: str | None = None,
    trial_per_call: bool = False,
) -> Any:
    """Call ``body(run, **arguments)`` inside the component's tracked run; return what it returns.

    Input artifacts are logged as inputs first; after the body, output artifacts become outputs
    (``Metrics`` and ``ClassificationMetrics`` outputs become the run's metrics instead). Plain
    parameters are the run's params.
    """
    params: dict[str, Any] = {}
    for name, value in arguments.items():
        if name in inputs or name in outputs:
            continue
        if isinstance(value, Mapping):  # a ParallelFor item passed whole; a Struct's key order varies
            params.update((key, value[key]) for key in sorted(value) if isinstance(value[key], _PARAM_TYPES))
        elif isinstance(value, _PARAM_TYPES):
            params[name] = value
    label = ", ".join(f"{key}={value}" for key, value in params.items()) if trial_per_call else ""
    identity = ComponentIdentity.from_environment(pipeline, pipeline_run, task, label)
    pipeline_trial = f"run-{pipeline_run}"
    trial = f"{pipeline_trial} [{label}]" if label else pipeline_trial
    chosen = experiment or pipeline
    with mltrail.start_run(
        experiment=chosen,
        trial=trial,
        kind=RunKind(kind),
        name=f"{task} [{label}]" if label else task,
        params=params,
        tags={"kfp.pipeline": pipeline, "kfp.run_id": pipeline_run, "kfp.task": task},
        run_id=identity.run_id,
        job_namespace=identity.namespace,
        job_name=f"{pipeline}.{task}",
        parent=identity.parent,
    ) as run:
        if label:
            api.share_trial_runs(chosen, source=pipeline_trial, target=trial)
        for name in inputs:
            given = arguments[name]  # a list for Input[List[...]] (a dsl.Collected output)
            for artifact in given if isinstance(given, list) else [given]:
                run.log_input(artifact.uri, role=name)
        result = body(run, **arguments)
        for name in outputs:
            artifact = arguments[name]
            if getattr(artifact, "schema_title", "") in METRICS_SCHEMAS:
                numbers = {
                    key: value
                    for key, value in (artifact.metadata or {}).items()
                    if isinstance(value, int | float) and not isinstance(value, bool)
                }
                if numbers:
                    run.log_metrics(numbers)
            else:
                run.log_output(artifact.uri, role=name)
        return result


def send_pipeline_event(
    event_type: str, *, pipeline: str, pipeline_run: str, error_message: str | None = None
) -> None:
    """Send the pipeline run's own START, COMPLETE or FAIL event (KFP emits none).

    The first step (:func:`mltrail.kfp.steps.start_pipeline_run`) sends START; the exit handler
    (:func:`mltrail.kfp.steps.finish_pipeline_run`) sends COMPLETE or FAIL with the error.
    """
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import error_message_run, job_type_job

    from mltrail.openlineage.events import parent_facet, to_dict
    from mltrail.openlineage.facets import PRODUCER

    identity = ComponentIdentity.from_environment(pipeline, pipeline_run, "")
    run_facets: dict[str, Any] = {}
    if identity.launcher is not None:
        run_facets["parent"] = parent_facet(identity.launcher)
    if error_message:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error_message, programmingLanguage="python", producer=PRODUCER
        )
    job_type = job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration="KUBEFLOW", jobType="PIPELINE", producer=PRODUCER
    )
    event = RunEvent(
        eventType=RunState(event_type),
        eventTime=datetime.now(UTC).isoformat(),
        producer=PRODUCER,
        run=Run(runId=str(identity.pipeline_run_id), facets=run_facets),
        job=Job(namespace=identity.namespace, name=pipeline, facets={"jobType": job_type}),
    )
    api.send_events([to_dict(event)])


__all__ = ["ComponentIdentity", "run_component", "send_pipeline_event"]
