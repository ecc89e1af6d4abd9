"""The experiments page, and the UI's pages served with their assets and security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from browser import Demo


def test_every_page_url_serves_the_page_with_a_strict_policy(demo: Demo) -> None:
    for path in (
        "/",
        "/experiments/fraud-detection",
        "/experiments/e/trials/t",
        "/models",
        "/lineage",
        "/sign-in",
    ):
        answer = requests.get(demo.url + path, timeout=10)
        assert answer.status_code == 200 and "text/html" in answer.headers["content-type"], path
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    script = requests.get(f"{demo.url}/static/ui/app.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert requests.get(f"{demo.url}/static/ui/vendor/echarts-6.1.0/LICENSE", timeout=10).status_code == 200


def test_experiments_list_trial_counts_activity_and_the_best_metric(
    demo: Demo, page: Any, screenshots: Path
) -> None:
    page.goto(f"{demo.url}/?metric=test_auc&goal=max")
    rows = page.locator("#experiments tbody tr")
    rows.first.wait_for()
    cells = {row.locator("td").first.inner_text(): row.locator("td").all_inner_texts() for row in rows.all()}
    experiment = cells["fraud-detection"]
    assert experiment[1] == "5"  # the DAG run's trial and one per point of the search
    assert experiment[2].startswith("20") and float(experiment[3]) > 0.9
    assert "null" not in page.locator("main").inner_text()
    page.screenshot(path=screenshots / "experiments.png", full_page=True)

    page.get_by_role("link", name="fraud-detection").click()
    page.wait_for_url(f"{demo.url}/experiments/fraud-detection*")
