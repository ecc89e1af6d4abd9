"""Process targets for the spool's multi-process tests (importable by spawned children)."""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.synchronize import Barrier

from mltrail.openlineage.spool import Spool


def append(folder: str, writer: str, count: int, start: Barrier) -> None:
    """Append ``count`` events ``{"writer": writer, "n": i}`` in batches of 10, once all writers are up."""
    spool = Spool(folder)
    start.wait(30)
    for start in range(0, count, 10):
        spool.add("openlineage", [{"writer": writer, "n": n} for n in range(start, start + 10)])


def claim_all(folder: str, found: multiprocessing.Queue[list[int]], start: Barrier) -> None:
    """Claim and remove entries 7 at a time until none are left; put the ids taken on ``found``.

    Each batch is followed by a 2 ms pause (a delivery takes longer), so that two
    claimers interleave even when one of them starts a little later.
    """
    spool = Spool(folder)
    start.wait(30)
    mine: list[int] = []
    while batch := spool.claim("openlineage", limit=7, after_id=mine[-1] if mine else 0):
        mine += [entry.id for entry in batch]
        spool.remove([entry.id for entry in batch])
        time.sleep(0.002)
    found.put(mine)
