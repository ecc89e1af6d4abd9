from __future__ import annotations

import os

import pytest

from mltrail.core.ids import new_run_id


def test_ids_are_distinct_version_4_uuids() -> None:
    ids = [new_run_id() for _ in range(5000)]
    assert len(set(ids)) == 5000
    assert {i.version for i in ids} == {4}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_draws_other_ids() -> None:
    new_run_id()  # fill the pool in the parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its next id
        os.write(write, new_run_id().bytes)
        os._exit(0)
    child = os.read(read, 16)
    os.waitpid(pid, 0)
    assert child != new_run_id().bytes
