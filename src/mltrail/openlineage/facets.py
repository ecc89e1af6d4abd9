"""mltrail's custom OpenLineage facets: experiment, trial, component, params, metrics, tags, models.

Each facet is an attrs subclass of an openlineage-python facet base, so the OpenLineage client
serialises it like a standard facet. ``_get_schema()`` returns the versioned URL of the facet's
JSON schema, which ships in ``mltrail/openlineage/schemas/`` (see :mod:`mltrail.openlineage.validation`).

Facets built here default their ``_producer`` to :data:`PRODUCER`, the mltrail URL, even when
another library (the Airflow provider, for one) has changed the client's global producer.

To add a facet: subclass one of the ``_Mltrail*Facet`` bases below, name it
``Mltrail<Name><Entity>Facet``, add its schema file
``schemas/Mltrail<Name><Entity>Facet.json`` (a copy of a sibling's layout), a ``*_FACET`` key
constant, and an entry in :data:`FACET_CLASSES`. A schema change that adds optional fields bumps
the minor version in ``SCHEMA_VERSION``; anything else needs a new major version.
"""

from __future__ import annotations

import attr
from openlineage.client.facet_v2 import (
    BaseFacet,
    DatasetFacet,
    InputDatasetFacet,
    OutputDatasetFacet,
    RunFacet,
)
from openlineage.client.utils import RedactMixin

from mltrail.__about__ import __version__

PRODUCER = f"https://github.com/mltrail/mltrail/tree/{__version__}"
"""The ``producer`` / ``_producer`` URI of everything mltrail emits."""

SCHEMA_VERSION = "1-0-0"
SCHEMA_BASE_URL = f"https://mltrail.dev/spec/facets/{SCHEMA_VERSION}"
"""Facet schemas live at ``{SCHEMA_BASE_URL}/<ClassName>.json``."""

EXPERIMENT_FACET = "mltrail_experiment"
TRIAL_FACET = "mltrail_trial"
COMPONENT_FACET = "mltrail_component"
HYPERPARAMETERS_FACET = "mltrail_hyperparameters"
METRICS_FACET = "mltrail_metrics"
TAGS_FACET = "mltrail_tags"
MODEL_VERSION_FACET = "mltrail_modelVersion"
ENDPOINT_FACET = "mltrail_endpoint"
ROLE_FACET = "mltrail_role"


def schema_url(class_name: str) -> str:
    """Return the ``_schemaURL`` of an mltrail facet class, e.g. ``…/MltrailTrialRunFacet.json#/$defs/…``."""
    return f"{SCHEMA_BASE_URL}/{class_name}.json#/$defs/{class_name}"


@attr.define
class _MltrailRunFacet(RunFacet):
    def __attrs_post_init__(self) -> None:
        self._producer = self._producer or PRODUCER
        super().__attrs_post_init__()


@attr.define
class _MltrailDatasetFacet(DatasetFacet):
    def __attrs_post_init__(self) -> None:
        self._producer = self._producer or PRODUCER
        super().__attrs_post_init__()


@attr.define
class _MltrailInputDatasetFacet(InputDatasetFacet):
    def __attrs_post_init__(self) -> None:
        self._producer = self._producer or PRODUCER
        super().__attrs_post_init__()


@attr.define
class _MltrailOutputDatasetFacet(OutputDatasetFacet):
    def __attrs_post_init__(self) -> None:
        self._producer = self._producer or PRODUCER
        super().__attrs_post_init__()


@attr.define
class MltrailExperimentRunFacet(_MltrailRunFacet):
    """The experiment a run belongs to (key ``mltrail_experiment``)."""

    name: str
    """The experiment's name.

    Example: fraud-detection
    """
    description: str | None = attr.field(default=None)
    """What the experiment is for.

    Example: Which features lift recall at 1% FPR
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailExperimentRunFacet")


@attr.define
class MltrailTrialRunFacet(_MltrailRunFacet):
    """The trials a run is a component of (key ``mltrail_trial``)."""

    experiment: str
    """The experiment the trials belong to.

    Example: fraud-detection
    """
    trials: list[str]
    """The trial names; at least one.

    Example: ["lr-0.01"]
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailTrialRunFacet")


@attr.define
class MltrailComponentRunFacet(_MltrailRunFacet):
    """What the run does in its trials (key ``mltrail_component``)."""

    kind: str
    """One of processing, training, evaluation, registration, deployment, custom.

    Example: training
    """
    name: str
    """The run's (trial component's) name.

    Example: train-xgboost
    """
    artifactUri: str | None = attr.field(default=None)  # noqa: N815
    """Where the run's artifacts are stored.

    Example: s3://ml-artifacts/fraud-detection/0b9e…/
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailComponentRunFacet")


@attr.define
class MltrailParameter(RedactMixin):
    """One hyperparameter: its type and its canonical text (see :mod:`mltrail.core.params`)."""

    type: str
    """One of bool, int, float, str, json.

    Example: float
    """
    value: str
    """The canonical text: ``repr`` for floats (``nan``, ``inf`` included), ``true``/``false``, compact JSON.

    Example: 0.01
    """


@attr.define
class MltrailHyperparametersRunFacet(_MltrailRunFacet):
    """The run's hyperparameters with their types (key ``mltrail_hyperparameters``).

    The standard ``executionParameters`` facet carries the same values as plain strings.
    """

    parameters: dict[str, MltrailParameter] = attr.field(factory=dict)
    """Parameters by key.

    Example: {"learning_rate": {"type": "float", "value": "0.01"}}
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailHyperparametersRunFacet")


