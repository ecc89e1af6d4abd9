"""OpenLineage events of tracked runs: to the user's OpenLineage backend, and to the store when it is down.

The store gets tracked runs as records (one transaction for many runs), so the events built here
go to the OpenLineage backend the user configured the standard way (``openlineage.yml``,
``OPENLINEAGE__*``, ``OPENLINEAGE_URL``); with none configured nothing is built or sent for it.
When the tracking backend cannot record a run, :class:`StoreKeeper` turns what it could not
write into the run's events for the store destination (``store:<tracking uri>``): delivered if
the backend is back, spooled otherwise, for ``mltrail spool replay``. The store rebuilds the run
from the events' mltrail facets. The other way round, the ``mltrail`` OpenLineage transport type
hands events to the store named by its ``tracking_uri``; :func:`wire_store_sink` connects it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mltrail.config import Settings
from mltrail.core.entities import CodeInfo, DatasetRef, RunKind, RunRecord, RunStatus
from mltrail.core.lineage import TRACKED_JOB_NAMESPACE
from mltrail.core.series import SeriesAggregate
from mltrail.openlineage.delivery import Emitter
from mltrail.openlineage.destinations import Event, OpenLineageDestination, StoreDestination, set_store_sink
from mltrail.openlineage.spool import Spool
from mltrail.tracking.backends import create_backend

if TYPE_CHECKING:
    from mltrail.openlineage.events import ParentRef, RunSnapshot

log = logging.getLogger(__name__)

TERMINAL_EVENT = {
    RunStatus.COMPLETED: "COMPLETE",
    RunStatus.FAILED: "FAIL",
    RunStatus.STOPPED: "ABORT",
    RunStatus.IN_PROGRESS: "RUNNING",
}
"""The OpenLineage event type that ends a run with each status."""
RETRY_SECONDS = 30.0
"""How long after a backend failure the keeper spools without trying to deliver first."""


def openlineage_emitter(settings: Settings) -> Emitter | None:
    """The emitter for the user's OpenLineage backend, or ``None`` when none is configured."""
    if OpenLineageDestination.from_environment() is None:
        return None
    return Emitter.from_settings(settings)


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What a run's events say that does not change while it runs."""

    run_id: UUID
    experiment: str
    trial: str
    name: str
    kind: RunKind
    start_time: int
    """Milliseconds since the epoch."""
    artifact_uri: str | None = None
    code: CodeInfo | None = None

    @classmethod
    def of_record(cls, record: RunRecord) -> RunFacts:
        """The facts of a run queued as a whole record."""
        return cls(
            run_id=record.run_id,
            experiment=record.experiment,
            trial=record.trial,
            name=record.name,
            kind=RunKind(record.kind),
            start_time=record.start_time if record.start_time is not None else _now_ms(),
            artifact_uri=record.artifact_uri,
            code=record.code,
        )


