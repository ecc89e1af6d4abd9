"""mltrail's REST API on the wire: the request bodies, and JSON for them and for entities.

The server and the ``http(s)://`` tracking backend share this module, so both ends agree by
construction. Entities travel as their dataclass fields; pydantic converts them both ways
(UUIDs and datetimes as strings, enums as their values). Floats may be ``NaN`` or
``±Infinity`` (metric values), written with the common JSON extension that Python's ``json`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import UUID

import pydantic

from mltrail.core.entities import DatasetRef
from mltrail.core.errors import ValidationError

T = TypeVar("T")

MEDIA_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class RunBatch:
    """``POST /runs/{id}/batch``: params, tags, metric points and datasets written at once."""

    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, Any] = field(default_factory=dict)
    metrics: Sequence[tuple[str, Any, Any, Any]] = ()
    inputs: Sequence[DatasetRef] = ()
    outputs: Sequence[DatasetRef] = ()


@dataclass(frozen=True, slots=True)
class RunEnd:
    """``POST /runs/{id}/end``: the final status, with a last batch."""

    status: str
    end_time: int | None = None
    error_message: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, Any] = field(default_factory=dict)
    metrics: Sequence[tuple[str, Any, Any, Any]] = ()
    inputs: Sequence[DatasetRef] = ()
    outputs: Sequence[DatasetRef] = ()


@dataclass(frozen=True, slots=True)
class TrialLink:
    """``POST /runs/{id}/trials``: add the run to another trial."""

    experiment: str
    trial: str


@dataclass(frozen=True, slots=True)
class ExperimentCreate:
    """``POST /experiments``."""

    name: str
    description: str | None = None
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """``POST /trials/search`` and ``POST /runs/search``: the search language and paging."""

    experiment: str | list[str] | None = None
    filter: str | None = None
    order_by: str | list[str] | None = None
    max_results: int = 100
    page_token: str | None = None


@dataclass(frozen=True, slots=True)
class ArtifactCreate:
    """``POST /lineage/artifacts``."""

    name: str
    type: str
    source_uri: str
    properties: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ContextCreate:
    """``POST /lineage/contexts``."""

    name: str
    type: str
    description: str | None = None
    properties: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AssociationCreate:
    """``POST /lineage/associations``."""

    source: str
    destination: str
    type: str


@dataclass(frozen=True, slots=True)
class VersionCreate:
    """``POST /models/{model}/versions``: register the next version.

    ``actor`` is recorded when the server has no tokens; with tokens, the token's name is.
    """

    source_uri: str
    run_id: UUID | None = None
    approval_policy: str | None = None
    description: str | None = None
    tags: Mapping[str, Any] | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalUpdate:
    """``POST /models/{model}/versions/{version}/approval``: approve, reject or reverse."""

    status: str
    reason: str | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class AliasUpdate:
    """``PUT /models/{model}/aliases/{alias}``: point the alias at a version."""

    version: int


_adapters: dict[Any, pydantic.TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> pydantic.TypeAdapter[Any]:
    """The adapter of a type, built once (building one compiles a validator and a serialiser)."""
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = pydantic.TypeAdapter(kind)
    return adapter


def _plain(value: Any) -> Any:
    """JSON for what ``json`` does not know: UUIDs and datetimes as text, numpy scalars as numbers.

    Anything else becomes its text: the receiving end validates what arrives, so an unusable
    value still gets the error that names its field there.
    """
    if isinstance(value, datetime):
        return value.isoformat()
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return str(value)


def dump(value: Any, kind: Any = None) -> Any:
    """Return ``value`` (an entity, a request body, or a list or dict of them) as dicts and lists.

    Python mode, not pydantic's JSON mode, which would turn NaN into ``null``; :func:`encode`
    writes what is left (UUIDs, datetimes).
    """
    return _adapter(kind or type(value)).dump_python(value)


def load(kind: type[T], data: Any, *, what: str = "body") -> T:
    """Return JSON-ready ``data`` as a ``kind``.

    Raises:
        ValidationError: Naming the first wrong field as a dotted path under ``what``.
    """
    try:
        loaded: T = _adapter(kind).validate_python(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join([what, *(str(part) for part in first["loc"])])
        raise ValidationError(f"{path}: {first['msg']}", field=path, value=first.get("input")) from None
    return loaded


def arguments(body: Any) -> dict[str, Any]:
    """Return a request body's fields as keyword arguments (not recursively, unlike ``asdict``)."""
    return {f.name: getattr(body, f.name) for f in fields(body)}


def path_segment(text: str) -> str:
    """A name as one URL path segment: every reserved character percent-encoded, ``/`` included."""
    return quote(text, safe="")


def encode(data: Any) -> bytes:
    """Return dumped data as UTF-8 JSON, ``NaN`` and ``Infinity`` included."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=_plain).encode()


__all__ = [
    "MEDIA_TYPE",
    "AliasUpdate",
    "ApprovalUpdate",
    "ArtifactCreate",
    "AssociationCreate",
    "ContextCreate",
    "ExperimentCreate",
    "RunBatch",
    "RunEnd",
    "SearchRequest",
    "TrialLink",
    "VersionCreate",
    "arguments",
    "dump",
    "encode",
    "load",
    "path_segment",
]
