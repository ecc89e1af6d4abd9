"""Every Marquez endpoint mltrail serves, over HTTP, checked against Marquez's own OpenAPI file.

The file (``tests/data/marquez/openapi.yml``, Marquez ``a89b89c``) is OpenAPI 3.0, not JSON
Schema, and it is wrong or silent in places; :func:`load_spec` converts it and patches each known
error with the section of ``marquez-api.md`` (our research notes on Marquez) that documents the
real shape. Two conversions make the check stricter than the file alone:

* Marquez's Jersey mapper writes every property, ``null`` when absent (§0, §1.4), so every
  property the file lists must be present; one the file does not require may be ``null``.
* ``format: uuid`` and ``format: date-time`` are checked.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from live_server import Served
from pipeline_events import (
    CUSTOMERS,
    DAG,
    ETL,
    FAILED_REPORT_RUN,
    MODEL,
    MODEL_VERSION,
    ORDER_FACTS,
    PG,
    S3,
    pipeline_events,
)
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_FILE = Path(__file__).parents[2] / "data" / "marquez" / "openapi.yml"
BASE = "urn:marquez-openapi"
_REF = {"$ref": f"{BASE}#/components/schemas/"}


def ref(name: str) -> dict[str, str]:
    """A reference to a schema of the file's components."""
    return {"$ref": f"{BASE}#/components/schemas/{name}"}


def _instant(kind: str = "string") -> dict[str, Any]:
    return {"type": kind, "format": "date-time"}


# -- the file, patched ---------------------------------------------------------------------------------


