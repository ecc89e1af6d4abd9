"""The "mltrail trial" button on a tracked task instance in Airflow's UI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

if TYPE_CHECKING:
    from airflow.sdk.types import TaskInstanceKey

XCOM_KEY = "mltrail_trial_url"
"""The XCom a tracked task instance pushes its trial's URL to."""


class MltrailTrialLink(BaseOperatorLink):
    """Links a task instance to its trial in mltrail's web UI, when it tracked to a server."""

    name = "mltrail trial"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        """The URL the task instance pushed, or nothing (Airflow then hides the button)."""
        return str(XCom.get_value(key=XCOM_KEY, ti_key=ti_key) or "")


__all__ = ["XCOM_KEY", "MltrailTrialLink"]
