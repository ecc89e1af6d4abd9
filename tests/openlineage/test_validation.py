from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltrail.core.errors import EventValidationError, ValidationError
from mltrail.openlineage import RunSnapshot, run_event, to_dict, validate_event
from mltrail.openlineage._formats import is_date_time, is_uri, is_uuid

Factory = Callable[..., RunSnapshot]
PRODUCER = "https://example.com/producer"
SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


@pytest.fixture
def event(snapshot_factory: Factory) -> dict[str, Any]:
    return to_dict(run_event("COMPLETE", snapshot_factory()))


def _errors(payload: Any) -> list[tuple[str, str]]:
    with pytest.raises(EventValidationError) as caught:
        validate_event(payload)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.errors, "an EventValidationError must name at least one problem"
    return caught.value.errors


def _paths(payload: Any) -> list[str]:
    return [path for path, _ in _errors(payload)]


def test_missing_run_id_is_named(event: dict[str, Any]) -> None:
    del event["run"]["runId"]
    assert _paths(event) == ["$.run.runId"]


def test_run_id_must_be_a_uuid(event: dict[str, Any]) -> None:
    event["run"]["runId"] = "run-42"
    [(path, message)] = _errors(event)
    assert path == "$.run.runId" and "uuid" in message


@pytest.mark.parametrize(
    "bad_time", ["yesterday", "2025-11-26", "2025-11-26T12:00:00", "2025-13-01T00:00:00Z"]
)
def test_event_time_must_be_an_rfc3339_date_time(event: dict[str, Any], bad_time: str) -> None:
    event["eventTime"] = bad_time
    assert _paths(event) == ["$.eventTime"]


def test_producer_must_be_a_uri(event: dict[str, Any]) -> None:
    event["producer"] = "my producer"
    assert _paths(event) == ["$.producer"]


def test_wrong_types_are_named(event: dict[str, Any]) -> None:
    event["inputs"] = {"namespace": "s3://b", "name": "x"}
    event["job"]["name"] = 42
    assert sorted(_paths(event)) == ["$.inputs", "$.job.name"]


def test_malformed_mltrail_facets_are_named(event: dict[str, Any]) -> None:
    facets = event["run"]["facets"]
    facets["mltrail_hyperparameters"]["parameters"]["lr"]["type"] = "complex"
    facets["mltrail_trial"]["trials"] = []
    facets["mltrail_metrics"]["metrics"]["val_auc"]["count"] = "three"
    paths = _paths(event)
    assert "$.run.facets.mltrail_hyperparameters.parameters.lr.type" in paths
    assert "$.run.facets.mltrail_trial.trials" in paths
    assert "$.run.facets.mltrail_metrics.metrics.val_auc.count" in paths


@pytest.mark.parametrize(("kind", "value"), [("int", "1.5"), ("bool", "yes"), ("float", "fast")])
def test_hyperparameter_text_must_match_its_type(event: dict[str, Any], kind: str, value: str) -> None:
    event["run"]["facets"]["mltrail_hyperparameters"]["parameters"]["p"] = {"type": kind, "value": value}
    assert _paths(event) == ["$.run.facets.mltrail_hyperparameters.parameters.p.value"]


def test_a_facet_under_an_mltrail_key_must_be_the_mltrail_facet(event: dict[str, Any]) -> None:
    event["run"]["facets"]["mltrail_trial"]["_schemaURL"] = "https://example.com/schemas/Trial.json"
    [(path, message)] = _errors(event)
    assert path == "$.run.facets.mltrail_trial._schemaURL" and "MltrailTrialRunFacet" in message


def test_a_later_minor_version_of_an_mltrail_facet_is_accepted(event: dict[str, Any]) -> None:
    facet = event["run"]["facets"]["mltrail_tags"]
    facet["_schemaURL"] = facet["_schemaURL"].replace("1-0-0", "1-2-0")
    facet["addedLater"] = True
    assert validate_event(event) == "RunEvent"
    facet["tags"] = {"team": 1}
    assert _paths(event) == ["$.run.facets.mltrail_tags.tags.team"]


def test_standard_facets_are_checked_against_their_schema(event: dict[str, Any]) -> None:
    del event["run"]["facets"]["parent"]["job"]["name"]
    event["run"]["facets"]["parent"]["run"]["runId"] = "not-a-uuid"
    assert sorted(_paths(event)) == ["$.run.facets.parent.job.name", "$.run.facets.parent.run.runId"]


