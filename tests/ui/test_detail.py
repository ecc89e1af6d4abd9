"""The trial and run pages: metadata, metric curves, artifacts, OpenLineage events, links to Airflow."""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests
from browser import Demo
from live_server import live_server
from ol_events import dataset, run_event, run_id

from mltrail.core.entities import CodeInfo
from mltrail.core.lineage import NodeId, NodeType, dataset_node
from mltrail.store import Store

API = "/api/mltrail/v1"
TRIAL_POINT = "[model=logistic_regression, C=1.0]"
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
"""A 1×1 PNG."""
CURVE = """() => {
  const chart = echarts.getInstanceByDom(document.querySelector("#curves"));
  return chart ? chart.getOption().series.map((s) => ({ name: s.name, data: s.data })) : null;
}"""


def runs_by_name(url: str) -> dict[str, dict[str, Any]]:
    found = requests.post(f"{url}{API}/runs/search", json={"experiment": "fraud-detection"}, timeout=10)
    return {run["name"]: run for run in found.json()["items"]}


def encoded(text: str) -> str:
    """As the page's encodeURIComponent writes a path segment."""
    return quote(text, safe="!~*'()")


def artifact_root(demo: Demo) -> Path:
    return Path(demo.tracking_uri.removeprefix("sqlite:///")).parent / ".mltrail" / "artifacts"


def cells(page: Any, selector: str) -> dict[str, list[str]]:
    """A table's rows by the text of their first cell."""
    rows = page.locator(f"{selector} tbody tr")
    return {row.locator("td").first.inner_text(): row.locator("td").all_inner_texts() for row in rows.all()}


def test_training_trial_shows_params_metrics_a_curve_and_its_components(
    demo: Demo, page: Any, screenshots: Path
) -> None:
    trial = f"{demo.dag.run_id} {TRIAL_POINT}"
    runs = runs_by_name(demo.url)
    page.goto(f"{demo.url}/experiments/fraud-detection/trials/{encoded(trial)}")
    page.locator("#components").wait_for()

    assert page.locator("#trial-name").inner_text().startswith(trial)
    assert page.locator("#trial-name .badge").inner_text() == "Completed"
    params = {key: row[1] for key, row in cells(page, "#params").items()}
    assert params == {"C": "1", "model": "logistic_regression"}
    val_auc = runs["train [1]"]["metrics"]["val_auc"]
    summary = cells(page, "#metrics")["val_auc"]
    assert [float(value) for value in summary[1:5]] == [
        round(val_auc[key], 6) for key in ("last", "min", "max", "avg")
    ]
    assert summary[5] == "1"

    components = page.locator("#components tbody tr")
    assert components.count() == 3
    names = {row.locator("td").first.inner_text(): row for row in components.all()}
    assert set(names) == {"prepare", "train [1]", "evaluate [1]"}
    assert (
        names["train [1]"].locator("td a").first.get_attribute("href") == f"/runs/{runs['train [1]']['id']}"
    )
    assert names["train [1]"].locator("td").nth(5).inner_text() == "train"
    assert page.locator("#orchestrator a.external").count() == 0  # the server has no airflow_url
    assert "MLTRAIL_AIRFLOW_URL" in page.locator("#orchestrator").inner_text()

    page.select_option("#metric", "val_auc")
    page.wait_for_function(f"() => ({CURVE})()?.[0]?.name === 'train [1]'")
    series = page.evaluate(CURVE)
    assert len(series) == 1 and series[0]["data"] == [[0, val_auc["last"]]]
    assert parse_qs(urlsplit(page.url).query)["metric"] == ["val_auc"]
    page.evaluate("window.scrollTo(0, 0)")  # sticky table headers stay in place
    page.screenshot(path=screenshots / "trial.png", full_page=True)

    names["evaluate [1]"].locator("td a").first.click()
    page.wait_for_url(f"**/runs/{runs['evaluate [1]']['id']}*")  # the page may add its chart state
    page.locator("#run-name").wait_for()


