"""What the web UI needs to know of the server's settings: the orchestrators' UIs it links back to."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request

from mltrail.config import Settings
from mltrail.server.deps import READ
from mltrail.server.responses import WireResponse, wire_response

router = APIRouter(prefix="/ui", tags=["ui"], dependencies=[READ])


@dataclass(frozen=True, slots=True)
class UiConfig:
    """The base URLs of the Airflow and Kubeflow Pipelines UIs, when the server is told them.

    Attributes:
        airflow_url: The ``airflow_url`` setting: task runs link to
            ``<airflow_url>/dags/<dag_id>/runs/<run_id>/tasks/<task_id>``.
        kfp_url: The ``kfp_url`` setting: runs link to ``<kfp_url>/#/runs/details/<run_id>``.
    """

    airflow_url: str | None = None
    kfp_url: str | None = None


@router.get("/config", responses={200: {"model": UiConfig}})
def get_ui_config(request: Request) -> WireResponse:
    """The settings the web UI reads: ``{"airflow_url", "kfp_url"}`` (``null`` when not set)."""
    settings: Settings = request.app.state.settings
    return wire_response(UiConfig(airflow_url=settings.airflow_url, kfp_url=settings.kfp_url))
