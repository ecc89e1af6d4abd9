"""Build OpenLineage run events for mltrail runs from a snapshot of the run, without any I/O.

Every event of a run carries the run's whole state (OpenLineage events are accumulative and a
facet sent again replaces the earlier one), so a consumer may read any single event of the run.

Standard facets used: run ``parent`` (with ``root``), ``nominalTime``, ``processing_engine``,
``executionParameters`` (the params as strings), ``errorMessage`` (FAIL only); job ``jobType`` and
``sourceCodeLocation``; dataset ``datasetType`` (MODEL), ``symlinks`` and ``version`` (registered
model versions); output ``outputStatistics``. mltrail's own facets are in
:mod:`mltrail.openlineage.facets`; :func:`read_mltrail_facets` parses them back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import quote
from uuid import UUID

from openlineage.client.constants import __version__ as OPENLINEAGE_CLIENT_VERSION  # noqa: N812
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    RunFacet,
    dataset_type_dataset,
    dataset_version_dataset,
    error_message_run,
    execution_parameters_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    parent_run,
    processing_engine_run,
    source_code_location_job,
    symlinks_dataset,
)
from openlineage.client.generated.base import EventType
from openlineage.client.serde import Serde

from mltrail.__about__ import __version__
from mltrail.core import entities
from mltrail.core.entities import CodeInfo, DatasetRef, MetricSummary, RunKind
from mltrail.core.errors import ValidationError
from mltrail.core.params import encode_params
from mltrail.core.validation import validate_kind, validate_tags
from mltrail.openlineage import facets as f
from mltrail.openlineage._formats import is_uri

INTEGRATION = "MLTRAIL"
"""``jobType.integration`` of mltrail jobs."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_SCP_LIKE = re.compile(r"(?:([\w.\-]+)@)?([\w.\-]+):(?!//)(.+)")


@dataclass(frozen=True, slots=True)
class ParentRef:
    """The run that started this one (an Airflow task, a KFP pipeline run…) and, optionally, its root.

    Attributes:
        run_id: The parent run's OpenLineage run id.
        job_namespace: The parent job's namespace.
        job_name: The parent job's name.
        root_run_id: The root run (e.g. the Airflow DAG run); give its job namespace and name too.
        root_job_namespace: The root job's namespace.
        root_job_name: The root job's name.
    """

    run_id: UUID
    job_namespace: str
    job_name: str
    root_run_id: UUID | None = None
    root_job_namespace: str | None = None
    root_job_name: str | None = None


@dataclass(frozen=True, slots=True)
class ModelVersionInfo:
    """A registered model version that an output (a model artifact) is.

    Attributes:
        model: The registered model's name.
        version: Its version number.
        approval_status: E.g. ``Approved``, ``PendingManualApproval``.
        registry: The OpenLineage namespace of the registry, used for the ``symlinks`` identifier
            ``models/<model>/versions/<version>``; e.g. ``mltrail://tracking.example.com``.
    """

    model: str
    version: int
    approval_status: str | None = None
    registry: str = "mltrail"


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """The serving endpoint an output (a deployed model) stands for."""

    name: str
    target: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class OutputDetails:
    """What is known about one output beyond its name; every field is optional."""

    size_bytes: int | None = None
    row_count: int | None = None
    file_count: int | None = None
    model_version: ModelVersionInfo | None = None
    endpoint: EndpointInfo | None = None


@dataclass(frozen=True, slots=True)
class RunSnapshot:
    """Everything an event says about an mltrail run, as of ``event_time``.

    Attributes:
        run_id: The run's id, which is also its OpenLineage run id.
        job_namespace: The OpenLineage job namespace (the caller chooses the job naming).
        job_name: The OpenLineage job name.
        experiment: The experiment's name.
        name: The run's (trial component's) name.
        kind: What the run does; also ``jobType.jobType`` upper-cased.
        event_time: When the event happens; must be time-zone aware.
        trials: The trials the run is a component of.
        experiment_description: Sent in the ``mltrail_experiment`` facet when given.
        params: Hyperparameters as Python values (bool, int, float, str or JSON values).
        metrics: Metric summaries by key.
        tags: Tag values by key.
        inputs: Datasets read.
        outputs: Datasets written.
        output_details: Extra facts about outputs, by the output's ``uri``.
        code: Git information, sent as ``sourceCodeLocation`` when it has a repository URL.
        artifact_uri: Where the run's artifacts are stored.
        error_message: Sent as ``errorMessage`` on FAIL events.
        stack_trace: Sent with ``error_message``.
        parent: The run that started this one.
        nominal_start: Scheduled start (``nominalTime``); must be aware.
        nominal_end: Scheduled end; needs ``nominal_start``.
    """

    run_id: UUID
    job_namespace: str
    job_name: str
    experiment: str
    name: str
    kind: RunKind
    event_time: datetime
    trials: tuple[str, ...] = ()
    experiment_description: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, MetricSummary] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    inputs: Sequence[DatasetRef] = ()
    outputs: Sequence[DatasetRef] = ()
    output_details: Mapping[str, OutputDetails] = field(default_factory=dict)
    code: CodeInfo | None = None
    artifact_uri: str | None = None
    error_message: str | None = None
    stack_trace: str | None = None
    parent: ParentRef | None = None
    nominal_start: datetime | None = None
    nominal_end: datetime | None = None


