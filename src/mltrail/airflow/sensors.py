"""Wait for a human (or a policy) to approve a model version before deploying it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator

from mltrail.airflow.hooks import DEFAULT_CONN_ID, MltrailHook
from mltrail.airflow.triggers import ModelApprovalTrigger, decided_status
from mltrail.config import resolve_settings
from mltrail.core.registry import ApprovalStatus, as_version


class ModelApprovalSensor(BaseSensorOperator):
    """Succeeds when the model version is Approved; fails when it is Rejected; waits meanwhile.

    ``deferrable=True`` hands the wait to Airflow's triggerer (no worker slot is held);
    otherwise it pokes every ``poke_interval`` seconds. Approve with
    ``mltrail models approve MODEL VERSION --reason …`` or ``mltrail.registry.update_approval``.

    Args:
        model_name: The registered model (templated).
        version: The version awaited (templated, e.g. from the register task's XCom).
        deferrable: Wait in the triggerer.
        mltrail_conn_id: The ``mltrail`` connection naming the registry's database or server; a
            deferred wait reads a server's token from the triggerer's ``MLTRAIL_TRACKING_TOKEN``.
    """

    template_fields: Sequence[str] = ("model_name", "version")
    ui_color = "#fff4d6"

    def __init__(
        self,
        *,
        model_name: str,
        version: int | str,
        deferrable: bool = False,
        mltrail_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.version = version
        self.deferrable = deferrable
        self.mltrail_conn_id = mltrail_conn_id

    def _target(self) -> tuple[str, str | None]:
        """The registry's tracking URI and token: the connection's, else mltrail's settings."""
        target = MltrailHook(self.mltrail_conn_id).get_conn()
        if target.tracking_uri:
            return target.tracking_uri, target.token
        settings = resolve_settings()
        return settings.tracking_uri, settings.tracking_token

    def execute(self, context: Any) -> Any:
        """Defer to the trigger when deferrable, else poke."""
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        self.defer(
            trigger=ModelApprovalTrigger(
                self._target()[0], self.model_name, as_version(self.version), poll_seconds=self.poke_interval
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) if self.timeout else None,
        )
        return None

    def poke(self, context: Any) -> bool:
        """Whether the version is Approved; a Rejected version fails the task."""
        uri, token = self._target()
        status = decided_status(uri, self.model_name, as_version(self.version), token=token)
        return self._decided(status)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        """Resume after the trigger fired."""
        self._decided(str(event["status"]))

    def _decided(self, status: str) -> bool:
        if status == ApprovalStatus.REJECTED.value:
            from airflow.exceptions import AirflowFailException

            raise AirflowFailException(f"{self.model_name} version {self.version} was Rejected")
        return status == ApprovalStatus.APPROVED.value


__all__ = ["ModelApprovalSensor"]
