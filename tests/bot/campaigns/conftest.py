"""Fixtures for the campaign tests: the demo shop with 12 months of behaviour of its 500
customers in a real SQLite database (seeded once per session, copied per test), the
catalog, its knowledge graph, the profile service on that database and a campaign store."""

import shutil
from datetime import datetime

import pytest

from bot.campaigns.demo import DEMO_CAMPAIGN
from bot.campaigns.model import Campaign
from bot.campaigns.store import CampaignStore
from bot.graph.knowledge_graph import KnowledgeGraph
from bot.profiles.service import ProfileService
from bot.shop.db import ShopDatabase

# the demo data's "now" (naive UTC, as every shop table)
NOW = datetime(2025, 5, 14, 15, 0)


@pytest.fixture(scope="session")
def graph(catalog):
    return KnowledgeGraph.from_catalog(catalog)


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory, catalog):
    path = tmp_path_factory.mktemp("campaign-shop") / "shop.db"
    db = ShopDatabase(f"sqlite:///{path}")
    assert db.seed_demo(catalog, now=NOW, behaviour=True)
    db.dispose()
    return path


@pytest.fixture
def shop(tmp_path, seeded_file):
    path = tmp_path / "shop.db"
    shutil.copy(seeded_file, path)
    db = ShopDatabase(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def profiles(shop, catalog):
    return ProfileService(shop, catalog)


@pytest.fixture
def store(shop):
    return CampaignStore(shop)


@pytest.fixture
def demo():
    return Campaign.from_dict(DEMO_CAMPAIGN, status="active")
