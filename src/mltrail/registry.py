"""The model registry: register a trained model, govern it through approvals, find what to deploy.

```python
mv = mltrail.registry.register_model("fraud-detection", model_uri, source_run_id=run.id)  # Pending…
mltrail.registry.update_approval("fraud-detection", mv.version, "Approved", reason="beats champion")
mltrail.registry.get_model_version("fraud-detection", mv.version)   # status, audit trail, links
mltrail.registry.get_latest_approved("fraud-detection")
```

A registration is a tracked run too (kind ``registration``): it reads the model artifact and
writes the model version's dataset (``mltrail://models/<model>/versions/<n>``), so the lineage
graph runs from the training data through the model to the version.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from mltrail.core.entities import DatasetRef, RunKind, RunRecord, RunStatus
from mltrail.core.errors import ConfigError
from mltrail.core.ids import new_run_id
from mltrail.core.lineage import TRACKED_JOB_NAMESPACE
from mltrail.core.naming import dataset_from_uri
from mltrail.core.query import parse_filter
from mltrail.core.registry import MODEL_VERSIONS_NAMESPACE, ApprovalStatus, ModelVersion, model_version_uri
from mltrail.tracking import api

if TYPE_CHECKING:
    from mltrail.store import Store

REGISTRY_EXPERIMENT = "model-registry"
"""Where registrations of models with no source run are recorded."""
_CHANGES = UUID("0c6e3a2e-7d4b-4f0e-9a53-1f2d8c4b7e90")
"""Namespace of the name-based run ids of approval changes: sending one twice stores it once."""


def register_model(
    model: str,
    model_uri: str,
    *,
    source_run_id: UUID | str | None = None,
    approval_policy: str | None = None,
    description: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``model``.

    Args:
        model: The registered model (created on its first version).
        model_uri: Where the model artifact is.
        source_run_id: The run that trained it: its metrics are snapshotted, and the version
            links to its trial and experiment.
        approval_policy: A filter in the search language on the source run, e.g.
            ``metrics.val_auc >= 0.9``; when it matches, the version is Approved at once (the
            audit trail says so), else it waits in PendingManualApproval.
        description: Free text.
        tags: String tags.

    Raises:
        QuerySyntaxError: If the policy does not parse (nothing is registered).
        NotFoundError: If the source run does not exist.
    """
    store = _store()
    run = store.get_run(api._as_uuid(source_run_id)) if source_run_id is not None else None
    reason = None
    if approval_policy is not None:
        parse_filter(approval_policy)
        if run is not None and _matches(store, run.experiment, run.id, approval_policy):
            reason = f"approval policy matched: {approval_policy}"
    registered = store.registry.register(
        model,
        model_uri,
        run_id=None if run is None else run.id,
        metrics={} if run is None else {key: summary.last for key, summary in run.metrics.items()},
        description=description,
        tags=tags,
        actor=current_actor(),
        approve_reason=reason,
    )
    now = int(time.time() * 1000)
    store.record_runs(
        [
            RunRecord(
                run_id=new_run_id(),
                experiment=run.experiment if run is not None else REGISTRY_EXPERIMENT,
                trial=run.trials[0] if run is not None and run.trials else f"register-{model}",
                name=f"register {model} v{registered.version}",
                kind=RunKind.REGISTRATION,
                start_time=now,
                end_time=now,
                status=RunStatus.COMPLETED,
                tags={"model.name": model, "model.version": str(registered.version)},
                inputs=[dataset_from_uri(model_uri, role="model")],
                outputs=[_version_ref(registered.uri)],
            )
        ]
    )
    return registered


def update_approval(
    model: str, version: int, status: ApprovalStatus | str, *, reason: str | None = None
) -> ModelVersion:
    """Approve or reject a version (or reverse a decision), recorded in its audit trail.

    The change is also an OpenLineage run of job ``registry.<model>`` reading the version, its
    tags saying the new status, who and why, so Marquez and other consumers see it.

    Raises:
        ValidationError: For a transition the workflow forbids (e.g. back to pending).
        NotFoundError: If the version does not exist.
    """
    changed = _store().registry.update_approval(model, version, status, actor=current_actor(), reason=reason)
    announce(changed)
    return changed


def get_model_version(model: str, version: int) -> ModelVersion:
    """A version with its status, audit trail, links and aliases."""
    return _store().registry.get(model, version)


def list_model_versions(model: str) -> list[ModelVersion]:
    """Every version of a model, newest first."""
    return _store().registry.versions(model)


def get_latest_approved(model: str) -> ModelVersion:
    """The newest Approved version of a model; ``NotFoundError`` when there is none."""
    return _store().registry.latest_approved(model)


def set_alias(model: str, alias: str, version: int) -> ModelVersion:
    """Point an alias (e.g. ``champion``) at a version."""
    return _store().registry.set_alias(model, alias, version)


def get_by_alias(model: str, alias: str) -> ModelVersion:
    """The version an alias points at."""
    return _store().registry.by_alias(model, alias)


def announce(found: ModelVersion) -> None:
    """Send a version's latest approval change as an OpenLineage run that reviews the version.

    The run reads the version (it writes nothing, so the version's lineage is unchanged) and its
    tags carry the change: status, actor, reason.
    """
    from mltrail.openlineage.events import RunSnapshot, run_event, to_dict

    change = found.history[-1]
    snapshot = RunSnapshot(
        run_id=uuid5(_CHANGES, f"{found.model}/{found.version}/{len(found.history)}"),
        job_namespace=TRACKED_JOB_NAMESPACE,
        job_name=f"registry.{found.model}",
        experiment=found.experiment or REGISTRY_EXPERIMENT,
        name=f"{change.to_status.value} {found.model} v{found.version}",
        kind=RunKind.REGISTRATION,
        event_time=change.at,
        trials=found.trials or (f"register-{found.model}",),
        tags={
            "model.name": found.model,
            "model.version": str(found.version),
            "approval.status": change.to_status.value,
            "approval.from": change.from_status.value if change.from_status else "",
            "approval.actor": change.actor,
            "approval.reason": change.reason or "",
        },
        inputs=(_version_ref(found.uri),),
    )
    api.send_events([to_dict(run_event(state, snapshot)) for state in ("START", "COMPLETE")])


def _version_ref(uri: str) -> DatasetRef:
    return DatasetRef(
        MODEL_VERSIONS_NAMESPACE, uri.removeprefix(MODEL_VERSIONS_NAMESPACE + "/"), uri, "model_version"
    )


def _store() -> Store:
    from mltrail.store import Store

    backend = api._reader()
    if not isinstance(backend, Store):
        raise ConfigError(
            "the model registry needs a database tracking URI in this release; its REST routes come next",
            key="tracking_uri",
            value=api.get_tracking_uri(),
        )
    return backend


def _matches(store: Store, experiment: str, run_id: UUID, policy: str) -> bool:
    page = store.search_runs(experiment=experiment, filter=f"id = '{run_id}' AND ({policy})", max_results=1)
    return len(page) == 1


def current_actor() -> str:
    """Who is acting: the operating-system user (``unknown`` when it cannot be told)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


__all__ = [
    "ApprovalStatus",
    "ModelVersion",
    "announce",
    "current_actor",
    "get_by_alias",
    "get_latest_approved",
    "get_model_version",
    "list_model_versions",
    "model_version_uri",
    "register_model",
    "set_alias",
    "update_approval",
]
