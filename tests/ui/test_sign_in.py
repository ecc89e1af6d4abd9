"""Signing in with an API token on a server that requires one for reads, and approving with its role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from browser import Demo
from live_server import live_server, wait_for_auth

from mltrail.store import Store

MODEL = "ui-auth"
READER = "dashboard"
APPROVER = "release-manager"


@dataclass(frozen=True)
class Locked:
    """A server that requires a token for reads, its store, and one token per role."""

    url: str
    store: Store
    reader: str
    approver: str


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Locked]:
    uri = f"sqlite:///{tmp_path_factory.mktemp('ui-auth') / 'mltrail.db'}"
    with Store(uri) as store, live_server(uri, require_auth_for_reads=True) as url:
        _, reader = store.tokens.create(READER, "reader")
        _, approver = store.tokens.create(APPROVER, "approver")
        wait_for_auth(url)
        yield Locked(url, store, reader, approver)


def pending_version(locked: Locked) -> str:
    """Register a pending version; its page's path."""
    version = locked.store.registry.register(MODEL, "file:///tmp/ui-auth/model.pkl", actor="ci").version
    return f"/models/{MODEL}/versions/{version}"


def sign_in(page: Any, token: str) -> None:
    page.locator("input[name=token]").fill(token)
    page.get_by_role("button", name="sign in").click()


def approve(page: Any, reason: str) -> None:
    page.locator("#trail tbody tr").first.wait_for()
    page.locator("#reason").fill(reason)
    page.locator("#approve").click()


def history(locked: Locked, path: str) -> list[Any]:
    return list(locked.store.registry.get(MODEL, int(path.rsplit("/", 1)[1])).history)


def test_every_page_sends_a_visitor_without_a_token_to_sign_in(locked: Locked, page: Any) -> None:
    path = pending_version(locked)
    for wanted in ("/models", f"/models/{MODEL}", path, "/"):
        page.goto(locked.url + wanted)
        page.wait_for_url(f"{locked.url}/sign-in?next={quote(wanted, safe='')}")
        page.locator("input[name=token]").wait_for()


def test_a_bad_token_is_refused_and_a_reader_reads_but_may_not_approve(locked: Locked, page: Any) -> None:
    path = pending_version(locked)
    page.goto(locked.url + path)
    page.wait_for_url(f"{locked.url}/sign-in?next={quote(path, safe='')}")

    sign_in(page, locked.reader + "x")
    error = page.locator("main .error")
    error.wait_for()
    assert error.inner_text() == "invalid, revoked or expired token"
    assert page.url.startswith(f"{locked.url}/sign-in?")
    assert page.evaluate("localStorage.getItem('mltrail.token')") is None

    sign_in(page, locked.reader)
    page.wait_for_url(locked.url + path)
    page.locator("#trail tbody tr").first.wait_for()
    assert page.locator("h1").inner_text().startswith(f"{MODEL} v")
    assert "signed in" in page.locator("#who").inner_text()

    approve(page, "a reader tries")
    refused = page.locator("#approval-message .error")
    refused.wait_for()
    assert refused.inner_text() == "a reader token may not do this; it needs approver or above"
    assert [change.to_status.value for change in history(locked, path)] == ["PendingManualApproval"]
    assert page.locator("#trail tbody tr").count() == 1 and page.locator("#approve").is_enabled()

    page.goto(f"{locked.url}/models")  # the token stays in the browser
    page.locator(f'#models tbody tr[data-model="{MODEL}"]').wait_for()


def test_an_approver_token_approves_as_its_name(locked: Locked, page: Any) -> None:
    path = pending_version(locked)
    page.goto(locked.url + path)
    page.wait_for_url(lambda url: url.startswith(f"{locked.url}/sign-in?next="))
    sign_in(page, locked.approver)
    page.wait_for_url(locked.url + path)
    page.wait_for_function(
        "() => (document.getElementById('signed-in') || {}).textContent"
        " === 'signed in as release-manager (approver) · '"
    )

    approve(page, "signed off by release management")
    page.locator("#trail tbody tr").nth(1).wait_for()
    assert page.locator("#trail tbody tr").nth(1).locator("td").nth(2).inner_text() == APPROVER
    change = history(locked, path)[-1]
    assert (change.to_status.value, change.actor) == ("Approved", APPROVER)
    assert change.reason == "signed off by release management"
    assert page.locator("#approve").is_disabled() and page.locator("#reject").is_enabled()


def test_a_bad_token_is_refused_at_sign_in_on_a_server_with_open_reads(demo: Demo, page: Any) -> None:
    page.goto(f"{demo.url}/sign-in")
    sign_in(page, "mlt_0123456789ab_not-a-token")
    page.locator("main .error").wait_for()
    assert page.locator("main .error").inner_text() == "invalid, revoked or expired token"
    assert page.evaluate("localStorage.getItem('mltrail.token')") is None
