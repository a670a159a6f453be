"""Catalog tests run against the bundled knowledge dir, never against a developer's
imported files: every test gets its own empty SHOPBOT_VAR_DIR."""

from pathlib import Path

import pytest

from bot import settings

KNOWLEDGE = settings.BUNDLED_KNOWLEDGE_DIR
SAMPLES = KNOWLEDGE / "samples"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("SHOPBOT_VAR_DIR", str(var))
    monkeypatch.delenv("SHOPBOT_KNOWLEDGE_DIR", raising=False)
    return var


@pytest.fixture(scope="session")
def demo_catalog():
    from bot.catalog import load_catalog

    return load_catalog(KNOWLEDGE / settings.CATALOG_FILE)
