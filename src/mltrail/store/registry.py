"""The model registry in the database: versions, their approval audit trail, aliases.

Each call is one transaction. The audit trail (``model_approval``) is only ever appended to: a
status change writes its row and the version's new status together.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, insert, select, update

from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.core.registry import ApprovalChange, ApprovalStatus, ModelVersion, check_transition
from mltrail.core.validation import validate_name, validate_tags
from mltrail.store import tables as t
from mltrail.store.dialect import upsert
from mltrail.store.hydrate import to_datetime
from mltrail.store.transaction import Transaction

_g, _v, _a, _al = t.model_group.c, t.model_version.c, t.model_approval.c, t.model_alias.c


class Registry:
    """Registered models and their versions; see :mod:`mltrail.registry` for the Python surface."""

    def __init__(self, read: Transaction, write: Transaction) -> None:
        self._read = read
        self._write = write

    def register(
        self,
        model: str,
        source_uri: str,
        *,
        run_id: UUID | None = None,
        metrics: Mapping[str, Any] | None = None,
        description: str | None = None,
        tags: Mapping[str, Any] | None = None,
        actor: str = "mltrail",
        approve_reason: str | None = None,
    ) -> ModelVersion:
        """Add the next version of ``model`` (created if new), PendingManualApproval.

        With ``approve_reason`` (an approval policy that matched) it is Approved at once, by
        ``policy``, in the same transaction.

        Raises:
            ValidationError: For an empty or too long name, or a bad tag.
        """
        validate_name("model", model)
        validate_name("source_uri", source_uri, max_length=2000)
        validate_name("actor", actor)
        clean_tags = validate_tags(tags)

        def write(connection: Connection) -> int:
            now = _now()
            upsert(
                connection,
                t.model_group,
                [{"name": model, "description": None, "created_at": now, "updated_at": now}],
                conflict=("name",),
                may_repeat=False,
            )
            group_id = connection.execute(select(_g.id).where(_g.name == model)).scalar_one()
            number = (
                connection.execute(select(func.max(_v.version)).where(_v.group_id == group_id)).scalar() or 0
            ) + 1
            status = ApprovalStatus.APPROVED if approve_reason else ApprovalStatus.PENDING
            version_id = connection.execute(
                insert(t.model_version)
                .values(
                    group_id=group_id,
                    version=number,
                    source_uri=source_uri,
                    run_id=run_id,
                    status=ApprovalStatus.PENDING.value,
                    description=description,
                    tags=clean_tags,
                    metrics=dict(metrics or {}),
                    created_at=now,
                    updated_at=now,
                )
                .returning(_v.id)
            ).scalar_one()
            _append(connection, version_id, None, ApprovalStatus.PENDING, actor, "registered", now)
            if status is ApprovalStatus.APPROVED:
                _append(connection, version_id, ApprovalStatus.PENDING, status, "policy", approve_reason, now)
            return int(number)

        number = self._write(write)
        return self.get(model, number)

    def update_approval(
        self, model: str, version: int, status: ApprovalStatus | str, *, actor: str, reason: str | None = None
    ) -> ModelVersion:
        """Move a version to ``status``, appending the change to its audit trail.

        Raises:
            NotFoundError: If the model or version does not exist.
            ValidationError: For an unknown status or a transition the workflow forbids.
        """
        validate_name("actor", actor)

        def write(connection: Connection) -> None:
            version_id, current = _version_row(connection, model, version)
            target = check_transition(ApprovalStatus(current), status)
            _append(connection, version_id, ApprovalStatus(current), target, actor, reason, _now())

        self._write(write)
        return self.get(model, version)

    def get(self, model: str, version: int) -> ModelVersion:
        """One version with its audit trail and aliases.

        Raises:
            NotFoundError: If the model or version does not exist.
        """
        found = self._read(lambda c: _versions(c, model, version=version))
        if not found:
            raise NotFoundError("model version", f"{model}/{version}")
        return found[0]

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of a model, newest first.

        Raises:
            NotFoundError: If the model does not exist.
        """
        found = self._read(lambda c: _versions(c, model))
        if not found:
            raise NotFoundError("model", model)
        return found

    def latest_approved(self, model: str) -> ModelVersion:
        """The newest Approved version of a model.

        Raises:
            NotFoundError: If the model has no approved version.
        """
        found = self._read(lambda c: _versions(c, model, status=ApprovalStatus.APPROVED, limit=1))
        if not found:
            raise NotFoundError("approved version of model", model)
        return found[0]

    def set_alias(self, model: str, alias: str, version: int) -> ModelVersion:
        """Point ``alias`` (e.g. ``champion``) at a version, moving it from any other."""
        validate_name("alias", alias)

        def write(connection: Connection) -> None:
            version_id, _ = _version_row(connection, model, version)
            group_id = connection.execute(select(_v.group_id).where(_v.id == version_id)).scalar_one()
            row = {"group_id": group_id, "alias": alias, "version_id": version_id, "updated_at": _now()}
            upsert(
                connection,
                t.model_alias,
                [row],
                conflict=("group_id", "alias"),
                update=("version_id", "updated_at"),
            )

        self._write(write)
        return self.get(model, version)

    def by_alias(self, model: str, alias: str) -> ModelVersion:
        """The version an alias points at.

        Raises:
            NotFoundError: If the model has no such alias.
        """

        def read(connection: Connection) -> int | None:
            return connection.execute(
                select(_v.version)
                .select_from(t.model_alias)
                .join(t.model_group, _g.id == _al.group_id)
                .join(t.model_version, _v.id == _al.version_id)
                .where(_g.name == model, _al.alias == alias)
            ).scalar()

        number = self._read(read)
        if number is None:
            raise NotFoundError("alias", f"{model}@{alias}")
        return self.get(model, number)