def test_unknown_custom_facets_are_left_opaque(event: dict[str, Any]) -> None:
    event["run"]["facets"]["acme_trial"] = {
        "_producer": PRODUCER,
        "_schemaURL": "https://acme.example/spec/facets/1-0-0/AcmeTrialRunFacet.json#/$defs/AcmeTrialRunFacet",
        "anything": [1, {"goes": None}],
    }
    event["outputs"][0]["facets"]["acme_card"] = {"_producer": PRODUCER, "_schemaURL": "urn:acme:card"}
    assert validate_event(event) == "RunEvent"
    del event["run"]["facets"]["acme_trial"]["_producer"]  # still has to be a facet
    assert _paths(event) == ["$.run.facets.acme_trial._producer"]


def test_deleted_facets_are_not_checked_against_their_schema(event: dict[str, Any]) -> None:
    event["outputs"][0]["facets"]["symlinks"] = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet",
        "_deleted": True,
        "identifiers": "gone",
    }
    assert validate_event(event) == "RunEvent"


@pytest.mark.parametrize("payload", [[], "event", 42, None])
def test_non_objects_are_rejected(payload: Any) -> None:
    [(path, message)] = _errors(payload)
    assert path == "$" and "JSON object" in message


def test_objects_that_are_no_event_are_rejected() -> None:
    [(path, message)] = _errors({"eventTime": "2025-11-26T12:00:00Z", "producer": PRODUCER})
    assert path == "$" and "'run', 'dataset' or 'job'" in message


def test_dataset_and_job_events_are_accepted_and_checked() -> None:
    base = {"eventTime": "2025-11-26T12:00:00Z", "producer": PRODUCER}
    dataset_event = {
        **base,
        "schemaURL": f"{SPEC}#/$defs/DatasetEvent",
        "dataset": {
            "namespace": "s3://models",
            "name": "fraud/model.pkl",
            "facets": {
                "mltrail_modelVersion": {
                    "_producer": PRODUCER,
                    "_schemaURL": "https://mltrail.dev/spec/facets/1-0-0/MltrailModelVersionDatasetFacet.json"
                    "#/$defs/MltrailModelVersionDatasetFacet",
                    "model": "fraud-xgb",
                    "version": 7,
                }
            },
        },
    }
    job_event = {
        **base,
        "schemaURL": f"{SPEC}#/$defs/JobEvent",
        "job": {"namespace": "ml", "name": "fraud.train"},
        "inputs": [{"namespace": "s3://data", "name": "train.parquet"}],
    }
    assert validate_event(dataset_event) == "DatasetEvent"
    assert validate_event(job_event) == "JobEvent"
    dataset_event["dataset"]["facets"]["mltrail_modelVersion"]["version"] = "seven"
    assert _paths(dataset_event) == ["$.dataset.facets.mltrail_modelVersion.version"]
    job_event["job"]["facets"] = {"jobType": {"_producer": PRODUCER, "_schemaURL": "x y"}}
    assert _paths(job_event) == ["$.job.facets.jobType._schemaURL"]


def test_message_lists_the_first_ten_errors_and_counts_the_rest(event: dict[str, Any]) -> None:
    for index in range(12):
        event["run"]["facets"][f"bad key.{index}"] = {"_producer": PRODUCER}
    with pytest.raises(EventValidationError) as caught:
        validate_event(event)
    error = caught.value
    assert len(error.errors) == 12
    assert error.field == "$.run.facets['bad key.0']._schemaURL"
    assert str(error).startswith("invalid OpenLineage event: $.run.facets['bad key.0']._schemaURL: ")
    assert str(error).endswith("(and 2 more)")
    assert error.value is event