@dataclass(slots=True)
class RunState:
    """What a run's events say that grows as it is logged: params, tags, datasets, metric summaries."""

    job_name: str
    job_namespace: str = TRACKED_JOB_NAMESPACE
    parent: ParentRef | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    inputs: list[DatasetRef] = field(default_factory=list)
    outputs: list[DatasetRef] = field(default_factory=list)
    series: dict[str, SeriesAggregate] = field(default_factory=dict)

    @classmethod
    def of_record(cls, record: RunRecord, *, parent: ParentRef | None = None) -> RunState:
        """The state of a run queued as a whole record."""
        state = cls(
            record.job_name or f"{record.experiment}.{record.name}",
            record.job_namespace or TRACKED_JOB_NAMESPACE,
            parent,
        )
        state.add(
            params=record.params,
            tags=record.tags,
            metrics=record.metrics,
            inputs=record.inputs,
            outputs=record.outputs,
        )
        return state

    def add_point(self, key: str, value: float, step: int, timestamp: int) -> None:
        """Fold a metric point into its series' summary."""
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = SeriesAggregate()
        series.add(value, step, timestamp)

    def add(
        self,
        *,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
    ) -> None:
        """Fold in a batch as the SDK buffers it (points are ``(key, value, step, timestamp_ms)``)."""
        self.params.update(params or {})
        self.tags.update(string_tags(tags or {}))
        for key, value, step, timestamp in metrics:
            self.add_point(key, value, step, timestamp)
        mirror_datasets(self.inputs, inputs)
        mirror_datasets(self.outputs, outputs)

    def snapshot(
        self, facts: RunFacts, *, event_time: datetime, error_message: str | None = None
    ) -> RunSnapshot:
        """The run as an event says it at ``event_time``."""
        from mltrail.openlineage.events import RunSnapshot  # the OL client: only when sending

        return RunSnapshot(
            run_id=facts.run_id,
            job_namespace=self.job_namespace,
            job_name=self.job_name,
            parent=self.parent,
            experiment=facts.experiment,
            name=facts.name,
            kind=facts.kind,
            event_time=event_time,
            trials=(facts.trial,),
            params=dict(self.params),
            metrics={key: series.summary(key) for key, series in self.series.items()},
            tags=dict(self.tags),
            inputs=tuple(self.inputs),
            outputs=tuple(self.outputs),
            code=facts.code,
            artifact_uri=facts.artifact_uri,
            error_message=error_message,
        )

    def events(
        self, facts: RunFacts, moments: Sequence[tuple[str, int]], *, error_message: str | None = None
    ) -> list[Event]:
        """The run's events of each ``(event type, time in ms)``, as dicts.

        Raises:
            ValidationError: If a value cannot go into an event (see ``run_event``).
        """
        from mltrail.openlineage.events import run_event, to_dict

        return [
            to_dict(
                run_event(
                    event_type,
                    self.snapshot(facts, event_time=_moment(at), error_message=error_message),
                )
            )
            for event_type, at in moments
        ]


class RunEvents:
    """A run's state and the emitter of the user's OpenLineage backend (only when one is set).

    Attributes:
        emitter: Where the events go.
        state: What they say.
        inputs_announced: Whether a RUNNING event has told the backend the run's inputs.
    """

    __slots__ = ("emitter", "inputs_announced", "state")

    def __init__(
        self,
        emitter: Emitter,
        job_name: str,
        *,
        job_namespace: str = TRACKED_JOB_NAMESPACE,
        parent: ParentRef | None = None,
    ) -> None:
        self.emitter = emitter
        self.state = RunState(job_name, job_namespace, parent)
        self.inputs_announced = False

    def send(self, event_type: str, facts: RunFacts, *, error_message: str | None = None) -> None:
        """Build and queue one event, as of now; failures are logged, never raised (the emitter spools)."""
        try:
            self.emitter.emit(
                self.state.events(facts, [(event_type, _now_ms())], error_message=error_message)
            )
        except Exception as exc:  # noqa: BLE001 - tracking never breaks the pipeline
            if self.emitter.is_strict:
                raise
            log.warning("mltrail could not send the %s event of run %s: %s", event_type, facts.run_id, exc)


