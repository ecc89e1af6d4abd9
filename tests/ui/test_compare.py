"""The compare page: parallel coordinates, a scatter and metric curves, drawn with ECharts.

The charts are read back through ``echarts.getInstanceByDom(...).getOption()``. Besides the DAG's
experiment, a second server holds two experiments written straight into its store: one whose
trials log 40-step curves (the DAG's metrics have one point each), and one of 5,000 trials.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from browser import Demo
from live_server import live_server

from mltrail.core.entities import RunRecord
from mltrail.store import Store

CURVES = "ui-compare-curves"
MANY = "ui-compare-5000"
HOSTILE = "<img src=x onerror=alert(1)>, 'quoted'"

CHART = "(id) => { const el = document.getElementById(id); return el && echarts.getInstanceByDom(el); }"
OPTION = f"""([id, part]) => {{
  const chart = ({CHART})(id);
  return chart ? chart.getOption()[part] : null;
}}"""


def option(page: Any, chart: str, part: str) -> Any:
    return page.evaluate(OPTION, [chart, part])


def wait_for_series(page: Any, chart: str, count: int) -> None:
    page.wait_for_function(
        f"""([id, count]) => {{
          const chart = ({CHART})(id);
          return Boolean(chart) && chart.getOption().series.length === count
            && (id !== 'curves' || !document.getElementById('curves-info').textContent.startsWith('loading'));
        }}""",
        arg=[chart, count],
    )


def axis_names(page: Any) -> list[str]:
    return [axis["name"] for axis in option(page, "parallel", "parallelAxis")]


def compare_url(server: str, experiment: str, **state: Any) -> str:
    pairs = [
        (key, item)
        for key, value in state.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    return f"{server}/experiments/{experiment}/compare?{urlencode(pairs)}"


def record(
    store: Store, experiment: str, trials: list[tuple[str, dict[str, Any], list[tuple[str, float, int]]]]
) -> None:
    now = int(time.time() * 1000)
    records = [
        RunRecord(
            run_id=uuid.uuid4(),
            experiment=experiment,
            trial=name,
            name="train",
            kind="training",
            start_time=now - 60_000,
            params=params,
            metrics=[(key, value, step, now) for key, value, step in points],
            status="Completed",
            end_time=now,
        )
        for name, params, points in trials
    ]
    for start in range(0, len(records), 1000):
        store.record_runs(records[start : start + 1000])


@pytest.fixture(scope="module")
def extra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own (the demo's store stays as the DAG left it): its URL."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('ui-compare') / 'mltrail.db'}"
    with Store(uri) as store:
        curves = [
            (
                HOSTILE if i == 0 else f"curve-{i}",
                {"lr": 10.0 ** -(i + 1), "optimizer": "adam" if i % 2 else "sgd"},
                [("loss", 1 / (step + 1 + i) + 0.2 * math.sin(step * 1.7 + i), step) for step in range(40)],
            )
            for i in range(4)
        ]
        record(store, CURVES, curves)
        many = [
            (
                f"t{i:04d}",
                {"x": i % 97, "y": (i * 7) % 13, "kind": f"k{i % 5}"},
                [("score", (i % 101) / 100, 0)],
            )
            for i in range(5000)
        ]
        record(store, MANY, many)
    with live_server(uri) as url:
        yield url


def test_the_three_plots_are_drawn_for_every_trial(demo: Demo, page: Any) -> None:
    trials = requests.post(
        f"{demo.url}/api/mltrail/v1/trials/search", json={"experiment": "fraud-detection"}, timeout=10
    ).json()["items"]
    with_c = [t for t in trials if "C" in t["params"] and "test_auc" in t["metrics"]]
    with_val_auc = [t["name"] for t in trials if "val_auc" in t["metrics"]]
    page.goto(
        compare_url(
            demo.url,
            "fraud-detection",
            axis=["params.C", "params.model", "metrics.test_auc.last"],
            x="params.C",
            y="metrics.test_auc.last",
            metric="val_auc",
        )
    )
    wait_for_series(page, "curves", len(with_val_auc))
    assert page.locator("#status").inner_text() == "all 5 trials of the experiment"

    parallel = option(page, "parallel", "series")
    assert len(parallel) == 1 and len(parallel[0]["data"]) == 5  # one series, a line per trial
    assert axis_names(page) == ["C (param)", "model (param)", "test_auc (metric · last)"]
    axes = option(page, "parallel", "parallelAxis")
    assert [axis["type"] for axis in axes] == ["value", "category", "value"]
    assert sorted(axes[1]["data"]) == sorted({t["params"]["model"] for t in trials})

    scatter = option(page, "scatter", "series")
    assert len(scatter) == 1 and len(scatter[0]["data"]) == len(with_c) == 2
    assert sorted(point[0] for point in scatter[0]["data"]) == sorted(t["params"]["C"] for t in with_c)

    curves = option(page, "curves", "series")
    assert sorted(series["name"] for series in curves) == sorted(with_val_auc)
    assert all(len(series["data"]) == 1 for series in curves)  # the DAG logs one point per metric
    assert page.locator("#compare-trials tbody tr").count() == 5


def test_axes_are_chosen_and_reordered(demo: Demo, page: Any) -> None:
    page.goto(
        compare_url(demo.url, "fraud-detection", axis=["params.C", "params.model", "metrics.test_auc.last"])
    )
    page.locator("#axes li").first.wait_for()
    page.wait_for_function(f"() => Boolean(({CHART})('parallel'))")

    page.get_by_role("button", name="move params.C right").click()
    assert axis_names(page) == ["model (param)", "C (param)", "test_auc (metric · last)"]
    assert option(page, "parallel", "parallelAxis")[0]["type"] == "category"
    assert parse_qs(urlsplit(page.url).query)["axis"] == ["params.model", "params.C", "metrics.test_auc.last"]

    page.get_by_role("button", name="remove params.model").click()
    assert axis_names(page) == ["C (param)", "test_auc (metric · last)"]

    page.locator("#add-axis").select_option("metrics.val_auc.max")
    assert axis_names(page) == ["C (param)", "test_auc (metric · last)", "val_auc (metric · max)"]
    assert page.locator("#axes li").evaluate_all("(items) => items.map((li) => li.dataset.axis)") == [
        "params.C",
        "metrics.test_auc.last",
        "metrics.val_auc.max",
    ]
    headers = page.locator("#compare-trials thead th").all_inner_texts()
    assert headers == ["trial", "C (param)", "test_auc (metric · last)", "val_auc (metric · max)"]
    assert len(option(page, "parallel", "series")[0]["data"][0]) == 3

    page.goto(page.url)  # the axes are in the URL
    page.locator("#axes li").first.wait_for()
    page.wait_for_function(f"() => Boolean(({CHART})('parallel'))")
    assert axis_names(page) == ["C (param)", "test_auc (metric · last)", "val_auc (metric · max)"]


def brush(page: Any, axis: str, low: float, high: float) -> None:
    page.evaluate(
        """([axis, low, high]) => echarts.getInstanceByDom(document.getElementById('parallel'))
             .dispatchAction({ type: 'axisAreaSelect', parallelAxisId: axis, intervals: [[low, high]] })""",
        [axis, low, high],
    )


def test_brushing_an_axis_narrows_the_scatter_the_curves_and_the_list(demo: Demo, page: Any) -> None:
    trials = requests.post(
        f"{demo.url}/api/mltrail/v1/trials/search", json={"experiment": "fraud-detection"}, timeout=10
    ).json()["items"]
    scored = sorted(
        (t for t in trials if "test_auc" in t["metrics"]), key=lambda t: -t["metrics"]["test_auc"]["last"]
    )
    top = scored[:3]
    low = (scored[2]["metrics"]["test_auc"]["last"] + scored[3]["metrics"]["test_auc"]["last"]) / 2
    page.goto(
        compare_url(
            demo.url,
            "fraud-detection",
            axis=["params.model", "metrics.test_auc.last"],
            x="metrics.test_auc.last",
            y="metrics.test_f1.last",
            metric="test_f1",
        )
    )
    wait_for_series(page, "curves", 4)
    assert len(option(page, "scatter", "series")[0]["data"]) == 4

    brush(page, "metrics.test_auc.last", low, 1.0)
    page.wait_for_function(
        "() => document.getElementById('brush-info').textContent === '3 of 5 trials in range'"
    )
    listed = page.locator("#compare-trials tbody td.name").all_inner_texts()
    assert sorted(listed) == sorted(t["name"] for t in top)
    scatter = option(page, "scatter", "series")[0]["data"]
    assert sorted(point[0] for point in scatter) == sorted(t["metrics"]["test_auc"]["last"] for t in top)
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('curves')).getOption().series.length === 3"
    )
    assert sorted(s["name"] for s in option(page, "curves", "series")) == sorted(t["name"] for t in top)

    brush(page, "metrics.test_auc.last", 2.0, 3.0)  # nothing is that high
    page.wait_for_function(
        "() => document.getElementById('brush-info').textContent === '0 of 5 trials in range'"
    )
    assert page.locator("#compare-trials tbody tr").count() == 0
    assert page.locator(".empty", has_text="No trial is inside every brushed range").is_visible()

    page.get_by_role("button", name="clear brush").click()
    page.wait_for_function("() => document.getElementById('brush-info').textContent === '5 trials'")
    assert page.locator("#compare-trials tbody tr").count() == 5


def test_smoothing_and_log_scale_change_the_curves(extra: str, page: Any) -> None:
    page.goto(compare_url(extra, CURVES, metric="loss"))
    wait_for_series(page, "curves", 4)
    raw = {s["name"]: [point[1] for point in s["data"]] for s in option(page, "curves", "series")}
    assert all(len(values) == 40 for values in raw.values())
    assert option(page, "curves", "yAxis")[0]["type"] == "value"

    page.locator("#smoothing").fill("0.8")
    page.wait_for_function("() => document.getElementById('smoothing-value').textContent === '0.80'")
    smoothed = {s["name"]: [point[1] for point in s["data"]] for s in option(page, "curves", "series")}
    assert smoothed.keys() == raw.keys()
    for name, values in raw.items():
        assert smoothed[name][0] == pytest.approx(values[0])  # debiased: the first point stays

        def wiggle(series: list[float]) -> float:
            return sum(abs(b - a) for a, b in zip(series, series[1:], strict=False))

        assert wiggle(smoothed[name]) < wiggle(values) / 2
    assert parse_qs(urlsplit(page.url).query)["smooth"] == ["0.8"]

    page.get_by_label("log scale").check()
    assert option(page, "curves", "yAxis")[0]["type"] == "log"
    assert all(point[1] > 0 for s in option(page, "curves", "series") for point in s["data"])

    # names from the API never become markup: the tooltip escapes them
    tooltip = page.evaluate(
        """(name) => {
          const chart = echarts.getInstanceByDom(document.getElementById('curves'));
          const series = chart.getOption().series.find((s) => s.name === name);
          const item = { value: series.data[0], seriesName: name, marker: '' };
          return chart.getOption().tooltip[0].formatter([item]);
        }""",
        HOSTILE,
    )
    assert "<img" not in tooltip and "&lt;img src=x onerror=alert(1)&gt;" in tooltip

    page.goto(page.url)  # smoothing and scale are in the URL
    wait_for_series(page, "curves", 4)
    assert page.locator("#smoothing").input_value() == "0.8" and page.get_by_label("log scale").is_checked()
    assert option(page, "curves", "yAxis")[0]["type"] == "log"


def test_five_thousand_trials_stay_responsive(extra: str, page: Any) -> None:
    started = time.monotonic()
    page.goto(compare_url(extra, MANY, axis=["params.x", "params.y", "params.kind", "metrics.score.last"]))
    page.wait_for_function(
        f"""() => {{
          const chart = ({CHART})('parallel');
          return Boolean(chart) && chart.getOption().series[0].data.length === 5000;
        }}""",
        timeout=60_000,
    )
    loaded = time.monotonic() - started
    assert page.locator("#status").inner_text() == "all 5000 trials of the experiment"
    assert len(option(page, "parallel", "series")) == 1
    assert page.locator("#compare-trials tbody tr").count() == 200  # the list is capped
    assert page.evaluate("() => document.querySelectorAll('*').length") < 3000  # no per-trial DOM

    started = time.monotonic()
    brush(page, "params.x", 0, 9.5)  # x = i % 97 in 0..9: 10 of every 97
    page.wait_for_function(
        "() => document.getElementById('brush-info').textContent.startsWith('520 of 5000')"
    )
    brushed = time.monotonic() - started
    assert len(option(page, "scatter", "series")[0]["data"]) == 520
    assert loaded < 30 and brushed < 5, (loaded, brushed)
