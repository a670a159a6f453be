"""Fixtures shared by the action-side tests: the project's own catalog, a fixed "now", and a
real, empty SQLite shop database per test (``tests/bot/shop`` and ``tests/bot/profiles`` seed it)."""

from datetime import datetime, timezone

import pytest

from bot.catalog import load_catalog
from bot.shop.db import ShopDatabase

# A Wednesday, 11am in New York: inside support hours.
NOW = datetime(2025, 5, 14, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def empty_db(tmp_path):
    db = ShopDatabase(f"sqlite:///{tmp_path / 'shop.db'}")
    yield db
    db.dispose()
