"""The trigger behind a deferred :class:`~mltrail.airflow.sensors.ModelApprovalSensor`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from mltrail.core.registry import ApprovalStatus


def decided_status(tracking_uri: str, model: str, version: int, *, token: str | None = None) -> str:
    """The version's approval status now, read from the tracking database or server.

    A server's ``token`` defaults to ``MLTRAIL_TRACKING_TOKEN`` (the triggerer's environment:
    a trigger's arguments are stored in Airflow's database, so they carry no secret).
    """
    from mltrail.tracking.backends import create_backend

    backend = create_backend(tracking_uri, token=token)
    try:
        return backend.registry.get(model, version).status.value
    finally:
        backend.close()


class ModelApprovalTrigger(BaseTrigger):
    """Fires once a model version is Approved or Rejected, polling the registry.

    Args:
        tracking_uri: The registry's database or server.
        model: The registered model.
        version: The version awaited.
        poll_seconds: Seconds between two looks.
    """

    def __init__(self, tracking_uri: str, model: str, version: int, poll_seconds: float = 30.0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.tracking_uri = tracking_uri
        self.model = model
        self.version = version
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The trigger's class path and arguments, as the triggerer rebuilds it."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "tracking_uri": self.tracking_uri,
                "model": self.model,
                "version": self.version,
                "poll_seconds": self.poll_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the version is decided; yield ``{"status": …}`` once."""
        while True:
            status = await asyncio.to_thread(decided_status, self.tracking_uri, self.model, self.version)
            if status != ApprovalStatus.PENDING.value:
                yield TriggerEvent({"status": status, "model": self.model, "version": self.version})  # type: ignore[no-untyped-call]
                return
            await asyncio.sleep(self.poll_seconds)


__all__ = ["ModelApprovalTrigger", "decided_status"]
