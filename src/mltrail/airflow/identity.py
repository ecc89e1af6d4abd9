"""Who a task instance is: Airflow's ids, and the OpenLineage job and run ids the provider gives it.

The run ids follow ``apache-airflow-providers-openlineage`` exactly (its
``build_task_instance_run_id`` and ``build_dag_run_id``), so that mltrail's records and the
provider's events name the same run, whether the provider is installed or not.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from openlineage.client.uuid import generate_static_uuid

from mltrail.openlineage.events import ParentRef

DEFAULT_NAMESPACE = "default"
"""The provider's job namespace when none is configured."""
_LABEL_UNSAFE = re.compile(r"[\x00-\x1f]+")


@dataclass(frozen=True, slots=True)
class TaskIdentity:
    """A task instance's Airflow ids and its OpenLineage identity.

    Attributes:
        dag_id: The DAG's id.
        task_id: The task's id.
        run_id: The DAG run's id (``manual__…``, ``scheduled__…``).
        map_index: The mapped instance's index; -1 for a task that is not mapped.
        try_number: The attempt, from 1.
        logical_date: The DAG run's logical date, or its ``run_after`` when it has none.
        clear_number: How many times the DAG run was cleared.
        namespace: The OpenLineage namespace of Airflow's jobs.
        root: The root run from the DAG run's ``conf["openlineage"]``, when a caller set one.
    """

    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int
    logical_date: datetime
    clear_number: int
    namespace: str
    root: ParentRef | None = None

    @property
    def job_name(self) -> str:
        """The task's OpenLineage job: ``<dag_id>.<task_id>``."""
        return f"{self.dag_id}.{self.task_id}"

    @property
    def ol_run_id(self) -> UUID:
        """The attempt's OpenLineage run id: the provider's formula."""
        data = f"{self.namespace}.{self.dag_id}.{self.task_id}.{self.try_number}.{self.map_index}"
        return generate_static_uuid(instant=self.logical_date, data=data.encode())

    @property
    def dag_run_ol_id(self) -> UUID:
        """The DAG run's OpenLineage run id: the provider's formula."""
        data = f"{self.namespace}.{self.dag_id}.{self.clear_number}"
        return generate_static_uuid(instant=self.logical_date, data=data.encode())

    @property
    def parent(self) -> ParentRef:
        """The DAG run, as the provider names it in its ``parent`` facets, with the root run."""
        root = self.root
        return ParentRef(
            run_id=self.dag_run_ol_id,
            job_namespace=self.namespace,
            job_name=self.dag_id,
            root_run_id=root.run_id if root else self.dag_run_ol_id,
            root_job_namespace=root.job_namespace if root else self.namespace,
            root_job_name=root.job_name if root else self.dag_id,
        )

    @property
    def tags(self) -> dict[str, str]:
        """The Airflow ids as run tags (``airflow.dag_id`` …)."""
        return {
            "airflow.dag_id": self.dag_id,
            "airflow.task_id": self.task_id,
            "airflow.run_id": self.run_id,
            "airflow.map_index": str(self.map_index),
            "airflow.try_number": str(self.try_number),
        }


def openlineage_namespace() -> str:
    """Airflow's OpenLineage namespace: the provider's, else ``OPENLINEAGE_NAMESPACE``, else ``default``."""
    try:
        from airflow.providers.openlineage import conf
    except ImportError:
        return os.environ.get("OPENLINEAGE_NAMESPACE") or DEFAULT_NAMESPACE
    return str(conf.namespace())


def task_identity(context: Any) -> TaskIdentity:
    """Read a task instance's identity from its Airflow ``context``."""
    ti, dag_run = context["ti"], context["dag_run"]
    logical_date = getattr(dag_run, "logical_date", None) or dag_run.run_after
    return TaskIdentity(
        dag_id=ti.dag_id,
        task_id=ti.task_id,
        run_id=ti.run_id,
        map_index=ti.map_index if ti.map_index is not None else -1,
        try_number=ti.try_number,
        logical_date=logical_date,
        clear_number=getattr(dag_run, "clear_number", 0) or 0,
        namespace=openlineage_namespace(),
        root=_root(getattr(dag_run, "conf", None) or {}),
    )


def _root(conf: Any) -> ParentRef | None:
    """The root run a caller put in the DAG run's ``conf["openlineage"]``, as the provider reads it."""
    given = conf.get("openlineage") if isinstance(conf, dict) else None
    if not isinstance(given, dict):
        return None
    try:
        run_id = UUID(str(given["rootParentRunId"]))
        return ParentRef(
            run_id=run_id,
            job_namespace=str(given["rootParentJobNamespace"]),
            job_name=str(given["rootParentJobName"]),
        )
    except (KeyError, ValueError):
        return None


def trial_label(values: Any) -> str:
    """A short, readable name for hyperparameters: ``C=0.1, max_depth=3``."""
    if isinstance(values, dict):
        text = ", ".join(f"{key}={value}" for key, value in values.items())
    else:
        text = str(values)
    return _LABEL_UNSAFE.sub(" ", text)[:200]
