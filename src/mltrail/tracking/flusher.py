"""Background writing: ended runs are recorded many per transaction, open runs' buffers when due.

One daemon thread per process. Runs that end before their buffer is due are queued as whole
records and written by :meth:`Flusher.drain` in one set-wise transaction per backend, which is
what lets a process record thousands of trials per second. Reads through the SDK drain the
queue first, so a process always sees its own runs; :func:`mltrail.flush` and interpreter exit
drain it too. When a backend cannot record queued runs, their :class:`Keeper` keeps them (as
OpenLineage events in the spool, see :class:`mltrail.tracking.emission.StoreKeeper`).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from mltrail.core.entities import RunRecord
from mltrail.core.errors import MltrailError, StoreError
from mltrail.tracking.backends import Backend

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
MAX_QUEUED = 2000
"""Records queued before the thread that submits one writes the queue itself (back-pressure)."""


class Flushable(Protocol):
    """What the flusher needs of an open run handle."""

    def flush_if_due(self) -> None:
        """Write the buffer if it is older than the flush interval."""

    def flush(self) -> None:
        """Write the buffer now."""


class Keeper(Protocol):
    """What keeps runs a backend could not record, for a later replay."""

    def keep_records(self, records: Sequence[RunRecord]) -> None:
        """Keep these runs; never raises."""


_Queued = tuple[Backend, RunRecord, Keeper | None]


class Flusher:
    """Queues ended runs and watches open ones for this process."""

    def __init__(self) -> None:
        self._open: set[Flushable] = set()
        self._queue: list[_Queued] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        atexit.register(self.close)

    # -- open runs ------------------------------------------------------------------------------

    def register(self, run: Flushable) -> None:
        """Watch an open run until :meth:`unregister`."""
        with self._lock:
            self._open.add(run)
        self._ensure_thread()

    def unregister(self, run: Flushable) -> None:
        """Stop watching a run (it has ended)."""
        with self._lock:
            self._open.discard(run)

    # -- ended runs -----------------------------------------------------------------------------

    def submit(self, backend: Backend, record: RunRecord, *, keeper: Keeper | None = None) -> None:
        """Queue a whole run for writing; write the queue now if it is full.

        Args:
            backend: Where to write it.
            record: The run.
            keeper: What keeps the run if the backend fails; without one it is logged and lost.
        """
        with self._lock:
            self._queue.append((backend, record, keeper))
            full = len(self._queue) >= MAX_QUEUED
        if full:
            self.drain()
        else:
            self._ensure_thread()

    def drain(self) -> None:
        """Write every queued run now, one transaction per backend."""
        with self._write_lock:
            with self._lock:
                queued, self._queue = self._queue, []
            by_backend: dict[int, tuple[Backend, list[RunRecord], list[Keeper | None]]] = {}
            for backend, record, keeper in queued:
                _, records, keepers = by_backend.setdefault(id(backend), (backend, [], []))
                records.append(record)
                keepers.append(keeper)
            for backend, records, keepers in by_backend.values():
                _record(backend, records, keepers)

    def close(self) -> None:
        """Write open runs' buffers and the queue (at interpreter exit)."""
        for run in self._snapshot():
            _guarded(run.flush)
        self.drain()

    # -- the thread -----------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="mltrail-flusher", daemon=True)
                self._thread.start()

    def _snapshot(self) -> list[Flushable]:
        with self._lock:
            return list(self._open)

    def _loop(self) -> None:
        wake = threading.Event()
        while not wake.wait(POLL_SECONDS):
            for run in self._snapshot():
                _guarded(run.flush_if_due)
            if self._queue:
                _guarded(self.drain)


def _record(backend: Backend, records: list[RunRecord], keepers: list[Keeper | None]) -> None:
    """Write records together; if the set is refused, write them one by one so a bad run loses only itself.

    When the backend fails (``StoreError``), the runs go to their keepers.
    """
    try:
        backend.record_runs(records)
        return
    except StoreError as exc:
        log.warning("mltrail could not record %d runs (the pipeline goes on): %s", len(records), exc)
        _keep(records, keepers)
        return
    except MltrailError:
        if len(records) == 1:
            raise
    for record, keeper in zip(records, keepers, strict=True):
        try:
            backend.record_runs([record])
        except StoreError as exc:
            log.warning("mltrail could not record run %s: %s", record.run_id, exc)
            _keep([record], [keeper])
        except MltrailError as exc:
            log.warning("mltrail could not record run %s: %s", record.run_id, exc)


def _keep(records: list[RunRecord], keepers: list[Keeper | None]) -> None:
    """Hand runs to their keepers, those of one keeper together."""
    by_keeper: dict[Keeper, list[RunRecord]] = {}
    for record, keeper in zip(records, keepers, strict=True):
        if keeper is not None:
            by_keeper.setdefault(keeper, []).append(record)
    for keeper, kept in by_keeper.items():
        try:
            keeper.keep_records(kept)
        except Exception:  # tracking never breaks the pipeline: log and carry on
            log.exception("mltrail could not keep %d runs", len(kept))


def _guarded(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:  # tracking never breaks the pipeline: log and carry on
        log.exception("mltrail failed to write in the background")


flusher = Flusher()
"""The process's flusher."""
