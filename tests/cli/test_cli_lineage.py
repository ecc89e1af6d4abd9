"""``mltrail lineage upstream|downstream`` over a hand-checked graph ingested as OpenLineage events.

raw ─▶ P (ml.process) ─▶ features ─▶ T1, T2 (ml.train) ─▶ m1, m2 ─▶ E (ml.evaluate) ─▶ report
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from ol_events import dataset, run_id, run_pair

from mltrail.store import Store

Invoke = Callable[..., Result]

P, T1, T2, E = (run_id(n) for n in (1, 2, 3, 4))
RAW = "dataset:s3://raw:events.csv"
FEATURES = "dataset:s3://work:features.parquet"
M1 = "dataset:s3://models:m1.pkl"
M2 = "dataset:s3://models:m2.pkl"
REPORT = "dataset:s3://reports:eval.json"

UP_FROM_REPORT = [
    (0, "dataset", REPORT),
    (1, "run", f"run:{E}"),
    (2, "dataset", f"{M1}#{T1}"),
    (2, "dataset", f"{M2}#{T2}"),
    (3, "run", f"run:{T1}"),
    (3, "run", f"run:{T2}"),
    (4, "dataset", f"{FEATURES}#{P}"),
    (5, "run", f"run:{P}"),
    (6, "dataset", RAW),
]
DOWN_FROM_RAW = [
    (0, "dataset", RAW),
    (1, "run", f"run:{P}"),
    (2, "dataset", f"{FEATURES}#{P}"),
    (3, "run", f"run:{T1}"),
    (3, "run", f"run:{T2}"),
    (4, "dataset", f"{M1}#{T1}"),
    (4, "dataset", f"{M2}#{T2}"),
    (5, "run", f"run:{E}"),
    (6, "dataset", f"{REPORT}#{E}"),
]


@pytest.fixture
def graph(url: str) -> str:
    """Ingest the graph above (runs at minutes 1, 3 and 5 after 2026-11-01 00:00 UTC); return the URL."""
    raw = dataset("s3://raw", "events.csv")
    features = dataset("s3://work", "features.parquet")
    m1, m2 = dataset("s3://models", "m1.pkl"), dataset("s3://models", "m2.pkl")
    report = dataset("s3://reports", "eval.json")
    with Store(url) as store:
        result = store.ingest_batch(
            [
                *run_pair(P, "ml.process", 1, 2, inputs=[raw], outputs=[features]),
                *run_pair(T1, "ml.train", 3, 4, inputs=[features], outputs=[m1]),
                *run_pair(T2, "ml.train", 3, 4, inputs=[features], outputs=[m2]),
                *run_pair(E, "ml.evaluate", 5, 6, inputs=[m1, m2], outputs=[report]),
            ]
        )
    assert result.stored == 8
    assert not result.failed
    return url


def walk_json(invoke: Invoke, *args: str) -> dict[str, Any]:
    result = invoke("lineage", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def nodes_of(answer: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(node["depth"], node["type"], node["id"]) for node in answer["nodes"]]


# -- table -----------------------------------------------------------------------------------------


def test_upstream_table_lists_nodes_nearest_first_with_details(invoke: Invoke, graph: str) -> None:
    result = invoke("lineage", "upstream", REPORT)

    assert result.exit_code == 0
    assert result.stdout == (
        " depth   type      node" + " " * 70 + "detail\n" + "─" * 121 + "\n"
        "     0   dataset   dataset:s3://reports:eval.json                                            "
        "s3://reports/eval.json\n"
        "     1   run       run:00000000-0000-0000-0000-000000000004                                  "
        "COMPLETED tests:ml.evaluate\n"
        "     2   dataset   dataset:s3://models:m1.pkl#00000000-0000-0000-0000-000000000002           "
        "s3://models/m1.pkl\n"
        "     2   dataset   dataset:s3://models:m2.pkl#00000000-0000-0000-0000-000000000003           "
        "s3://models/m2.pkl\n"
        "     3   run       run:00000000-0000-0000-0000-000000000002                                  "
        "COMPLETED tests:ml.train\n"
        "     3   run       run:00000000-0000-0000-0000-000000000003                                  "
        "COMPLETED tests:ml.train\n"
        "     4   dataset   dataset:s3://work:features.parquet#00000000-0000-0000-0000-000000000001   "
        "s3://work/features.parquet\n"
        "     5   run       run:00000000-0000-0000-0000-000000000001                                  "
        "COMPLETED tests:ml.process\n"
        "     6   dataset   dataset:s3://raw:events.csv                                               "
        "s3://raw/events.csv\n"
    )


def test_downstream_table_reaches_the_report(invoke: Invoke, graph: str) -> None:
    result = invoke("lineage", "downstream", RAW)

    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    assert [(int(row[0]), row[1], row[2]) for row in rows] == DOWN_FROM_RAW
    assert "more results" not in result.stdout


# -- JSON ------------------------------------------------------------------------------------------


def test_upstream_json_holds_start_nodes_and_no_token(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "upstream", REPORT)

    assert answer["start"] == REPORT
    assert nodes_of(answer) == UP_FROM_REPORT
    assert answer["edges"] == []
    assert answer["next_page_token"] is None
    run = answer["nodes"][1]
    assert run["data"]["state"] == "COMPLETED"
    assert run["data"]["job"] == {"namespace": "tests", "name": "ml.evaluate"}
    assert answer["nodes"][0]["data"]["uri"] == "s3://reports/eval.json"


def test_downstream_json_from_a_plain_uri(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "downstream", "s3://raw/events.csv")

    assert answer["start"] == RAW
    assert nodes_of(answer) == DOWN_FROM_RAW


def test_depth_one_stops_at_the_neighbours(invoke: Invoke, graph: str) -> None:
    up = walk_json(invoke, "upstream", f"run:{E}", "--depth", "1")
    down = walk_json(invoke, "downstream", RAW, "--depth", "1")

    assert nodes_of(up) == [
        (0, "run", f"run:{E}"),
        (1, "dataset", f"{M1}#{T1}"),
        (1, "dataset", f"{M2}#{T2}"),
    ]
    assert nodes_of(down) == DOWN_FROM_RAW[:2]


def test_job_granularity_collapses_runs_into_jobs(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "upstream", REPORT, "--granularity", "job")

    assert nodes_of(answer) == [
        (0, "dataset", REPORT),
        (1, "job", "job:tests:ml.evaluate"),
        (2, "dataset", M1),
        (2, "dataset", M2),
        (3, "job", "job:tests:ml.train"),
        (4, "dataset", FEATURES),
        (5, "job", "job:tests:ml.process"),
        (6, "dataset", RAW),
    ]


def test_type_filter_shows_only_datasets(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "upstream", REPORT, "--type", "dataset")

    assert nodes_of(answer) == [node for node in UP_FROM_REPORT if node[1] == "dataset"]


def test_type_filter_can_be_repeated(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "upstream", REPORT, "--granularity", "job", "--type", "job", "--type", "run")

    assert [node["id"] for node in answer["nodes"]] == [
        "job:tests:ml.evaluate",
        "job:tests:ml.train",
        "job:tests:ml.process",
    ]


def test_edges_in_json_connect_each_node_to_the_level_before(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "upstream", f"run:{E}", "--depth", "2", "--edges")

    assert answer["edges"] == [
        {"origin": f"{M1}#{T1}", "destination": f"run:{E}", "type": "INPUT"},
        {"origin": f"{M2}#{T2}", "destination": f"run:{E}", "type": "INPUT"},
        {"origin": f"run:{T1}", "destination": f"{M1}#{T1}", "type": "OUTPUT"},
        {"origin": f"run:{T2}", "destination": f"{M2}#{T2}", "type": "OUTPUT"},
    ]


def test_edges_in_the_table_follow_the_nodes(invoke: Invoke, graph: str) -> None:
    result = invoke("lineage", "downstream", RAW, "--depth", "1", "--edges")

    assert result.exit_code == 0
    assert result.stdout == (
        " depth   type      node                                       detail\n" + "─" * 89 + "\n"
        "     0   dataset   dataset:s3://raw:events.csv                s3://raw/events.csv\n"
        "     1   run       run:00000000-0000-0000-0000-000000000001   COMPLETED tests:ml.process\n"
        "\n"
        "Edges\n"
        " origin                        type    destination\n" + "─" * 80 + "\n"
        " dataset:s3://raw:events.csv   INPUT   run:00000000-0000-0000-0000-000000000001\n"
    )


def test_created_after_without_offset_is_utc(invoke: Invoke, graph: str) -> None:
    naive = walk_json(invoke, "downstream", RAW, "--created-after", "2026-11-01T00:02:30")
    offset = walk_json(invoke, "downstream", RAW, "--created-after", "2026-11-01T00:02:30+01:00")

    assert nodes_of(naive) == [(0, "dataset", RAW)]  # P started at 00:01 UTC, before the bound
    assert nodes_of(offset) == DOWN_FROM_RAW  # 2026-10-31 23:02:30 UTC: every run is after it


def test_created_before_stops_at_later_runs(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "downstream", RAW, "--created-before", "2026-11-01T00:02:00Z")

    assert nodes_of(answer) == DOWN_FROM_RAW[:3]


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_has_a_row_per_node_with_its_data(invoke: Invoke, graph: str) -> None:
    result = invoke("lineage", "downstream", RAW, "--depth", "1", "--format", "csv")

    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["depth"], row["type"], row["id"]) for row in rows] == [
        ("0", "dataset", RAW),
        ("1", "run", f"run:{P}"),
    ]
    assert rows[0]["uri"] == "s3://raw/events.csv"
    assert (rows[1]["state"], rows[1]["job.namespace"], rows[1]["job.name"]) == (
        "COMPLETED",
        "tests",
        "ml.process",
    )


def test_edges_are_refused_with_csv(invoke: Invoke, graph: str) -> None:
    result = invoke("lineage", "downstream", RAW, "--edges", "--format", "csv")

    assert result.exit_code == 2
    assert "--edges needs --format table or json" in result.stderr


# -- paging ----------------------------------------------------------------------------------------


def test_a_small_page_prints_the_token_of_the_next(invoke: Invoke, graph: str) -> None:
    result = invoke("lineage", "upstream", REPORT, "--page-size", "2")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[2] for line in lines[2:4]] == [REPORT, f"run:{E}"]
    assert lines[4].startswith("more results: --page-token ")
    assert len(lines) == 5


def test_page_tokens_resume_exactly_where_the_last_page_ended(invoke: Invoke, graph: str) -> None:
    seen: list[tuple[int, str, str]] = []
    token: str | None = None
    pages = 0
    while True:
        extra = ("--page-token", token) if token else ()
        answer = walk_json(invoke, "upstream", REPORT, "--page-size", "2", *extra)
        seen += nodes_of(answer)
        pages += 1
        token = answer["next_page_token"]
        if token is None:
            break

    assert pages == 5
    assert seen == UP_FROM_REPORT


def test_all_follows_every_page_once(invoke: Invoke, graph: str) -> None:
    answer = walk_json(invoke, "upstream", REPORT, "--page-size", "2", "--all", "--edges")
    one_page = walk_json(invoke, "upstream", REPORT, "--edges")
    table = invoke("lineage", "upstream", REPORT, "--page-size", "2", "--all")

    assert nodes_of(answer) == UP_FROM_REPORT
    assert answer["next_page_token"] is None
    assert sorted(answer["edges"], key=lambda edge: tuple(edge.values())) == one_page["edges"]
    assert len(one_page["edges"]) == 9  # 2 into E, E → report, 2 from training, 2 into it, P's 2
    assert table.exit_code == 0
    assert "more results" not in table.stdout
    assert len(table.stdout.splitlines()) == 2 + len(UP_FROM_REPORT)


def test_a_token_from_another_walk_is_refused(invoke: Invoke, graph: str) -> None:
    token = walk_json(invoke, "upstream", REPORT, "--page-size", "2")["next_page_token"]

    result = invoke("lineage", "downstream", RAW, "--page-size", "2", "--page-token", token)

    assert result.exit_code == 2
    assert result.stderr == "error: page token belongs to a different lineage query\n"


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ("run:not-a-uuid", "error: run node id 'run:not-a-uuid' must carry a UUID, got 'not-a-uuid'\n"),
        ("dataset:onlyone", "error: node id 'dataset:onlyone' must look like dataset:<namespace>:<name>\n"),
        (
            "table:x:y",
            "error: node id 'table:x:y' must start with one of dataset:, job:, run:, experiment:, "
            "trial:, context: "
            "or be a dataset URI\n",
        ),
    ],
)
def test_a_malformed_node_id_names_the_problem(invoke: Invoke, graph: str, node: str, message: str) -> None:
    result = invoke("lineage", "upstream", node)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ("dataset:s3://nowhere:x", "error: dataset 'dataset:s3://nowhere:x' not found\n"),
        (f"run:{run_id(99)}", f"error: run '{run_id(99)}' not found\n"),
        ("job:tests:ml.nothing", "error: job 'job:tests:ml.nothing' not found\n"),
    ],
)
def test_an_unknown_node_is_not_found(invoke: Invoke, graph: str, node: str, message: str) -> None:
    result = invoke("lineage", "downstream", node)

    assert result.exit_code == 2
    assert result.stderr == message


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            ("--created-after", "yesterday"),
            "Invalid value for '--created-after': 'yesterday' is not an ISO 8601",
        ),
        (("--depth", "-1"), "Invalid value for '--depth'"),
        (("--page-size", "0"), "Invalid value for '--page-size'"),
        (("--granularity", "task"), "Invalid value for '--granularity'"),
        (("--type", "table"), "Invalid value for '--type'"),
    ],
)
def test_bad_options_are_usage_errors(
    invoke: Invoke, graph: str, args: tuple[str, ...], problem: str
) -> None:
    result = invoke("lineage", "upstream", REPORT, *args)

    assert result.exit_code == 2
    assert problem in result.stderr


def test_a_depth_beyond_the_store_limit_is_refused(invoke: Invoke, graph: str) -> None:
    result = invoke("lineage", "upstream", REPORT, "--depth", "101")

    assert result.exit_code == 2
    assert result.stderr == "error: depth must be an integer from 0 to 100, got 101\n"