def _patch(spec: dict[str, Any]) -> None:
    """Fix what the file gets wrong or leaves out, each with where the real shape is documented."""
    paths, schemas = spec["paths"], spec["components"]["schemas"]

    # §1.1: PUT /tags/{tag} returns the one Tag it created, not a TagList.
    paths["/tags/{tag}"]["put"]["responses"]["200"]["content"]["application/json"]["schema"] = ref("Tag")
    # §1.1: RunList and DatasetVersionList carry totalCount too.
    for name in ("RunList", "DatasetVersionList"):
        schemas[name]["properties"]["totalCount"] = {"type": "integer"}
        schemas[name]["required"] = [*schemas[name]["properties"]]

    # §1.1: routes the file leaves out (GET /jobs, the DELETE tag routes, job tags, /stats/*).
    def route(schema: dict[str, Any]) -> dict[str, Any]:
        return {"responses": {"200": {"content": {"application/json": {"schema": schema}}}}}

    paths["/jobs"] = {"get": route(ref("JobList"))}
    paths["/namespaces/{namespace}/datasets/{dataset}/tags/{tag}"]["delete"] = route(ref("Dataset"))
    paths["/namespaces/{namespace}/datasets/{dataset}/fields/{field}/tags/{tag}"]["delete"] = route(
        ref("Dataset")
    )
    paths["/namespaces/{namespace}/jobs/{job}/tags/{tag}"] = {
        "post": route(ref("Job")),
        "delete": route(ref("Job")),
    }
    # §1.3 rows 45–48: hourly or daily buckets.
    bucket = {"startInterval": _instant(), "endInterval": _instant()}
    counts = {key: {"type": "integer", "minimum": 0} for key in ("fail", "start", "complete", "abort")}
    paths["/stats/lineage-events"] = {
        "get": route({"type": "array", "items": _object({**bucket, **counts}, required_all=True)})
    }
    for kind in ("jobs", "datasets", "sources"):
        paths[f"/stats/{kind}"] = {
            "get": route(
                {
                    "type": "array",
                    "items": _object(
                        {**bucket, "count": {"type": "integer", "minimum": 0}}, required_all=True
                    ),
                }
            )
        }

    # §1.2: errors are {"code": 404, "message": "…"}; the file documents no error response at all.
    schemas["ErrorMessage"] = _object(
        {"code": {"type": "integer", "minimum": 400, "maximum": 599}, "message": {"type": "string"}},
        required_all=True,
    )
    for item in paths.values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete"):
                operation["responses"]["default"] = route(ref("ErrorMessage"))["responses"]["200"]

    # §1.4: a Run is the IncompleteRun fields *and* its job and dataset versions; the file's anyOf
    # would let the first half pass alone.
    schemas["Run"]["allOf"] = schemas["Run"].pop("anyOf")
    # §1.4: DatasetVersion.tags is a list of strings, as Dataset.tags is in the same file.
    schemas["DatasetVersion"]["properties"]["tags"] = {"type": "array", "items": {"type": "string"}}
    # §1.4: a dataset version's description and a field's type are null when unknown.
    schemas["DatasetVersion"]["required"].remove("description")
    for name in ("Dataset", "DatasetVersion"):
        schemas[name]["properties"]["fields"]["items"]["required"] = ["name"]
    # §1.4: the facets of a run's input and output versions are facets (objects), not strings.
    for name in ("InputDatasetVersion", "OutputDatasetVersion"):
        schemas[name]["properties"]["facets"] = {"type": "object", "additionalProperties": ref("CustomFacet")}
    # §1.3 row 30: /facets answers {"runId", "facets": {name: facet}}, not one facet.
    schemas["FacetsResult"]["properties"]["facets"] = ref("RunFacets")
    schemas["FacetsResult"]["properties"]["runId"]["format"] = "uuid"
    # The file leaves SearchResult's name and updatedAt with an empty `type:`.
    schemas["SearchResult"]["properties"]["name"]["type"] = "string"
    schemas["SearchResult"]["properties"]["updatedAt"] = _instant()
    # §1.4: node types include DATASET_FIELD (column lineage, which the file also answers with
    # LineageGraph). The file's discriminator reads `data.type` (DB_TABLE, BATCH…), which never
    # equals DATASET or JOB, and a oneOf of two open schemas matches both: choose `data`'s schema
    # by the node's type instead, with the node data classes of §1.4.
    schemas["NodeType"]["enum"] = ["JOB", "DATASET", "DATASET_FIELD"]
    node = schemas["GraphNode"]
    node["properties"]["data"] = {"type": "object"}
    node["allOf"] = [
        {
            "if": {"properties": {"type": {"const": kind}}},
            "then": {"properties": {"data": ref(data)}},
        }
        for kind, data in (
            ("DATASET", "DatasetNodeData"),
            ("JOB", "JobNodeData"),
            ("DATASET_FIELD", "ColumnLineageNodeData"),
        )
    ]
    node["required"] = ["id", "type", "data", "inEdges", "outEdges"]
    schemas["GraphEdge"]["required"] = ["origin", "destination"]
    dataset = schemas["Dataset"]["properties"]
    schemas["DatasetNodeData"] = {
        "type": "object",
        "properties": {k: v for k, v in dataset.items() if k not in ("facets", "currentVersion", "deleted")},
    }
    job = schemas["Job"]["properties"]
    schemas["JobNodeData"] = {
        "type": "object",
        "properties": {
            **{k: v for k, v in job.items() if k not in ("latestRuns", "facets", "currentVersion")},
            "currentRunUuid": {"type": "string", "format": "uuid"},
        },
    }
    field = {
        "namespace": {"type": "string"},
        "dataset": {"type": "string"},
        "datasetVersion": {"type": "string", "format": "uuid"},
        "field": {"type": "string"},
        "transformationDescription": {"type": "string"},
        "transformationType": {"type": "string"},
    }
    schemas["ColumnLineageNodeData"] = {
        "type": "object",
        "properties": {
            **field,
            "fieldType": {"type": "string"},
            "inputFields": {"type": "array", "items": {"type": "object", "properties": field}},
        },
        "required": ["namespace", "dataset", "field", "inputFields"],
    }


def _object(properties: dict[str, Any], *, required_all: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "object", "properties": properties}
    if required_all:
        found["required"] = list(properties)
    return found


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schemas as JSON Schema: absolute refs, every property present, optional ones nullable."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    found = {
        key: _json_schema(value)
        for key, value in node.items()
        if key not in ("example", "discriminator", "deprecated") and not (key == "type" and value is None)
    }
    if isinstance(found.get("$ref"), str) and found["$ref"].startswith("#"):
        found["$ref"] = BASE + found["$ref"]
    properties = node.get("properties")
    if isinstance(properties, dict) and all(isinstance(v, dict) for v in properties.values()):
        required = set(node.get("required", ()))
        found["required"] = [name for name, sub in properties.items() if not sub.get("deprecated")]
        found["properties"] = {
            name: found["properties"][name]
            if name in required
            else {"anyOf": [{"type": "null"}, found["properties"][name]]}
            for name in properties
        }
    return found


