from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

Invoke = Callable[..., Result]

EXPERIMENT = "fraud-detection"
RUN_1 = "00000000-0000-0000-0000-000000000001"
FAILED_RUN = "00000000-0000-0000-0000-000000000063"


def test_show_prints_summary_and_sections(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "show", RUN_1)

    assert result.exit_code == 0
    assert result.stdout == (
        "id          00000000-0000-0000-0000-000000000001\n"
        "name        train-lr-0.01\n"
        "experiment  fraud-detection\n"
        "trials      lr-0.01\n"
        "kind        training\n"
        "status      Completed\n"
        "started     2023-11-14 22:13:20Z\n"
        "ended       2023-11-14 22:14:50Z\n"
        "duration    1m 30s\n"
        "\n"
        "Params\n"
        " key             value   type\n"
        "───────────────────────────────\n"
        " epochs          10      int\n"
        " learning_rate   0.01    float\n"
        " optimizer       adam    str\n"
        "\n"
        "Metrics\n"
        " key       last   min    max     avg   count\n"
        "─────────────────────────────────────────────\n"
        " loss *     NaN                            1\n"
        " val_auc   0.81   0.5   0.81   0.655       2\n"
        "* has NaN or infinite points, left out of min, max and avg\n"
        "\n"
        "Tags\n"
        " key     value\n"
        "───────────────\n"
        " owner   ana\n"
        "\n"
        "Datasets\n"
        " direction   uri                       role\n"
        "─────────────────────────────────────────────\n"
        " input       s3://data/train.csv       train\n"
        " output      s3://models/lr-0.01.pkl   model\n"
        "\n"
        "Code\n"
        "commit       abc1234\n"
        "branch       main\n"
        "dirty        no\n"
        "entry point  train.py\n"
        "\n"
        "Environment\n"
        "host    worker-1\n"
        "python  3.11.9\n"
        "cpus    8\n"
    )


def test_show_failed_run_has_the_error_and_no_empty_sections(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "show", FAILED_RUN)

    assert result.exit_code == 0
    assert "error       ValueError: no rows\n" in result.stdout
    assert "status      Failed\n" in result.stdout
    assert "duration    1s\n" in result.stdout
    for section in ("Params", "Metrics", "Tags", "Datasets", "Code", "Environment"):
        assert section not in result.stdout


def test_show_json_is_the_whole_run(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "show", RUN_1, "--format", "json")

    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["id"] == RUN_1
    assert data["kind"] == "training"
    assert data["trials"] == ["lr-0.01"]
    assert data["start_time"] == "2023-11-14T22:13:20+00:00"
    assert data["duration"] == 90.0
    assert data["params"] == {"epochs": 10, "learning_rate": 0.01, "optimizer": "adam"}
    assert data["metrics"]["loss"]["last"] is None
    assert data["metrics"]["loss"]["nonfinite_count"] == 1
    assert data["metrics"]["val_auc"]["max"] == 0.81
    assert data["inputs"] == [
        {"namespace": "s3://data", "name": "train.csv", "uri": "s3://data/train.csv", "role": "train"}
    ]
    assert data["outputs"][0]["role"] == "model"
    assert data["code"]["commit"] == "abc1234"
    assert data["environment"]["cpu_count"] == 8


def test_show_unknown_run_exits_2(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "show", "00000000-0000-0000-0000-0000000000ff")

    assert result.exit_code == 2
    assert result.stderr == "error: run '00000000-0000-0000-0000-0000000000ff' not found\n"


def test_show_malformed_id_is_a_usage_error(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "show", "not-a-uuid")

    assert result.exit_code == 2
    assert "Invalid value for 'RUN_ID'" in result.stderr


def test_show_has_no_csv(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "show", RUN_1, "--format", "csv")

    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def test_search_table_shows_ids_kind_and_trials(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "search", EXPERIMENT, "--filter", "params.optimizer = 'sgd'")

    assert result.exit_code == 0
    header, _, row = result.stdout.splitlines()
    assert header.split()[:7] == ["id", "name", "kind", "status", "start_time", "duration", "trials"]
    assert row.split()[:3] == ["00000000-0000-0000-0000-000000000003", "train-lr-1", "training"]


def test_search_json_with_paging(invoke: Invoke, seeded: str) -> None:
    args = (
        "runs",
        "search",
        EXPERIMENT,
        "--order-by",
        "params.learning_rate",
        "--limit",
        "2",
        "--format",
        "json",
    )

    first = json.loads(invoke(*args).stdout)
    second = json.loads(invoke(*args, "--page-token", first["next_page_token"]).stdout)

    assert [item["id"] for item in first["items"]] == [RUN_1, "00000000-0000-0000-0000-000000000002"]
    assert first["items"][0]["kind"] == "training"
    assert first["items"][0]["trials"] == "lr-0.01"
    assert [item["name"] for item in second["items"]] == ["train-lr-1"]
    assert second["next_page_token"] is None


def test_search_csv_with_columns(invoke: Invoke, seeded: str) -> None:
    result = invoke(
        "runs",
        "search",
        EXPERIMENT,
        "--order-by",
        "name",
        "--columns",
        "id,metrics.val_auc",
        "--format",
        "csv",
    )

    assert result.exit_code == 0
    assert result.stdout == (
        "id,metrics.val_auc\n"
        f"{RUN_1},0.81\n"
        "00000000-0000-0000-0000-000000000002,0.93\n"
        "00000000-0000-0000-0000-000000000003,0.7\n"
    )


def test_search_malformed_filter_exits_2(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "search", EXPERIMENT, "--filter", "kind = ")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.rstrip().endswith("^")


def test_search_unknown_experiment_exits_2(invoke: Invoke, seeded: str) -> None:
    result = invoke("runs", "search", "fraud-detektion")

    assert result.exit_code == 2
    assert result.stderr == "error: experiment 'fraud-detektion' not found: did you mean 'fraud-detection'?\n"
