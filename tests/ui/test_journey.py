"""The issue's walk through the UI, in one browser session, after the example DAG has run.

Filter the leaderboard with ``params.learning_rate < 0.01 OR metrics.val_auc.max > 0.9``, sort,
select three trials, see the three plots drawn, open a trial, open the lineage from the endpoint
back to the raw data, approve a model version. The pages' own tests go into each step's detail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import Demo

from mltrail.store import Store

FILTER = "params.learning_rate < 0.01 OR metrics.val_auc.max > 0.9"
DRAWN = (
    "(id) => { const e = document.getElementById(id), c = e && echarts.getInstanceByDom(e);"
    " const s = c && c.getOption().series; return !!(s && s.length && s[0].data && s[0].data.length); }"
)


def test_filter_sort_compare_open_trace_and_approve(demo: Demo, page: Any, screenshots: Path) -> None:
    page.goto(f"{demo.url}/experiments/fraud-detection")
    page.locator("#leaderboard tbody tr").first.wait_for()
    page.get_by_label("filter", exact=True).fill(FILTER)
    page.get_by_role("button", name="apply").click()
    page.wait_for_function("() => document.querySelectorAll('#leaderboard tbody tr').length === 4")

    header = page.locator('#leaderboard th[data-column="metrics.test_auc.last"]')
    header.locator("button").click()
    page.wait_for_selector('#leaderboard th[data-column="metrics.test_auc.last"][aria-sort]')
    order = header.get_attribute("aria-sort")
    index = page.locator("#leaderboard thead th").evaluate_all(
        "(ths) => ths.findIndex((th) => th.dataset.column === 'metrics.test_auc.last')"
    )
    values = [
        float(v) for v in page.locator(f"#leaderboard tbody tr td:nth-child({index + 1})").all_inner_texts()
    ]
    assert values == sorted(values, reverse=order == "descending")

    rows = page.locator("#leaderboard tbody tr")
    chosen = [rows.nth(i).locator("td.name").inner_text() for i in range(3)]
    for i in range(3):
        rows.nth(i).locator("td.pick input").check()
    page.locator("#compare").click()
    page.wait_for_url("**/experiments/fraud-detection/compare?**")
    for chart in ("parallel", "scatter", "curves"):
        page.wait_for_function(DRAWN, arg=chart, timeout=20_000)
    assert sorted(page.locator("#compare-trials tbody tr td:first-child").all_inner_texts()) == sorted(chosen)

    page.goto(f"{demo.url}/experiments/fraud-detection")
    page.locator("#leaderboard tbody td.name a").first.click()
    page.wait_for_url("**/experiments/fraud-detection/trials/**")
    page.wait_for_function("() => document.body.innerText.includes('val_auc')")

    page.goto(f"{demo.url}/lineage?node=mltrail://endpoints/fraud-detection&direction=ascendants&depth=20")
    page.wait_for_function(
        "(raw) => window.mltrailGraph && window.mltrailGraph.$id(raw).length === 1",
        arg="dataset:sklearn://datasets:breast_cancer",
        timeout=20_000,
    )

    with Store(demo.tracking_uri) as store:
        store.registry.register("ui-journey", "s3://models/journey.pkl", actor="ana")
    page.goto(f"{demo.url}/models/ui-journey/versions/1")
    page.locator("#trail tbody tr").first.wait_for()
    page.locator("#reason").fill("beats the champion on March data")
    page.locator("#approve").click()
    page.locator("#trail tbody tr").nth(1).wait_for()
    page.screenshot(path=screenshots / "journey-approved.png", full_page=True)
    with Store(demo.tracking_uri) as store:
        trail = store.registry.get("ui-journey", 1).history
    assert [(c.to_status.value, c.reason) for c in trail][-1] == (
        "Approved",
        "beats the champion on March data",
    )
