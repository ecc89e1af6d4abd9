"""Worker processes for the concurrency tests (importable by spawned children)."""

from __future__ import annotations

import multiprocessing.synchronize
import time
import uuid

from mltrail import NotFoundError
from mltrail.store import Store

BATCHES = 40
POINTS_PER_BATCH = 250


def log_from_process(
    url: str, worker: int, shared_run: str, start_barrier: multiprocessing.synchronize.Barrier
) -> None:
    """Open the store (migrating it if new), then log to an own run and to a run shared by all workers."""
    start_barrier.wait(timeout=60)
    with Store(url) as store:
        own = uuid.uuid4()
        store.start_run(run_id=own, experiment="concurrency", trial=f"worker-{worker}", name=f"w{worker}")
        shared = uuid.UUID(shared_run)
        if worker == 0:
            store.start_run(run_id=shared, experiment="concurrency", trial="shared", name="shared")
        for batch in range(BATCHES):
            ts = int(time.time() * 1000)
            points = [("loss", float(i), batch * POINTS_PER_BATCH + i, ts) for i in range(POINTS_PER_BATCH)]
            store.log_metrics(own, points)
            if worker != 0 or batch > 0:
                wait_for_run(store, shared)
            store.log_metrics(shared, [(f"w{worker}", 1.0, batch, ts), ("all", float(worker), batch, ts)])
        store.end_run(own, status="Completed")


def wait_for_run(store: Store, run_id: uuid.UUID) -> None:
    for _ in range(600):
        try:
            store.get_run(run_id)
            return
        except NotFoundError:
            time.sleep(0.05)
    raise TimeoutError(f"run {run_id} never appeared")
