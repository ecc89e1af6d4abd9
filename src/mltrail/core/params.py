"""Typed hyperparameters: encode a value into (type, number, text) columns and decode it back."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mltrail.core.entities import ParamValue
from mltrail.core.errors import ValidationError
from mltrail.core.validation import MAX_PARAM_VALUE_LENGTH, validate_key

PARAM_TYPES = ("bool", "int", "float", "str", "json")


@dataclass(frozen=True, slots=True)
class EncodedParam:
    """A parameter as stored: ``num_value`` is set for ints and floats, ``text_value`` always."""

    value_type: str
    num_value: float | None
    text_value: str


def encode_param(key: str, value: Any) -> EncodedParam:
    """Encode a parameter value, keeping its type.

    ``text_value`` is the canonical text (``repr`` for floats, ``true``/``false`` for booleans,
    compact sorted JSON for lists, dicts and ``None``), which string comparisons use.

    Raises:
        ValidationError: If the value is not JSON-serialisable or its text is too long.
    """
    kind = type(value)
    if kind is float:  # the common cases first, without the checks below
        return EncodedParam("float", None if value != value else value, repr(value))
    if kind is int:
        return EncodedParam("int", float(value), str(value))
    if kind is str and len(value) <= MAX_PARAM_VALUE_LENGTH:
        return EncodedParam("str", None, value)
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (list, dict, str)):
        value = value.item()  # numpy scalars
    encoded: EncodedParam
    if isinstance(value, bool):
        encoded = EncodedParam("bool", None, "true" if value else "false")
    elif isinstance(value, numbers.Integral):
        encoded = EncodedParam("int", float(value), str(int(value)))
    elif isinstance(value, numbers.Real):
        number = float(value)
        encoded = EncodedParam("float", None if math.isnan(number) else number, repr(number))
    elif isinstance(value, str):
        encoded = EncodedParam("str", None, value)
    else:
        try:
            text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"params.{key} must be a bool, int, float, str or JSON value, got {type(value).__name__}",
                field=f"params.{key}",
                value=value,
            ) from exc
        encoded = EncodedParam("json", None, text)
    if len(encoded.text_value) > MAX_PARAM_VALUE_LENGTH:
        raise ValidationError(
            f"params.{key} is {len(encoded.text_value)} characters as text; "
            f"the limit is {MAX_PARAM_VALUE_LENGTH}",
            field=f"params.{key}",
            value=value,
        )
    return encoded


def encode_params(params: Mapping[str, Any] | None) -> list[tuple[str, EncodedParam]]:
    """Check the keys and encode the values of a params mapping.

    Raises:
        ValidationError: Naming the first bad key or value.
    """
    return [(validate_key("params", key), encode_param(key, value)) for key, value in (params or {}).items()]


PARAM_DECODERS: Mapping[str, Callable[[str], ParamValue]] = {
    "bool": "true".__eq__,
    "int": int,
    "float": float,
    "str": str,
    "json": json.loads,
}
"""The function that turns a stored ``text_value`` back into its value, by ``value_type``.

Exposed so that readers building thousands of values can look the function up themselves.
"""


def decode_param(value_type: str, text_value: str) -> ParamValue:
    """Return the Python value an :class:`EncodedParam` stands for."""
    return PARAM_DECODERS[value_type](text_value)
