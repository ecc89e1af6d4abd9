"""Tracking for any operator, and the operators' side of the OpenLineage provider's contract.

:class:`TrackedOperatorMixin` runs an operator's work as the tracked run of its task instance and
hands the run's datasets and mltrail facets to ``apache-airflow-providers-openlineage`` through
``get_openlineage_facets_on_start/complete/failure``. :func:`tracked` makes a tracked subclass of
any operator, so a ``SageMakerTrainingOperator`` or ``KubernetesPodOperator`` joins the experiment:

```python
TrackedPod = tracked(KubernetesPodOperator, kind="training")
TrackedPod(task_id="train", image="…", experiment="fraud", hyperparameters={"C": 1.0})
```
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

import mltrail
from mltrail.airflow.hooks import DEFAULT_CONN_ID
from mltrail.airflow.identity import task_identity, trial_label
from mltrail.airflow.links import XCOM_KEY, MltrailTrialLink
from mltrail.airflow.task_run import Tracking, openlineage_provider_active, tracked_run
from mltrail.core.entities import Run, RunKind
from mltrail.core.errors import MltrailError
from mltrail.tracking.backends import SERVER_SCHEMES
from mltrail.tracking.run import ActiveRun

log = logging.getLogger(__name__)

_current: ContextVar[ActiveRun | None] = ContextVar("mltrail_airflow_run", default=None)
PROVIDER_RUN_FACETS = frozenset(
    {"parent", "airflow", "nominalTime", "processing_engine", "tags", "errorMessage", "airflow_mappedTask"}
)
"""Run facets the OpenLineage provider sets itself (and would override): ours leave them out."""
PROVIDER_JOB_FACETS = frozenset({"jobType", "documentation", "ownership", "tags"})


def current_run() -> ActiveRun:
    """The tracked run of the task instance being executed (in a TaskFlow function, say).

    Raises:
        RuntimeError: Outside a tracked task.
    """
    run = _current.get()
    if run is None:
        raise RuntimeError("no tracked mltrail run: call current_run() inside a tracked task")
    return run


class TrackedOperatorMixin:
    """Runs an operator's work as a tracked run; mix in before the operator class.

    The operator keeps its settings in these attributes (templated in mltrail's operators):
    ``experiment``, ``trial``, ``hyperparameters``, ``inputs``, ``outputs``, ``mltrail_conn_id``,
    and the class attribute ``mltrail_kind``.
    """

    mltrail_kind: RunKind = RunKind.CUSTOM
    experiment: str | None = None
    trial: str | None = None
    hyperparameters: Mapping[str, Any] = {}
    inputs: Sequence[str] = ()
    outputs: Sequence[str] = ()
    mltrail_conn_id: str = DEFAULT_CONN_ID
    _mltrail_recorded: tuple[Run | None, str, str] | None = None
    """The last attempt's run as recorded, job namespace and job name, for the OpenLineage hooks."""

    def set_tracking(
        self,
        *,
        experiment: str | None = None,
        trial: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        mltrail_conn_id: str = DEFAULT_CONN_ID,
    ) -> None:
        """Keep the tracking arguments of a constructor (unchanged, as templated fields must be)."""
        self.experiment = experiment
        self.trial = trial
        self.hyperparameters = hyperparameters or {}
        self.inputs = inputs or []
        self.outputs = outputs or []
        self.mltrail_conn_id = mltrail_conn_id

    @property
    def trial_label(self) -> str:
        """How a mapped instance's trial (and its map index in Airflow's UI) is labelled."""
        return trial_label(self.hyperparameters) if self.hyperparameters else ""

    @property
    def entry_point(self) -> str | None:
        """The code's entry point; mltrail's operators name their callable."""
        return f"{type(self).__module__}:{type(self).__qualname__}"

    def mltrail_tracking(self) -> Tracking:
        """How this task instance is tracked, from the (rendered) attributes."""
        return Tracking(
            kind=self.mltrail_kind,
            experiment=self.experiment or None,
            trial=self.trial or None,
            hyperparameters=dict(self.hyperparameters or {}),
            inputs=list(self.inputs or ()),
            outputs=list(self.outputs or ()),
            conn_id=self.mltrail_conn_id,
            entry_point=self.entry_point,
        )

    def run_tracked(self, context: Any, work: Callable[[ActiveRun], Any]) -> Any:
        """Do ``work(run)`` inside the task instance's tracked run; return what it returns.

        With the OpenLineage provider active, the recorded run is read back here, in the task's
        process, for the provider's hooks (which run in a forked child, where the store's
        connections must not be used).
        """
        identity = task_identity(context)
        self._mltrail_recorded = None
        run_id = None
        try:
            with tracked_run(context, self.mltrail_tracking()) as run:
                run_id = run.id
                token = _current.set(run)
                try:
                    _push_trial_link(context, run)
                    return work(run)
                finally:
                    _current.reset(token)
        finally:
            if run_id is not None and openlineage_provider_active():
                self._mltrail_recorded = (_read_back(run_id), identity.namespace, identity.job_name)

    # -- the OpenLineage provider's hooks ---------------------------------------------------------

    def get_openlineage_facets_on_start(self) -> Any:
        """The declared inputs, before the task runs."""
        from airflow.providers.openlineage.extractors import OperatorLineage
        from openlineage.client.event_v2 import InputDataset

        from mltrail.core.naming import dataset_from_uri

        inputs = [dataset_from_uri(uri) for uri in self.inputs or ()]
        return OperatorLineage(inputs=[InputDataset(namespace=d.namespace, name=d.name) for d in inputs])

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """The run's datasets and mltrail facets (experiment, trial, params, metrics), read back."""
        return self._mltrail_lineage("COMPLETE")

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        """As on completion, for a failed attempt."""
        return self._mltrail_lineage("FAIL")

    def _mltrail_lineage(self, event_type: str) -> Any:
        from airflow.providers.openlineage.extractors import OperatorLineage

        from mltrail.openlineage.events import run_event, snapshot_of

        if self._mltrail_recorded is None:
            return self.get_openlineage_facets_on_start()
        recorded, namespace, job_name = self._mltrail_recorded
        if recorded is None:
            return self.get_openlineage_facets_on_start()
        snapshot = snapshot_of(
            recorded, job_namespace=namespace, job_name=job_name, event_time=datetime.now(UTC)
        )
        event = run_event(event_type, snapshot)
        return OperatorLineage(
            inputs=list(event.inputs or []),
            outputs=list(event.outputs or []),
            run_facets={k: v for k, v in (event.run.facets or {}).items() if k not in PROVIDER_RUN_FACETS},
            job_facets={k: v for k, v in (event.job.facets or {}).items() if k not in PROVIDER_JOB_FACETS},
        )


def _read_back(run_id: UUID) -> Run | None:
    """The run as recorded, for the provider's hooks; ``None`` if the backend cannot say."""
    try:
        return mltrail.get_run(run_id)
    except MltrailError as exc:
        log.warning("mltrail could not read run %s back for OpenLineage: %s", run_id, exc)
        return None


def tracked(operator_class: type[Any], *, kind: RunKind | str = RunKind.CUSTOM) -> type[Any]:
    """Return a subclass of ``operator_class`` whose ``execute`` runs as a tracked run.

    The subclass takes, on top of the operator's own arguments, ``experiment``, ``trial``,
    ``hyperparameters``, ``inputs``, ``outputs`` and ``mltrail_conn_id`` (all templated); what
    ``execute`` returns goes to XCom as before.
    """
    run_kind = RunKind(kind)

    def __init__(  # noqa: N807 - the subclass's constructor
        self: Any,
        *,
        experiment: str | None = None,
        trial: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        mltrail_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        operator_class.__init__(self, **kwargs)
        self.set_tracking(
            experiment=experiment,
            trial=trial,
            hyperparameters=hyperparameters,
            inputs=inputs,
            outputs=outputs,
            mltrail_conn_id=mltrail_conn_id,
        )

    def execute(self: Any, context: Any) -> Any:
        return self.run_tracked(context, lambda run: operator_class.execute(self, context))

    fields = ("experiment", "trial", "hyperparameters", "inputs", "outputs")
    return type(
        f"Tracked{operator_class.__name__}",
        (TrackedOperatorMixin, operator_class),
        {
            "__init__": __init__,
            "execute": execute,
            "__module__": operator_class.__module__,
            "mltrail_kind": run_kind,
            "template_fields": (*getattr(operator_class, "template_fields", ()), *fields),
            "operator_extra_links": (
                *getattr(operator_class, "operator_extra_links", ()),
                MltrailTrialLink(),
            ),
        },
    )


def _push_trial_link(context: Any, run: ActiveRun) -> None:
    """Push the trial's URL in mltrail's web UI; empty (no button) unless the run tracks to a server.

    Pushed either way: Airflow reads every extra link's XCom when the task ends.
    """
    uri = mltrail.get_tracking_uri()
    url = ""
    if urlsplit(uri).scheme in SERVER_SCHEMES:
        trial = f"experiments/{quote(run.experiment, safe='')}/trials/{quote(run.trial, safe='')}"
        url = f"{uri.rstrip('/')}/{trial}"
    context["ti"].xcom_push(key=XCOM_KEY, value=url)


__all__ = ["PROVIDER_JOB_FACETS", "PROVIDER_RUN_FACETS", "TrackedOperatorMixin", "current_run", "tracked"]
