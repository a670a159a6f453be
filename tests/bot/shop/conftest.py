"""Fixtures for the shop database tests: a real SQLite file per test, seeded from the
project's own catalog (``bot.catalog.load_catalog()``)."""

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


@pytest.fixture
def db(empty_db, catalog, now):
    assert empty_db.seed_demo(catalog, now=now)
    return empty_db
