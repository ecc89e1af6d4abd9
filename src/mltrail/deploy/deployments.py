"""Deployments: refuse unapproved versions, hand the version to a target, record the run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import mltrail
from mltrail.core.entities import RunKind
from mltrail.core.errors import ValidationError
from mltrail.core.query import format_literal
from mltrail.core.registry import ApprovalStatus, ModelVersion
from mltrail.core.validation import validate_name
from mltrail.deploy.targets import target_for
from mltrail.tracking.run import ActiveRun

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

    The deployment is a tracked run (kind ``deployment``, in trial ``<endpoint>`` of experiment
    ``deployments``) that reads the version and writes the endpoint. ``options`` go to the
    target (see :mod:`mltrail.deploy.sagemaker` for SageMaker's).

    Raises:
        ValidationError: If the version is not Approved, or the target or endpoint name is unknown.
        NotFoundError: If the version does not exist.
    """
    found = _deployable(model, version, endpoint, target)
    with mltrail.start_run(
        experiment=DEPLOYMENTS_EXPERIMENT,
        trial=endpoint,
        kind=RunKind.DEPLOYMENT,
        name=f"deploy {model} v{version} to {endpoint}",
    ) as run:
        return _deploy_in(run, found, endpoint, target, options)


def record_deployment(
    run: ActiveRun, model: str, version: int, *, endpoint: str, target: str = "local", **options: Any
) -> Deployment:
    """Deploy from inside ``run``, which then reads the version and writes the endpoint.

    What :func:`deploy` does in its own run; pipeline steps (the Airflow operator, the KFP
    component) call it in theirs. Same arguments and errors; the version is checked before the
    target is touched.
    """
    return _deploy_in(run, _deployable(model, version, endpoint, target), endpoint, target, options)


def _deployable(model: str, version: int, endpoint: str, target: str) -> ModelVersion:
    validate_name("endpoint", endpoint)
    target_for(target)
    found = mltrail.registry.get_model_version(model, version)
    if found.status is not ApprovalStatus.APPROVED:
        raise ValidationError(
            f"{model} version {version} is {found.status.value}; only Approved versions deploy",
            field="version",
            value=version,
        )
    return found


def _deploy_in(
    run: ActiveRun, found: ModelVersion, endpoint: str, target: str, options: dict[str, Any]
) -> Deployment:
    run.log_params({"model": found.model, "version": found.version, "target": target})
    run.set_tags(
        {
            "endpoint": endpoint,
            "model.name": found.model,
            "model.version": str(found.version),
            "target": target,
        }
    )
    run.log_input(found.uri, role="model_version")
    details = target_for(target).deploy(
        endpoint=endpoint, model=found.model, version=found.version, source_uri=found.source_uri, **options
    )
    run.set_tags({f"target.{key}": str(value) for key, value in details.items()})
    run.log_output(endpoint_uri(endpoint), role="endpoint")
    return Deployment(
        endpoint=endpoint,
        model=found.model,
        version=found.version,
        target=target,
        run_id=run.id,
        deployed_at=datetime.fromtimestamp(time.time()).astimezone(),
        details=details,
    )


def history(endpoint: str) -> list[Deployment]:
    """The endpoint's deployments, newest first: which version served from when.

    Deployments from any experiment count: :func:`deploy`'s own runs and pipeline steps' runs.
    """
    runs = mltrail.search_runs(
        filter=f"kind = 'deployment' AND status = 'Completed' AND tags.endpoint = {format_literal(endpoint)}",
        order_by="start_time DESC",
        max_results=10_000,
    )
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


__all__ = [
    "DEPLOYMENTS_EXPERIMENT",
    "ENDPOINTS_NAMESPACE",
    "Deployment",
    "deploy",
    "endpoint_uri",
    "history",
    "record_deployment",
]