def load_spec() -> dict[str, Any]:
    """The OpenAPI file, patched and converted."""
    spec = yaml.safe_load(SPEC_FILE.read_text())
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
    _patch(spec)
    spec["components"]["schemas"] = _json_schema(spec["components"]["schemas"])
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                for response in operation["responses"].values():
                    for content in response.get("content", {}).values():
                        content["schema"] = _json_schema(content["schema"])
    return spec


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("uuid", raises=ValueError)
    def _uuid(value: object) -> bool:
        return not isinstance(value, str) or str(UUID(value)) == value

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return "T" in value and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None

    return checker


class Conformance:
    """Checks response bodies against the patched file; collects what does not conform."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.spec = load_spec()
        self.registry: Registry[Any] = Registry().with_resource(BASE, DRAFT202012.create_resource(self.spec))
        self.checker = _format_checker()
        self.problems: list[str] = []
        self.checked: list[str] = []

    def call(
        self, method: str, template: str, path: str, *, expect: int = 200, **kwargs: Any
    ) -> requests.Response:
        """Send ``method path`` (under /api/v1) and check the body against ``template``'s operation."""
        response = requests.request(method, f"{self.url}/api/v1{path}", timeout=10, **kwargs)
        label = f"{method} {path} → {response.status_code}"
        self.checked.append(f"{method} {template} {response.status_code}")
        if response.status_code != expect:
            self.problems.append(f"{label}: expected {expect}: {response.text[:300]}")
            return response
        operation = self.spec["paths"][template][method.lower()]
        responses = operation["responses"]
        declared = responses.get(str(response.status_code)) or responses["default"]
        schema = declared["content"]["application/json"]["schema"]
        validator = Draft202012Validator(schema, registry=self.registry, format_checker=self.checker)
        for error in validator.iter_errors(response.json()):
            error = _deepest(error)
            where = "/".join(str(part) for part in error.absolute_path)
            self.problems.append(f"{label}: at /{where}: {error.message[:200]}")
        return response


def _deepest(error: ValidationError) -> ValidationError:
    """The innermost reason inside anyOf and allOf, rather than the whole instance."""
    found = error
    for inner in error.context or ():
        candidate = _deepest(inner)
        if len(candidate.absolute_path) > len(found.absolute_path):
            found = candidate
    return found


def enc(text: str) -> str:
    """A path segment as the UI and marquez-python send it."""
    return quote(text, safe="")


@pytest.fixture
def conformance(served: Served) -> Iterator[Conformance]:
    served.store.ingest_batch(pipeline_events())
    checks = Conformance(served.url)
    yield checks
    assert not checks.problems, "\n".join(checks.problems)


def test_the_patched_file_is_a_valid_schema() -> None:
    spec = load_spec()
    Draft202012Validator.check_schema(spec["components"]["schemas"]["Dataset"])
    assert {"Run", "GraphNode", "ErrorMessage"} <= set(spec["components"]["schemas"])