def test_evaluation_run_previews_its_confusion_matrix_and_links_its_datasets_to_lineage(
    demo: Demo, page: Any
) -> None:
    run = runs_by_name(demo.url)["evaluate [1]"]
    page.goto(f"{demo.url}/runs/{run['id']}")
    preview = page.locator("#artifacts figure[data-file='confusion_matrix.json'] pre")
    preview.wait_for()

    on_disk = artifact_root(demo) / "fraud-detection" / run["id"] / "confusion_matrix.json"
    assert json.loads(preview.inner_text()) == json.loads(on_disk.read_text())
    assert json.loads(preview.inner_text())["labels"] == ["legitimate", "fraud"]
    with page.expect_download() as download:
        page.locator("#artifact-files button.download").click()
    assert download.value.suggested_filename == "confusion_matrix.json"
    assert Path(download.value.path()).read_text() == on_disk.read_text()

    fields = {
        dt.inner_text(): dd.inner_text()
        for dt, dd in zip(page.locator("#overview dt").all(), page.locator("#overview dd").all(), strict=True)
    }
    assert fields["kind"] == "evaluation" and fields["status"] == "Completed"
    assert fields["start"].startswith(run["start_time"][:10]) and fields["duration"].endswith("s")
    assert fields["artifact URI"] == run["artifact_uri"]
    assert {(row[1], row[2]) for row in cells(page, "#datasets").values()} >= {("test", "file")}
    test_split = next(d for d in run["inputs"] if d["role"] == "test")
    row = page.locator("#datasets tbody tr", has_text="test.npz")
    node = parse_qs(urlsplit(row.locator("a.lineage-link").get_attribute("href")).query)["node"][0]
    assert node == str(dataset_node(test_split["namespace"], test_split["name"]))
    lineage = page.locator("p.actions a.lineage-link")
    assert parse_qs(urlsplit(lineage.get_attribute("href")).query)["node"] == [f"run:{run['id']}"]
    assert "No OpenLineage events are stored" in page.locator("#events-summary").inner_text()


def test_run_lists_its_openlineage_events_and_links_back_to_airflow(
    demo: Demo, page: Any, screenshots: Path, tmp_path: Path
) -> None:
    # A copy of the demo's store that also holds the evaluation run's OpenLineage events, as a
    # store fed by the mltrail transport does, served by a server that knows Airflow's URL.
    copy = tmp_path / "mltrail.db"
    with closing(sqlite3.connect(demo.tracking_uri.removeprefix("sqlite:///"))) as source:
        with closing(sqlite3.connect(copy)) as target:
            source.backup(target)
    run = runs_by_name(demo.url)["evaluate [1]"]
    events = [event for event in demo.dag.events if event["run"]["runId"] == run["id"]]
    assert [event["eventType"] for event in events] == ["START", "RUNNING", "COMPLETE"]
    airflow = "http://airflow.example:8080"
    with live_server(f"sqlite:///{copy}", artifact_root=str(artifact_root(demo)), airflow_url=airflow) as url:
        stored = requests.post(f"{url}{API}/events/batch", json=events, timeout=10).json()
        assert stored["stored"] == 3

        page.goto(f"{url}/runs/{run['id']}")
        listed = page.locator("#events details.event")
        listed.first.wait_for()
        assert listed.count() == 3
        assert [text.split()[0] for text in page.locator("#events summary").all_inner_texts()] == [
            "START",
            "RUNNING",
            "COMPLETE",
        ]
        assert "3 events stored" in page.locator("#events-summary").inner_text()
        body = listed.nth(2).locator("pre")
        assert not body.is_visible()
        listed.nth(2).locator("summary").click()
        assert body.is_visible() and json.loads(body.inner_text()) == events[2]

        task = f"{airflow}/dags/fraud_detection/runs/{encoded(demo.dag.run_id)}/tasks/evaluate/mapped/1"
        assert page.locator("#orchestrator a.external").get_attribute("href") == task
        ids = page.locator("#orchestrator-ids").inner_text()
        assert "fraud_detection" in ids and demo.dag.run_id in ids
        page.evaluate("window.scrollTo(0, 0)")  # sticky table headers stay in place
        page.screenshot(path=screenshots / "run.png", full_page=True)

        page.goto(f"{url}/experiments/fraud-detection/trials/{encoded(f'{demo.dag.run_id} {TRIAL_POINT}')}")
        page.locator("#components").wait_for()
        dag_run = page.locator("#orchestrator a.external")
        assert (
            dag_run.get_attribute("href") == f"{airflow}/dags/fraud_detection/runs/{encoded(demo.dag.run_id)}"
        )
        train = page.locator("#components tbody tr", has_text="train [1]").locator("a.external")
        assert (
            train.get_attribute("href")
            == f"{airflow}/dags/fraud_detection/runs/{encoded(demo.dag.run_id)}/tasks/train/mapped/1"
        )


