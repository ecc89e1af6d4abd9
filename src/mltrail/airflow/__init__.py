"""mltrail for Apache Airflow 3: tracked operators, TaskFlow decorators, a hook and a plugin.

Install with ``pip install 'mltrail[airflow]'``; see ``docs/airflow.md``. The names below load
their module on first use: Airflow imports :mod:`mltrail.airflow.provider_info` while it reads
its own configuration, when operators cannot be imported yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mltrail._lazy import lazy_exports

if TYPE_CHECKING:
    from mltrail.airflow.decorators import TrackedPythonOperator, mltrail_task
    from mltrail.airflow.hooks import MltrailHook
    from mltrail.airflow.links import MltrailTrialLink
    from mltrail.airflow.mixin import TrackedOperatorMixin, current_run, tracked
    from mltrail.airflow.operators import (
        DeployModelOperator,
        EvaluationOperator,
        MltrailOperator,
        ProcessingOperator,
        RegisterModelOperator,
        TrainingOperator,
    )
    from mltrail.airflow.provider_info import get_provider_info
    from mltrail.airflow.sensors import ModelApprovalSensor

_EXPORTS = {
    "DeployModelOperator": "operators",
    "EvaluationOperator": "operators",
    "MltrailHook": "hooks",
    "MltrailOperator": "operators",
    "ModelApprovalSensor": "sensors",
    "MltrailTrialLink": "links",
    "ProcessingOperator": "operators",
    "RegisterModelOperator": "operators",
    "TrackedOperatorMixin": "mixin",
    "TrackedPythonOperator": "decorators",
    "TrainingOperator": "operators",
    "current_run": "mixin",
    "get_provider_info": "provider_info",
    "mltrail_task": "decorators",
    "tracked": "mixin",
}

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "DeployModelOperator",
    "EvaluationOperator",
    "MltrailHook",
    "MltrailOperator",
    "MltrailTrialLink",
    "ModelApprovalSensor",
    "ProcessingOperator",
    "RegisterModelOperator",
    "TrackedOperatorMixin",
    "TrackedPythonOperator",
    "TrainingOperator",
    "current_run",
    "get_provider_info",
    "mltrail_task",
    "tracked",
]
