"""The run handle users log to: params, buffered metrics, datasets, artifacts and tags."""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any
from uuid import UUID

from mltrail.config import Settings
from mltrail.core.entities import DatasetRef, RunKind, RunRecord, RunStatus
from mltrail.core.errors import StoreError
from mltrail.core.naming import dataset_from_uri
from mltrail.core.params import encode_params
from mltrail.core.validation import validate_key, validate_metric_value, validate_step, validate_tags
from mltrail.tracking import signals
from mltrail.tracking.artifacts import RunArtifacts
from mltrail.tracking.backends import Backend
from mltrail.tracking.emission import RunEvents, mirror_datasets, string_tags
from mltrail.tracking.flusher import flusher

log = logging.getLogger(__name__)

MAX_ERROR_MESSAGE_LENGTH = 10_000
_TERMINAL_EVENT = {
    RunStatus.COMPLETED: "COMPLETE",
    RunStatus.FAILED: "FAIL",
    RunStatus.STOPPED: "ABORT",
    RunStatus.IN_PROGRESS: "RUNNING",
}


class ActiveRun:
    """A run in progress; a context manager that ends it Completed, Failed or Stopped.

    Params, tags, datasets and metric points are checked when logged and buffered. The buffer
    is written in one transaction when it holds ``metric_batch_size`` points, when it is
    ``flush_interval`` seconds old (a background thread sees to it), on :meth:`flush`, and when
    the run ends. The run's start is written with its first buffer, so a short run costs one
    transaction; in strict mode the start is written at once. When the backend fails, the
    failure is logged and the run carries on (raised instead in strict mode); bad arguments
    always raise.

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
        self._settings_code = start.get("code")
        if events is not None:
            events.params.update(start.get("params") or {})
            events.tags.update(start.get("tags") or {})
            self._send("START")
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
            self._params.update(params)
            if self._events is not None:
                self._events.params.update(params)
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
        self._points.append((key, number, step, int(timestamp * 1000)))
        if self._events is not None:
            self._events.add_point(key, number, step, int(timestamp * 1000))

    def log_input(self, uri: str | os.PathLike[str], *, role: str | None = None) -> None:
        """Record a dataset the run read; the URI is named by the OpenLineage conventions.

        With an OpenLineage backend configured, the run's first input also sends a RUNNING
        event, so consumers see what a long run reads before it ends (once per run).
        """
        dataset = dataset_from_uri(os.fspath(uri), role=role)
        with self._lock:
            self._inputs.append(dataset)
            announce = False
            if self._events is not None:
                mirror_datasets(self._events.inputs, [dataset])
                announce, self._events.inputs_announced = not self._events.inputs_announced, True
        if announce and self._status is None:
            self._send("RUNNING")

    def log_output(self, uri: str | os.PathLike[str], *, role: str | None = None) -> None:
        """Record a dataset the run wrote (a model, predictions, a report…)."""
        dataset = dataset_from_uri(os.fspath(uri), role=role)
        with self._lock:
            self._outputs.append(dataset)
            if self._events is not None:
                mirror_datasets(self._events.outputs, [dataset])

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
            self._tags.update(clean)
            if self._events is not None:
                self._events.tags.update(string_tags(clean))

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
            if self._status is not None:
                return
            batch = self._take_batch()
            if self._pending_start is not None:
                start = self._start_with(batch)
                if self._call(lambda b: b.start_run(**start)) is _FAILED:
                    self._backend = None
            elif any(batch.values()):
                self._call(lambda b: b.log_batch(self.id, **batch))

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
        :func:`mltrail.flush`, wait for it.
        """
        final = RunStatus(status)
        message = error_message[:MAX_ERROR_MESSAGE_LENGTH] if error_message else None
        with self._lock:
            if self._status is not None:
                return
            batch = self._take_batch()
            if self._pending_start is None:
                self._call(lambda b: b.end_run(self.id, status=final, error_message=message, **batch))
            elif self._backend is not None:
                start = self._start_with(batch)
                record = RunRecord(
                    **start, status=final, end_time=int(time.time() * 1000), error_message=message
                )
                flusher.submit(self._backend, record)
            self._status = final
        flusher.unregister(self)
        signals.forget(self)
        self._send(_TERMINAL_EVENT[final], error_message=message)

    def _send(self, event_type: str, *, error_message: str | None = None) -> None:
        if self._events is not None:
            self._events.send(
                event_type,
                run_id=self.id,
                experiment=self.experiment,
                trial=self.trial,
                name=self.name,
                kind=self.kind,
                artifact_uri=self.artifact_uri,
                code=self._settings_code,
                error_message=error_message,
            )

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
        """True when the run could not be recorded at its start; logging calls then do nothing."""
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
