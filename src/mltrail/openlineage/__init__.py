"""OpenLineage for mltrail: custom facets, event builders, validation, delivery and the spool.

Every tracked run becomes an OpenLineage run: :func:`run_event` builds its events from a
:class:`RunSnapshot`, :func:`to_dict` turns them into JSON-ready dicts, :func:`validate_event`
checks incoming events against the vendored OpenLineage spec and mltrail's facet schemas, and
:func:`read_mltrail_facets` reads mltrail's facets back out of a validated event.
:class:`Emitter` delivers events to destinations, spooling what fails (:class:`Spool`,
:func:`replay`); importing this package registers the ``mltrail`` OpenLineage transport type.
"""

from __future__ import annotations

from mltrail.openlineage.delivery import Emitter, ReplayResult, replay
from mltrail.openlineage.destinations import (
    Destination,
    OpenLineageDestination,
    SinkDestination,
    open_destination,
    register_destination_factory,
)
from mltrail.openlineage.events import (
    EndpointInfo,
    ModelVersionInfo,
    OutputDetails,
    ParentRef,
    RunSnapshot,
    run_event,
    to_dict,
)
from mltrail.openlineage.facets import (
    COMPONENT_FACET,
    ENDPOINT_FACET,
    EXPERIMENT_FACET,
    HYPERPARAMETERS_FACET,
    METRICS_FACET,
    MODEL_VERSION_FACET,
    PRODUCER,
    ROLE_FACET,
    TAGS_FACET,
    TRIAL_FACET,
    MltrailComponentRunFacet,
    MltrailEndpointDatasetFacet,
    MltrailExperimentRunFacet,
    MltrailHyperparametersRunFacet,
    MltrailMetric,
    MltrailMetricsRunFacet,
    MltrailModelVersionDatasetFacet,
    MltrailParameter,
    MltrailRoleInputDatasetFacet,
    MltrailRoleOutputDatasetFacet,
    MltrailTagsRunFacet,
    MltrailTrialRunFacet,
)
from mltrail.openlineage.reading import MltrailRunInfo, read_mltrail_facets
from mltrail.openlineage.spool import Spool
from mltrail.openlineage.transport import (
    MltrailTransport,
    MltrailTransportConfig,
    StoreDestination,
    set_store_sink,
)
from mltrail.openlineage.validation import EVENT_KINDS, validate_event

__all__ = [
    "COMPONENT_FACET",
    "Destination",
    "ENDPOINT_FACET",
    "EVENT_KINDS",
    "EXPERIMENT_FACET",
    "Emitter",
    "EndpointInfo",
    "HYPERPARAMETERS_FACET",
    "METRICS_FACET",
    "MODEL_VERSION_FACET",
    "MltrailComponentRunFacet",
    "MltrailEndpointDatasetFacet",
    "MltrailExperimentRunFacet",
    "MltrailHyperparametersRunFacet",
    "MltrailMetric",
    "MltrailMetricsRunFacet",
    "MltrailModelVersionDatasetFacet",
    "MltrailParameter",
    "MltrailRoleInputDatasetFacet",
    "MltrailRoleOutputDatasetFacet",
    "MltrailRunInfo",
    "MltrailTagsRunFacet",
    "MltrailTransport",
    "MltrailTransportConfig",
    "MltrailTrialRunFacet",
    "ModelVersionInfo",
    "OpenLineageDestination",
    "OutputDetails",
    "PRODUCER",
    "ParentRef",
    "ROLE_FACET",
    "ReplayResult",
    "RunSnapshot",
    "SinkDestination",
    "Spool",
    "StoreDestination",
    "TAGS_FACET",
    "TRIAL_FACET",
    "open_destination",
    "read_mltrail_facets",
    "register_destination_factory",
    "replay",
    "run_event",
    "set_store_sink",
    "to_dict",
    "validate_event",
]
