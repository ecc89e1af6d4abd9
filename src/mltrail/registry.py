"""The model registry: register a trained model, govern it through approvals, find what to deploy.

```python
mv = mltrail.registry.register_model("fraud-detection", model_uri, source_run_id=run.id)  # Pending…
mltrail.registry.update_approval("fraud-detection", mv.version, "Approved", reason="beats champion")
mltrail.registry.get_model_version("fraud-detection", mv.version)   # status, audit trail, links
mltrail.registry.get_latest_approved("fraud-detection")
```

The registry is the tracking backend's: the database's, or a server's through its REST API
(where approving needs the approver role once the server has tokens). A registration is a
tracked run too (kind ``registration``): it reads the model artifact and writes the model
version's dataset (``mltrail://models/<model>/versions/<n>``), so the lineage graph runs from the
training data through the model to the version. Each audit-trail entry is also an OpenLineage
run reading the version (:mod:`mltrail.openlineage.approvals`), recorded with the change.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from mltrail.core.entities import RunKind
from mltrail.core.naming import dataset_from_uri
from mltrail.core.query import format_literal, parse_filter
from mltrail.core.registry import (
    REGISTRY_EXPERIMENT,
    ApprovalStatus,
    ModelRegistry,
    ModelVersion,
    RegisteredModel,
    model_version_uri,
)
from mltrail.tracking import api
from mltrail.tracking.run import ActiveRun


def register_model(
    model: str,
    model_uri: str,
    *,
    source_run_id: UUID | str | None = None,
    approval_policy: str | None = None,
    description: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``model``, in a registration run.

    The run joins the source run's experiment and trial (without one, trial ``<model>`` of
    experiment ``model-registry``).

    Args:
        model: The registered model (created on its first version).
        model_uri: Where the model artifact is.
        source_run_id: The run that trained it: its metrics are snapshotted, and the version
            links to its trial and experiment. By default, the latest completed run that
            wrote ``model_uri`` (none if no tracked run did).
        approval_policy: A filter in the search language on the source run, e.g.
            ``metrics.val_auc >= 0.9``; when it matches, the version is Approved at once (the
            audit trail says so), else it waits in PendingManualApproval. On a server with
            tokens, a policy needs an approver token.
        description: Free text.
        tags: String tags.

    Raises:
        QuerySyntaxError: If the policy does not parse (nothing is recorded).
        NotFoundError: If the source run does not exist (nothing is recorded).
    """
    source_id = _source_of(model_uri, source_run_id, approval_policy)
    source = None if source_id is None else api.get_run(source_id)
    with api.start_run(
        experiment=REGISTRY_EXPERIMENT if source is None else source.experiment,
        trial=model if source is None or not source.trials else source.trials[0],
        name=f"register {model}",
        kind=RunKind.REGISTRATION,
    ) as run:
        return _register_in(run, model, model_uri, source_id, approval_policy, description, tags)


def record_registration(
    run: ActiveRun,
    model: str,
    model_uri: str,
    *,
    source_run_id: UUID | str | None = None,
    approval_policy: str | None = None,
    description: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Register a version from inside ``run``, which reads the model and writes the version.

    What :func:`register_model` does in its own run; pipeline steps (the Airflow operator, the
    KFP component) call it in theirs. Same arguments and errors.
    """
    source_id = _source_of(model_uri, source_run_id, approval_policy)
    return _register_in(run, model, model_uri, source_id, approval_policy, description, tags)


def _source_of(model_uri: str, source_run_id: UUID | str | None, approval_policy: str | None) -> UUID | None:
    """Check the policy's syntax (before anything is recorded) and resolve the source run's id."""
    if approval_policy is not None:
        parse_filter(approval_policy)
    return producer_of(model_uri) if source_run_id is None else api._as_uuid(source_run_id)


def _register_in(
    run: ActiveRun,
    model: str,
    model_uri: str,
    source_id: UUID | None,
    approval_policy: str | None,
    description: str | None,
    tags: Mapping[str, Any] | None,
) -> ModelVersion:
    from mltrail.openlineage.approvals import approval_events  # the OpenLineage client loads on use

    run.log_input(model_uri, role="model")
    registered = _registry().register(
        model,
        model_uri,
        run_id=source_id,
        approval_policy=approval_policy,
        description=description,
        tags=tags,
        actor=current_actor(),
    )
    run.set_tags(
        {
            "model.name": model,
            "model.version": str(registered.version),
            "approval.at_registration": registered.status.value,
        }
    )
    run.log_output(registered.uri, role="model_version")
    api.send_events(approval_events(registered, range(len(registered.history))), recorded=True)
    return registered


def producer_of(uri: str) -> UUID | None:
    """The latest completed run (not a registration) that wrote the dataset at ``uri``, if any."""
    written = format_literal(dataset_from_uri(uri).uri)
    page = api.search_runs(
        filter=f"outputs.uri = {written} AND kind != 'registration' AND status = 'Completed'",
        order_by="end_time DESC",
        max_results=1,
    )
    return page[0].id if len(page) else None


def update_approval(
    model: str, version: int, status: ApprovalStatus | str, *, reason: str | None = None
) -> ModelVersion:
    """Approve or reject a version (or reverse a decision), recorded in its audit trail.

    The change is also an OpenLineage run of job ``registry.<model>`` reading the version, its
    tags saying the new status, who and why, so Marquez and other consumers see it.

    Raises:
        ValidationError: For a transition the workflow forbids (e.g. back to pending).
        NotFoundError: If the version does not exist.
        ConfigError: On a server with tokens, without an approver token.
    """
    from mltrail.openlineage.approvals import approval_events

    changed = _registry().update_approval(model, version, status, actor=current_actor(), reason=reason)
    api.send_events(approval_events(changed), recorded=True)
    return changed


def get_model_version(model: str, version: int) -> ModelVersion:
    """A version with its status, audit trail, links and aliases."""
    return _registry().get(model, version)


def list_model_versions(model: str) -> list[ModelVersion]:
    """Every version of a model, newest first."""
    return _registry().versions(model)


def list_models() -> list[RegisteredModel]:
    """Every registered model, by name, with its latest and latest approved versions."""
    return _registry().models()


def get_latest_approved(model: str) -> ModelVersion:
    """The newest Approved version of a model; ``NotFoundError`` when there is none."""
    return _registry().latest_approved(model)


def set_alias(model: str, alias: str, version: int) -> ModelVersion:
    """Point an alias (e.g. ``champion``) at a version."""
    return _registry().set_alias(model, alias, version)


def get_by_alias(model: str, alias: str) -> ModelVersion:
    """The version an alias points at."""
    return _registry().by_alias(model, alias)


def _registry() -> ModelRegistry:
    return api._reader().registry


def current_actor() -> str:
    """Who is acting: the operating-system user (``unknown`` when it cannot be told).

    A server with tokens records the token's name instead.
    """
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


__all__ = [
    "ApprovalStatus",
    "ModelVersion",
    "RegisteredModel",
    "current_actor",
    "get_by_alias",
    "get_latest_approved",
    "get_model_version",
    "list_model_versions",
    "list_models",
    "model_version_uri",
    "producer_of",
    "record_registration",
    "register_model",
    "set_alias",
    "update_approval",
]
