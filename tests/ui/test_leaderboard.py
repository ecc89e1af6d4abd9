"""The leaderboard: search, sort, page, columns, selection, CSV export, all kept in the URL."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from browser import Demo

GOOD_FILTER = "params.learning_rate < 0.01 OR metrics.val_auc.max > 0.9"
BAD_FILTER = "metrics.val_auc >"


def open_leaderboard(page: Any, demo: Demo, query: str = "") -> None:
    page.goto(f"{demo.url}/experiments/fraud-detection{query}")
    page.locator("#leaderboard tbody tr").first.wait_for()


def names(page: Any) -> list[str]:
    return page.locator("#leaderboard tbody td.name").all_inner_texts()


def column_texts(page: Any, column: str) -> list[str]:
    """The texts of one column's cells, by the column's position in the header."""
    index = page.locator("#leaderboard thead th").evaluate_all(
        "(ths, id) => ths.findIndex((th) => th.dataset.column === id)", column
    )
    assert index >= 0, f"no column {column}"
    return page.locator(f"#leaderboard tbody tr td:nth-child({index + 1})").all_inner_texts()


def apply_filter(page: Any, text: str) -> None:
    page.get_by_label("filter", exact=True).fill(text)
    page.get_by_role("button", name="apply").click()


def test_filter_sort_and_a_bad_filter(demo: Demo, page: Any) -> None:
    open_leaderboard(page, demo)
    assert len(names(page)) == 5

    apply_filter(page, GOOD_FILTER)
    page.wait_for_function("() => document.querySelectorAll('#leaderboard tbody tr').length === 4")
    remaining = names(page)
    assert all("[model=" in name for name in remaining), remaining  # the mapped training trials
    assert parse_qs(urlsplit(page.url).query)["filter"] == [GOOD_FILTER]

    header = page.locator('#leaderboard th[data-column="metrics.test_auc.last"]')
    header.click()
    page.wait_for_selector('#leaderboard th[data-column="metrics.test_auc.last"][aria-sort="descending"]')
    descending = [float(text) for text in column_texts(page, "metrics.test_auc.last")]
    assert len(descending) == 4 and len(set(descending)) > 1
    assert descending == sorted(descending, reverse=True)
    assert parse_qs(urlsplit(page.url).query)["order"] == ["metrics.test_auc.last DESC"]
    header.click()
    page.wait_for_selector('#leaderboard th[data-column="metrics.test_auc.last"][aria-sort="ascending"]')
    ascending = [float(text) for text in column_texts(page, "metrics.test_auc.last")]
    assert ascending == sorted(descending)

    before = names(page)
    url_before = page.url
    apply_filter(page, BAD_FILTER)
    error = page.locator(".query-error")
    error.wait_for()
    assert "position 17" in error.inner_text() and "expected a value" in error.inner_text()
    # the filter is shown with the offending spot marked (here: the end of the text) and a caret
    assert page.locator(".query-error pre.query-text").inner_text().splitlines() == [
        BAD_FILTER + " ",
        " " * 17 + "^",
    ]
    assert page.locator(".query-error mark").get_attribute("title") == "position 17"
    assert names(page) == before and page.url == url_before  # the table and the URL stay as they were

    apply_filter(page, "metric.val_auc > 0.5")  # the token at the position is marked
    page.wait_for_function(
        "() => document.querySelector('.query-error mark')?.textContent === 'metric.val_auc'"
    )
    assert "did you mean 'metrics.val_auc'" in error.inner_text()

    apply_filter(page, "")
    page.wait_for_function("() => document.querySelectorAll('#leaderboard tbody tr').length === 5")
    assert page.locator(".query-error").count() == 0


def test_columns_selection_and_compare_survive_a_reload(demo: Demo, page: Any, screenshots: Path) -> None:
    open_leaderboard(page, demo, "?order=metrics.test_auc.last%20DESC")
    assert page.locator('#leaderboard th[data-column="metrics.val_auc.max"]').count() == 0
    page.locator("details.picker > summary").click()
    page.locator('details.picker input[data-column="metrics.val_auc.max"]').check()
    page.locator('details.picker input[data-column="tags.airflow.task_id"]').check()
    page.locator('details.picker input[data-column="start_time"]').uncheck()
    page.locator("details.picker > summary").click()
    headers = page.locator("#leaderboard thead th").evaluate_all(
        "(ths) => ths.map((th) => th.dataset.column)"
    )
    assert headers[-2:] == ["metrics.val_auc.max", "tags.airflow.task_id"] and "start_time" not in headers
    task_ids = column_texts(page, "tags.airflow.task_id")
    assert len(task_ids) == 5 and task_ids[:4] == ["evaluate"] * 4  # the training trials, best first
    val_auc = [text for text in column_texts(page, "metrics.val_auc.max") if text]
    assert len(val_auc) == 4 and all(0.5 < float(text) <= 1 for text in val_auc)

    rows = page.locator("#leaderboard tbody tr")
    chosen = [rows.nth(i).locator("td.name").inner_text() for i in (0, 1, 3)]
    for i in (0, 1, 3):
        rows.nth(i).locator("td.pick input").check()
    assert page.locator("#selection").inner_text() == "3 selected"
    page.screenshot(path=screenshots / "leaderboard.png", full_page=True)

    shared = page.url
    state = parse_qs(urlsplit(shared).query)
    assert state["sel"] == chosen and "metrics.val_auc.max" in state["col"]

    again = page.context.new_page()
    again.goto(shared)
    again.locator("#leaderboard tbody tr").first.wait_for()
    assert (
        again.locator("#leaderboard thead th").evaluate_all("(ths) => ths.map((th) => th.dataset.column)")
        == headers
    )
    assert again.locator("#leaderboard tbody td.name").all_inner_texts() == names(page)
    checked = again.locator("#leaderboard tbody tr:has(td.pick input:checked) td.name").all_inner_texts()
    assert sorted(checked) == sorted(chosen)
    assert again.locator('th[data-column="metrics.test_auc.last"]').get_attribute("aria-sort") == "descending"
    again.close()

    compare = page.locator("#compare")
    assert compare.inner_text() == "compare 3 selected"
    compare.click()
    page.wait_for_url("**/experiments/fraud-detection/compare?**")
    assert parse_qs(urlsplit(page.url).query)["trial"] == chosen  # names with commas, intact
    page.wait_for_function("() => document.querySelectorAll('#compare-trials tbody tr').length === 3")
    assert sorted(page.locator("#compare-trials tbody tr td:first-child").all_inner_texts()) == sorted(chosen)
    page.wait_for_function(
        "() => { const e = document.getElementById('curves'), c = e && echarts.getInstanceByDom(e);"
        " return c && c.getOption().series.length === 3; }"
    )
    page.screenshot(path=screenshots / "compare.png", full_page=True)

    page.go_back()
    page.locator("#leaderboard tbody tr").first.wait_for()
    assert page.locator("#selection").inner_text() == "3 selected"


def test_runs_view_pages_with_tokens_and_back(demo: Demo, page: Any) -> None:
    open_leaderboard(page, demo, "?view=runs&size=10&order=name%20ASC")
    first = names(page)
    assert len(first) == 10 and first == sorted(first)
    assert page.locator("#leaderboard").get_attribute("data-view") == "runs"
    assert page.locator('.tabs [data-view="runs"]').get_attribute("aria-selected") == "true"

    page.get_by_role("button", name="next →").click()
    page.wait_for_function("() => document.getElementById('page-info').textContent.startsWith('page 2')")
    second = names(page)
    assert second and not set(second) & set(first) and second == sorted(second) and second[0] >= first[-1]
    assert len(parse_qs(urlsplit(page.url).query)["page"]) == 1

    page.goto(page.url)  # a reload comes back to page 2
    page.locator("#leaderboard tbody tr").first.wait_for()
    assert names(page) == second
    page.get_by_role("button", name="← previous").click()
    page.wait_for_function("() => document.getElementById('page-info').textContent.startsWith('page 1')")
    assert names(page) == first and "page" not in parse_qs(urlsplit(page.url).query)
    assert page.get_by_role("button", name="← previous").is_disabled()

    # the runs view's selection compares the trials the selected runs belong to
    rows = page.locator("#leaderboard tbody tr")
    picked = [rows.nth(i).get_attribute("data-id") for i in (0, 1)]
    for i in (0, 1):
        rows.nth(i).locator("td.pick input").check()
    runs = requests.post(
        f"{demo.url}/api/mltrail/v1/runs/search", json={"experiment": "fraud-detection"}, timeout=10
    ).json()["items"]
    expected = {trial for run in runs if run["id"] in picked for trial in run["trials"]}
    page.locator("#compare").click()
    page.wait_for_url("**/compare?**")
    assert set(parse_qs(urlsplit(page.url).query)["trial"]) == expected and expected
    page.go_back()

    page.locator('.tabs [data-view="trials"]').click()
    page.wait_for_function("() => document.querySelector('#leaderboard').dataset.view === 'trials'")
    assert len(names(page)) == 5 and "sel" not in parse_qs(urlsplit(page.url).query)


def test_csv_export_holds_every_row_of_the_result(demo: Demo, page: Any) -> None:
    open_leaderboard(page, demo, "?size=10&order=metrics.test_auc.last%20DESC")
    apply_filter(page, GOOD_FILTER)
    page.wait_for_function("() => document.querySelectorAll('#leaderboard tbody tr').length === 4")
    shown = names(page)
    headers = page.locator("#leaderboard thead th").evaluate_all(
        "(ths) => ths.map((th) => th.dataset.column).filter(Boolean)"
    )

    with page.expect_download() as info:
        page.get_by_role("button", name="export CSV").click()
    download = info.value
    assert download.suggested_filename == "fraud-detection-trials.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == headers  # name, then the columns shown, by id
    assert [line[0] for line in lines[1:]] == shown  # every row, in the table's order
    assert all(", " in line[0] for line in lines[1:])  # names with commas survive the quoting
    test_auc = [float(line[headers.index("metrics.test_auc.last")]) for line in lines[1:]]
    assert test_auc == sorted(test_auc, reverse=True)
    assert page.locator("#status").inner_text() == "exported 4 rows"

    page.goto(f"{demo.url}/experiments/fraud-detection?view=runs&size=10&col=kind")
    page.locator("#leaderboard tbody tr").first.wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name="export CSV").click()
    runs = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert runs[0] == ["id", "name", "kind"]
    assert len(runs) - 1 > 10  # more rows than the page shows: every page was fetched
    assert len({line[0] for line in runs[1:]}) == len(runs) - 1