def test_a_run_known_only_from_openlineage_events_shows_them(page: Any, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'events.db'}"
    foreign = run_id(7)
    with Store(database) as store:
        store.ingest(run_event("START", foreign, "spark.etl", 1, inputs=[dataset("s3://raw", "orders")]))
    with live_server(database) as url:
        page.goto(f"{url}/runs/{foreign}")
        page.locator("#events details.event").wait_for()
        assert "not found" in page.get_by_role("alert").inner_text()
        assert page.locator("#events summary").inner_text().startswith("START")
        assert "tests / spark.etl" in page.locator("#events summary").inner_text()
        assert (
            page.locator("a.lineage-link").get_attribute("href").startswith(f"/lineage?node=run%3A{foreign}")
        )


def test_a_trials_lineage_link_opens_the_explorer_at_the_trial(demo: Demo, page: Any) -> None:
    trial = f"{demo.dag.run_id} {TRIAL_POINT}"
    node = str(NodeId(NodeType.TRIAL, ("fraud-detection", trial)))  # ":" in the trial name escaped
    runs = runs_by_name(demo.url)
    page.goto(f"{demo.url}/experiments/fraud-detection/trials/{encoded(trial)}")
    link = page.locator("p.actions a.lineage-link")
    assert parse_qs(urlsplit(link.get_attribute("href")).query)["node"] == [node]

    link.click()
    page.locator("#node-fields").wait_for()
    edges = page.evaluate(
        "window.mltrailGraph.edges().map((e) => [e.source().id(), e.target().id(), e.data('type')])"
    )
    components = {target.removeprefix("run:") for source, target, kind in edges if kind == "COMPONENT"}
    assert all(source == node for source, _, kind in edges if kind == "COMPONENT")
    assert components == {runs[name]["id"] for name in ("prepare", "train [1]", "evaluate [1]")}
    opened = page.locator("#node-panel a", has_text="open the trial")
    assert opened.get_attribute("href") == f"/experiments/fraud-detection/trials/{encoded(trial)}"


def test_a_failed_kfp_run_shows_its_error_code_image_and_the_way_back_to_kubeflow(
    page: Any, tmp_path: Path
) -> None:
    database, root = f"sqlite:///{tmp_path / 'kfp.db'}", tmp_path / "artifacts"
    run = uuid.uuid4()
    folder = root / "churn" / str(run)
    folder.mkdir(parents=True)
    (folder / "roc.png").write_bytes(base64.b64decode(PIXEL))
    with Store(database) as store:
        store.start_run(
            run_id=run,
            experiment="churn",
            trial="run-42",
            name="train",
            kind="training",
            params={"lr": 0.1},
            tags={"kfp.pipeline": "churn", "kfp.run_id": "42ab-cd", "kfp.task": "train"},
            code=CodeInfo(
                commit="abc123", repo_url="https://github.com/acme/churn", branch="main", is_dirty=True
            ),
            artifact_uri=folder.as_uri(),
            metrics=[
                ("loss", value, step, 1_800_000_000_000 + step) for step, value in enumerate((0.5, 0.3, 0.2))
            ],
        )
        store.end_run(run, status="Failed", error_message="ValueError: <img src=x onerror=alert(1)> diverged")
    with live_server(
        database, artifact_root=str(root), kfp_url="https://kubeflow.example.com/pipeline"
    ) as url:
        page.goto(f"{url}/runs/{run}")
        page.locator("#artifacts img.preview").wait_for()
        assert page.locator("#run-name .badge").inner_text() == "Failed"
        error = page.locator("#error-message")
        assert error.inner_text() == "ValueError: <img src=x onerror=alert(1)> diverged"
        assert error.locator("img").count() == 0  # shown as text
        kubeflow = page.locator("#orchestrator a.external")
        assert (
            kubeflow.get_attribute("href") == "https://kubeflow.example.com/pipeline/#/runs/details/42ab-cd"
        )
        code = page.locator("#code tbody tr td").all_inner_texts()
        assert code[:4] == ["abc123", "https://github.com/acme/churn", "main", "dirty"]
        page.wait_for_function("() => document.querySelector('#artifacts img.preview').naturalWidth === 1")
        page.wait_for_function(f"() => ({CURVE})()?.[0]?.data.length === 3")
        assert page.evaluate(CURVE)[0]["data"] == [[0, 0.5], [1, 0.3], [2, 0.2]]
