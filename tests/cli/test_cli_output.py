from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from uuid import UUID

import pytest

from mltrail.cli.output import (
    format_cell,
    format_duration,
    format_number,
    jsonable,
    record_columns,
    select_columns,
    to_csv,
    to_json,
)
from mltrail.core.entities import RunStatus

ROW = {
    "tags.b": "x",
    "metrics.loss.count": 1,
    "metrics.loss": 0.5,
    "params.z": 1,
    "metrics.loss.min": 0.5,
    "name": "t",
    "params.a": "s",
    "metrics.loss.max": 0.5,
    "metrics.loss.avg": 0.5,
    "status": "Completed",
    "end_time": None,
    "experiment": "e",
}


def test_record_columns_complete_order() -> None:
    assert record_columns([ROW]) == [
        "name",
        "experiment",
        "status",
        "end_time",
        "params.a",
        "params.z",
        "metrics.loss",
        "metrics.loss.min",
        "metrics.loss.max",
        "metrics.loss.avg",
        "metrics.loss.count",
        "tags.b",
    ]


def test_record_columns_for_tables_keep_last_metric_values_only() -> None:
    assert record_columns([ROW], is_table=True) == [
        "name",
        "status",
        "params.a",
        "params.z",
        "metrics.loss",
        "tags.b",
    ]


def test_record_columns_union_of_rows() -> None:
    assert record_columns([{"name": "a", "params.x": 1}, {"name": "b", "params.w": 2}]) == [
        "name",
        "params.w",
        "params.x",
    ]


def test_select_columns_keeps_names_and_expands_globs() -> None:
    available = ["name", "params.a", "params.b", "metrics.m"]

    assert select_columns(available, ["params.*", "nope", "name", "params.a"]) == [
        "params.a",
        "params.b",
        "nope",
        "name",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.25, "250ms"),
        (1.0, "1s"),
        (42.5, "42.5s"),
        (187, "3m 07s"),
        (7500, "2h 05m"),
        (3 * 86400 + 4 * 3600, "3d 04h"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(math.nan, "NaN"), (math.inf, "inf"), (-math.inf, "-inf"), (0.123456789, "0.123457"), (1e-9, "1e-09")],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_format_cell() -> None:
    assert format_cell(None) == ""
    assert format_cell(True) == "true"
    assert format_cell([1, {"b": 2, "a": 1}]) == '[1,{"a":1,"b":2}]'
    assert format_cell(datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=UTC)) == "2024-01-02 03:04:05Z"
    assert format_cell(90.0, column="duration") == "1m 30s"
    assert format_cell("[bold]x") == "[bold]x"


def test_jsonable_and_to_json() -> None:
    value = {
        "when": datetime(2024, 1, 2, tzinfo=UTC),
        "id": UUID(int=1),
        "status": RunStatus.FAILED,
        "values": (1.5, math.nan, -math.inf),
    }

    assert jsonable(value) == {
        "when": "2024-01-02T00:00:00+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "status": "Failed",
        "values": [1.5, None, None],
    }
    assert json.loads(to_json(value))["values"] == [1.5, None, None]


def test_to_csv() -> None:
    rows: list[dict[str, object]] = [{"a": 1.0, "b": True, "c": None, "d": [1, 2]}, {"a": math.nan}]

    assert to_csv(rows, ["a", "b", "c", "d"]) == 'a,b,c,d\n1.0,true,,"[1,2]"\nnan,,,\n'
    assert to_csv([], []) == ""
