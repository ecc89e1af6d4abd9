from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from click.testing import Result

Invoke = Callable[..., Result]

EXPERIMENT = "fraud-detection"


def _names(result: Result) -> list[str]:
    return [item["name"] for item in json.loads(result.stdout)["items"]]


def test_search_table_newest_first(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT)

    assert result.exit_code == 0
    assert result.stdout == (
        " name      status      start_time             duration   params.epochs   params.learning_rate"
        "   params.optimizer   metrics.loss   metrics.val_auc   tags.owner\n"
        "───────────────────────────────────────────────────────────────────────────────────────────────"
        "────────────────────────────────────────────────────────────────\n"
        " lr-1      Completed   2023-11-14 22:15:20Z     1m 30s              10                      1"
        "                sgd            0.9               0.7   ana\n"
        " lr-0.1    Completed   2023-11-14 22:14:20Z     1m 30s              10                    0.1"
        "               adam            0.2              0.93   ana\n"
        " lr-0.01   Completed   2023-11-14 22:13:20Z     1m 30s              10                   0.01"
        "               adam            NaN              0.81   ana\n"
    )


def test_search_with_filter_and_order(invoke: Invoke, seeded: str) -> None:
    result = invoke(
        "trials",
        "search",
        EXPERIMENT,
        "--filter",
        "metrics.val_auc > 0.75 AND params.optimizer = 'adam'",
        "--order-by",
        "metrics.val_auc",
        "--format",
        "json",
    )

    assert result.exit_code == 0
    assert _names(result) == ["lr-0.01", "lr-0.1"]


def test_repeated_order_by_breaks_ties(invoke: Invoke, seeded: str) -> None:
    result = invoke(
        "trials",
        "search",
        EXPERIMENT,
        "--order-by",
        "params.optimizer",
        "--order-by",
        "metrics.val_auc DESC",
        "--format",
        "json",
    )

    assert result.exit_code == 0
    assert _names(result) == ["lr-0.1", "lr-0.01", "lr-1"]


def test_search_json_is_complete_with_iso_times_and_nan_as_null(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--filter", "name = 'lr-0.01'", "--format", "json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "items": [
            {
                "name": "lr-0.01",
                "experiment": EXPERIMENT,
                "status": "Completed",
                "start_time": "2023-11-14T22:13:20+00:00",
                "end_time": "2023-11-14T22:14:50+00:00",
                "duration": 90.0,
                "params.epochs": 10,
                "params.learning_rate": 0.01,
                "params.optimizer": "adam",
                "metrics.loss": None,
                "metrics.loss.min": None,
                "metrics.loss.max": None,
                "metrics.loss.avg": None,
                "metrics.loss.count": 1,
                "metrics.val_auc": 0.81,
                "metrics.val_auc.min": 0.5,
                "metrics.val_auc.max": 0.81,
                "metrics.val_auc.avg": 0.655,
                "metrics.val_auc.count": 2,
                "tags.owner": "ana",
            }
        ],
        "next_page_token": None,
    }


def test_search_csv_has_a_header_and_every_column(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--order-by", "name", "--format", "csv")

    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["name"] for row in rows] == ["lr-0.01", "lr-0.1", "lr-1"]
    assert list(rows[0]) == [
        "name",
        "experiment",
        "status",
        "start_time",
        "end_time",
        "duration",
        "params.epochs",
        "params.learning_rate",
        "params.optimizer",
        "metrics.loss",
        "metrics.loss.min",
        "metrics.loss.max",
        "metrics.loss.avg",
        "metrics.loss.count",
        "metrics.val_auc",
        "metrics.val_auc.min",
        "metrics.val_auc.max",
        "metrics.val_auc.avg",
        "metrics.val_auc.count",
        "tags.owner",
    ]
    assert rows[0]["metrics.loss"] == "nan"
    assert rows[0]["metrics.loss.min"] == ""
    assert rows[0]["start_time"] == "2023-11-14T22:13:20+00:00"