def test_format_checks_fire() -> None:
    assert is_uuid("0193a1c2-7b4e-7c3d-9a8b-1234567890ab") and not is_uuid("0193a1c27b4e7c3d9a8b1234567890ab")
    assert is_date_time("2025-11-26T12:00:00.5+05:30") and is_date_time("2016-12-31T23:59:60Z")
    assert not is_date_time("2025-02-29T00:00:00Z") and not is_date_time("2025-11-26 12:00:00Z")
    assert not is_date_time("2025-11-26T24:00:00Z") and not is_date_time("2025-11-26T12:00:00+24:00")
    assert is_uri("https://a.example/spec/X.json#/$defs/X") and is_uri("urn:isbn:0451450523")
    assert is_uri("http://[::1]:8080/p?q=1") and is_uri("s3://bucket")
    assert not is_uri("relative/path") and not is_uri("http://a b") and not is_uri("http://a/%zz")
    assert not is_uri("http://a/#x#y") and not is_uri("git@github.com:acme/repo.git")
    assert is_uuid(42) and is_date_time(None) and is_uri(3.5)  # formats only constrain strings


def test_invalid_events_are_rejected_whatever_the_mutation(event: dict[str, Any], plain: Any) -> None:
    """The compiled fast path and jsonschema agree: every mutation the plain validator rejects fails."""
    mutations: list[Callable[[dict[str, Any]], None]] = [
        lambda e: e["run"]["facets"]["mltrail_metrics"]["metrics"]["loss"].update(lastStep=1.5),
        lambda e: e["run"]["facets"]["mltrail_metrics"]["metrics"]["loss"].update(last="nan"),
        lambda e: e["run"]["facets"]["mltrail_metrics"]["metrics"]["loss"].update(count=-1),
        lambda e: e["run"]["facets"]["mltrail_component"].update(kind="Training"),
        lambda e: e["run"]["facets"]["mltrail_tags"]["tags"].update(n=None),
        lambda e: e["run"]["facets"]["mltrail_experiment"].pop("name"),
        lambda e: e["run"]["facets"]["nominalTime"].update(nominalStartTime="noon"),
        lambda e: e["run"]["facets"]["executionParameters"]["parameters"].append({"value": "1"}),
        lambda e: e["outputs"][0]["outputFacets"]["outputStatistics"].update(size="big"),
        lambda e: e["outputs"][0]["facets"]["symlinks"]["identifiers"][0].pop("type"),
        lambda e: e["outputs"][0]["facets"]["mltrail_endpoint"].update(name=None),
        lambda e: e["inputs"][0]["inputFacets"]["mltrail_role"].update(role=1),
        lambda e: e["inputs"][0].pop("namespace"),
        lambda e: e.update(eventType="DONE"),
        lambda e: e.update(schemaURL=""),
        lambda e: e["job"]["facets"]["jobType"].update(integration=None),
        lambda e: e["run"].update(facets=[]),
    ]
    for mutate in mutations:
        mutated = copy.deepcopy(event)
        mutate(mutated)
        assert plain.errors(mutated), "the mutation should make the event invalid"
        with pytest.raises(EventValidationError):
            validate_event(mutated)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "0.5", "x"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]), children),
    max_leaves=6,
)
fields = st.sampled_from(
    ["type", "value", "count", "last", "lastStep", "nonfiniteCount", "lastTimestampMs", "x"]
)


@pytest.fixture(scope="module")
def base_event(snapshot_factory: Factory) -> dict[str, Any]:
    return to_dict(run_event("COMPLETE", snapshot_factory()))


@settings(max_examples=200, deadline=None)
@given(
    facet=st.sampled_from(["mltrail_hyperparameters", "mltrail_metrics"]),
    field=fields,
    value=json_values,
    drop=st.booleans(),
)
def test_compiled_checks_agree_with_jsonschema_on_random_entries(
    base_event: dict[str, Any], plain: Any, facet: str, field: str, value: Any, drop: bool
) -> None:
    event = copy.deepcopy(base_event)
    entries = event["run"]["facets"][facet]["parameters" if facet == "mltrail_hyperparameters" else "metrics"]
    entry = next(iter(entries.values()))
    if drop:
        entry.pop(field, None)
    else:
        entry[field] = value
    expected_valid = not plain.errors(event)
    try:
        validate_event(event)
    except EventValidationError:
        assert not expected_valid
    else:
        assert expected_valid


def test_validation_cost_per_event_is_reported(base_event: dict[str, Any]) -> None:
    validate_event(base_event)  # build the validators
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        validate_event(base_event)
    per_event = (time.perf_counter() - started) / rounds
    # A loose bound (shared CI machines are slow); the measured figure is in the report.
    assert per_event < 0.005