def snapshot_of(
    run: entities.Run,
    *,
    job_namespace: str,
    job_name: str,
    event_time: datetime,
    parent: ParentRef | None = None,
) -> RunSnapshot:
    """The snapshot of a run as the store holds it, for events about it (e.g. an operator's facets)."""
    return RunSnapshot(
        run_id=run.id,
        job_namespace=job_namespace,
        job_name=job_name,
        experiment=run.experiment,
        name=run.name,
        kind=run.kind,
        event_time=event_time,
        trials=run.trials,
        params=dict(run.params),
        metrics=dict(run.metrics),
        tags=dict(run.tags),
        inputs=run.inputs,
        outputs=run.outputs,
        code=run.code,
        artifact_uri=run.artifact_uri,
        error_message=run.error_message,
        parent=parent,
    )


def run_event(event_type: EventType | str, snapshot: RunSnapshot) -> RunEvent:
    """Return the OpenLineage run event of an mltrail run.

    Args:
        event_type: ``START``, ``RUNNING``, ``COMPLETE``, ``FAIL``, ``ABORT`` (or ``OTHER``).
        snapshot: The run's state.

    Raises:
        ValidationError: If the event type is unknown, a time is naive, a param cannot be
            encoded, a tag is not a string, or the parent's root is incomplete.
    """
    try:
        state = EventType(event_type)
    except ValueError:
        known = ", ".join(member.value for member in EventType)
        raise ValidationError(
            f"unknown event type {event_type!r}; use one of {known}", field="event_type", value=event_type
        ) from None
    kind = validate_kind(snapshot.kind)
    return RunEvent(
        eventType=state,
        eventTime=_isoformat("event_time", snapshot.event_time),
        producer=f.PRODUCER,
        run=Run(runId=str(snapshot.run_id), facets=_run_facets(state, kind, snapshot)),
        job=Job(namespace=snapshot.job_namespace, name=snapshot.job_name, facets=_job_facets(kind, snapshot)),
        inputs=[_input(dataset) for dataset in snapshot.inputs],
        outputs=[_output(dataset, snapshot.output_details.get(dataset.uri)) for dataset in snapshot.outputs],
    )


def to_dict(event: Any) -> dict[str, Any]:
    """Return an OpenLineage event (or facet) as a JSON-ready dict, as the OpenLineage client sends it.

    ``None`` values are left out, so optional facet fields that are null are absent.
    """
    return cast(dict[str, Any], Serde.to_dict(event))


def _run_facets(state: EventType, kind: RunKind, snapshot: RunSnapshot) -> dict[str, RunFacet]:
    producer = f.PRODUCER
    encoded = encode_params(snapshot.params)
    facets: dict[str, RunFacet] = {
        f.EXPERIMENT_FACET: f.MltrailExperimentRunFacet(
            name=snapshot.experiment, description=snapshot.experiment_description
        ),
        f.COMPONENT_FACET: f.MltrailComponentRunFacet(
            kind=kind.value, name=snapshot.name, artifactUri=snapshot.artifact_uri
        ),
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=__version__,
            name="mltrail",
            openlineageAdapterVersion=OPENLINEAGE_CLIENT_VERSION,
            producer=producer,
        ),
    }
    if snapshot.trials:
        facets[f.TRIAL_FACET] = f.MltrailTrialRunFacet(
            experiment=snapshot.experiment, trials=list(snapshot.trials)
        )
    if encoded:
        facets[f.HYPERPARAMETERS_FACET] = f.MltrailHyperparametersRunFacet(
            parameters={key: f.MltrailParameter(type=p.value_type, value=p.text_value) for key, p in encoded}
        )
        facets["executionParameters"] = execution_parameters_run.ExecutionParametersRunFacet(
            parameters=[
                execution_parameters_run.ExecutionParameter(key=key, value=p.text_value) for key, p in encoded
            ],
            producer=producer,
        )
    if snapshot.metrics:
        facets[f.METRICS_FACET] = f.MltrailMetricsRunFacet(
            metrics={key: _metric(summary) for key, summary in snapshot.metrics.items()}
        )
    if snapshot.tags:
        facets[f.TAGS_FACET] = f.MltrailTagsRunFacet(tags=validate_tags(snapshot.tags))
    if snapshot.parent is not None:
        facets["parent"] = parent_facet(snapshot.parent)
    if snapshot.nominal_start is not None:
        facets["nominalTime"] = nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=_isoformat("nominal_start", snapshot.nominal_start),
            nominalEndTime=_isoformat("nominal_end", snapshot.nominal_end) if snapshot.nominal_end else None,
            producer=producer,
        )
    elif snapshot.nominal_end is not None:
        raise ValidationError(
            "nominal_end needs nominal_start", field="nominal_end", value=snapshot.nominal_end
        )
    if state is EventType.FAIL and snapshot.error_message is not None:
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=snapshot.error_message,
            programmingLanguage="python",
            stackTrace=snapshot.stack_trace,
            producer=producer,
        )
    return facets


