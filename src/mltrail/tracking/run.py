"""The run handle users log to: params, buffered metrics, datasets, artifacts and tags."""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mltrail.config import Settings
from mltrail.core.entities import DatasetRef, RunKind, RunRecord, RunStatus
from mltrail.core.errors import StoreError
from mltrail.core.lineage import TRACKED_JOB_NAMESPACE
from mltrail.core.naming import dataset_from_uri
from mltrail.core.params import encode_params
from mltrail.core.validation import validate_key, validate_metric_value, validate_step, validate_tags
from mltrail.tracking import signals
from mltrail.tracking.artifacts import RunArtifacts
from mltrail.tracking.backends import Backend
from mltrail.tracking.emission import (
    TERMINAL_EVENT,
    RunEvents,
    RunFacts,
    RunState,
    mirror_datasets,
    store_keeper,
    string_tags,
)
from mltrail.tracking.flusher import flusher

if TYPE_CHECKING:
    from mltrail.openlineage.destinations import Event
    from mltrail.openlineage.events import ParentRef
    from mltrail.tracking.flusher import Keeper

log = logging.getLogger(__name__)

MAX_ERROR_MESSAGE_LENGTH = 10_000


class ActiveRun:
    """A run in progress; a context manager that ends it Completed, Failed or Stopped.

    Params, tags, datasets and metric points are checked when logged and buffered. The buffer
    is written in one transaction when it holds ``metric_batch_size`` points, when it is
    ``flush_interval`` seconds old (a background thread sees to it), on :meth:`flush`, and when
    the run ends. The run's start is written with its first buffer, so a short run costs one
    transaction; in strict mode the start is written at once. When the backend fails, the
    failure is logged and the run carries on (raised instead in strict mode); bad arguments
    always raise.

    What the backend could not record is not lost: from the failed write on (or from the start,
    when the backend could not be reached), the run keeps its params, tags, datasets and metric
    summaries, and at its end hands them as its OpenLineage events to the tracking store's
    destination (see :class:`~mltrail.tracking.emission.StoreKeeper`), which delivers them or
    spools them for ``mltrail spool replay``. Metric histories written before the failure are
    kept; later points count in the summaries only.

    Attributes:
        id: The run's UUID (the OpenLineage run id).
        name: The run's name.
        experiment: The experiment's name.
        trial: The trial's name.
        kind: What the run does.
        artifact_uri: Where :meth:`log_artifact` copies files.
    """

    def __init__(
        self,
        backend: Backend | None,
        settings: Settings,
        *,
        run_id: UUID,
        experiment: str,
        trial: str,
        name: str,
        kind: RunKind,
        artifacts: RunArtifacts,
        start: Mapping[str, Any],
        events: RunEvents | None = None,
        parent: ParentRef | None = None,
    ) -> None:
        self._backend = backend
        self._settings = settings
        self.id = run_id
        self.name = name
        self.experiment = experiment
        self.trial = trial
        self.kind = kind
        self._artifacts = artifacts
        self.artifact_uri = artifacts.uri
        self._pending_start: dict[str, Any] | None = dict(start) | {"artifact_uri": self.artifact_uri}
        self._lock = threading.RLock()
        self._params: dict[str, Any] = {}
        self._tags: dict[str, str] = {}
        self._points: list[tuple[str, float, int, int]] = []
        self._inputs: list[DatasetRef] = []
        self._outputs: list[DatasetRef] = []
        self._next_step: dict[str, int] = {}
        self._last_flush = time.monotonic()
        self._status: RunStatus | None = None
        self._events = events
        self._facts = RunFacts(
            run_id=run_id,
            experiment=experiment,
            trial=trial,
            name=name,
            kind=kind,
            start_time=start["start_time"],
            artifact_uri=self.artifact_uri,
            code=start.get("code"),
        )
        self._job = (
            start.get("job_namespace") or TRACKED_JOB_NAMESPACE,
            start.get("job_name") or f"{experiment}.{name}",
        )
        self._parent = parent
        self._kept: RunState | None = None
        """What the backend has not got, once a write failed (``None`` while all is written)."""
        self._is_recorded = False
        """Whether the backend has the run's start (before ``_kept`` was set)."""
        self._failed_at = float("-inf")
        if events is not None:
            events.state.add(params=start.get("params"), tags=start.get("tags"))
            self._send("START")
        if backend is None:
            self._keep_from_now(self._pending_start or {}, is_recorded=False)
        if settings.strict:
            self.flush()
        elif backend is not None:
            flusher.register(self)
        signals.track(self)

    def __repr__(self) -> str:
        return (
            f"ActiveRun(id={self.id}, experiment={self.experiment!r}, trial={self.trial!r}, kind={self.kind})"
        )

    # -- logging --------------------------------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        """Record one hyperparameter; its type (int, float, bool, str, JSON) is kept."""
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record hyperparameters; a key logged again takes the new value."""
        encode_params(params)
        with self._lock:
            if self._kept is not None:
                self._kept.params.update(params)
            else:
                self._params.update(params)
            if self._events is not None:
                self._events.state.params.update(params)
        self._flush_if_full()

    def log_metric(
        self, key: str, value: float, *, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Record one metric point.

        Args:
            key: The metric's name.
            value: A number; NaN and ±inf are kept and flagged.
            step: The step (epoch, iteration); by default one more than this key's last step here.
            timestamp: Seconds since the epoch; now by default.
        """
        with self._lock:
            self._append(key, value, step, timestamp if timestamp is not None else time.time())
        self._flush_if_full()

    def log_metrics(
        self, metrics: Mapping[str, float], *, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Record several metric points that share a step and timestamp."""
        now = timestamp if timestamp is not None else time.time()
        with self._lock:
            for key, value in metrics.items():
                self._append(key, value, step, now)
        self._flush_if_full()

    def _append(self, key: str, value: Any, step: int | None, timestamp: float) -> None:
        validate_key("metrics", key)
        number = validate_metric_value(key, value)
        step = self._next_step.get(key, 0) if step is None else validate_step(key, step)
        self._next_step[key] = step + 1
        if self._kept is not None:
            self._kept.add_point(key, number, step, int(timestamp * 1000))
        else:
            self._points.append((key, number, step, int(timestamp * 1000)))
        if self._events is not None:
            self._events.state.add_point(key, number, step, int(timestamp * 1000))

    def log_input(self, uri: str | os.PathLike[str], *, role: str | None = None) -> None:
        """Record a dataset the run read; the URI is named by the OpenLineage conventions.

        With an OpenLineage backend configured, the run's first input also sends a RUNNING
        event, so consumers see what a long run reads before it ends (once per run).
        """
        dataset = dataset_from_uri(os.fspath(uri), role=role)
        with self._lock:
            if self._kept is not None:
                mirror_datasets(self._kept.inputs, [dataset])
            else:
                self._inputs.append(dataset)
            announce = False
            if self._events is not None:
                mirror_datasets(self._events.state.inputs, [dataset])
                announce, self._events.inputs_announced = not self._events.inputs_announced, True
        if announce and self._status is None:
            self._send("RUNNING")

    def log_output(self, uri: str | os.PathLike[str], *, role: str | None = None) -> None:
        """Record a dataset the run wrote (a model, predictions, a report…)."""
        dataset = dataset_from_uri(os.fspath(uri), role=role)
        with self._lock:
            if self._kept is not None:
                mirror_datasets(self._kept.outputs, [dataset])
            else:
                self._outputs.append(dataset)
            if self._events is not None:
                mirror_datasets(self._events.state.outputs, [dataset])

    def log_artifact(
        self, path: str | os.PathLike[str], *, artifact_path: str | None = None, role: str = "artifact"
    ) -> str:
        """Store a file or folder in the run's artifact folder, record it as an output, return its URI.

        The folder is local or on an ``mltrail server`` (see :mod:`mltrail.tracking.artifacts`).
        """
        uri = self._artifacts.put(path, artifact_path)
        self.log_output(uri, role=role)
        return uri

    def set_tag(self, key: str, value: Any) -> None:
        """Set one tag."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags; values are strings (numbers and booleans are converted)."""
        clean = validate_tags(tags)
        with self._lock:
            if self._kept is not None:
                self._kept.tags.update(string_tags(clean))
            else:
                self._tags.update(clean)
            if self._events is not None:
                self._events.state.tags.update(string_tags(clean))

    # -- writing --------------------------------------------------------------------------------

    def _flush_if_full(self) -> None:
        if len(self._points) >= self._settings.metric_batch_size:
            self.flush()

    def flush_if_due(self) -> None:
        """Write the buffer if it is ``flush_interval`` seconds old (called by the background flusher)."""
        if time.monotonic() - self._last_flush >= self._settings.flush_interval:
            self.flush()

    def flush(self) -> None:
        """Write the run's start, if still pending, and everything buffered, in one transaction."""
        with self._lock:
            if self._status is not None or self._kept is not None:
                return
            batch = self._take_batch()
            if self._pending_start is not None:
                start = self._start_with(batch)
                if self._call(lambda b: b.start_run(**start)) is _FAILED:
                    self._backend = None
                    self._keep_from_now(start, is_recorded=False)
            elif any(batch.values()):
                if self._call(lambda b: b.log_batch(self.id, **batch)) is _FAILED:
                    self._keep_from_now(batch, is_recorded=True)

    def _keep_from_now(self, batch: Mapping[str, Any], *, is_recorded: bool) -> None:
        """Keep what the backend did not take, and all that is logged from now on, for the run's events."""
        kept = RunState(self._job[1], self._job[0], self._parent)
        kept.add(
            params=batch.get("params"),
            tags=batch.get("tags"),
            metrics=batch.get("metrics", ()),
            inputs=batch.get("inputs", ()),
            outputs=batch.get("outputs", ()),
        )
        self._kept, self._is_recorded, self._pending_start = kept, is_recorded, None
        self._failed_at = time.monotonic()

    def _start_with(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Return the pending start merged with a batch, and clear the pending start."""
        assert self._pending_start is not None
        start, self._pending_start = self._pending_start, None
        return (
            start
            | batch
            | {"params": start["params"] | batch["params"], "tags": start["tags"] | batch["tags"]}
        )

    def _take_batch(self) -> dict[str, Any]:
        batch = {
            "params": self._params,
            "tags": self._tags,
            "metrics": self._points,
            "inputs": self._inputs,
            "outputs": self._outputs,
        }
        self._params, self._tags, self._points, self._inputs, self._outputs = {}, {}, [], [], []
        self._last_flush = time.monotonic()
        return batch

    # -- ending ---------------------------------------------------------------------------------

    @property
    def status(self) -> RunStatus:
        """InProgress until the run ends, then how it ended."""
        return self._status or RunStatus.IN_PROGRESS

    def end(self, status: RunStatus | str = RunStatus.COMPLETED, *, error_message: str | None = None) -> None:
        """End the run, writing what is buffered; calling it again does nothing.

        A run whose start is not written yet (it ended within ``flush_interval``) is queued whole
        and written with other ended runs in the background; SDK reads in this process, and
        :func:`mltrail.flush`, wait for it. A run the backend could not record wholly is handed
        to the store's keeper as its events (delivered if the backend is back, else spooled).
        """
        final = RunStatus(status)
        message = error_message[:MAX_ERROR_MESSAGE_LENGTH] if error_message else None
        kept: list[Event] | None = None
        with self._lock:
            if self._status is not None:
                return
            end_time = int(time.time() * 1000)
            batch = self._take_batch()
            if self._kept is None and self._pending_start is None:
                ended = self._call(
                    lambda b: b.end_run(
                        self.id, status=final, end_time=end_time, error_message=message, **batch
                    )
                )
                if ended is _FAILED:
                    self._keep_from_now(batch, is_recorded=True)
            elif self._kept is None and self._backend is not None:
                start = self._start_with(batch)
                record = RunRecord(**start, status=final, end_time=end_time, error_message=message)
                flusher.submit(self._backend, record, keeper=self._record_keeper())
            self._status = final
            if self._kept is not None:
                kept = self._kept_events(final, end_time, message)
        flusher.unregister(self)
        signals.forget(self)
        if kept is not None:
            store_keeper(self._settings).keep(kept, runs=[self.id], failed_at=self._failed_at)
        self._send(TERMINAL_EVENT[final], error_message=message)

    def _kept_events(self, final: RunStatus, end_time: int, message: str | None) -> list[Event]:
        """The events that give the store what it has not got: the run's start if missing, and its end."""
        assert self._kept is not None
        moments = [] if self._is_recorded else [("START", self._facts.start_time)]
        moments.append((TERMINAL_EVENT[final], end_time))
        try:
            return self._kept.events(self._facts, moments, error_message=message)
        except Exception as exc:  # noqa: BLE001 - tracking never breaks the pipeline
            log.warning("mltrail could not keep run %s: %s", self.id, exc)
            return []

    def _record_keeper(self) -> Keeper:
        """What keeps the run if the background write of its record fails."""
        return store_keeper(self._settings).for_parent(self._parent)

    def _send(self, event_type: str, *, error_message: str | None = None) -> None:
        if self._events is not None:
            self._events.send(event_type, self._facts, error_message=error_message)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.end(RunStatus.COMPLETED)
        elif isinstance(exc, KeyboardInterrupt):
            self.end(RunStatus.STOPPED, error_message="interrupted (KeyboardInterrupt)")
        else:
            detail = "".join(traceback.format_exception(exc_type, exc, tb))
            self.end(RunStatus.FAILED, error_message=f"{type(exc).__name__}: {exc}\n\n{detail}")

    @property
    def is_detached(self) -> bool:
        """True when the run could not be recorded at its start; it is kept for the spool instead."""
        return self._backend is None

    def _call(self, action: Callable[[Backend], object]) -> object:
        """Run a backend call; outside strict mode a backend failure is logged, not raised."""
        if self._backend is None:
            return _FAILED
        try:
            return action(self._backend)
        except StoreError as exc:
            if self._settings.strict:
                raise
            log.warning("mltrail could not record run %s (the pipeline goes on): %s", self.id, exc)
            return _FAILED


_FAILED = object()
"""What :meth:`ActiveRun._call` returns when the backend failed."""