def _now() -> int:
    return int(time.time() * 1000)


def _append(
    connection: Connection,
    version_id: int,
    before: ApprovalStatus | None,
    after: ApprovalStatus,
    actor: str,
    reason: str | None,
    now: int,
) -> None:
    """Append an audit entry and set the version's status to it."""
    connection.execute(
        insert(t.model_approval).values(
            version_id=version_id,
            from_status=None if before is None else before.value,
            to_status=after.value,
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    connection.execute(
        update(t.model_version).where(_v.id == version_id).values(status=after.value, updated_at=now)
    )


def _version_row(connection: Connection, model: str, version: int) -> tuple[int, str]:
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationError(f"version must be an integer, got {version!r}", field="version", value=version)
    row = connection.execute(
        select(_v.id, _v.status)
        .join(t.model_group, _g.id == _v.group_id)
        .where(_g.name == model, _v.version == version)
    ).first()
    if row is None:
        raise NotFoundError("model version", f"{model}/{version}")
    return int(row[0]), str(row[1])


def _versions(
    connection: Connection,
    model: str,
    *,
    version: int | None = None,
    status: ApprovalStatus | None = None,
    limit: int | None = None,
) -> list[ModelVersion]:
    query = (
        select(t.model_version, _g.name.label("model"))
        .join(t.model_group, _g.id == _v.group_id)
        .where(_g.name == model)
        .order_by(_v.version.desc())
    )
    if version is not None:
        query = query.where(_v.version == version)
    if status is not None:
        query = query.where(_v.status == status.value)
    if limit is not None:
        query = query.limit(limit)
    rows = connection.execute(query).mappings().all()
    ids = [row["id"] for row in rows]
    history: dict[int, list[ApprovalChange]] = defaultdict(list)
    aliases: dict[int, list[str]] = defaultdict(list)
    if ids:
        for entry in connection.execute(
            select(t.model_approval).where(_a.version_id.in_(ids)).order_by(_a.id)
        ).mappings():
            history[entry["version_id"]].append(
                ApprovalChange(
                    from_status=None
                    if entry["from_status"] is None
                    else ApprovalStatus(entry["from_status"]),
                    to_status=ApprovalStatus(entry["to_status"]),
                    actor=entry["actor"],
                    at=to_datetime(entry["at"]),
                    reason=entry["reason"],
                )
            )
        for version_id, alias in connection.execute(
            select(_al.version_id, _al.alias).where(_al.version_id.in_(ids)).order_by(_al.alias)
        ):
            aliases[version_id].append(alias)
    runs = _run_context(connection, [row["run_id"] for row in rows if row["run_id"] is not None])
    return [
        ModelVersion(
            model=row["model"],
            version=row["version"],
            source_uri=row["source_uri"],
            status=ApprovalStatus(row["status"]),
            created_at=to_datetime(row["created_at"]),
            updated_at=to_datetime(row["updated_at"]),
            run_id=row["run_id"],
            experiment=runs.get(row["run_id"], (None, ()))[0],
            trials=runs.get(row["run_id"], (None, ()))[1],
            description=row["description"],
            tags=row["tags"] or {},
            metrics=row["metrics"] or {},
            history=tuple(history[row["id"]]),
            aliases=tuple(aliases[row["id"]]),
        )
        for row in rows
    ]


def _run_context(connection: Connection, run_ids: list[UUID]) -> dict[UUID, tuple[str, tuple[str, ...]]]:
    """Each run's experiment and trials."""
    if not run_ids:
        return {}
    r, e, tc, tr = t.run.c, t.experiment.c, t.trial_component.c, t.trial.c
    found: dict[UUID, tuple[str, list[str]]] = {}
    rows = connection.execute(
        select(r.id, e.name, tr.name)
        .join(t.experiment, e.id == r.experiment_id)
        .join(t.trial_component, tc.run_id == r.id, isouter=True)
        .join(t.trial, tr.id == tc.trial_id, isouter=True)
        .where(r.id.in_(run_ids))
    )
    for run_id, experiment, trial in rows:
        entry = found.setdefault(run_id, (experiment, []))
        if trial is not None:
            entry[1].append(trial)
    return {run_id: (experiment, tuple(sorted(trials))) for run_id, (experiment, trials) in found.items()}


__all__ = ["Registry"]
