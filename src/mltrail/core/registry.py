"""The model registry's entities and its approval workflow (SageMaker's statuses and transitions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from mltrail.core.errors import ValidationError

MODEL_VERSIONS_NAMESPACE = "mltrail://models"
"""The OpenLineage namespace of model versions: ``mltrail://models/<model>/versions/<n>``."""
REGISTRY_EXPERIMENT = "model-registry"
"""The experiment of the approval changes' runs (one trial per model), and of registrations with
no source run."""
APPROVAL_STATUS_TAG = "approval.status"
"""Tag of the OpenLineage runs that announce an approval change."""
POLICY_ACTOR = "policy"
"""The actor of approvals an approval policy made."""


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


def check_version(version: Any) -> int:
    """Return ``version`` if it is a version number.

    Raises:
        ValidationError: If it is not an integer.
    """
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationError(f"version must be an integer, got {version!r}", field="version", value=version)
    return version


def as_version(value: Any) -> int:
    """A version number given as a number or as text (a rendered template, a CLI argument).

    Raises:
        ValidationError: If it is not a whole number.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(
            f"version must be a whole number, got {value!r}", field="version", value=value
        ) from None


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


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A registered model (model group) and a summary of its versions."""

    name: str
    versions: int
    latest_version: int
    latest_status: ApprovalStatus
    latest_approved: int | None
    created_at: datetime
    updated_at: datetime


class ModelRegistry(Protocol):
    """The registry a tracking backend offers: the database's, or a server's through its REST API.

    Methods raise :class:`~mltrail.core.errors.NotFoundError` for an unknown model, version or
    alias, and :class:`~mltrail.core.errors.ValidationError` for a bad name or transition.
    """

    def register(
        self,
        model: str,
        source_uri: str,
        *,
        run_id: UUID | None = None,
        approval_policy: str | None = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
        actor: str,
    ) -> ModelVersion:
        """Add the next version of ``model``; approve it at once when ``approval_policy`` matches its run."""
        ...

    def update_approval(
        self, model: str, version: int, status: ApprovalStatus | str, *, actor: str, reason: str | None = None
    ) -> ModelVersion:
        """Move a version to ``status``, appending the change to its audit trail."""
        ...

    def get(self, model: str, version: int) -> ModelVersion:
        """One version with its audit trail and aliases."""
        ...

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of a model, newest first."""
        ...

    def models(self) -> list[RegisteredModel]:
        """Every registered model, by name."""
        ...

    def latest_approved(self, model: str) -> ModelVersion:
        """The newest Approved version of a model."""
        ...

    def set_alias(self, model: str, alias: str, version: int) -> ModelVersion:
        """Point ``alias`` at a version, moving it from any other."""
        ...

    def by_alias(self, model: str, alias: str) -> ModelVersion:
        """The version an alias points at."""
        ...


__all__ = [
    "APPROVAL_STATUS_TAG",
    "MODEL_VERSIONS_NAMESPACE",
    "POLICY_ACTOR",
    "REGISTRY_EXPERIMENT",
    "TRANSITIONS",
    "ApprovalChange",
    "ApprovalStatus",
    "ModelRegistry",
    "ModelVersion",
    "RegisteredModel",
    "as_version",
    "check_transition",
    "check_version",
    "model_version_uri",
]
