"""The SDK's functions: choose a tracking URI, start runs, search and read trials and runs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mltrail.config import Settings, resolve_settings
from mltrail.core.entities import CodeInfo, EnvironmentInfo, Experiment, MetricHistory, Run, RunKind, Trial
from mltrail.core.errors import MltrailError, NotFoundError, StoreError, ValidationError
from mltrail.core.ids import new_run_id
from mltrail.core.lineage import TRACKED_JOB_NAMESPACE
from mltrail.core.page import Page
from mltrail.core.params import encode_params
from mltrail.core.validation import validate_kind, validate_name, validate_tags
from mltrail.openlineage.delivery import Emitter
from mltrail.tracking.artifacts import resolve_artifact_root, run_artifacts
from mltrail.tracking.backends import Backend, create_backend
from mltrail.tracking.capture import capture_code, capture_environment
from mltrail.tracking.emission import RunEvents, openlineage_emitter, store_keeper, wire_store_sink
from mltrail.tracking.flusher import flusher
from mltrail.tracking.run import ActiveRun

if TYPE_CHECKING:
    from mltrail.openlineage.events import ParentRef

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Context:
    """What the SDK resolves once per process: settings, artifact root, code and machine."""

    settings: Settings
    artifact_root: Path | str
    """A local folder, the artifact URL of an ``mltrail server``, or an ``s3://`` root."""
    code: CodeInfo | None
    environment: EnvironmentInfo
    emitter: Emitter | None
    """Sends tracked runs' OpenLineage events to the user's backend, when one is configured."""


_lock = threading.Lock()
_tracking_uri: str | None = None
_tracking_token: str | None = None
_context: _Context | None = None
_backends: dict[tuple[str, str | None], Backend] = {}


def set_tracking_uri(uri: str | None, *, token: str | None = None) -> None:
    """Use this tracking URI from now on in this process (``None`` returns to the configured one).

    It wins over ``MLTRAIL_TRACKING_URI`` and ``mltrail.yml``, and ``token`` (for an ``mltrail
    server``) over ``MLTRAIL_TRACKING_TOKEN``. Settings from the environment and the config file
    are read again at the next SDK call.
    """
    global _tracking_uri, _tracking_token, _context
    _tracking_uri, _tracking_token = uri, token
    _context = None


def get_tracking_uri() -> str:
    """Return the tracking URI in force."""
    return _settings().tracking_uri


def _current() -> _Context:
    """Resolve settings, artifact root, code and machine at the first SDK call of the process."""
    global _context
    context = _context
    if context is None:
        settings = resolve_settings({"tracking_uri": _tracking_uri, "tracking_token": _tracking_token})
        context = _context = _Context(
            settings=settings,
            artifact_root=resolve_artifact_root(settings),
            code=capture_code() if settings.capture_code else None,
            environment=capture_environment(
                instance_type=settings.instance_type, cloud_metadata=settings.cloud_metadata
            ),
            emitter=openlineage_emitter(settings),
        )
    return context


def _settings() -> Settings:
    return _current().settings


def flush() -> None:
    """Write everything this process has logged and queued, now (reads through the SDK do it too).

    OpenLineage events queued for the user's backend are sent too (or spooled, if it is down).
    """
    flusher.close()
    if _context is not None and _context.emitter is not None:
        _context.emitter.flush(timeout=30)


def _reader() -> Backend:
    """Return the backend for a read, after writing what this process has queued."""
    flusher.drain()
    return _backend(_settings())


def _backend(settings: Settings) -> Backend:
    with _lock:
        key = (settings.tracking_uri, settings.tracking_token)
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = create_backend(settings.tracking_uri, token=settings.tracking_token)
        return backend


def reset() -> None:
    """Write what is queued, close backends, forget :func:`set_tracking_uri` and re-read settings."""
    global _tracking_uri, _context
    flusher.close()
    if _context is not None and _context.emitter is not None:
        _context.emitter.close(timeout=5)
    _context = None
    with _lock:
        for backend in _backends.values():
            backend.close()
        _backends.clear()
        _tracking_uri = None


