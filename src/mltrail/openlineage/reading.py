"""Read mltrail's facets back out of an OpenLineage event: what the store's ingestion projects."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mltrail.core.entities import MetricSummary, ParamValue, RunKind
from mltrail.core.errors import ValidationError
from mltrail.core.params import decode_param
from mltrail.openlineage import facets as f


@dataclass(frozen=True, slots=True)
class MltrailRunInfo:
    """What the mltrail facets of an event say about a run; empty fields mean the facet was absent."""

    experiment: str | None = None
    experiment_description: str | None = None
    trials: tuple[str, ...] = ()
    kind: RunKind | None = None
    name: str | None = None
    artifact_uri: str | None = None
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    metrics: Mapping[str, MetricSummary] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


def read_mltrail_facets(run_facets: Mapping[str, Any]) -> MltrailRunInfo | None:
    """Parse the mltrail facets of a validated event's ``run.facets`` (see ``validate_event``).

    Args:
        run_facets: The ``run.facets`` object of an event dict.

    Returns:
        The run's experiment, trials, kind, name, params (typed), metric summaries and tags, or
        ``None`` when the event has no mltrail facets.

    Raises:
        ValidationError: If the facets contradict each other (two experiment names) or a param's
            text does not decode as its type.
    """
    if not any(key in run_facets for key in f.RUN_FACETS):
        return None
    experiment_facet = run_facets.get(f.EXPERIMENT_FACET) or {}
    trial_facet = run_facets.get(f.TRIAL_FACET) or {}
    component = run_facets.get(f.COMPONENT_FACET) or {}
    experiment = experiment_facet.get("name")
    trial_experiment = trial_facet.get("experiment")
    if experiment is not None and trial_experiment is not None and experiment != trial_experiment:
        raise ValidationError(
            f"{f.TRIAL_FACET} names experiment {trial_experiment!r} "
            f"but {f.EXPERIMENT_FACET} names {experiment!r}",
            field=f"run.facets.{f.TRIAL_FACET}.experiment",
            value=trial_experiment,
        )
    kind = component.get("kind")
    return MltrailRunInfo(
        experiment=experiment if experiment is not None else trial_experiment,
        experiment_description=experiment_facet.get("description"),
        trials=tuple(trial_facet.get("trials", ())),
        kind=RunKind(kind) if kind is not None else None,
        name=component.get("name"),
        artifact_uri=component.get("artifactUri"),
        params=_read_params((run_facets.get(f.HYPERPARAMETERS_FACET) or {}).get("parameters", {})),
        metrics=_read_metrics((run_facets.get(f.METRICS_FACET) or {}).get("metrics", {})),
        tags=dict((run_facets.get(f.TAGS_FACET) or {}).get("tags", {})),
    )


def _read_metrics(metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, MetricSummary]:
    summaries = {}
    for key, metric in metrics.items():
        last = metric.get("last")
        summaries[key] = MetricSummary(
            key=key,
            last=math.nan if last is None else float(last),
            min=_optional_float(metric.get("min")),
            max=_optional_float(metric.get("max")),
            avg=_optional_float(metric.get("avg")),
            count=int(metric["count"]),
            last_step=int(metric["lastStep"]),
            last_timestamp=datetime.fromtimestamp(0, tz=UTC)
            + timedelta(milliseconds=int(metric["lastTimestampMs"])),
            nonfinite_count=int(metric["nonfiniteCount"]),
        )
    return summaries


def _read_params(parameters: Mapping[str, Mapping[str, str]]) -> dict[str, ParamValue]:
    params: dict[str, ParamValue] = {}
    for key, parameter in parameters.items():
        try:
            params[key] = decode_param(parameter["type"], parameter["value"])
        except (KeyError, ValueError) as exc:
            raise ValidationError(
                f"param {key!r} of type {parameter.get('type')!r} "
                f"has an undecodable value {parameter.get('value')!r}",
                field=f"run.facets.{f.HYPERPARAMETERS_FACET}.parameters.{key}",
                value=parameter,
            ) from exc
    return params


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
