"""The model registry in the database: versions, their approval audit trail, aliases.

Each call is one transaction. The audit trail (``model_approval``) is only ever appended to: a
status change writes its row, the version's new status and the change's OpenLineage events
(:mod:`mltrail.openlineage.approvals`) together.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, func, insert, select, update

from mltrail.core.errors import NotFoundError
from mltrail.core.query import parse_filter
from mltrail.core.registry import (
    POLICY_ACTOR,
    ApprovalChange,
    ApprovalStatus,
    ModelVersion,
    RegisteredModel,
    check_transition,
    check_version,
)
from mltrail.core.validation import validate_name, validate_tags
from mltrail.store import tables as t
from mltrail.store.dialect import upsert
from mltrail.store.hydrate import to_datetime
from mltrail.store.transaction import Transaction

if TYPE_CHECKING:
    from mltrail.core.entities import Run
    from mltrail.store.store import Store

_g, _v, _a, _al = t.model_group.c, t.model_version.c, t.model_approval.c, t.model_alias.c

Ingest = Callable[[Connection, Sequence[Mapping[str, Any]]], None]
"""Stores OpenLineage events within a transaction."""


class Registry:
    """Registered models and their versions; see :mod:`mltrail.registry` for the Python surface.

    Args:
        store: The store, whose runs registrations link to and approval policies are matched on.
        read: Runs a read transaction.
        write: Runs a write transaction.
        ingest: Stores the approval changes' events inside a write transaction.
    """

    def __init__(self, store: Store, read: Transaction, write: Transaction, ingest: Ingest) -> None:
        self._store = store
        self._read = read
        self._write = write
        self._ingest = ingest

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
        """Add the next version of ``model`` (created if new), PendingManualApproval.

        The version keeps the source run's last metric values. When ``approval_policy`` (a filter
        in the search language) matches the source run, the version is Approved at once by
        :data:`~mltrail.core.registry.POLICY_ACTOR`, in the same transaction.

        Raises:
            ValidationError: For an empty or too long name, or a bad tag.
            QuerySyntaxError: If the policy does not parse.
            NotFoundError: If the source run does not exist.
        """
        validate_name("model", model)
        validate_name("source_uri", source_uri, max_length=2000)
        validate_name("actor", actor)
        clean_tags = validate_tags(tags)
        if approval_policy is not None:
            parse_filter(approval_policy)
        run = None if run_id is None else self._store.get_run(run_id)
        approve_reason = None
        if run is not None and approval_policy is not None and self._matches(run, approval_policy):
            approve_reason = f"approval policy matched: {approval_policy}"

        from mltrail.openlineage.approvals import approval_events  # the OpenLineage client loads on use

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
            version_id = connection.execute(
                insert(t.model_version)
                .values(
                    group_id=group_id,
                    version=number,
                    source_uri=source_uri,
                    run_id=None if run is None else run.id,
                    status=ApprovalStatus.PENDING.value,
                    description=description,
                    tags=clean_tags,
                    metrics={} if run is None else {key: s.last for key, s in run.metrics.items()},
                    created_at=now,
                    updated_at=now,
                )
                .returning(_v.id)
            ).scalar_one()
            _append(connection, version_id, None, ApprovalStatus.PENDING, actor, "registered", now)
            if approve_reason is not None:
                _append(
                    connection,
                    version_id,
                    ApprovalStatus.PENDING,
                    ApprovalStatus.APPROVED,
                    POLICY_ACTOR,
                    approve_reason,
                    now,
                )
            registered = _versions(connection, model, version=number)[0]
            self._ingest(connection, approval_events(registered, range(len(registered.history))))
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
        from mltrail.openlineage.approvals import approval_events

        def write(connection: Connection) -> None:
            version_id, current = _version_row(connection, model, version)
            target = check_transition(ApprovalStatus(current), status)
            _append(connection, version_id, ApprovalStatus(current), target, actor, reason, _now())
            self._ingest(connection, approval_events(_versions(connection, model, version=version)[0]))

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

    def models(self) -> list[RegisteredModel]:
        """Every registered model, by name, with its version count and latest (approved) version."""

        def read(connection: Connection) -> list[RegisteredModel]:
            approved = (
                select(_v.group_id, func.max(_v.version).label("version"))
                .where(_v.status == ApprovalStatus.APPROVED.value)
                .group_by(_v.group_id)
                .subquery()
            )
            latest = (
                select(
                    _v.group_id,
                    func.max(_v.version).label("version"),
                    func.count().label("versions"),
                    func.max(_v.updated_at).label("updated_at"),
                )
                .group_by(_v.group_id)
                .subquery()
            )
            newest = t.model_version.alias("newest")
            rows = connection.execute(
                select(
                    _g.name,
                    _g.created_at,
                    latest.c.versions,
                    latest.c.version,
                    newest.c.status,
                    latest.c.updated_at,
                    approved.c.version.label("approved"),
                )
                .join(latest, latest.c.group_id == _g.id)
                .join(newest, (newest.c.group_id == _g.id) & (newest.c.version == latest.c.version))
                .join(approved, approved.c.group_id == _g.id, isouter=True)
                .order_by(_g.name)
            )
            return [
                RegisteredModel(
                    name=name,
                    versions=int(count),
                    latest_version=int(number),
                    latest_status=ApprovalStatus(status),
                    latest_approved=None if approved_number is None else int(approved_number),
                    created_at=to_datetime(created),
                    updated_at=to_datetime(updated),
                )
                for name, created, count, number, status, updated, approved_number in rows
            ]

        return self._read(read)

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

    def _matches(self, run: Run, policy: str) -> bool:
        page = self._store.search_runs(
            experiment=run.experiment, filter=f"id = '{run.id}' AND ({policy})", max_results=1
        )
        return len(page) == 1


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
    check_version(version)
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
