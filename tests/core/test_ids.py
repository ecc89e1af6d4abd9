from __future__ import annotations

import os
import time
import uuid

import pytest

from mltrail.core.ids import new_run_id, uuid7


def test_ids_are_distinct_version_7_uuids_that_start_with_their_time() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_run_id() for _ in range(5000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == 5000
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    assert all(before <= i.int >> 80 <= after for i in ids)


def test_uuid7_keeps_the_time_and_74_random_bits() -> None:
    made = uuid7(0x0123456789AB, (1 << 74) - 1)
    assert str(made) == "01234567-89ab-7fff-bfff-ffffffffffff"
    assert uuid7(1, 0) < uuid7(2, 0) < uuid7(2, 1)


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
