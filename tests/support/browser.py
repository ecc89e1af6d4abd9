"""Headless Chromium for the UI tests: Debian's ``chromium`` driven by Playwright.

Playwright's own browser downloads are not used: ``executable_path`` points at the system's
Chromium. As root, Chromium needs ``--no-sandbox``; ``--disable-background-networking`` keeps it
from calling out. Without Chromium the UI tests skip on a user's machine, and fail in CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from airflow_dags import DagResult

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
MISSING = "headless Chromium is not installed (Debian: apt-get install chromium); the UI tests need it"


@dataclass(frozen=True)
class Demo:
    """What the UI tests browse: the server's URL, its database, and the DAG run that filled it."""

    url: str
    tracking_uri: str
    dag: DagResult


def find_chromium() -> str | None:
    """The Chromium executable: ``MLTRAIL_CHROMIUM``, else the first candidate on PATH."""
    named = os.environ.get("MLTRAIL_CHROMIUM")
    if named:
        return named
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


@contextmanager
def launched() -> Iterator[Any]:
    """A Playwright Chromium browser for a test, closed at the end of the block.

    Without Chromium the test skips, or fails in CI.
    """
    from postgres import is_ci

    executable = find_chromium()
    if executable is None:
        if is_ci():
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    with chromium(executable) as browser:
        yield browser


@contextmanager
def chromium(executable: str) -> Iterator[Any]:
    """Headless Chromium at ``executable``, driven by Playwright (the UI benchmark uses it too)."""
    from playwright.sync_api import sync_playwright

    arguments = ["--disable-background-networking", "--disable-dev-shm-usage"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        arguments.append("--no-sandbox")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=arguments)
        try:
            yield browser
        finally:
            browser.close()
