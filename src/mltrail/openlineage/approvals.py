"""A model version's approval changes as OpenLineage events, so consumers see the registry's state.

Each entry of a version's audit trail (its registration first) is a run of job
``registry.<model>`` that reads the version: it writes nothing, so the version's lineage is
unchanged, and its tags carry the change (status, previous status, actor, reason). The runs are
components of trial ``<model>`` of experiment ``model-registry``, away from the leaderboards of
the experiments that trained the versions. The run id is derived from the version and the
entry's position, so announcing an entry twice stores it once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from mltrail.core.entities import DatasetRef, RunKind
from mltrail.core.lineage import TRACKED_JOB_NAMESPACE
from mltrail.core.registry import (
    APPROVAL_STATUS_TAG,
    MODEL_VERSIONS_NAMESPACE,
    REGISTRY_EXPERIMENT,
    ModelVersion,
)
from mltrail.openlineage.events import RunSnapshot, run_event, to_dict

_CHANGES = UUID("0c6e3a2e-7d4b-4f0e-9a53-1f2d8c4b7e90")
"""Namespace of the name-based run ids of approval changes."""


def approval_events(version: ModelVersion, entries: range | None = None) -> list[dict[str, Any]]:
    """START and COMPLETE events of the audit-trail entries at ``entries`` (by default the last one).

    Raises:
        IndexError: If ``entries`` goes past the version's history.
    """
    chosen = range(len(version.history) - 1, len(version.history)) if entries is None else entries
    events: list[dict[str, Any]] = []
    for index in chosen:
        change = version.history[index]
        snapshot = RunSnapshot(
            run_id=uuid5(_CHANGES, f"{version.model}/{version.version}/{index + 1}"),
            job_namespace=TRACKED_JOB_NAMESPACE,
            job_name=f"registry.{version.model}",
            experiment=REGISTRY_EXPERIMENT,
            name=f"{change.to_status.value} {version.model} v{version.version}",
            kind=RunKind.REGISTRATION,
            event_time=change.at,
            trials=(version.model,),
            tags={
                "model.name": version.model,
                "model.version": str(version.version),
                APPROVAL_STATUS_TAG: change.to_status.value,
                "approval.from": change.from_status.value if change.from_status else "",
                "approval.actor": change.actor,
                "approval.reason": change.reason or "",
            },
            inputs=(version_ref(version.uri),),
        )
        events.extend(to_dict(run_event(state, snapshot)) for state in ("START", "COMPLETE"))
    return events


def version_ref(uri: str) -> DatasetRef:
    """A model version's URI as a dataset reference of role ``model_version``."""
    return DatasetRef(
        MODEL_VERSIONS_NAMESPACE, uri.removeprefix(MODEL_VERSIONS_NAMESPACE + "/"), uri, "model_version"
    )


__all__ = ["approval_events", "version_ref"]
