"""The command lines: demo seeding with behaviour, and the staff's privacy commands."""

import json
from datetime import datetime

from sqlalchemy import select

from bot.profiles import sentiment
from bot.profiles.__main__ import main as profiles_main
from bot.profiles.demo_behaviour import generate
from bot.profiles.events import add_events, count_events
from bot.profiles.shop_records import read_customers, read_orders
from bot.shop.db import ShopDatabase
from bot.shop.schema import Customer
from bot.shop.seed import main as seed_main
from tests.bot.conftest import NOW


def test_seed_command_adds_behaviour_to_the_demo_shop_only(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert seed_main(["--url", url, "--no-behaviour"]) == 0
    db = ShopDatabase(url)
    assert count_events(db) == 0
    assert seed_main(["--url", url]) == 0  # an existing demo shop without behaviour gets it
    assert count_events(db) > 20_000
    assert "Seeded demo behaviour" in capsys.readouterr().out
    with db.session() as session:
        assert len(session.execute(select(Customer.id)).scalars().all()) == 500

    real = ShopDatabase(f"sqlite:///{tmp_path / 'real.db'}")
    with real.session() as session:
        session.add(Customer(name="A Real Person", email="real@shop.example", created_at=datetime(2024, 1, 1)))
    assert seed_main(["--url", real.url]) == 0
    assert count_events(real) == 0  # never invent customers in a real shop's database
    assert profiles_main(["seed-behaviour", "--url", real.url]) == 1


def test_privacy_commands_show_export_delete(shop_db, catalog, capsys, sentiment_model, monkeypatch):
    monkeypatch.setattr(sentiment, "_shared", sentiment_model)  # the tests' model, never a long training
    add_events(shop_db, generate(catalog, read_customers(shop_db), read_orders(shop_db), now=NOW).events)
    email = "sam.lee@example.com"
    assert profiles_main(["show", "--email", email, "--url", shop_db.url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["owned_products"] and shown["consent"]["personalization"] is True
    assert profiles_main(["export", "--email", email, "--url", shop_db.url]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["customer"]["email"] == email and exported["behaviour_events"]
    assert profiles_main(["delete", "--email", email, "--url", shop_db.url]) == 0
    deleted = json.loads(capsys.readouterr().out)
    assert deleted["deleted"]["behaviour_events"] == len(exported["behaviour_events"])
    sam = exported["customer"]["id"]
    assert count_events(shop_db, sam) == 0 and count_events(shop_db) > 0
    assert profiles_main(["show", "--email", "nobody@example.com", "--url", shop_db.url]) == 1
