"""The lineage explorer: start from any node, grow the graph a step at a time, pages, details."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from browser import Demo
from live_server import live_server
from ol_events import dataset, run_event, run_id

from mltrail.store import Store

ENDPOINT = "dataset:mltrail://endpoints:fraud-detection"
RAW_DATA = "dataset:sklearn://datasets:breast_cancer"
GRAPH = """() => {
  const cy = document.querySelector(".graph")._cy;
  return {
    nodes: cy.nodes().map((n) => ({
      id: n.id(), kind: n.data("kind"), type: n.data("type"), classes: n.classes(),
    })),
    edges: cy.edges().map((e) => [e.source().id(), e.target().id(), e.data("type")]),
  };
}"""
PATH = """([from, to]) => {
  const cy = window.mltrailGraph;
  const [root, goal] = [cy.getElementById(from), cy.getElementById(to)];
  const found = cy.elements().aStar({ root, goal, directed: true });
  return found.found ? found.path.nodes().map((n) => ({ id: n.id(), kind: n.data("kind") })) : null;
}"""


def run_ids(url: str) -> dict[str, str]:
    found = requests.post(
        f"{url}/api/mltrail/v1/runs/search", json={"experiment": "fraud-detection"}, timeout=10
    )
    return {run["name"]: run["id"] for run in found.json()["items"]}


def graph(page: Any) -> dict[str, Any]:
    return page.evaluate(GRAPH)


def wait_for_nodes(page: Any, count: int) -> None:
    page.wait_for_function(
        "(count) => document.querySelector('.graph')?._cy?.nodes().length === count", arg=count
    )


def click_node(page: Any, node: str) -> None:
    """Click a node where it is drawn, as a user would (the view first centred on it)."""
    point = page.evaluate(
        """(id) => {
          const cy = window.mltrailGraph;
          const node = cy.getElementById(id);
          cy.center(node);
          const box = cy.container().getBoundingClientRect();
          const at = node.renderedPosition();
          return { x: box.left + at.x, y: box.top + at.y };
        }""",
        node,
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("(id) => new URLSearchParams(location.search).get('selected') === id", arg=node)


def state(page: Any) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def panel_fields(page: Any) -> dict[str, str]:
    return {
        dt.inner_text(): dd.inner_text()
        for dt, dd in zip(
            page.locator("#node-fields dt").all(), page.locator("#node-fields dd").all(), strict=True
        )
    }


def test_endpoint_lineage_reaches_the_raw_data_through_the_model_version_and_runs(
    demo: Demo, page: Any, screenshots: Path
) -> None:
    page.goto(f"{demo.url}/lineage?node=mltrail://endpoints/fraud-detection&direction=ascendants&depth=20")
    page.locator("#node-fields").wait_for()
    assert state(page)["node"] == ENDPOINT  # the URI, read as the dataset it names
    assert state(page)["selected"] == ENDPOINT
    assert "start" in next(n["classes"] for n in graph(page)["nodes"] if n["id"] == ENDPOINT)

    path = page.evaluate(PATH, [RAW_DATA, ENDPOINT])
    assert path is not None, graph(page)
    runs = run_ids(demo.url)
    kinds = [step["kind"] for step in path]
    assert kinds == ["dataset", "run", "dataset", "run", "dataset", "run", "model version", "run", "endpoint"]
    walked = [step["id"].removeprefix("run:") for step in path if step["kind"] == "run"]
    assert walked[0] == runs["prepare"] and walked[2:] == [runs["register"], runs["deploy"]]
    assert walked[1] in {runs[f"train [{i}]"] for i in range(4)}
    assert path[6]["id"].startswith("dataset:mltrail://models:fraud-detection/versions/1")
    assert "10 nodes" in page.locator("#lineage-status").inner_text()
    assert page.locator("#legend [data-kind='model version']").is_visible()
    page.locator("#fit").click()  # the whole path in view
    page.screenshot(path=screenshots / "lineage.png", full_page=True)


def test_grow_the_graph_step_by_step_then_switch_to_jobs(demo: Demo, page: Any) -> None:
    runs = run_ids(demo.url)
    deploy = f"run:{runs['deploy']}"
    page.goto(f"{demo.url}/lineage?node=mltrail://endpoints/fraud-detection&direction=ascendants&depth=1")
    wait_for_nodes(page, 2)
    assert {n["id"] for n in graph(page)["nodes"]} == {ENDPOINT, deploy}

    click_node(page, deploy)
    assert panel_fields(page)["run_id"] == runs["deploy"]
    assert (
        page.locator("#node-panel a", has_text="open the run").get_attribute("href")
        == f"/runs/{runs['deploy']}"
    )

    page.locator("#expand-up").click()
    wait_for_nodes(page, 3)
    version = next(n["id"] for n in graph(page)["nodes"] if n["kind"] == "model version")
    assert [version, deploy, "INPUT"] in graph(page)["edges"]
    assert "1 new node upstream" in page.locator("#lineage-messages").inner_text()

    click_node(page, version)
    fields = panel_fields(page)
    assert (fields["namespace"], fields["name"]) == ("mltrail://models", "fraud-detection/versions/1")
    assert page.locator("#node-panel a", has_text="open fraud-detection v1").get_attribute("href") == (
        "/models/fraud-detection/versions/1"
    )
    page.locator("#expand-up").click()
    wait_for_nodes(page, 4)
    assert f"run:{runs['register']}" in {n["id"] for n in graph(page)["nodes"]}
    page.locator("#expand-down").click()
    page.wait_for_function(
        "() => document.querySelector('#lineage-messages').innerText.includes('Nothing more')"
    )
    assert len(graph(page)["nodes"]) == 4

    page.select_option("select[name=granularity]", "job")
    page.wait_for_url("**granularity=job**")
    page.wait_for_function(
        "() => window.mltrailGraph && window.mltrailGraph.nodes('[type = \"job\"]').length > 0"
    )
    drawn = graph(page)
    assert {n["type"] for n in drawn["nodes"]} == {"dataset", "job"}
    job = next(n["id"] for n in drawn["nodes"] if n["type"] == "job")
    assert job.startswith("job:") and job.endswith(":fraud_detection.deploy")
    assert "selected" not in state(page)  # the version's run-level node is not drawn at job level
    click_node(page, job)
    assert panel_fields(page)["type"] == "job"


def test_an_unknown_or_malformed_node_shows_the_servers_message(demo: Demo, page: Any) -> None:
    page.goto(f"{demo.url}/lineage?node=dataset:nowhere:nothing")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "not found" in alert.inner_text()
    page.goto(f"{demo.url}/lineage?node=bogus")
    page.get_by_role("alert").wait_for()
    assert "must start with one of" in page.get_by_role("alert").inner_text()


def test_a_big_neighbourhood_comes_a_page_at_a_time(page: Any, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'fan-out.db'}"
    fan = run_id(1)
    parts = [dataset("file", f"/data/part-{i:03}.csv") for i in range(250)]
    with Store(database) as store:
        store.ingest(
            run_event("COMPLETE", fan, "split", 1, inputs=[dataset("file", "/data/all.csv")], outputs=parts)
        )
    with live_server(database) as url:
        page.goto(f"{url}/lineage?node=run:{fan}&direction=descendants&depth=1")
        wait_for_nodes(page, 200)
        more = page.locator("#more-nodes")
        assert more.is_visible()
        more.click()
        wait_for_nodes(page, 251)
        assert not more.is_visible()

        page.goto(f"{url}/lineage?node=run:{fan}&direction=descendants&depth=0")
        wait_for_nodes(page, 1)
        assert state(page)["selected"] == f"run:{fan}"
        page.locator("#expand-down").click()
        wait_for_nodes(page, 200)
        assert page.locator("#expand-down").inner_text() == "more downstream"
        assert "has-more" in graph(page)["nodes"][0]["classes"]
        page.locator("#expand-down").click()
        wait_for_nodes(page, 251)
        assert page.locator("#expand-down").inner_text() == "expand downstream"