def _job_facets(kind: RunKind, snapshot: RunSnapshot) -> dict[str, JobFacet]:
    facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration=INTEGRATION, jobType=kind.value.upper(), producer=f.PRODUCER
        )
    }
    code = snapshot.code
    url = _repository_url(code.repo_url) if code is not None and code.repo_url else None
    if code is not None and url is not None:
        facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type="git",
            url=url,
            repoUrl=code.repo_url,
            version=code.commit,
            branch=code.branch,
            producer=f.PRODUCER,
        )
    return facets


def parent_facet(parent: ParentRef) -> parent_run.ParentRunFacet:
    """The ``parent`` run facet naming ``parent`` (and its root, when it has one)."""
    root = None
    if parent.root_run_id is not None:
        if parent.root_job_namespace is None or parent.root_job_name is None:
            raise ValidationError(
                "a parent's root needs root_job_namespace and root_job_name",
                field="parent.root_job_name",
                value=parent,
            )
        root = parent_run.Root(
            run=parent_run.RootRun(runId=str(parent.root_run_id)),
            job=parent_run.RootJob(namespace=parent.root_job_namespace, name=parent.root_job_name),
        )
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=str(parent.run_id)),
        job=parent_run.Job(namespace=parent.job_namespace, name=parent.job_name),
        root=root,
        producer=f.PRODUCER,
    )


def _input(dataset: DatasetRef) -> InputDataset:
    input_facets: dict[str, InputDatasetFacet] = {}
    if dataset.role:
        input_facets[f.ROLE_FACET] = f.MltrailRoleInputDatasetFacet(role=dataset.role)
    return InputDataset(namespace=dataset.namespace, name=dataset.name, inputFacets=input_facets)


def _output(dataset: DatasetRef, details: OutputDetails | None) -> OutputDataset:
    details = details or OutputDetails()
    producer = f.PRODUCER
    facets: dict[str, DatasetFacet] = {}
    output_facets: dict[str, OutputDatasetFacet] = {}
    if dataset.role:
        output_facets[f.ROLE_FACET] = f.MltrailRoleOutputDatasetFacet(role=dataset.role)
    if dataset.role == "model" or details.model_version is not None:
        facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType="MODEL", producer=producer
        )
    model_version = details.model_version
    if model_version is not None:
        facets[f.MODEL_VERSION_FACET] = f.MltrailModelVersionDatasetFacet(
            model=model_version.model,
            version=model_version.version,
            approvalStatus=model_version.approval_status,
        )
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=str(model_version.version), producer=producer
        )
        facets["symlinks"] = symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[
                symlinks_dataset.Identifier(
                    namespace=model_version.registry,
                    name=f"models/{model_version.model}/versions/{model_version.version}",
                    type="MODEL",
                )
            ],
            producer=producer,
        )
    if details.endpoint is not None:
        facets[f.ENDPOINT_FACET] = f.MltrailEndpointDatasetFacet(
            name=details.endpoint.name, target=details.endpoint.target, url=details.endpoint.url
        )
    if details.size_bytes is not None or details.row_count is not None or details.file_count is not None:
        output_facets["outputStatistics"] = (
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=details.row_count,
                size=details.size_bytes,
                fileCount=details.file_count,
                producer=producer,
            )
        )
    return OutputDataset(
        namespace=dataset.namespace, name=dataset.name, facets=facets, outputFacets=output_facets
    )


def _metric(summary: MetricSummary) -> f.MltrailMetric:
    return f.MltrailMetric(
        count=summary.count,
        nonfiniteCount=summary.nonfinite_count,
        lastStep=summary.last_step,
        lastTimestampMs=_to_ms(summary.last_timestamp),
        last=_finite(summary.last),
        min=_finite(summary.min),
        max=_finite(summary.max),
        avg=_finite(summary.avg),
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _to_ms(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.astimezone()
    return (aware - _EPOCH) // _MILLISECOND


def _isoformat(field_name: str, moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"{field_name} must be time-zone aware", field=field_name, value=moment)
    return moment.astimezone(UTC).isoformat()


def _repository_url(repo_url: str) -> str | None:
    """Return a repository URL as a URI (scp-like ``git@host:org/repo.git`` becomes ``ssh://…``)."""
    if is_uri(repo_url):
        return repo_url
    if repo_url.startswith("/"):
        candidate = "file://" + quote(repo_url)
    elif (scp := _SCP_LIKE.fullmatch(repo_url)) is not None:
        user, host, path = scp.groups()
        candidate = f"ssh://{user + '@' if user else ''}{host}/{path.lstrip('/')}"
    else:
        return None
    return candidate if is_uri(candidate) else None
