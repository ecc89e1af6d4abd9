from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openlineage.client.facet_v2 import set_producer
from openlineage.client.generated import base as generated_base

import mltrail.openlineage
from mltrail.__about__ import __version__
from mltrail.openlineage import facets
from mltrail.openlineage.facets import (
    FACET_CLASSES,
    PRODUCER,
    MltrailRoleInputDatasetFacet,
    MltrailTagsRunFacet,
)

SCHEMAS = Path(mltrail.openlineage.__file__).parent / "schemas"


@pytest.mark.parametrize("cls", FACET_CLASSES, ids=lambda cls: cls.__name__)
def test_each_facet_has_a_valid_draft_2020_12_schema_named_by_its_schema_url(cls: type) -> None:
    name = cls.__name__
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://mltrail.dev/spec/facets/1-0-0/{name}.json"
    assert cls._get_schema() == f"{schema['$id']}#/$defs/{name}"  # type: ignore[attr-defined]
    assert name in schema["$defs"]


def test_the_facet_key_maps_name_every_facet_class_once() -> None:
    keyed = [*facets.RUN_FACETS.values(), *facets.DATASET_FACETS.values()]
    keyed += [*facets.INPUT_FACETS.values(), *facets.OUTPUT_FACETS.values()]
    assert sorted(cls.__name__ for cls in keyed) == sorted(cls.__name__ for cls in FACET_CLASSES)


def test_producer_is_pinned_to_the_mltrail_version_even_if_the_global_producer_changes() -> None:
    assert PRODUCER == f"https://github.com/mltrail/mltrail/tree/{__version__}"
    previous = generated_base.PRODUCER
    set_producer("https://github.com/apache/airflow/tree/providers-openlineage/2.20.3")
    try:
        assert MltrailTagsRunFacet(tags={})._producer == PRODUCER
        assert MltrailRoleInputDatasetFacet(role="train", producer="https://example.com/p")._producer == (
            "https://example.com/p"
        )
    finally:
        set_producer(previous)


def test_vendored_openlineage_spec_keeps_its_licence() -> None:
    licence = (SCHEMAS / "openlineage" / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence
    spec = json.loads((SCHEMAS / "openlineage" / "OpenLineage.json").read_text())
    assert spec["$id"] == "https://openlineage.io/spec/2-0-2/OpenLineage.json"