def test_columns_select_and_expand_globs(invoke: Invoke, seeded: str) -> None:
    result = invoke(
        "trials",
        "search",
        EXPERIMENT,
        "--order-by",
        "name",
        "--columns",
        "name,params.*",
        "--columns",
        "metrics.val_auc,metrics.f1",
        "--format",
        "csv",
    )

    assert result.exit_code == 0
    assert result.stdout == (
        "name,params.epochs,params.learning_rate,params.optimizer,metrics.val_auc,metrics.f1\n"
        "lr-0.01,10,0.01,adam,0.81,\n"
        "lr-0.1,10,0.1,adam,0.93,\n"
        "lr-1,10,1.0,sgd,0.7,\n"
    )


def test_paging_with_the_token_from_json(invoke: Invoke, seeded: str) -> None:
    args = ("trials", "search", EXPERIMENT, "--order-by", "metrics.val_auc DESC", "--limit", "2")

    first = invoke(*args, "--format", "json")
    token = json.loads(first.stdout)["next_page_token"]
    second = invoke(*args, "--format", "json", "--page-token", token)

    assert first.exit_code == 0
    assert _names(first) == ["lr-0.1", "lr-0.01"]
    assert token
    assert second.exit_code == 0
    assert _names(second) == ["lr-1"]
    assert json.loads(second.stdout)["next_page_token"] is None


def test_paging_with_the_token_from_the_table_hint(invoke: Invoke, seeded: str) -> None:
    args = ("trials", "search", EXPERIMENT, "--order-by", "name", "--limit", "2")

    first = invoke(*args)
    hint = first.stdout.splitlines()[-1]
    token = hint.split("--page-token ")[1]
    second = invoke(*args, "--page-token", token)

    assert first.exit_code == 0
    assert hint == f"more results: --page-token {token}"
    assert [line.split()[0] for line in first.stdout.splitlines()[2:-1]] == ["lr-0.01", "lr-0.1"]
    assert second.exit_code == 0
    assert [line.split()[0] for line in second.stdout.splitlines()[2:]] == ["lr-1"]
    assert "--page-token" not in second.stdout


def test_csv_prints_only_rows_when_more_follow(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--limit", "1", "--columns", "name", "--format", "csv")

    assert result.exit_code == 0
    assert result.stdout == "name\nlr-1\n"


def test_token_of_another_search_is_bad_input(invoke: Invoke, seeded: str) -> None:
    first = invoke("trials", "search", EXPERIMENT, "--limit", "1", "--format", "json")
    token = json.loads(first.stdout)["next_page_token"]

    result = invoke("trials", "search", EXPERIMENT, "--order-by", "name", "--page-token", token)

    assert result.exit_code == 2
    assert result.stderr == "error: page token belongs to a different search\n"


def test_no_match(invoke: Invoke, seeded: str) -> None:
    table = invoke("trials", "search", EXPERIMENT, "--filter", "metrics.val_auc > 2")
    as_json = invoke("trials", "search", EXPERIMENT, "--filter", "metrics.val_auc > 2", "--format", "json")

    assert table.exit_code == 0
    assert table.stdout == "no trials found\n"
    assert json.loads(as_json.stdout) == {"items": [], "next_page_token": None}


def test_malformed_filter_exits_2_with_a_caret(invoke: Invoke, seeded: str) -> None:
    text = "metrics.val_auc >> 1"

    result = invoke("trials", "search", EXPERIMENT, "--filter", text)

    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ")
    assert lines[1] == f"  {text}"
    assert lines[2] == " " * (2 + text.index(">>") + 1) + "^"


def test_malformed_order_by_exits_2(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--order-by", "metrics.val_auc SIDEWAYS")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.rstrip().endswith("^")


def test_unknown_experiment_exits_2(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", "fraud")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: experiment 'fraud' not found")
    assert result.stdout == ""


def test_bad_format_is_a_usage_error(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--format", "xml")

    assert result.exit_code == 2
    assert "Invalid value for '--format': 'xml' is not one of 'table', 'json', 'csv'." in result.stderr


def test_limit_must_be_positive(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--limit", "0")

    assert result.exit_code == 2
    assert "Invalid value for '--limit'" in result.stderr


def test_limit_above_the_store_maximum_is_bad_input(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--limit", "10001")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: max_results must be an integer from 1 to 10000")


def test_columns_glob_that_matches_nothing_is_a_usage_error(invoke: Invoke, seeded: str) -> None:
    result = invoke("trials", "search", EXPERIMENT, "--columns", "params.nope*")

    assert result.exit_code == 2
    assert "Invalid value for '--columns': no column matches params.nope*" in result.stderr
