"""Group commit: single events that arrive together are stored in one transaction.

Each ``POST /api/v1/lineage`` waits for its own event to be stored, as Marquez's contract wants,
but a worker's concurrent requests share the transaction (and its commit), so clients that send
events one by one get the batch path's throughput. A refused event fails only its own request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from fastapi.concurrency import run_in_threadpool

from mltrail.core.errors import EventValidationError
from mltrail.store import Store

MAX_GROUP = 500
"""The most events one transaction takes."""


class GroupCommit:
    """A queue of events and the task that stores them, a group per transaction."""

    def __init__(self, store: Store, *, max_group: int = MAX_GROUP) -> None:
        self._store = store
        self._max_group = max_group
        self._queue: asyncio.Queue[tuple[Any, asyncio.Future[None]]] = asyncio.Queue()
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
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((event, waiter))
        await waiter

    async def _write_forever(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < self._max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                result = await run_in_threadpool(self._store.ingest_batch, [event for event, _ in group])
            except Exception as exc:  # noqa: BLE001 - every request of the group gets the error
                for _, waiter in group:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            refused = {failure.index: failure for failure in result.failed}
            for index, (_, waiter) in enumerate(group):
                if waiter.done():
                    continue
                failure = refused.get(index)
                if failure is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(
                        EventValidationError(list(failure.errors) or [("$", failure.reason)])
                    )


__all__ = ["MAX_GROUP", "GroupCommit"]
