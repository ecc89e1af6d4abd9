"""OpenLineage for mltrail: custom facets, event builders, validation, delivery and the spool.

Every tracked run becomes an OpenLineage run: :func:`run_event` builds its events from a
:class:`RunSnapshot`, :func:`to_dict` turns them into JSON-ready dicts, :func:`validate_event`
checks incoming events against the vendored OpenLineage spec and mltrail's facet schemas, and
:func:`read_mltrail_facets` reads mltrail's facets back out of a validated event.
:class:`Emitter` delivers events to destinations, spooling what fails (:class:`Spool`,
:func:`replay`). Importing :mod:`mltrail.openlineage.transport` registers the ``mltrail``
OpenLineage transport type; mltrail does it before building an OpenLineage client itself.

The names below load their module on first use: the OpenLineage client takes about a third of a
second to import, which ``import mltrail`` and a process that never sends an event should not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mltrail._lazy import lazy_exports

if TYPE_CHECKING:
    from mltrail.openlineage.delivery import Emitter, ReplayResult, replay
    from mltrail.openlineage.destinations import (
        Destination,
        OpenLineageDestination,
        SinkDestination,
        StoreDestination,
        open_destination,
        register_destination_factory,
        set_store_sink,
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
    from mltrail.openlineage.transport import MltrailTransport, MltrailTransportConfig
    from mltrail.openlineage.validation import EVENT_KINDS, validate_event

_EXPORTS = {
    "COMPONENT_FACET": "facets",
    "Destination": "destinations",
    "ENDPOINT_FACET": "facets",
    "EVENT_KINDS": "validation",
    "EXPERIMENT_FACET": "facets",
    "Emitter": "delivery",
    "EndpointInfo": "events",
    "HYPERPARAMETERS_FACET": "facets",
    "METRICS_FACET": "facets",
    "MODEL_VERSION_FACET": "facets",
    "MltrailComponentRunFacet": "facets",
    "MltrailEndpointDatasetFacet": "facets",
    "MltrailExperimentRunFacet": "facets",
    "MltrailHyperparametersRunFacet": "facets",
    "MltrailMetric": "facets",
    "MltrailMetricsRunFacet": "facets",
    "MltrailModelVersionDatasetFacet": "facets",
    "MltrailParameter": "facets",
    "MltrailRoleInputDatasetFacet": "facets",
    "MltrailRoleOutputDatasetFacet": "facets",
    "MltrailRunInfo": "reading",
    "MltrailTagsRunFacet": "facets",
    "MltrailTransport": "transport",
    "MltrailTransportConfig": "transport",
    "MltrailTrialRunFacet": "facets",
    "ModelVersionInfo": "events",
    "OpenLineageDestination": "destinations",
    "OutputDetails": "events",
    "PRODUCER": "facets",
    "ParentRef": "events",
    "ROLE_FACET": "facets",
    "ReplayResult": "delivery",
    "RunSnapshot": "events",
    "SinkDestination": "destinations",
    "Spool": "spool",
    "StoreDestination": "destinations",
    "TAGS_FACET": "facets",
    "TRIAL_FACET": "facets",
    "open_destination": "destinations",
    "read_mltrail_facets": "reading",
    "register_destination_factory": "destinations",
    "replay": "delivery",
    "run_event": "events",
    "set_store_sink": "destinations",
    "to_dict": "events",
    "validate_event": "validation",
}
"""Each public name and the module (under ``mltrail.openlineage``) that defines it."""


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())

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