class StoreKeeper:
    """Keeps what a tracking backend could not record, as OpenLineage events for its store.

    The events go to the destination ``store:<tracking uri>`` through a synchronous
    :class:`~mltrail.openlineage.delivery.Emitter`: delivered (after the destination's spooled
    backlog) when the backend answers again, spooled in ``spool_dir`` otherwise. Within
    :data:`RETRY_SECONDS` of a failure they are spooled without trying, so a backend that is down
    costs each run one failed attempt, not two. One keeper serves each tracking URI of the process
    (:func:`store_keeper`).

    Args:
        settings: The tracking URI, the spool folder and its bound come from here.
    """

    def __init__(self, settings: Settings) -> None:
        self.destination = StoreDestination(settings.tracking_uri)
        self.emitter = Emitter(
            [self.destination],
            spool=Spool(settings.spool_dir, settings.spool_max_bytes),
            is_synchronous=True,
        )
        self._failed_at = float("-inf")

    def __repr__(self) -> str:
        return f"StoreKeeper({self.destination.tracking_uri!r})"

    def note_failure(self) -> None:
        """Remember that the backend failed now."""
        self._failed_at = time.monotonic()

    def keep(self, events: list[Event], *, runs: Sequence[UUID], failed_at: float = float("-inf")) -> None:
        """Deliver or spool the events of runs the backend did not record; log where they went.

        Args:
            events: The runs' events, in order.
            runs: Their ids, for the log.
            failed_at: When (``time.monotonic()``) the runs' last write failed, if known.
        """
        if not events:
            return
        key = self.destination.key
        if time.monotonic() - max(failed_at, self._failed_at) < RETRY_SECONDS:
            self.emitter.hold(events, reason="the tracking backend failed")
        else:
            self.emitter.emit(events)
            if not self.emitter.is_down(key):
                log.info(
                    "mltrail recorded %s in %s from its events", _runs(runs), self.destination.tracking_uri
                )
                return
            self.note_failure()
        log.warning(
            "mltrail could not record %s in %s; the events are kept in the spool %s: "
            "run `mltrail spool replay` once the backend is back",
            _runs(runs),
            self.destination.tracking_uri,
            self.emitter.spool.path if self.emitter.spool is not None else "(none)",
        )

    def keep_records(self, records: Sequence[RunRecord], *, parent: ParentRef | None = None) -> None:
        """Keep whole runs a ``record_runs`` call failed to write (their start and end events)."""
        events: list[Event] = []
        for record in records:
            try:
                events.extend(record_events(record, parent=parent))
            except Exception as exc:  # noqa: BLE001 - tracking never breaks the pipeline
                log.warning("mltrail could not keep run %s: %s", record.run_id, exc)
        self.note_failure()
        self.keep(events, runs=[record.run_id for record in records])

    def for_parent(self, parent: ParentRef | None) -> StoreKeeper | ParentKeeper:
        """The keeper for runs started by ``parent`` (this one when there is none)."""
        return self if parent is None else ParentKeeper(self, parent)


@dataclass(frozen=True, slots=True)
class ParentKeeper:
    """A :class:`StoreKeeper` for the runs of one parent, whose events carry it."""

    keeper: StoreKeeper
    parent: ParentRef

    def keep_records(self, records: Sequence[RunRecord]) -> None:
        """See :meth:`StoreKeeper.keep_records`."""
        self.keeper.keep_records(records, parent=self.parent)


_keepers: dict[tuple[str, str, int], StoreKeeper] = {}
_keepers_lock = threading.Lock()


def store_keeper(settings: Settings) -> StoreKeeper:
    """The process's keeper for the tracking URI (and spool) of ``settings``."""
    key = (settings.tracking_uri, str(settings.spool_dir), settings.spool_max_bytes)
    with _keepers_lock:
        keeper = _keepers.get(key)
        if keeper is None:
            keeper = _keepers[key] = StoreKeeper(settings)
        return keeper


def record_events(record: RunRecord, *, parent: ParentRef | None = None) -> list[Event]:
    """The START and terminal events of a whole run queued as a record (just START while it runs)."""
    facts = RunFacts.of_record(record)
    moments = [("START", facts.start_time)]
    if record.status is not None and RunStatus(record.status) is not RunStatus.IN_PROGRESS:
        end_time = record.end_time if record.end_time is not None else _now_ms()
        moments.append((TERMINAL_EVENT[RunStatus(record.status)], end_time))
    state = RunState.of_record(record, parent=parent)
    return state.events(facts, moments, error_message=record.error_message)


def wire_store_sink() -> None:
    """Make the ``mltrail`` OpenLineage transport deliver to the store its ``tracking_uri`` names."""
    set_store_sink(_store_sink)


def _store_sink(tracking_uri: str) -> Callable[[list[dict[str, Any]]], None]:
    backend = create_backend(tracking_uri)

    def ingest(events: list[dict[str, Any]]) -> None:
        result = backend.ingest_batch(events)
        for failure in result.failed:  # invalid events cannot succeed later: report, don't spool
            log.warning(
                "the store refused OpenLineage event %d of a batch: %s", failure.index, failure.reason
            )

    return ingest


def mirror_datasets(target: list[DatasetRef], datasets: Sequence[DatasetRef]) -> None:
    """Add datasets to an event's inputs or outputs, once each."""
    known = {(ref.namespace, ref.name) for ref in target}
    target.extend(ref for ref in datasets if (ref.namespace, ref.name) not in known)


def string_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    """Tags as the events carry them."""
    return {key: str(value) for key, value in tags.items()}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _runs(run_ids: Sequence[UUID]) -> str:
    return f"run {run_ids[0]}" if len(run_ids) == 1 else f"{len(run_ids)} runs"