@attr.define
class MltrailMetric(RedactMixin):
    """The summary of one metric series; NaN and infinities never appear.

    A value that is ``None`` is left out when the facet is serialised, so readers must treat a
    missing ``last``/``min``/``max``/``avg`` as null.
    """

    count: int
    """Number of points logged.

    Example: 120
    """
    nonfiniteCount: int  # noqa: N815
    """Number of NaN or infinite points.

    Example: 0
    """
    lastStep: int  # noqa: N815
    """The highest step logged.

    Example: 119
    """
    lastTimestampMs: int  # noqa: N815
    """When the last point was logged, in milliseconds since the Unix epoch.

    Example: 1764151200000
    """
    last: float | None = attr.field(default=None)
    """The value at the highest step; null when it was NaN or infinite.

    Example: 0.913
    """
    min: float | None = attr.field(default=None)
    """The smallest finite value; null when there is none.

    Example: 0.52
    """
    max: float | None = attr.field(default=None)
    """The largest finite value; null when there is none.

    Example: 0.92
    """
    avg: float | None = attr.field(default=None)
    """The mean of the finite values; null when there are none.

    Example: 0.81
    """


@attr.define
class MltrailMetricsRunFacet(_MltrailRunFacet):
    """Summaries of the run's metrics (key ``mltrail_metrics``)."""

    metrics: dict[str, MltrailMetric] = attr.field(factory=dict)
    """Summaries by metric key.

    Example: {"val_auc": {"last": 0.91, "min": 0.5, "max": 0.92, "avg": 0.8, "count": 10,
    "nonfiniteCount": 0, "lastStep": 9, "lastTimestampMs": 1764151200000}}
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailMetricsRunFacet")


@attr.define
class MltrailTagsRunFacet(_MltrailRunFacet):
    """The run's tags (key ``mltrail_tags``)."""

    tags: dict[str, str] = attr.field(factory=dict)
    """Tag values by key.

    Example: {"team": "risk"}
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailTagsRunFacet")


@attr.define
class MltrailModelVersionDatasetFacet(_MltrailDatasetFacet):
    """The registered model version a dataset (a model artifact) is (key ``mltrail_modelVersion``)."""

    model: str
    """The registered model's name.

    Example: fraud-xgb
    """
    version: int
    """The version number in the registry.

    Example: 7
    """
    approvalStatus: str | None = attr.field(default=None)  # noqa: N815
    """The version's approval status.

    Example: Approved
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailModelVersionDatasetFacet")


@attr.define
class MltrailEndpointDatasetFacet(_MltrailDatasetFacet):
    """The serving endpoint a dataset (a deployed model) stands for (key ``mltrail_endpoint``)."""

    name: str
    """The endpoint's name.

    Example: fraud-scoring
    """
    target: str
    """Where it is served.

    Example: sagemaker
    """
    url: str | None = attr.field(default=None)
    """The URL it answers on.

    Example: https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/fraud-scoring/invocations
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailEndpointDatasetFacet")


@attr.define
class MltrailRoleInputDatasetFacet(_MltrailInputDatasetFacet):
    """What a run used an input for (input facet key ``mltrail_role``)."""

    role: str
    """The input's role.

    Example: train
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailRoleInputDatasetFacet")


@attr.define
class MltrailRoleOutputDatasetFacet(_MltrailOutputDatasetFacet):
    """What an output of a run is (output facet key ``mltrail_role``)."""

    role: str
    """The output's role.

    Example: model
    """

    @staticmethod
    def _get_schema() -> str:
        return schema_url("MltrailRoleOutputDatasetFacet")


FACET_CLASSES: tuple[type[BaseFacet], ...] = (
    MltrailExperimentRunFacet,
    MltrailTrialRunFacet,
    MltrailComponentRunFacet,
    MltrailHyperparametersRunFacet,
    MltrailMetricsRunFacet,
    MltrailTagsRunFacet,
    MltrailModelVersionDatasetFacet,
    MltrailEndpointDatasetFacet,
    MltrailRoleInputDatasetFacet,
    MltrailRoleOutputDatasetFacet,
)
"""Every mltrail facet class; each has a schema file named after it."""

RUN_FACETS: dict[str, type[BaseFacet]] = {
    EXPERIMENT_FACET: MltrailExperimentRunFacet,
    TRIAL_FACET: MltrailTrialRunFacet,
    COMPONENT_FACET: MltrailComponentRunFacet,
    HYPERPARAMETERS_FACET: MltrailHyperparametersRunFacet,
    METRICS_FACET: MltrailMetricsRunFacet,
    TAGS_FACET: MltrailTagsRunFacet,
}
"""The class behind each mltrail key in ``run.facets``."""

DATASET_FACETS: dict[str, type[BaseFacet]] = {
    MODEL_VERSION_FACET: MltrailModelVersionDatasetFacet,
    ENDPOINT_FACET: MltrailEndpointDatasetFacet,
}
"""The class behind each mltrail key in a dataset's ``facets``."""

INPUT_FACETS: dict[str, type[BaseFacet]] = {ROLE_FACET: MltrailRoleInputDatasetFacet}
"""The class behind each mltrail key in an input's ``inputFacets``."""

OUTPUT_FACETS: dict[str, type[BaseFacet]] = {ROLE_FACET: MltrailRoleOutputDatasetFacet}
"""The class behind each mltrail key in an output's ``outputFacets``."""
