"""Turn dataset URIs and paths into OpenLineage dataset names (namespace + name).

Follows the OpenLineage naming conventions:

| URI | namespace | name |
|---|---|---|
| ``s3://bucket/key`` (``s3a``, ``s3n``) | ``s3://bucket`` | ``key`` |
| ``gs://bucket/key`` | ``gs://bucket`` | ``key`` |
| ``/abs/path``, ``rel/path``, ``file:///abs/path`` | ``file`` | ``/abs/path`` |
| ``file://host/path`` | ``file://host`` | ``/path`` |
| ``hdfs://host:port/path`` | ``hdfs://host:port`` | ``/path`` |
| ``postgres://host:port/db.schema.table`` | ``postgres://host:5432`` | ``db.schema.table`` |
| ``mysql://host:port/db.table`` | ``mysql://host:3306`` | ``db.table`` |
| ``scheme://authority/path`` (anything else) | ``scheme://authority`` | ``path`` |
| ``scheme:opaque`` (e.g. ``bigquery:p.d.t``) | ``scheme`` | ``opaque`` |

Credentials (``user:secret@``) are dropped from namespaces. Relative paths resolve against the
given working directory.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

from mltrail.core.entities import DatasetRef
from mltrail.core.errors import ValidationError
from mltrail.core.validation import MAX_URI_LENGTH

_SCHEME_ALIASES = {"s3a": "s3", "s3n": "s3", "postgresql": "postgres", "gcs": "gs"}
_DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
_FILESYSTEM_SCHEMES = {"hdfs", "file"}
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_OPAQUE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]{1,}):(?!//)(.+)$")


def dataset_from_uri(uri: str, *, role: str | None = None, cwd: str | None = None) -> DatasetRef:
    """Return the OpenLineage dataset a URI or path names.

    Args:
        uri: A URI (``s3://b/k``) or a local path (absolute or relative to ``cwd``).
        role: Optional purpose carried on the result (``train``, ``model``…).
        cwd: Folder that relative paths resolve against; the process's cwd by default.

    Raises:
        ValidationError: If ``uri`` is empty, too long or has no usable name.
    """
    if not isinstance(uri, (str, os.PathLike)):
        raise ValidationError(
            f"dataset URI must be a string, got {type(uri).__name__}", field="uri", value=uri
        )
    text = os.fspath(uri).strip()
    if not text:
        raise ValidationError("dataset URI must not be empty", field="uri", value=uri)
    if len(text) > MAX_URI_LENGTH:
        raise ValidationError(
            f"dataset URI is {len(text)} characters long; the limit is {MAX_URI_LENGTH}",
            field="uri",
            value=uri,
        )
    if _URI.match(text):
        namespace, name = _split_hierarchical(text)
    elif (opaque := _OPAQUE.match(text)) and not _looks_like_windows_drive(text):
        namespace, name = opaque.group(1).lower(), opaque.group(2)
    else:
        namespace, name = "file", os.path.normpath(os.path.join(cwd or os.getcwd(), os.path.expanduser(text)))
    if not name or name == "/" and namespace != "file":
        raise ValidationError(f"dataset URI {text!r} names no object", field="uri", value=uri)
    return DatasetRef(namespace=namespace, name=name, uri=uri_of(namespace, name), role=role)


def uri_of(namespace: str, name: str) -> str:
    """Return the canonical URI of an OpenLineage dataset (the inverse of :func:`dataset_from_uri`)."""
    if namespace == "file":
        return f"file://{name}"
    if "://" not in namespace:
        return f"{namespace}:{name}"
    separator = "" if name.startswith("/") else "/"
    return f"{namespace}{separator}{name}"


def _split_hierarchical(text: str) -> tuple[str, str]:
    parts = urlsplit(text)
    scheme = _SCHEME_ALIASES.get(parts.scheme.lower(), parts.scheme.lower())
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"dataset URI {text!r} has an invalid port", field="uri", value=text) from exc
    if port is None and scheme in _DEFAULT_PORTS and host:
        port = _DEFAULT_PORTS[scheme]
    authority = f"{host}:{port}" if port is not None else host
    path = unquote(parts.path)
    if parts.query:
        path = f"{path}?{parts.query}"
    if scheme == "file":
        return ("file" if not authority or authority == "localhost" else f"file://{authority}"), path or "/"
    name = path if scheme in _FILESYSTEM_SCHEMES else path.lstrip("/")
    if scheme in _DEFAULT_PORTS:
        name = name.replace("/", ".")
    return f"{scheme}://{authority}", name


def _looks_like_windows_drive(text: str) -> bool:
    return len(text) > 2 and text[1] == ":" and text[0].isalpha() and text[2] in "\\/"
