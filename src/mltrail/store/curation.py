"""What people add to the OpenLineage catalogue through Marquez's API: namespace owners, tags, soft deletes.

A soft delete hides a dataset, a job or a namespace (with its datasets and jobs) from reads until
an event names it again: ingestion reads :func:`hidden_flag` with the jobs and datasets it
writes and calls :func:`show_again` for the hidden ones.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import ColumnElement, Connection, Table, delete, exists, insert, or_, select, update

from mltrail.core.catalog import NamespaceInfo, TagInfo
from mltrail.core.errors import NotFoundError
from mltrail.core.sequences import chunks
from mltrail.core.validation import validate_name
from mltrail.store import tables as t
from mltrail.store.transaction import Transaction

_n, _t, _dt, _jt, _d, _j = t.namespace.c, t.tag.c, t.dataset_tag.c, t.job_tag.c, t.dataset.c, t.job.c
DATASET_LEVEL = ""
"""The ``field`` of a tag on the dataset itself."""


class Curation:
    """Namespace owners, tags and soft deletes; each call is one transaction.

    Raises:
        NotFoundError: From calls naming a dataset or job that does not exist (or is hidden).
        ValidationError: For an empty or too long name.
    """

    def __init__(self, read: Transaction, write: Transaction) -> None:
        self._read = read
        self._write = write

    def put_namespace(self, name: str, *, owner_name: str, description: str | None = None) -> None:
        """Create a namespace or change its owner and description; a hidden one shows again."""
        validate_name("namespace", name, max_length=500)
        validate_name("ownerName", owner_name, max_length=256)
        values = {"owner_name": owner_name, "description": description, "is_hidden": False}
        self._write(lambda c: _put_namespace(c, name, values))

    def namespaces(self, names: Iterable[str]) -> dict[str, NamespaceInfo]:
        """What is known about these namespaces, by name (those with nothing said are left out)."""
        wanted = sorted(set(names))
        return self._read(lambda c: _namespaces(c, wanted))

    def hide_namespace(self, name: str) -> None:
        """Soft delete a namespace and every dataset and job in it."""
        self._write(lambda c: _hide_namespace(c, name))

    def hide_dataset(self, namespace: str, name: str) -> None:
        """Soft delete a dataset."""
        self._write(lambda c: _hide(c, t.hidden_dataset, "dataset_id", [_id(c, t.dataset, namespace, name)]))

    def hide_job(self, namespace: str, name: str) -> None:
        """Soft delete a job."""
        self._write(lambda c: _hide(c, t.hidden_job, "job_id", [_id(c, t.job, namespace, name)]))

    def put_tag(self, name: str, *, description: str | None = None) -> TagInfo:
        """Create a tag or change its description."""
        validate_name("tag", name, max_length=256)
        self._write(lambda c: _tag_id(c, name, description, replace=True))
        return TagInfo(name, description)

    def tags(self, *, limit: int = 100, offset: int = 0) -> list[TagInfo]:
        """Tags by name."""
        query = select(_t.name, _t.description).order_by(_t.name).limit(limit).offset(offset)
        return self._read(lambda c: [TagInfo(name, text) for name, text in c.execute(query)])

    def tag_dataset(
        self, namespace: str, name: str, tag: str, *, field: str | None = None, add: bool = True
    ) -> None:
        """Add (or remove) a tag on a dataset or one of its fields; a new tag is created."""
        validate_name("tag", tag, max_length=256)

        def write(c: Connection) -> None:
            row = {"dataset_id": _id(c, t.dataset, namespace, name), "field": field or DATASET_LEVEL}
            _tagging(c, t.dataset_tag, row, tag, add=add)

        self._write(write)

    def tag_job(self, namespace: str, name: str, tag: str, *, add: bool = True) -> None:
        """Add (or remove) a tag on a job; a new tag is created."""
        validate_name("tag", tag, max_length=256)
        self._write(
            lambda c: _tagging(c, t.job_tag, {"job_id": _id(c, t.job, namespace, name)}, tag, add=add)
        )

    def dataset_tags(self, names: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, list[str]]]:
        """Tags of these datasets, by dataset, then by field (``""`` for the dataset itself)."""
        return self._read(lambda c: _dataset_tags(c, names))

    def job_tags(self, names: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """Tags of these jobs, by job."""
        return self._read(lambda c: _job_tags(c, names))


def _now() -> int:
    return int(time.time() * 1000)


def _put_namespace(connection: Connection, name: str, values: Mapping[str, object]) -> None:
    now = _now()
    changed = connection.execute(update(t.namespace).where(_n.name == name).values(**values, updated_at=now))
    if not changed.rowcount:
        connection.execute(insert(t.namespace).values(name=name, **values, created_at=now, updated_at=now))


def _namespaces(connection: Connection, names: Sequence[str]) -> dict[str, NamespaceInfo]:
    found = {}
    for chunk in chunks(names):
        query = select(_n.name, _n.owner_name, _n.description, _n.is_hidden).where(_n.name.in_(chunk))
        for name, owner, description, hidden in connection.execute(query):
            found[name] = NamespaceInfo(owner, description, bool(hidden))
    return found


def _hide_namespace(connection: Connection, name: str) -> None:
    datasets = list(connection.execute(select(_d.id).where(_d.namespace == name)).scalars())
    jobs = list(connection.execute(select(_j.id).where(_j.namespace == name)).scalars())
    exists = connection.execute(select(_n.name).where(_n.name == name)).first() is not None
    if not (datasets or jobs or exists):
        raise NotFoundError("namespace", name)
    if exists:
        connection.execute(
            update(t.namespace).where(_n.name == name).values(is_hidden=True, updated_at=_now())
        )
    else:
        _put_namespace(connection, name, {"owner_name": None, "description": None, "is_hidden": True})
    _hide(connection, t.hidden_dataset, "dataset_id", datasets)
    _hide(connection, t.hidden_job, "job_id", jobs)


def _id(connection: Connection, table: Table, namespace: str, name: str) -> int:
    c = table.c
    hidden = t.hidden_dataset if table is t.dataset else t.hidden_job
    key = hidden.c.dataset_id if table is t.dataset else hidden.c.job_id
    found = connection.execute(
        select(c.id).where(c.namespace == namespace, c.name == name, ~select(key).where(key == c.id).exists())
    ).scalar()
    if found is None:
        raise NotFoundError(table.name, f"{namespace}:{name}")
    return int(found)


def _hide(connection: Connection, table: Table, column: str, ids: Sequence[int]) -> None:
    now = _now()
    for chunk in chunks(sorted(ids)):
        already = set(connection.execute(select(table.c[column]).where(table.c[column].in_(chunk))).scalars())
        rows = [{column: i, "hidden_at": now} for i in chunk if i not in already]
        if rows:
            connection.execute(insert(table), rows)


def hidden_flag(table: Table) -> ColumnElement[bool]:
    """A column saying whether a ``dataset`` or ``job`` row is hidden, itself or with its namespace.

    Ingestion reads it with the rows it looks up anyway, so that showing things again costs no
    statement while nothing is hidden.
    """
    hidden = t.hidden_dataset.c.dataset_id if table is t.dataset else t.hidden_job.c.job_id
    return or_(
        exists().where(hidden == table.c.id),
        exists().where(_n.name == table.c.namespace, _n.is_hidden),
    ).label("hidden")


def show_again(connection: Connection, table: Table, hidden: Mapping[tuple[str, str], int]) -> None:
    """Show hidden datasets or jobs (``(namespace, name)`` → id) and their namespaces: an event named them."""
    if hidden:
        _unhide(connection, t.hidden_dataset if table is t.dataset else t.hidden_job, hidden.values())
        _unhide_namespaces(connection, {namespace for namespace, _ in hidden})


def _unhide(connection: Connection, hidden: Table, ids: Iterable[int]) -> None:
    """Show these jobs (``hidden_job``) or datasets (``hidden_dataset``) again: an event named them."""
    column = hidden.c.job_id if hidden is t.hidden_job else hidden.c.dataset_id
    for chunk in chunks(sorted(set(ids))):
        connection.execute(delete(hidden).where(column.in_(chunk)))


def _unhide_namespaces(connection: Connection, names: Iterable[str]) -> None:
    """Show these namespaces again: an event has just named them."""
    for chunk in chunks(sorted(set(names))):
        connection.execute(
            update(t.namespace).where(_n.name.in_(chunk), _n.is_hidden).values(is_hidden=False)
        )


def _tag_id(connection: Connection, name: str, description: str | None, *, replace: bool) -> int:
    found = connection.execute(select(_t.id).where(_t.name == name)).scalar()
    now = _now()
    if found is None:
        row = {"name": name, "description": description, "created_at": now, "updated_at": now}
        return int(connection.execute(insert(t.tag).values(**row).returning(_t.id)).scalar_one())
    if replace:
        connection.execute(
            update(t.tag).where(_t.id == found).values(description=description, updated_at=now)
        )
    return int(found)


def _tagging(connection: Connection, table: Table, row: dict[str, object], tag: str, *, add: bool) -> None:
    tag_id = _tag_id(connection, tag, None, replace=False)
    match = [table.c[key] == value for key, value in {**row, "tag_id": tag_id}.items()]
    present = connection.execute(select(table.c.tag_id).where(*match)).first() is not None
    if add and not present:
        connection.execute(insert(table).values(**row, tag_id=tag_id))
    elif not add and present:
        connection.execute(delete(table).where(*match))


def _dataset_tags(
    connection: Connection, names: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, list[str]]]:
    found: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    wanted = set(names)
    for chunk in chunks(sorted(wanted)):
        query = (
            select(_d.namespace, _d.name, _dt.field, _t.name)
            .select_from(t.dataset_tag)
            .join(t.dataset, _d.id == _dt.dataset_id)
            .join(t.tag, _t.id == _dt.tag_id)
            .where(_d.namespace.in_({ns for ns, _ in chunk}), _d.name.in_({name for _, name in chunk}))
            .order_by(_t.name)
        )
        for namespace, name, field, tag in connection.execute(query):
            if (namespace, name) in wanted:
                found[namespace, name][field].append(tag)
    return {key: dict(fields) for key, fields in found.items()}


def _job_tags(connection: Connection, names: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    wanted = set(names)
    for chunk in chunks(sorted(wanted)):
        query = (
            select(_j.namespace, _j.name, _t.name)
            .select_from(t.job_tag)
            .join(t.job, _j.id == _jt.job_id)
            .join(t.tag, _t.id == _jt.tag_id)
            .where(_j.namespace.in_({ns for ns, _ in chunk}), _j.name.in_({name for _, name in chunk}))
            .order_by(_t.name)
        )
        for namespace, name, tag in connection.execute(query):
            if (namespace, name) in wanted:
                found[namespace, name].append(tag)
    return dict(found)


__all__ = ["DATASET_LEVEL", "Curation", "hidden_flag", "show_again"]