def test_every_read_endpoint_conforms(conformance: Conformance) -> None:
    c = conformance
    pg, s3, facts, report_job = enc(PG), enc(S3), enc(ORDER_FACTS[1]), enc(f"{DAG}.daily_report")
    c.call("GET", "/namespaces", "/namespaces")
    c.call("GET", "/namespaces/{namespace}", f"/namespaces/{pg}")
    c.call("GET", "/sources", "/sources")
    c.call("GET", "/sources/{source}", f"/sources/{s3}")
    c.call("GET", "/namespaces/{namespace}/datasets", f"/namespaces/{pg}/datasets", params={"limit": 20})
    for namespace, name in (ORDER_FACTS, MODEL, MODEL_VERSION, CUSTOMERS):
        c.call(
            "GET",
            "/namespaces/{namespace}/datasets/{dataset}",
            f"/namespaces/{enc(namespace)}/datasets/{enc(name)}",
        )
    versions = c.call(
        "GET",
        "/namespaces/{namespace}/datasets/{dataset}/versions",
        f"/namespaces/{pg}/datasets/{facts}/versions",
    ).json()["versions"]
    c.call(
        "GET",
        "/namespaces/{namespace}/datasets/{dataset}/versions/{version}",
        f"/namespaces/{pg}/datasets/{facts}/versions/{versions[0]['version']}",
    )
    c.call("GET", "/jobs", "/jobs", params={"limit": 10, "lastRunStates": ["COMPLETED", "FAILED"]})
    c.call("GET", "/namespaces/{namespace}/jobs", f"/namespaces/{ETL}/jobs", params={"limit": 20})
    for namespace, job in ((ETL, f"{DAG}.daily_report"), ("mltrail", "churn.train"), (ETL, DAG)):
        c.call("GET", "/namespaces/{namespace}/jobs/{job}", f"/namespaces/{namespace}/jobs/{enc(job)}")
    c.call(
        "GET",
        "/namespaces/{namespace}/jobs/{job}/runs",
        f"/namespaces/{ETL}/jobs/{report_job}/runs",
        params={"limit": 14},
    )
    job_versions = c.call(
        "GET", "/namespaces/{namespace}/jobs/{job}/versions", f"/namespaces/{ETL}/jobs/{report_job}/versions"
    ).json()["versions"]
    c.call(
        "GET",
        "/namespaces/{namespace}/jobs/{job}/versions/{version}",
        f"/namespaces/{ETL}/jobs/{report_job}/versions/{job_versions[0]['version']}",
    )
    c.call("GET", "/jobs/runs/{id}", f"/jobs/runs/{FAILED_REPORT_RUN}")
    for kind in ("run", "job"):
        c.call(
            "GET", "/jobs/runs/{id}/facets", f"/jobs/runs/{FAILED_REPORT_RUN}/facets", params={"type": kind}
        )
    for node_id in (
        f"dataset:{PG}:{ORDER_FACTS[1]}",
        f"job:{ETL}:{DAG}.join_orders",
        f"dataset:{MODEL[0]}:{MODEL[1]}",
    ):
        c.call("GET", "/lineage", "/lineage", params={"nodeId": node_id, "depth": 2})
    c.call(
        "GET",
        "/column-lineage",
        "/column-lineage",
        params={"nodeId": f"dataset:{PG}:{ORDER_FACTS[1]}", "depth": 20, "withDownstream": "true"},
    )
    c.call("GET", "/events/lineage", "/events/lineage", params={"limit": 50, "sortDirection": "desc"})
    for params in ({"q": "orders"}, {"q": "churn", "filter": "JOB", "sort": "UPDATE_AT", "limit": 100}):
        c.call("GET", "/search", "/search", params=params)
    c.call("GET", "/tags", "/tags")
    c.call("GET", "/stats/lineage-events", "/stats/lineage-events", params={"period": "DAY"})
    for kind in ("jobs", "datasets", "sources"):
        c.call(
            "GET", f"/stats/{kind}", f"/stats/{kind}", params={"period": "WEEK", "timezone": "Europe/Paris"}
        )
    assert len(c.checked) >= 30


def test_errors_conform(conformance: Conformance) -> None:
    c, nowhere, pg = conformance, enc("s3://nowhere"), f"/namespaces/{enc(PG)}"
    missing = {
        "/namespaces/{namespace}": f"/namespaces/{nowhere}",
        "/sources/{source}": f"/sources/{nowhere}",
        "/namespaces/{namespace}/datasets/{dataset}": f"{pg}/datasets/none",
        "/namespaces/{namespace}/datasets/{dataset}/versions": f"{pg}/datasets/none/versions",
        "/namespaces/{namespace}/datasets/{dataset}/versions/{version}": (
            f"/namespaces/{enc(PG)}/datasets/{enc(ORDER_FACTS[1])}/versions/{UUID(int=1)}"
        ),
        "/namespaces/{namespace}/jobs/{job}": f"/namespaces/{ETL}/jobs/none",
        "/namespaces/{namespace}/jobs/{job}/runs": f"/namespaces/{ETL}/jobs/none/runs",
        "/namespaces/{namespace}/jobs/{job}/versions": f"/namespaces/{ETL}/jobs/none/versions",
        "/jobs/runs/{id}": f"/jobs/runs/{UUID(int=1)}",
    }
    for template, path in missing.items():
        c.call("GET", template, path, expect=404)
    c.call("GET", "/lineage", "/lineage", params={"nodeId": f"dataset:{PG}:none"}, expect=404)
    c.call("GET", "/lineage", "/lineage", expect=400)
    c.call("GET", "/stats/lineage-events", "/stats/lineage-events", params={"period": "WEEK"}, expect=400)


