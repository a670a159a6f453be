"""Browser fixtures for the web front's tests: one headless Chromium per session.

The system's Chromium is used (no browser download; CI installs the ``chromium``
package); tests that need it are skipped, saying so, only when it is missing.
Screenshots go to ``test-artifacts/screenshots/`` for a person to look at.
"""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def chromium_path():
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium driven by Playwright (sync API), one per test module: Playwright's
    sync API keeps an event loop running while it is open, where ``asyncio.run`` of the
    modules that follow would refuse to start."""
    executable = chromium_path()
    if not executable:
        pytest.skip("Chromium is not installed (apt-get install chromium): the widget's browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def screenshot():
    """``screenshot(page, name)`` saves what the viewport shows under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


