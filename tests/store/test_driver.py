"""Statements run on the driver's cursor: binding lists and UUIDs, converting results, errors."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from sqlalchemy import String, Uuid, select

from mltrail.core.errors import ConflictError
from mltrail.core.ids import new_run_id
from mltrail.store import Store
from mltrail.store import tables as t
from mltrail.store.dialect import bulk_insert, upsert
from mltrail.store.driver import Query, among

_JOBS = Query(
    lambda dialect: select(t.job.c.name, t.job.c.facets).where(
        among(t.job.c.name, "names", String(), dialect=dialect)
    )
)
_RUNS = Query(
    lambda dialect: select(t.lineage_run.c.id, t.lineage_run.c.state).where(
        among(t.lineage_run.c.id, "ids", Uuid(), dialect=dialect)
    )
)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as store:
        yield store


def _job(name: str, facets: dict[str, object]) -> dict[str, object]:
    return {"namespace": "ns", "name": name, "facets": facets, "created_at": 1, "updated_at": 1}


def test_lists_bind_as_one_parameter_and_json_comes_back_parsed(store: Store) -> None:
    names = [f"job-{i}" for i in range(1_200)]
    store._write(
        lambda c: bulk_insert(c, t.job, [_job(name, {"n": {"i": i}}) for i, name in enumerate(names)])
    )

    found = dict(store._read(lambda c: _JOBS.rows(c, names=[*names[::2], "missing", 'a "quoted" name'])))

    assert len(found) == 600
    assert found["job-1198"] == {"n": {"i": 1198}}
    assert store._read(lambda c: _JOBS.rows(c, names=[])) == []


def test_uuids_round_trip_and_upserts_overwrite_the_named_columns(store: Store) -> None:
    store._write(lambda c: bulk_insert(c, t.job, [_job("train", {})]))
    job_id = store._read(lambda c: c.execute(select(t.job.c.id)).scalar_one())
    ids = sorted(new_run_id() for _ in range(3))
    rows = [
        {"id": run_id, "job_id": job_id, "state": "RUNNING", "facets": {}, "created_at": 1, "updated_at": 1}
        for run_id in ids
    ]
    store._write(lambda c: bulk_insert(c, t.lineage_run, rows))
    rows[0] = {**rows[0], "state": "COMPLETED"}
    store._write(lambda c: upsert(c, t.lineage_run, rows[:1], conflict=("id",), update=("state",)))

    found = dict(store._read(lambda c: _RUNS.rows(c, ids=ids)))

    assert all(isinstance(run_id, UUID) for run_id in found)
    assert found == {ids[0]: "COMPLETED", ids[1]: "RUNNING", ids[2]: "RUNNING"}


def test_a_clash_on_the_driver_cursor_is_a_conflict_and_nothing_is_written(store: Store) -> None:
    rows = [_job("first", {}), _job("clash", {}), _job("clash", {})]

    with pytest.raises(ConflictError, match="conflicting write"):
        store._write(lambda c: bulk_insert(c, t.job, rows))

    assert store._read(lambda c: _JOBS.rows(c, names=["first", "clash"])) == []