def test_conversion_keeps_required_properties_strict() -> None:
    spec = load_spec()
    registry: Registry[Any] = Registry().with_resource(BASE, DRAFT202012.create_resource(spec))
    validator = Draft202012Validator(
        ref("DatasetVersionId"), registry=registry, format_checker=_format_checker()
    )
    good = {"namespace": "n", "name": "d", "version": str(UUID(int=5))}

    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "version": None})
    assert not validator.is_valid({**good, "version": "not-a-uuid"})
    assert not validator.is_valid({k: v for k, v in good.items() if k != "name"})
    tolerant = copy.deepcopy(spec["components"]["schemas"]["Namespace"])
    assert {"type": "null"} in tolerant["properties"]["description"]["anyOf"]


def test_every_write_endpoint_conforms(conformance: Conformance) -> None:
    c, pg, facts = conformance, enc(PG), enc(ORDER_FACTS[1])
    dataset, job = f"/namespaces/{pg}/datasets/{facts}", f"/namespaces/{ETL}/jobs/{enc(DAG)}.join_orders"
    ns = c.call("PUT", "/namespaces/{namespace}", f"/namespaces/{pg}", json={"ownerName": "data-eng"}).json()
    assert ns["ownerName"] == "data-eng"
    c.call(
        "PUT", "/namespaces/{namespace}", "/namespaces/new-team", json={"ownerName": "me", "description": "x"}
    )
    assert c.call("PUT", "/tags/{tag}", "/tags/PII", json={"description": "personal"}).json() == {
        "name": "PII",
        "description": "personal",
    }
    tagged = c.call(
        "POST", "/namespaces/{namespace}/datasets/{dataset}/tags/{tag}", f"{dataset}/tags/GOLD"
    ).json()
    assert tagged["tags"] == ["GOLD"]
    field = "/namespaces/{namespace}/datasets/{dataset}/fields/{field}/tags/{tag}"
    tagged = c.call("POST", field, f"{dataset}/fields/country/tags/PII").json()
    assert [f["tags"] for f in tagged["fields"]] == [[], [], ["PII"]]
    c.call("DELETE", field, f"{dataset}/fields/country/tags/PII")
    c.call("DELETE", "/namespaces/{namespace}/datasets/{dataset}/tags/{tag}", f"{dataset}/tags/GOLD")
    assert c.call("POST", "/namespaces/{namespace}/jobs/{job}/tags/{tag}", f"{job}/tags/GOLD").json()[
        "tags"
    ] == ["GOLD"]
    c.call("DELETE", "/namespaces/{namespace}/jobs/{job}/tags/{tag}", f"{job}/tags/GOLD")
    c.call("DELETE", "/namespaces/{namespace}/jobs/{job}", job)
    c.call("DELETE", "/namespaces/{namespace}/datasets/{dataset}", dataset)
    c.call("DELETE", "/namespaces/{namespace}", f"/namespaces/{enc(MODEL_VERSION[0])}")
    c.call("GET", "/namespaces/{namespace}/jobs/{job}", job, expect=404)
    c.call("GET", "/namespaces/{namespace}/datasets/{dataset}", dataset, expect=404)
    c.call("POST", field, f"{dataset}/fields/country/tags/PII", expect=404)
    c.call(
        "PUT", "/namespaces/{namespace}", f"/namespaces/{pg}", json={"description": "no owner"}, expect=400
    )
    for method, template, path in (
        ("PUT", "/sources/{source}", "/sources/pg"),
        ("PUT", "/namespaces/{namespace}/datasets/{dataset}", dataset),
        ("PUT", "/namespaces/{namespace}/jobs/{job}", job),
        ("POST", "/namespaces/{namespace}/jobs/{job}/runs", f"{job}/runs"),
        ("POST", "/jobs/runs/{id}/start", f"/jobs/runs/{FAILED_REPORT_RUN}/start"),
        ("POST", "/jobs/runs/{id}/complete", f"/jobs/runs/{FAILED_REPORT_RUN}/complete"),
    ):
        c.call(method, template, path, json={}, expect=410)
