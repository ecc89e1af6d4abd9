from __future__ import annotations

import math

import pytest

from mltrail.core.errors import ValidationError
from mltrail.core.params import decode_param, encode_param, encode_params


@pytest.mark.parametrize(
    ("value", "value_type", "num", "text"),
    [
        (0.01, "float", 0.01, "0.01"),
        (5, "int", 5.0, "5"),
        (True, "bool", None, "true"),
        ("adam", "str", None, "adam"),
        ([64, 32], "json", None, "[64,32]"),
        ({"b": 1, "a": [1]}, "json", None, '{"a":[1],"b":1}'),
        (None, "json", None, "null"),
        (math.inf, "float", math.inf, "inf"),
    ],
)
def test_encode_and_decode(value: object, value_type: str, num: float | None, text: str) -> None:
    encoded = encode_param("k", value)
    assert (encoded.value_type, encoded.num_value, encoded.text_value) == (value_type, num, text)
    assert decode_param(encoded.value_type, encoded.text_value) == value


def test_nan_has_no_numeric_value() -> None:
    encoded = encode_param("k", math.nan)
    assert encoded.num_value is None and math.isnan(decode_param("float", encoded.text_value))  # type: ignore[arg-type]


def test_numpy_like_scalars_become_python_values() -> None:
    class Scalar:
        def item(self) -> int:
            return 7

    assert encode_param("k", Scalar()).value_type == "int"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"k": object()}, "params.k"), ({"k": "x" * 6001}, "params.k"), ({"": 1}, "params key")],
)
def test_bad_params_name_the_field(params: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        encode_params(params)
    assert raised.value.field.startswith(field)