def start_run(
    *,
    experiment: str,
    trial: str | None = None,
    kind: RunKind | str = RunKind.CUSTOM,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    run_id: UUID | str | None = None,
    job_namespace: str | None = None,
    job_name: str | None = None,
    parent: ParentRef | None = None,
    emit_events: bool = True,
    code: CodeInfo | None = None,
) -> ActiveRun:
    """Start a tracked run (a trial component) and return its handle.

    Use it as a context manager: the run ends Completed, or Failed with the error when the block
    raises, or Stopped on Ctrl-C. The experiment and trial are created when missing. Git commit,
    branch, entry point, host, OS, Python, CPUs, memory and instance type are recorded.

    Args:
        experiment: The experiment's name.
        trial: The trial's name; by default the run's name (one trial per run).
        kind: processing, training, evaluation, registration, deployment or custom.
        name: The run's name; by default ``<kind>-<first 8 characters of the id>``.
        params: Hyperparameters; their types are kept.
        tags: String tags.
        run_id: The run's UUID; a new time-ordered one (UUIDv7) by default.
        job_namespace: The OpenLineage job namespace of the run; ``mltrail`` by default.
            Orchestrator integrations pass theirs (Airflow's OpenLineage namespace, say).
        job_name: The OpenLineage job the run is a run of; by default ``<experiment>.<name>``
            for a named run, ``<experiment>.<kind>`` otherwise.
        parent: The run that started this one (an Airflow task, a KFP pipeline run), sent as
            the ``parent`` facet of the run's OpenLineage events.
        emit_events: Send the run's own OpenLineage events to the user's OpenLineage backend
            (when one is configured). ``False`` when something else emits this run's events,
            such as Airflow's OpenLineage provider: one OpenLineage run per attempt either way.
        code: Where the run's code comes from; by default the git checkout of the running
            program (orchestrators pass the DAG file's or the component's).

    Raises:
        ValidationError: If an argument is invalid; nothing is recorded.
    """
    context = _current()
    settings = context.settings
    identifier = _as_uuid(run_id) if run_id is not None else new_run_id()
    run_kind = validate_kind(kind)
    run_name = (
        validate_name("run name", name) if name is not None else f"{run_kind.value}-{str(identifier)[:8]}"
    )
    trial_name = validate_name("trial", trial) if trial is not None else run_name
    validate_name("experiment", experiment)
    encode_params(params)
    namespace = validate_name("job_namespace", job_namespace) if job_namespace else TRACKED_JOB_NAMESPACE
    if job_name is None:  # named runs are jobs of their own; unnamed ones group by what they do
        job_name = f"{experiment}.{run_name if name is not None else run_kind.value}"
    validate_name("job_name", job_name)
    start = {
        "run_id": identifier,
        "experiment": experiment,
        "trial": trial_name,
        "name": run_name,
        "kind": run_kind,
        "start_time": int(time.time() * 1000),
        "params": dict(params or {}),
        "tags": validate_tags(tags),
        "code": code if code is not None else context.code,
        "environment": context.environment,
        "job_namespace": namespace,
        "job_name": job_name,
    }
    try:
        backend: Backend | None = _backend(settings)
    except StoreError as exc:
        if settings.strict:
            raise
        log.warning(
            "mltrail could not reach the tracking backend for run %s (the pipeline goes on): %s",
            identifier,
            exc,
        )
        backend = None
    handle = ActiveRun(
        backend,
        settings,
        run_id=identifier,
        experiment=experiment,
        trial=trial_name,
        name=run_name,
        kind=run_kind,
        artifacts=run_artifacts(context.artifact_root, settings, experiment=experiment, run_id=identifier),
        start=start,
        events=None
        if context.emitter is None or not emit_events
        else RunEvents(context.emitter, job_name, job_namespace=namespace, parent=parent),
        parent=parent,
    )
    return handle


def create_experiment(
    name: str, *, description: str | None = None, tags: Mapping[str, str] | None = None
) -> Experiment:
    """Create an experiment; raises ``ConflictError`` if the name is taken."""
    settings = _settings()
    return _backend(settings).create_experiment(name, description=description, tags=tags)


