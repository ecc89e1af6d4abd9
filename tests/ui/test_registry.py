"""The model registry's pages: models, a model's versions and deployments, a version and its approval.

The demo's ``fraud-detection`` v1 is only read. What the tests approve or reject they register
themselves, as model ``ui-gated``, so the session's demo data stays as the other tests expect it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from browser import Demo

from mltrail.core.registry import ApprovalStatus, ModelVersion
from mltrail.store import Store

MODEL = "fraud-detection"
GATED = "ui-gated"
PENDING = ApprovalStatus.PENDING.value


@pytest.fixture
def store(demo: Demo) -> Iterator[Store]:
    with Store(demo.tracking_uri) as opened:
        yield opened


def register_gated(store: Store) -> ModelVersion:
    """A new pending version of ``ui-gated``, with no source run."""
    return store.registry.register(GATED, "file:///tmp/ui-gated/model.pkl", actor="ui-test")


def trail_rows(page: Any) -> list[list[str]]:
    return [row.locator("td").all_inner_texts() for row in page.locator("#trail tbody tr").all()]


def test_models_lists_each_model_with_its_latest_and_approved_versions(
    demo: Demo, page: Any, screenshots: Path
) -> None:
    page.goto(f"{demo.url}/models")
    row = page.locator(f'#models tbody tr[data-model="{MODEL}"]')
    row.wait_for()
    name, versions, latest, status, approved, updated = row.locator("td").all_inner_texts()
    assert (name, versions, latest, status, approved) == (MODEL, "1", "v1", "Approved", "v1")
    assert updated.startswith("20") and updated.endswith("Z")
    assert row.locator(".badge.Approved").count() == 1
    assert "null" not in page.locator("main").inner_text()
    page.screenshot(path=screenshots / "models.png", full_page=True)

    row.get_by_role("link", name="v1").first.click()
    page.wait_for_url(f"{demo.url}/models/{MODEL}/versions/1")
    page.locator("#trail tbody tr").first.wait_for()


def test_model_page_lists_versions_with_links_and_deployments_per_endpoint(
    demo: Demo, page: Any, store: Store
) -> None:
    version = store.registry.get(MODEL, 1)
    assert version.run_id is not None and version.experiment is not None and version.trials
    page.goto(f"{demo.url}/models/{MODEL}")
    row = page.locator('#versions tbody tr[data-version="1"]')
    row.wait_for()
    assert row.locator(".badge").inner_text() == "Approved"
    assert (
        row.get_by_role("link", name=str(version.run_id)).get_attribute("href") == f"/runs/{version.run_id}"
    )
    experiment = row.get_by_role("link", name=version.experiment, exact=True)
    assert experiment.get_attribute("href") == f"/experiments/{quote(version.experiment, safe='')}"
    trial = row.get_by_role("link", name=version.trials[0])
    assert trial.get_attribute("href") == (
        f"/experiments/{quote(version.experiment, safe='')}/trials/{quote(version.trials[0], safe='')}"
    )
    assert "val_auc" in row.inner_text()

    endpoint = page.locator('#deployments section[data-endpoint="fraud-detection"]')
    assert "serves v1 now" in endpoint.locator("h3").inner_text()
    deployed = endpoint.locator("tbody tr")
    assert deployed.count() == 1
    assert deployed.first.get_attribute("data-version") == "1"
    assert "serving now" in deployed.first.inner_text() and "local" in deployed.first.inner_text()


def test_model_page_shows_a_pending_version_its_aliases_and_no_deployments(
    demo: Demo, page: Any, store: Store
) -> None:
    gated = register_gated(store)
    store.registry.set_alias(GATED, "candidate", gated.version)
    page.goto(f"{demo.url}/models/{GATED}")
    row = page.locator(f'#versions tbody tr[data-version="{gated.version}"]')
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == f"v{gated.version}" and cells[1] == PENDING
    assert cells[3] == "none" and cells[6] == "candidate"
    assert page.locator("#deployments").inner_text() == "Not deployed yet."
    numbers = [
        int(v)
        for v in page.locator("#versions tbody tr").evaluate_all("rows => rows.map(r => r.dataset.version)")
    ]
    assert numbers == sorted(numbers, reverse=True) and gated.version in numbers


def test_version_page_shows_every_field_the_audit_trail_and_links(
    demo: Demo, page: Any, store: Store, screenshots: Path
) -> None:
    version = store.registry.get(MODEL, 1)
    registrant = version.history[0].actor
    assert registrant != "policy"
    page.goto(f"{demo.url}/models/{MODEL}/versions/1")
    page.locator("#trail tbody tr").first.wait_for()

    registered, approved = trail_rows(page)
    assert registered[:3] == ["—", PENDING, registrant] and registered[4] == "registered"
    assert approved[:3] == [PENDING, "Approved", "policy"]
    assert approved[4] == "approval policy matched: metrics.val_auc >= 0.9"

    def field(name: str) -> Any:
        return page.locator(f'#fields dd[data-field="{name}"]')

    assert field("status").inner_text() == "Approved"
    assert field("source").inner_text() == version.source_uri
    assert field("description").inner_text() == version.description
    assert field("run").locator("a").get_attribute("href") == f"/runs/{version.run_id}"
    assert (
        field("trials").locator("a").first.get_attribute("href").endswith(quote(version.trials[0], safe=""))
    )
    assert "val_auc" in field("metrics").inner_text()
    assert field("aliases").inner_text() == "none" and field("tags").inner_text() == "none"
    lineage = page.locator("#lineage-link").get_attribute("href")
    assert lineage == (
        f"/lineage?node={quote(f'mltrail://models/{MODEL}/versions/1', safe='')}&direction=ascendants"
    )
    deployed = page.locator("#deployments tbody tr")
    assert deployed.count() == 1 and "fraud-detection" in deployed.first.inner_text()
    assert "serving now" in deployed.first.inner_text()

    # Approved → Approved is not a transition: only Reject is offered.
    assert page.locator("#approve").is_disabled() and page.locator("#reject").is_enabled()
    page.screenshot(path=screenshots / "model-version.png", full_page=True)

    page.locator("#lineage-link").click()  # the explorer opens at the version (and rewrites its URL)
    page.wait_for_function(
        "(id) => location.pathname === '/lineage'"
        " && window.mltrailGraph && window.mltrailGraph.$id(id).length === 1",
        arg=f"dataset:mltrail://models:{MODEL}/versions/1",
    )


def test_approving_in_the_browser_appends_to_the_trail_and_moves_the_buttons(
    demo: Demo, page: Any, store: Store
) -> None:
    gated = register_gated(store)
    page.goto(f"{demo.url}/models/{GATED}/versions/{gated.version}")
    page.locator("#trail tbody tr").first.wait_for()
    assert page.locator("#approve").is_enabled() and page.locator("#reject").is_enabled()

    page.locator("#approve").click()  # no reason yet
    assert page.locator("#approval-message .error").inner_text() == "a reason is required"
    assert len(store.registry.get(GATED, gated.version).history) == 1

    page.locator("#reason").fill("checked by hand in the UI test")
    page.locator("#approve").click()
    page.locator("#trail tbody tr").nth(1).wait_for()
    assert trail_rows(page)[1][:3] == [PENDING, "Approved", "anonymous"]
    assert trail_rows(page)[1][4] == "checked by hand in the UI test"
    change = store.registry.get(GATED, gated.version).history[-1]
    assert (change.from_status, change.to_status) == (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    assert (change.actor, change.reason) == ("anonymous", "checked by hand in the UI test")
    assert page.locator("h1 .badge").inner_text() == "Approved"
    assert page.locator("#approve").is_disabled() and page.locator("#reject").is_enabled()
    assert page.locator("#reason").input_value() == ""

    page.locator("#reason").fill("reversed: drift")
    page.locator("#reject").click()
    page.locator("#trail tbody tr").nth(2).wait_for()
    assert trail_rows(page)[2][:3] == ["Approved", "Rejected", "anonymous"]
    assert store.registry.get(GATED, gated.version).status is ApprovalStatus.REJECTED
    assert page.locator("#approve").is_enabled() and page.locator("#reject").is_disabled()


def test_a_transition_refused_by_the_server_shows_its_message_and_the_current_state(
    demo: Demo, page: Any, store: Store
) -> None:
    gated = register_gated(store)
    page.goto(f"{demo.url}/models/{GATED}/versions/{gated.version}")
    page.locator("#trail tbody tr").first.wait_for()
    assert page.locator("#approve").is_enabled()
    # Someone else approves while the page is open: its Approve button is now stale.
    store.registry.update_approval(GATED, gated.version, "Approved", actor="someone-else", reason="first")

    page.locator("#reason").fill("too late")
    page.locator("#approve").click()
    error = page.locator("#approval-message .error")
    error.wait_for()
    assert error.inner_text() == "an approval status cannot go from Approved to Approved"
    assert len(store.registry.get(GATED, gated.version).history) == 2
    page.locator("#trail tbody tr").nth(1).wait_for()  # redrawn as the server has it
    assert trail_rows(page)[1][2] == "someone-else"
    assert page.locator("#approve").is_disabled() and page.locator("#reject").is_enabled()
