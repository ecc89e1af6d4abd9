"""Group commit: single events that arrive together are stored in one transaction.

Each ``POST /api/v1/lineage`` waits for its own event to be stored, as Marquez's contract wants,
but a worker's concurrent requests share the transaction (and its commit), so clients that send
events one by one get the batch path's throughput. Each request validates its own event before
it joins the queue, so a refused event fails only its own request, and validation overlaps the
writer's waits on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from fastapi.concurrency import run_in_threadpool

from mltrail.store import Store
from mltrail.store.ingest import Prepared, prepare

MAX_GROUP = 500
"""The most events one transaction takes."""


class GroupCommit:
    """A queue of events and the task that stores them, a group per transaction."""

    def __init__(self, store: Store, *, max_group: int = MAX_GROUP) -> None:
        self._store = store
        self._max_group = max_group
        self._queue: asyncio.Queue[tuple[Prepared, asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer task (in the running event loop)."""
        self._task = asyncio.create_task(self._write_forever(), name="mltrail-group-commit")

    async def stop(self) -> None:
        """Stop the writer task; requests still queued fail."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            _, waiter = self._queue.get_nowait()
            if not waiter.done():
                waiter.set_exception(RuntimeError("the server is stopping"))

    async def store(self, event: Mapping[str, Any]) -> None:
        """Store one event once its group commits.

        Raises:
            EventValidationError: If the event is invalid (nothing of it stored).
            StoreError: If the database failed (the event may be retried).
        """
        prepared = await run_in_threadpool(prepare, 0, event)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((prepared, waiter))
        await waiter

    async def _write_forever(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < self._max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                await run_in_threadpool(self._store.ingest_prepared, [event for event, _ in group])
            except Exception as exc:  # noqa: BLE001 - every request of the group gets the error
                for _, waiter in group:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for _, waiter in group:
                if not waiter.done():
                    waiter.set_result(None)


__all__ = ["MAX_GROUP", "GroupCommit"]