def get_experiment(name: str) -> Experiment:
    """Return an experiment by name; raises ``NotFoundError`` if there is none."""
    return _reader().get_experiment(name)


def list_experiments(*, include_archived: bool = False) -> list[Experiment]:
    """Return the experiments, ordered by name."""
    return _reader().list_experiments(include_archived=include_archived)


def get_trial(experiment: str, name: str) -> Trial:
    """Return a trial with the params, metrics and tags of its runs."""
    return _reader().get_trial(experiment, name)


def add_to_trial(run_id: UUID | str, *, experiment: str, trial: str) -> None:
    """Make a run a component of another trial too (created if missing).

    As SageMaker's ``Trial.add_trial_component`` does: e.g. a processing run shared by every
    trial of a search.
    """
    _reader().link_trial(_as_uuid(run_id), experiment=experiment, trial=trial)


def send_events(events: Sequence[Mapping[str, Any]], *, recorded: bool = False) -> None:
    """Send OpenLineage events about a run the SDK does not track (a KFP pipeline run, say).

    They go to the tracking store and, when one is configured, the user's OpenLineage backend;
    a destination that is down gets them from the spool later (``mltrail spool replay``).
    ``recorded`` says the tracking store wrote them itself (the registry's approval changes):
    only the user's OpenLineage backend gets them then.
    """
    context = _current()
    batch = [dict(event) for event in events]
    if not recorded:
        runs = [UUID(str(event["run"]["runId"])) for event in batch if "run" in event]
        store_keeper(context.settings).keep(batch, runs=runs)
    if context.emitter is not None:
        context.emitter.emit(batch)


def share_trial_runs(experiment: str, *, source: str, target: str) -> None:
    """Add every run of trial ``source`` to trial ``target`` too: the shared steps of a search.

    Orchestrator integrations call it when a per-candidate trial starts (a mapped Airflow task,
    a KFP ``ParallelFor`` iteration). Tracking never breaks the pipeline: a missing ``source``
    adds nothing, and a backend failure is logged.
    """
    try:
        shared = get_trial(experiment, source).run_ids
    except NotFoundError:
        return
    except MltrailError as exc:
        log.warning("mltrail could not read trial %r to share its runs: %s", source, exc)
        return
    for run_id in shared:
        try:
            add_to_trial(run_id, experiment=experiment, trial=target)
        except MltrailError as exc:
            log.warning("mltrail could not add run %s to trial %r: %s", run_id, target, exc)


def get_run(run_id: UUID | str) -> Run:
    """Return a run (trial component) by id."""
    return _reader().get_run(_as_uuid(run_id))


def get_metric_history(run_id: UUID | str, key: str, *, max_points: int | None = None) -> MetricHistory:
    """Return a metric's points, all of them or about ``max_points`` evenly spaced ones."""
    return _reader().get_metric_history(_as_uuid(run_id), key, max_points=max_points)


def search_trials(
    *,
    experiment: str | Sequence[str] | None = None,
    filter: str | None = None,  # noqa: A002
    order_by: str | Sequence[str] | None = None,
    max_results: int = 100,
    page_token: str | None = None,
) -> Page[Trial]:
    """Return one page of trials matching a filter in the search language (``docs/search.md``).

    Example:
        ``search_trials(experiment="fraud", filter="params.learning_rate < 0.01 AND metrics.val_auc > 0.9",
        order_by=["metrics.val_auc DESC"], max_results=10)``
    """
    return _reader().search_trials(
        experiment=experiment,
        filter=filter,
        order_by=order_by,
        max_results=max_results,
        page_token=page_token,
    )


def search_runs(
    *,
    experiment: str | Sequence[str] | None = None,
    filter: str | None = None,  # noqa: A002
    order_by: str | Sequence[str] | None = None,
    max_results: int = 100,
    page_token: str | None = None,
) -> Page[Run]:
    """Return one page of runs (trial components) matching a filter; see :func:`search_trials`."""
    return _reader().search_runs(
        experiment=experiment,
        filter=filter,
        order_by=order_by,
        max_results=max_results,
        page_token=page_token,
    )


def _as_uuid(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationError(f"run id {value!r} is not a UUID", field="run_id", value=value) from None


wire_store_sink()
