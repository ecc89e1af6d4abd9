"""What the web UI needs to know: the orchestrators' UIs it links back to, and who is signed in."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request

from mltrail.config import Settings
from mltrail.server.deps import READ, presented_token, tokens_required
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


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who a request is, as far as the server can tell.

    Attributes:
        name: The name of the request's token (``None`` without one).
        role: The token's role.
        tokens_required: Whether the server asks for tokens (once any exists, writes need one).
    """

    name: str | None
    role: str | None
    tokens_required: bool


@router.get("/whoami", responses={200: {"model": Visitor}})
async def whoami(request: Request) -> WireResponse:
    """The request's token's name and role (``null`` without one); 401 for a token that is not valid.

    The sign-in page checks a token with it, also on a server whose reads are open.
    """
    token = await presented_token(request)
    return wire_response(
        Visitor(
            name=None if token is None else token.name,
            role=None if token is None else token.role.value,
            tokens_required=await tokens_required(request),
        )
    )
