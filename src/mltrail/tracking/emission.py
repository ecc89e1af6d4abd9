"""OpenLineage events of tracked runs, sent to the user's OpenLineage backend; events into the store.

The store gets tracked runs as records (one transaction for many runs), so the events built here
go only to the OpenLineage backend the user configured the standard way (``openlineage.yml``,
``OPENLINEAGE__*``, ``OPENLINEAGE_URL``). With none configured nothing is built or sent. The other
way round, the ``mltrail`` OpenLineage transport type hands events to the store named by its
``tracking_uri``; :func:`wire_store_sink` connects it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mltrail.config import Settings
from mltrail.core.entities import DatasetRef, RunKind
from mltrail.core.lineage import TRACKED_JOB_NAMESPACE
from mltrail.core.series import SeriesAggregate
from mltrail.openlineage.delivery import Emitter
from mltrail.openlineage.destinations import OpenLineageDestination, set_store_sink
from mltrail.tracking.backends import create_backend

log = logging.getLogger(__name__)


def openlineage_emitter(settings: Settings) -> Emitter | None:
    """The emitter for the user's OpenLineage backend, or ``None`` when none is configured."""
    if OpenLineageDestination.from_environment() is None:
        return None
    return Emitter.from_settings(settings)


@dataclass(slots=True)
class RunEvents:
    """What a run's events say, kept as it is logged (only when an OpenLineage backend is set)."""

    emitter: Emitter
    job_name: str
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    inputs: list[DatasetRef] = field(default_factory=list)
    outputs: list[DatasetRef] = field(default_factory=list)
    series: dict[str, SeriesAggregate] = field(default_factory=dict)
    inputs_announced: bool = False
    """Whether a RUNNING event has told the backend the run's inputs."""

    def add_point(self, key: str, value: float, step: int, timestamp: int) -> None:
        """Fold a metric point into its series' summary."""
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = SeriesAggregate()
        series.add(value, step, timestamp)

    def send(
        self,
        event_type: str,
        *,
        run_id: Any,
        experiment: str,
        trial: str,
        name: str,
        kind: RunKind,
        artifact_uri: str | None,
        code: Any,
        error_message: str | None = None,
    ) -> None:
        """Build and queue one event; failures are logged, never raised (the emitter spools)."""
        from mltrail.openlineage.events import (
            RunSnapshot,
            run_event,
            to_dict,
        )  # the OL client: only when sending

        try:
            snapshot = RunSnapshot(
                run_id=run_id,
                job_namespace=TRACKED_JOB_NAMESPACE,
                job_name=self.job_name,
                experiment=experiment,
                name=name,
                kind=kind,
                event_time=datetime.now(UTC),
                trials=(trial,),
                params=dict(self.params),
                metrics={key: series.summary(key) for key, series in self.series.items()},
                tags=dict(self.tags),
                inputs=tuple(self.inputs),
                outputs=tuple(self.outputs),
                code=code,
                artifact_uri=artifact_uri,
                error_message=error_message,
            )
            self.emitter.emit(to_dict(run_event(event_type, snapshot)))
        except Exception as exc:  # noqa: BLE001 - tracking never breaks the pipeline
            if self.emitter.is_strict:
                raise
            log.warning("mltrail could not send the %s event of run %s: %s", event_type, run_id, exc)


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
