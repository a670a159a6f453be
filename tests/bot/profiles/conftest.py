"""Fixtures for the profile tests: a real SQLite file per test, the project's own catalog."""

from datetime import datetime, timezone

import pytest

from bot.catalog import load_catalog
from bot.shop.db import ShopDatabase

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


@pytest.fixture
def shop_db(empty_db, catalog, now):
    """The demo shop's 25 customers and their orders, no behaviour yet."""
    assert empty_db.seed_demo(catalog, now=now)
    return empty_db
