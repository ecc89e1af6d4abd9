"""The run handle users log to: params, buffered metrics, datasets, artifacts and tags."""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar
from uuid import UUID

from mltrail.config import Settings
from mltrail.core.entities import RunKind, RunStatus
from mltrail.core.errors import StoreError
from mltrail.core.naming import dataset_from_uri
from mltrail.core.validation import validate_key, validate_metric_value, validate_step
from mltrail.tracking.artifacts import artifact_dir, copy_artifact
from mltrail.tracking.backends import Backend

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ERROR_MESSAGE_LENGTH = 10_000


class ActiveRun:
    """A run in progress; a context manager that ends it Completed, Failed or Stopped.

    Metric points are buffered and written in batches (``metric_batch_size``), and when the run
    ends. Params, tags and datasets are written at once. When the backend fails, the failure is
    logged and the run carries on (raised instead in strict mode); bad arguments always raise.

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
    ) -> None:
        self._backend = backend
        self._settings = settings
        self.id = run_id
        self.name = name
        self.experiment = experiment
        self.trial = trial
        self.kind = kind
        self._artifact_dir = artifact_dir(settings.artifact_root, experiment=experiment, run_id=run_id)
        self.artifact_uri = self._artifact_dir.as_uri()
        self._buffer: list[tuple[str, float, int, int]] = []
        self._next_step: dict[str, int] = {}
        self._status: RunStatus | None = None

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
        self._call(lambda b: b.log_params(self.id, params))

    def log_metric(
        self, key: str, value: float, *, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Buffer one metric point.

        Args:
            key: The metric's name.
            value: A number; NaN and ±inf are kept and flagged.
            step: The step (epoch, iteration); by default one more than this key's last step here.
            timestamp: Seconds since the epoch; now by default.
        """
        self._append(key, value, step, timestamp if timestamp is not None else time.time())
        if len(self._buffer) >= self._settings.metric_batch_size:
            self.flush()

    def log_metrics(
        self, metrics: Mapping[str, float], *, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Buffer several metric points that share a step and timestamp."""
        now = timestamp if timestamp is not None else time.time()
        for key, value in metrics.items():
            self._append(key, value, step, now)
        if len(self._buffer) >= self._settings.metric_batch_size:
            self.flush()

    def _append(self, key: str, value: Any, step: int | None, timestamp: float) -> None:
        validate_key("metrics", key)
        number = validate_metric_value(key, value)
        if step is None:
            step = self._next_step.get(key, 0)
        else:
            step = validate_step(key, step)
        self._next_step[key] = step + 1
        self._buffer.append((key, number, step, int(timestamp * 1000)))

    def log_input(self, uri: str | os.PathLike[str], *, role: str | None = None) -> None:
        """Record a dataset the run read; the URI is named by the OpenLineage conventions."""
        dataset = dataset_from_uri(os.fspath(uri), role=role)
        self._call(lambda b: b.log_datasets(self.id, [dataset], direction="input"))

    def log_output(self, uri: str | os.PathLike[str], *, role: str | None = None) -> None:
        """Record a dataset the run wrote (a model, predictions, a report…)."""
        dataset = dataset_from_uri(os.fspath(uri), role=role)
        self._call(lambda b: b.log_datasets(self.id, [dataset], direction="output"))

    def log_artifact(
        self, path: str | os.PathLike[str], *, artifact_path: str | None = None, role: str = "artifact"
    ) -> str:
        """Copy a file or folder to the run's artifact folder, record it as an output, return its URI."""
        stored = copy_artifact(path, self._artifact_dir, artifact_path=artifact_path)
        uri = stored.as_uri()
        self.log_output(uri, role=role)
        return uri

    def set_tag(self, key: str, value: Any) -> None:
        """Set one tag."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags; values are strings (numbers and booleans are converted)."""
        self._call(lambda b: b.set_tags(self.id, tags))

    def flush(self) -> None:
        """Write buffered metric points now."""
        if self._buffer:
            points, self._buffer = self._buffer, []
            self._call(lambda b: b.log_metrics(self.id, points))

    # -- ending ---------------------------------------------------------------------------------

    @property
    def status(self) -> RunStatus:
        """InProgress until the run ends, then how it ended."""
        return self._status or RunStatus.IN_PROGRESS

    def end(self, status: RunStatus | str = RunStatus.COMPLETED, *, error_message: str | None = None) -> None:
        """End the run, writing buffered metrics; calling it again does nothing."""
        if self._status is not None:
            return
        final = RunStatus(status)
        points, self._buffer = self._buffer, []
        message = error_message[:MAX_ERROR_MESSAGE_LENGTH] if error_message else None
        self._call(lambda b: b.end_run(self.id, status=final, error_message=message, metrics=points))
        self._status = final

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

    def attach(self, backend: Backend) -> None:
        """Record this run's calls in ``backend`` (once its start has been recorded there)."""
        self._backend = backend

    def _call(self, action: Callable[[Backend], T]) -> T | None:
        """Run a backend call; outside strict mode a backend failure is logged, not raised."""
        if self._backend is None:
            return None
        try:
            return action(self._backend)
        except StoreError as exc:
            if self._settings.strict:
                raise
            log.warning("mltrail could not record run %s (the pipeline goes on): %s", self.id, exc)
            return None
