"""The model registry's entities and its approval workflow (SageMaker's statuses and transitions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from mltrail.core.errors import ValidationError

MODEL_VERSIONS_NAMESPACE = "mltrail://models"
"""The OpenLineage namespace of model versions: ``mltrail://models/<model>/versions/<n>``."""


class ApprovalStatus(StrEnum):
    """A model version's approval status, named as SageMaker's Model Registry names them."""

    PENDING = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"


TRANSITIONS: Mapping[ApprovalStatus, frozenset[ApprovalStatus]] = {
    ApprovalStatus.PENDING: frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED}),
    ApprovalStatus.APPROVED: frozenset({ApprovalStatus.REJECTED}),
    ApprovalStatus.REJECTED: frozenset({ApprovalStatus.APPROVED}),
}
"""Allowed changes: a pending version is approved or rejected; a decision can be reversed, with a
reason, but a version never goes back to pending."""


def check_transition(current: ApprovalStatus, wanted: ApprovalStatus | str) -> ApprovalStatus:
    """Return ``wanted`` as a status if a version in ``current`` may move to it.

    Raises:
        ValidationError: For an unknown status, or a transition the workflow does not allow.
    """
    try:
        target = ApprovalStatus(wanted)
    except ValueError:
        known = ", ".join(status.value for status in ApprovalStatus)
        raise ValidationError(
            f"unknown approval status {wanted!r}; use one of {known}", field="status", value=wanted
        ) from None
    if target not in TRANSITIONS[current]:
        raise ValidationError(
            f"an approval status cannot go from {current.value} to {target.value}",
            field="status",
            value=target.value,
        )
    return target


def model_version_uri(model: str, version: int) -> str:
    """The dataset URI of a model version in the lineage graph."""
    return f"{MODEL_VERSIONS_NAMESPACE}/{model}/versions/{version}"


@dataclass(frozen=True, slots=True)
class ApprovalChange:
    """One entry of a version's audit trail."""

    from_status: ApprovalStatus | None
    to_status: ApprovalStatus
    actor: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A registered model version, its links and its approval history (oldest first).

    Attributes:
        model: The registered model (model group).
        version: Its number in the model, from 1.
        source_uri: Where the model artifact is.
        status: The approval status now.
        run_id: The run that produced the model, when known.
        experiment: That run's experiment.
        trials: That run's trials.
        metrics: The run's metric summaries (last values) when the version was registered.
        history: Every approval change, the registration first.
        aliases: The model's aliases that point at this version.
    """

    model: str
    version: int
    source_uri: str
    status: ApprovalStatus
    created_at: datetime
    updated_at: datetime
    run_id: UUID | None = None
    experiment: str | None = None
    trials: tuple[str, ...] = ()
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[ApprovalChange, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def uri(self) -> str:
        """The version's dataset URI in the lineage graph."""
        return model_version_uri(self.model, self.version)


__all__ = [
    "MODEL_VERSIONS_NAMESPACE",
    "TRANSITIONS",
    "ApprovalChange",
    "ApprovalStatus",
    "ModelVersion",
    "check_transition",
    "model_version_uri",
]
