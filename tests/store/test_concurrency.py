from __future__ import annotations

import multiprocessing
import uuid

import pytest
from concurrent_writer import BATCHES, POINTS_PER_BATCH, log_from_process

from mltrail.store import Store

PROCESSES = 4


@pytest.mark.slow
def test_four_processes_lose_no_point(db_url: str) -> None:
    shared = uuid.uuid4()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = [
        context.Process(target=log_from_process, args=(db_url, worker, str(shared), barrier))
        for worker in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES

    with Store(db_url) as store:
        trials = store.search_trials(experiment="concurrency", filter="name LIKE 'worker-%'", max_results=10)
        assert len(trials) == PROCESSES
        for trial in trials:
            summary = trial.metrics["loss"]
            assert summary.count == BATCHES * POINTS_PER_BATCH
            history = store.get_metric_history(trial.run_ids[0], "loss")
            assert sorted(history.steps) == list(range(BATCHES * POINTS_PER_BATCH))
        shared_run = store.get_run(shared)
        assert shared_run.metrics["all"].count == PROCESSES * BATCHES
        for worker in range(PROCESSES):
            assert shared_run.metrics[f"w{worker}"].count == BATCHES
        all_points = store.get_metric_history(shared, "all")
        assert len(all_points) == PROCESSES * BATCHES
        assert sorted(all_points.values) == sorted(float(w) for w in range(PROCESSES) for _ in range(BATCHES))
