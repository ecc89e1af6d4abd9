"""A task instance as a tracked run: its experiment and trial, its Airflow ids, its OpenLineage identity.

Every tracked task (operator, TaskFlow decorator or wrapped operator) goes through
:func:`tracked_run`:

* **experiment**: the operator's ``experiment``, else the DAG's param ``mltrail_experiment``, else
  the DAG id;
* **trial**: one per DAG run, named after the DAG run id; a mapped instance gets a trial of its
  own, ``<DAG run id> [<label>]``, labelled by its hyperparameters, and the runs already in the
  DAG run's trial (the shared upstream components) are added to it; a mapped instance without
  hyperparameters joins the trial of the upstream instance with the same map index (an
  evaluation joins the trial of the model it scores);
* **run id**: the OpenLineage provider's id of the attempt, so a retry is a new component of
  the same trial, and the provider's events and mltrail's records name the same run;
* **events**: with ``apache-airflow-providers-openlineage`` active, the provider emits the task's
  START and COMPLETE/FAIL (the operators hand it their facets); otherwise the run emits them
  itself, with the provider's job name, run id and parent facet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import mltrail
from mltrail.airflow.hooks import DEFAULT_CONN_ID, MltrailHook
from mltrail.airflow.identity import TaskIdentity, task_identity, trial_label
from mltrail.config import resolve_settings
from mltrail.core.entities import CodeInfo, RunKind
from mltrail.tracking import api
from mltrail.tracking.capture import capture_code
from mltrail.tracking.run import ActiveRun

EXPERIMENT_PARAM = "mltrail_experiment"
"""The DAG param that names the experiment of every tracked task in the DAG."""
TRIAL_XCOM = "mltrail_trial"
"""The XCom a tracked task instance pushes its trial's name to, for mapped instances downstream."""


@dataclass(frozen=True, slots=True)
class Tracking:
    """How a task is tracked; every field may come from a template.

    Attributes:
        kind: What the task does: processing, training, evaluation, registration, deployment.
        experiment: The experiment; see the module's docstring for the default.
        trial: The trial; see the module's docstring for the default.
        hyperparameters: Recorded as the run's params, and label a mapped instance's trial.
        inputs: URIs the task reads, recorded as input datasets.
        outputs: URIs the task writes, recorded as output datasets.
        conn_id: The ``mltrail`` connection (see :class:`~mltrail.airflow.hooks.MltrailHook`).
        entry_point: The callable's qualified name, recorded as the code's entry point.
    """

    kind: RunKind | str = RunKind.CUSTOM
    experiment: str | None = None
    trial: str | None = None
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: Sequence[str] = ()
    outputs: Sequence[str] = ()
    conn_id: str = DEFAULT_CONN_ID
    entry_point: str | None = None


def openlineage_provider_active() -> bool:
    """Whether ``apache-airflow-providers-openlineage`` is installed and will emit task events."""
    try:
        from airflow.providers.openlineage import conf
    except ImportError:
        return False
    return not conf.is_disabled()


@contextmanager
def tracked_run(context: Any, tracking: Tracking) -> Iterator[ActiveRun]:
    """Run the block as the tracked run of this task instance; it ends with the block.

    Inputs are logged at the start, declared outputs at the end (if the block succeeded).
    """
    identity = task_identity(context)
    _use_connection(tracking.conn_id)
    experiment = tracking.experiment or _dag_param(context) or identity.dag_id
    trial, shared = _trial(context, identity, tracking)
    tags = identity.tags | _environment_tags(context)
    with mltrail.start_run(
        experiment=experiment,
        trial=trial,
        kind=tracking.kind,
        name=identity.task_id if identity.map_index < 0 else f"{identity.task_id} [{identity.map_index}]",
        params=dict(tracking.hyperparameters),
        tags=tags,
        run_id=identity.ol_run_id,
        job_namespace=identity.namespace,
        job_name=identity.job_name,
        parent=identity.parent,
        emit_events=not openlineage_provider_active(),
        code=_code(context, tracking.entry_point),
    ) as run:
        context["ti"].xcom_push(key=TRIAL_XCOM, value=trial)
        if shared:
            api.share_trial_runs(experiment, source=shared, target=trial)
        for uri in tracking.inputs:
            run.log_input(uri)
        yield run
        for uri in tracking.outputs:
            run.log_output(uri)


def _use_connection(conn_id: str) -> None:
    """Track where the connection says; without the connection, where mltrail's settings say."""
    target = MltrailHook(conn_id).get_conn()
    if target.tracking_uri is not None and (
        api.get_tracking_uri() != target.tracking_uri or target.token is not None
    ):
        mltrail.set_tracking_uri(target.tracking_uri, token=target.token)


def _dag_param(context: Any) -> str | None:
    params = context.get("params") or {}
    value = params.get(EXPERIMENT_PARAM) if hasattr(params, "get") else None
    return str(value) if value else None


def _trial(context: Any, identity: TaskIdentity, tracking: Tracking) -> tuple[str, str | None]:
    """The run's trial, and the DAG run's trial whose runs it shares (for a mapped instance)."""
    if tracking.trial:
        return tracking.trial, None
    dag_run_trial = identity.run_id
    if identity.map_index < 0:
        return dag_run_trial, None
    if tracking.hyperparameters:
        return f"{dag_run_trial} [{trial_label(tracking.hyperparameters)}]", dag_run_trial
    upstream = _upstream_trial(context, identity)
    if upstream is not None:
        return upstream, None
    return f"{dag_run_trial} [{identity.task_id}-{identity.map_index}]", dag_run_trial


def _upstream_trial(context: Any, identity: TaskIdentity) -> str | None:
    """The trial an upstream instance with the same map index joined (it pushed it to XCom)."""
    task = context.get("task")
    for task_id in sorted(getattr(task, "upstream_task_ids", ()) or ()):
        found = context["ti"].xcom_pull(task_ids=task_id, key=TRIAL_XCOM, map_indexes=identity.map_index)
        if isinstance(found, str) and found.startswith(f"{identity.run_id} ["):
            return found
    return None


def _environment_tags(context: Any) -> dict[str, str]:
    task = context.get("task")
    dag_run = context.get("dag_run")
    values = {
        "airflow.queue": getattr(task, "queue", None),
        "airflow.pool": getattr(task, "pool", None),
        "airflow.executor": getattr(task, "executor", None),
        "airflow.bundle_version": getattr(dag_run, "bundle_version", None),
    }
    return {key: str(value) for key, value in values.items() if value}


def _code(context: Any, entry_point: str | None) -> CodeInfo | None:
    """The DAG file's git checkout (unless ``capture_code`` is off), with the callable as entry point."""
    location = getattr(context.get("dag"), "fileloc", None)
    found = capture_code(location) if location and resolve_settings().capture_code else None
    if entry_point is None:
        return found
    return replace(found, entry_point=entry_point) if found is not None else CodeInfo(entry_point=entry_point)


__all__ = ["EXPERIMENT_PARAM", "TRIAL_XCOM", "Tracking", "openlineage_provider_active", "tracked_run"]
