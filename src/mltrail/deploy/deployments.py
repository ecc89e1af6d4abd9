"""Deployments: refuse unapproved versions, hand the version to a target, record the run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import mltrail
from mltrail.core.entities import RunKind
from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.core.registry import ApprovalStatus
from mltrail.core.validation import validate_name
from mltrail.deploy.targets import target_for

ENDPOINTS_NAMESPACE = "mltrail://endpoints"
"""The OpenLineage namespace of endpoints: ``mltrail://endpoints/<endpoint>``."""
DEPLOYMENTS_EXPERIMENT = "deployments"
"""Where deployment runs are recorded: one trial per endpoint."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """One deployment of a model version to an endpoint."""

    endpoint: str
    model: str
    version: int
    target: str
    run_id: UUID
    deployed_at: datetime
    details: dict[str, Any]


def endpoint_uri(endpoint: str) -> str:
    """The endpoint's dataset URI in the lineage graph."""
    return f"{ENDPOINTS_NAMESPACE}/{endpoint}"


def deploy(model: str, version: int, *, endpoint: str, target: str = "local", **options: Any) -> Deployment:
    """Deploy an Approved model version to an endpoint (created, or moved to this version).

    Raises:
        ValidationError: If the version is not Approved, or the target or endpoint name is unknown.
        NotFoundError: If the version does not exist.
    """
    validate_name("endpoint", endpoint)
    chosen = target_for(target)
    found = mltrail.registry.get_model_version(model, version)
    if found.status is not ApprovalStatus.APPROVED:
        raise ValidationError(
            f"{model} version {version} is {found.status.value}; only Approved versions deploy",
            field="version",
            value=version,
        )
    with mltrail.start_run(
        experiment=DEPLOYMENTS_EXPERIMENT,
        trial=endpoint,
        kind=RunKind.DEPLOYMENT,
        name=f"deploy {model} v{version} to {endpoint}",
        params={"model": model, "version": version, "target": target},
        tags={"endpoint": endpoint, "model.name": model, "model.version": str(version), "target": target},
    ) as run:
        run.log_input(found.uri, role="model_version")
        details = chosen.deploy(
            endpoint=endpoint, model=model, version=version, source_uri=found.source_uri, **options
        )
        run.set_tags({f"target.{key}": str(value) for key, value in details.items()})
        run.log_output(endpoint_uri(endpoint), role="endpoint")
    return Deployment(
        endpoint=endpoint,
        model=model,
        version=version,
        target=target,
        run_id=run.id,
        deployed_at=datetime.fromtimestamp(time.time()).astimezone(),
        details=details,
    )


def history(endpoint: str) -> list[Deployment]:
    """The endpoint's deployments, newest first: which version served from when."""
    try:
        runs = mltrail.search_runs(
            experiment=DEPLOYMENTS_EXPERIMENT,
            filter=f"kind = 'deployment' AND status = 'Completed' AND trial = '{_quoted(endpoint)}'",
            order_by="start_time DESC",
            max_results=10_000,
        )
    except NotFoundError:  # nothing was ever deployed
        return []
    return [
        Deployment(
            endpoint=endpoint,
            model=run.tags["model.name"],
            version=int(run.tags["model.version"]),
            target=run.tags["target"],
            run_id=run.id,
            deployed_at=run.start_time,
            details={
                key.removeprefix("target."): value
                for key, value in run.tags.items()
                if key.startswith("target.")
            },
        )
        for run in runs
    ]


def _quoted(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["DEPLOYMENTS_EXPERIMENT", "ENDPOINTS_NAMESPACE", "Deployment", "deploy", "endpoint_uri", "history"]
