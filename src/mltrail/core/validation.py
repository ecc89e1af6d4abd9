"""Checks on names, keys and values before anything is written; each failure names the field."""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from mltrail.core.entities import RunKind
from mltrail.core.errors import ValidationError

MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_NAME_LENGTH = 256
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_URI_LENGTH = 2000


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def validate_name(field: str, value: Any, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """Return ``value`` if it is a usable name: a non-blank string without control characters.

    Raises:
        ValidationError: Naming ``field`` and the value.
    """
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be a string, got {type(value).__name__}", field=field, value=value
        )
    if not value.strip():
        raise ValidationError(f"{field} must not be empty", field=field, value=value)
    if len(value) > max_length:
        raise ValidationError(
            f"{field} is {len(value)} characters long; the limit is {max_length}", field=field, value=value
        )
    if _has_control_characters(value):
        raise ValidationError(f"{field} {value!r} contains control characters", field=field, value=value)
    return value


def artifact_path_parts(path: str, *, field: str = "artifact_path") -> tuple[str, ...]:
    """Split a relative artifact path (``/`` between names) into names that stay inside its folder.

    Raises:
        ValidationError: For an absolute path, a drive, an empty name, ``.`` or ``..``, a
            backslash or a control character; the message names the offending part.
    """
    if not isinstance(path, str) or not path:
        raise ValidationError(f"{field} must be a non-empty relative path", field=field, value=path)
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise ValidationError(f"{field} {path!r} must be relative, not absolute", field=field, value=path)
    parts = tuple(path.split("/"))
    for part in parts:
        if part in ("", ".", "..") or "\\" in part or _has_control_characters(part):
            raise ValidationError(
                f"{field} {path!r} has the part {part!r}; each part must be a plain file or folder name",
                field=field,
                value=path,
            )
    return parts


def validate_key(kind: str, key: Any) -> str:
    """Return a param, metric or tag key if it is valid; ``kind`` is ``params``, ``metrics`` or ``tags``."""
    if type(key) is str:
        return _validate_str_key(kind, key)
    return validate_name(f"{kind} key", key, max_length=MAX_KEY_LENGTH)


@lru_cache(maxsize=4096)
def _validate_str_key(kind: str, key: str) -> str:
    """Check a string key once; runs log the same keys over and over."""
    return validate_name(f"{kind} key {key!r}", key, max_length=MAX_KEY_LENGTH)


def validate_tag_value(key: str, value: Any) -> str:
    """Return a tag value as a string; numbers and booleans are converted, anything else refused."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, numbers.Real) and not isinstance(value, str):
        value = str(value)
    if not isinstance(value, str):
        raise ValidationError(
            f"tags.{key} must be a string, got {type(value).__name__}", field=f"tags.{key}", value=value
        )
    if len(value) > MAX_TAG_VALUE_LENGTH:
        raise ValidationError(
            f"tags.{key} is {len(value)} characters long; the limit is {MAX_TAG_VALUE_LENGTH}",
            field=f"tags.{key}",
            value=value,
        )
    return value


def validate_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    """Check the keys of a tags mapping and return it with string values."""
    return {validate_key("tags", key): validate_tag_value(key, value) for key, value in (tags or {}).items()}


def validate_metric_value(key: str, value: Any) -> float:
    """Return a metric value as a float; NaN and ±inf are allowed (they are flagged, not refused)."""
    if type(value) is float:
        return value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(
            f"metrics.{key} must be a number, got {type(value).__name__} {value!r}",
            field=f"metrics.{key}",
            value=value,
        )
    return float(value)


def validate_step(key: str, step: Any) -> int:
    """Return a metric step as an int."""
    if type(step) is int:
        return step
    if hasattr(step, "item") and callable(step.item):
        step = step.item()
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise ValidationError(
            f"step of metrics.{key} must be an integer, got {step!r}", field=f"metrics.{key}.step", value=step
        )
    return int(step)


def validate_timestamp_ms(field: str, value: Any) -> int:
    """Return a time in milliseconds since the epoch as an int."""
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValidationError(
            f"{field} must be milliseconds since the epoch, got {value!r}", field=field, value=value
        )
    return int(float(value))


def validate_kind(kind: Any) -> RunKind:
    """Return a run kind from its name (``training``…)."""
    try:
        return RunKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in RunKind)
        raise ValidationError(
            f"unknown run kind {kind!r}; use one of {known}", field="kind", value=kind
        ) from None


def bounded_int(value: Any, field: str, low: int, high: int) -> int:
    """Return ``value`` if it is an integer from ``low`` to ``high`` (not a bool).

    Raises:
        ValidationError: Naming ``field`` and the value otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{field} must be an integer from {low} to {high}, got {value!r}", field=field, value=value
        )
    return value


E = TypeVar("E", bound=StrEnum)


def choice(kind: type[E], value: Any, field: str) -> E:
    """Return the member of the string enum ``kind`` whose value is ``value``.

    Raises:
        ValidationError: Naming ``field``, the value and the values allowed otherwise.
    """
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(repr(member.value) for member in kind)
        raise ValidationError(
            f"{field} must be one of {known}, got {value!r}", field=field, value=value
        ) from None
