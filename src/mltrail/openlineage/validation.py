"""Validate OpenLineage events against the vendored spec and the schemas of the facets they carry.

An event is dispatched on its keys (``run`` → RunEvent, else ``dataset`` → DatasetEvent, else
``job`` → JobEvent) and validated against ``$defs/<Kind>`` of the vendored ``OpenLineage.json``,
with ``uuid``, ``date-time`` and ``uri`` formats enforced. Every facet whose ``_schemaURL`` is a
schema mltrail ships (its own facets and the standard OpenLineage facets) is then validated
against that schema; other custom facets are only checked to be facets (``_producer``,
``_schemaURL``). A facet under one of mltrail's keys (``mltrail_trial``…) must carry the
``_schemaURL`` of that mltrail facet, in any 1-x-y version (later minor versions only add fields,
so they are checked against the schema known here). Facets marked ``_deleted`` are not checked
against their schema.

All ``$ref``s resolve offline through a ``referencing.Registry`` of the files in ``schemas/``.
Validators are built once per process. The common case is a compiled check
(:mod:`mltrail.openlineage._compiler`); only an event that fails it is run through jsonschema,
which names every problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as JsonSchemaError
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from mltrail.core.errors import EventValidationError
from mltrail.openlineage import facets as _facets
from mltrail.openlineage._compiler import Check, SchemaCompiler, UnsupportedSchemaError
from mltrail.openlineage._formats import FORMATS, build_format_checker

SPEC_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
"""The ``$id`` of the vendored OpenLineage spec."""

EVENT_KINDS = ("RunEvent", "DatasetEvent", "JobEvent")

_MAX_ERRORS = 100
_MAX_MESSAGE_LENGTH = 300
_MLTRAIL_SCHEMA_URL = re.compile(r"https://mltrail\.dev/spec/facets/1-\d+-\d+/(\w+)\.json#/\$defs/(\w+)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def validate_event(payload: Mapping[str, Any]) -> str:
    """Validate an OpenLineage event (a decoded JSON object) and return its kind.

    Args:
        payload: The event, as ``json.loads`` returns it.

    Returns:
        ``"RunEvent"``, ``"DatasetEvent"`` or ``"JobEvent"``.

    Raises:
        EventValidationError: If the payload is not a JSON object, not an event, or breaks the
            spec or a known facet schema; ``errors`` lists ``(JSON path, message)`` pairs.
    """
    if not isinstance(payload, Mapping):
        raise EventValidationError(
            [("$", f"an OpenLineage event must be a JSON object, got {type(payload).__name__}")],
            value=payload,
        )
    event = payload if isinstance(payload, dict) else dict(payload)
    if "run" in event:
        kind = "RunEvent"
    elif "dataset" in event:
        kind = "DatasetEvent"
    elif "job" in event:
        kind = "JobEvent"
    else:
        raise EventValidationError(
            [("$", "not an OpenLineage event: it has none of 'run', 'dataset' or 'job'")], value=payload
        )
    schemas = _schemas()
    if schemas.events[kind].check(event) and _facets_pass(schemas, event):
        return kind
    errors = _collect_errors(schemas, event, kind)
    if errors:
        raise EventValidationError(errors, value=payload)
    return kind  # the compiled check was stricter than jsonschema: jsonschema decides


def schema_documents() -> dict[str, Any]:
    """Return every schema document shipped in ``mltrail/openlineage/schemas/``, by ``$id``."""
    return dict(_documents())


@dataclass(frozen=True, slots=True)
class _Schema:
    check: Check
    validator: Draft202012Validator


@dataclass(frozen=True, slots=True)
class _Schemas:
    events: Mapping[str, _Schema]
    facets: Mapping[str, _Schema]  # by _schemaURL
    mltrail: Mapping[str, _Schema]  # by class name


@cache
def _documents() -> dict[str, Any]:
    root = files("mltrail.openlineage") / "schemas"
    sources = [root / "openlineage" / "OpenLineage.json"]
    sources += [item for item in (root / "openlineage" / "facets").iterdir() if item.name.endswith(".json")]
    sources += [item for item in root.iterdir() if item.name.endswith(".json")]
    documents: dict[str, Any] = {}
    for source in sources:
        document = json.loads(source.read_text(encoding="utf-8"))
        documents[document["$id"]] = document
    return documents


@cache
def _schemas() -> _Schemas:
    documents = _documents()
    registry: Registry[Any] = Registry().with_resources(
        (uri, DRAFT202012.create_resource(document)) for uri, document in documents.items()
    )
    registry = registry.crawl()
    format_checker = build_format_checker()
    compiler = SchemaCompiler(documents, FORMATS)

    def build(url: str) -> _Schema:
        validator = Draft202012Validator({"$ref": url}, registry=registry, format_checker=format_checker)
        try:
            check = compiler.compile(url)
        except UnsupportedSchemaError:
            check = validator.is_valid
        return _Schema(check, validator)

    facet_urls = [
        f"{uri}#/$defs/{name}"
        for uri, document in documents.items()
        if uri != SPEC_URL
        for name in document.get("$defs", {})
        if name.endswith("Facet")
    ]
    facet_schemas = {url: build(url) for url in facet_urls}
    return _Schemas(
        events={kind: build(f"{SPEC_URL}#/$defs/{kind}") for kind in EVENT_KINDS},
        facets=facet_schemas,
        mltrail={
            cls.__name__: facet_schemas[_facets.schema_url(cls.__name__)] for cls in _facets.FACET_CLASSES
        },
    )


_Path = tuple[str | int, ...]
_ENTITY_FACETS: Mapping[str, Mapping[str, type[Any]]] = {
    "run": _facets.RUN_FACETS,
    "job": {},
    "dataset": _facets.DATASET_FACETS,
}


def _facet_maps(event: Mapping[str, Any]) -> Iterator[tuple[_Path, Any, Mapping[str, type[Any]]]]:
    """Yield (path, facets object, mltrail facet classes by key) for every facet map of an event."""
    for entity, mltrail in _ENTITY_FACETS.items():
        node = event.get(entity)
        if isinstance(node, dict):
            yield (entity, "facets"), node.get("facets"), mltrail
    for side, extra, mltrail in (
        ("inputs", "inputFacets", _facets.INPUT_FACETS),
        ("outputs", "outputFacets", _facets.OUTPUT_FACETS),
    ):
        datasets = event.get(side)
        if not isinstance(datasets, list):
            continue
        for index, dataset in enumerate(datasets):
            if isinstance(dataset, dict):
                yield (side, index, "facets"), dataset.get("facets"), _facets.DATASET_FACETS
                yield (side, index, extra), dataset.get(extra), mltrail


def _facet_schema(
    schemas: _Schemas, key: str, facet: Mapping[str, Any], mltrail: Mapping[str, type[Any]]
) -> tuple[_Schema | None, str | None]:
    """Return the schema a facet must match, or the reason its ``_schemaURL`` is wrong."""
    url = facet.get("_schemaURL")
    expected = mltrail.get(key)
    if expected is None:
        return schemas.facets.get(url) if isinstance(url, str) else None, None
    name = expected.__name__
    match = _MLTRAIL_SCHEMA_URL.fullmatch(url) if isinstance(url, str) else None
    if match is None or match.group(1) != name or match.group(2) != name:
        return (
            None,
            f"facet {key!r} must be an mltrail {name}: expected {_facets.schema_url(name)!r}, got {url!r}",
        )
    return schemas.mltrail[name], None


def _facets_pass(schemas: _Schemas, event: Mapping[str, Any]) -> bool:
    for _path, facet_map, mltrail in _facet_maps(event):
        if not isinstance(facet_map, dict):
            continue
        for key, facet in facet_map.items():
            if not isinstance(facet, dict) or facet.get("_deleted") is True:
                continue
            schema, problem = _facet_schema(schemas, key, facet, mltrail)
            if problem is not None or (schema is not None and not schema.check(facet)):
                return False
    return True


def _collect_errors(schemas: _Schemas, event: Mapping[str, Any], kind: str) -> list[tuple[str, str]]:
    errors = _errors_of(schemas.events[kind].validator, event, ())
    for path, facet_map, mltrail in _facet_maps(event):
        if not isinstance(facet_map, dict):
            continue
        for key, facet in facet_map.items():
            if len(errors) >= _MAX_ERRORS:
                break
            if not isinstance(facet, dict) or facet.get("_deleted") is True:
                continue
            schema, problem = _facet_schema(schemas, key, facet, mltrail)
            if problem is not None:
                errors.append((_json_path((*path, key, "_schemaURL")), problem))
            elif schema is not None:
                errors.extend(_errors_of(schema.validator, facet, (*path, key)))
    # jsonschema reports some keywords (additionalProperties) in set order: sort for a stable message.
    return sorted(dict.fromkeys(errors[:_MAX_ERRORS]), key=lambda error: error[0])


def _errors_of(validator: Draft202012Validator, instance: Any, prefix: _Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            path: _Path = (*prefix, *leaf.absolute_path)
            if leaf.validator == "required":
                path = (*path, *_missing_property(leaf))
            message = leaf.message
            if len(message) > _MAX_MESSAGE_LENGTH:
                message = message[: _MAX_MESSAGE_LENGTH - 1] + "…"
            found.append((_json_path(path), message))
        if len(found) >= _MAX_ERRORS:
            break
    return found


def _leaves(error: JsonSchemaError) -> Iterator[JsonSchemaError]:
    """Replace an anyOf/oneOf error by the errors of its branch (the likeliest one if several)."""
    if not error.context:
        yield error
        return
    branches = {child.relative_schema_path[0] for child in error.context if child.relative_schema_path}
    if len(branches) == 1:
        for child in error.context:
            yield from _leaves(child)
        return
    chosen = best_match(error.context)
    if chosen is None:
        yield error
    else:
        yield from _leaves(chosen)


def _missing_property(error: JsonSchemaError) -> Sequence[str]:
    required = error.validator_value if isinstance(error.validator_value, list) else []
    for name in required:
        if isinstance(name, str) and error.message.startswith(f"{name!r} "):
            return (name,)
    return ()


def _json_path(path: _Path) -> str:
    """Return a JSONPath such as ``$.run.facets['my.facet'].value`` or ``$.inputs[0].name``."""
    parts = ["$"]
    for token in path:
        if isinstance(token, int):
            parts.append(f"[{token}]")
        elif _IDENTIFIER.fullmatch(token):
            parts.append(f".{token}")
        else:
            parts.append("['" + token.replace("\\", "\\\\").replace("'", "\\'") + "']")
    return "".join(parts)
