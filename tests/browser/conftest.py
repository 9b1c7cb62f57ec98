"""Fixtures for browser tests (helpers in :mod:`lab`): Debian Chromium, Playwright, a page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .lab import CHROMIUM_FLAGS, ensure_chromium


@pytest.fixture(scope="module")
def chromium() -> Path:
    return ensure_chromium()


@pytest.fixture(scope="module")
def playwright_api():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.fail(
            "the Python package playwright is missing: pip install -e '.[test]' (the test extra has it)"
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser_page(chromium: Path, playwright_api) -> Iterator:
    """A Playwright page in headless Debian Chromium (1800 x 1150), with a private profile."""
    # Playwright gives every launch a fresh temporary profile (an empty user data dir)
    browser = playwright_api.chromium.launch(
        executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS
    )
    context = browser.new_context(viewport={"width": 1800, "height": 1150})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
        browser.close()
