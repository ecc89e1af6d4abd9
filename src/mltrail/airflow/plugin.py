"""The Airflow plugin (entry point ``airflow.plugins``): the "mltrail trial" link and lineage macros."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from mltrail.airflow.identity import task_identity
from mltrail.airflow.links import MltrailTrialLink


def lineage_run_id(task_instance: Any, dag_run: Any) -> str:
    """The OpenLineage run id of a task attempt, e.g. to pass to a KFP run it starts as its parent.

    In a template: ``{{ macros.mltrail.lineage_run_id(ti, dag_run) }}``.
    """
    return str(task_identity({"ti": task_instance, "dag_run": dag_run}).ol_run_id)


def lineage_parent(task_instance: Any, dag_run: Any) -> str:
    """``<namespace>/<job>/<run id>`` of a task attempt, the OpenLineage provider's parent format."""
    identity = task_identity({"ti": task_instance, "dag_run": dag_run})
    return f"{identity.namespace}/{identity.job_name}/{identity.ol_run_id}"


class MltrailPlugin(AirflowPlugin):
    """Registers the operator link and the ``macros.mltrail`` lineage macros."""

    name = "mltrail"
    macros = [lineage_run_id, lineage_parent]
    operator_extra_links = [MltrailTrialLink()]


__all__ = ["MltrailPlugin", "lineage_parent", "lineage_run_id"]
