"""The demo shop as the assistant loads it, and its raw JSON for independent expectations.

Search tests compute what the right answer is from ``knowledge/catalog.json`` read as plain
JSON, never through the code under test."""

import json

import pytest

from bot import settings


@pytest.fixture(scope="session")
def raw_catalog():
    return json.loads((settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE).read_text())


@pytest.fixture(scope="session")
def demo_catalog():
    from bot.catalog import load_catalog

    return load_catalog(settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE)


@pytest.fixture(scope="session")
def demo_kg(demo_catalog):
    from bot.graph.knowledge_graph import KnowledgeGraph

    return KnowledgeGraph.from_catalog(demo_catalog)


@pytest.fixture(scope="session")
def search(demo_kg):
    from bot.recs.search import ProductSearch

    return ProductSearch(demo_kg)
