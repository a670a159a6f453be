"""Fixtures for the shop database tests: a real SQLite file per test, seeded from the
project's own catalog (``bot.catalog.load_catalog()``)."""

import pytest


@pytest.fixture
def db(empty_db, catalog, now):
    assert empty_db.seed_demo(catalog, now=now)
    return empty_db
