"""The marketing choice (``bot.privacy.marketing``) on a real seeded SQLite shop: opt-in by
default, one row per customer whatever wrote it (chat, widget, staff, import, card), apart
from personalization, and the demo seed's newsletter subscribers. Runs in both
environments, since both servers use this one declaration::

    .venv/bin/python -m pytest tests/bot/privacy/test_marketing.py
    .venv-actions/bin/python -m pytest tests/bot/privacy/test_marketing.py
"""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from bot.catalog import load_catalog
from bot.privacy import consent, marketing
from bot.shop.db import ShopDatabase

NOW = datetime(2025, 5, 14, 15, 0)


@pytest.fixture
def shop(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPBOT_MARKETING_DEFAULT", raising=False)
    db = ShopDatabase(f"sqlite:///{tmp_path / 'shop.db'}")
    assert db.seed_demo(load_catalog(), now=NOW.replace(tzinfo=timezone.utc))
    yield db
    db.dispose()


def emails(db):
    from sqlalchemy import select

    with db.engine.connect() as connection:
        return {int(r.id): r.email for r in connection.execute(select(marketing._CUSTOMERS))}


def test_offers_are_opt_in_by_default(monkeypatch):
    monkeypatch.delenv("SHOPBOT_MARKETING_DEFAULT", raising=False)
    assert marketing.default_marketing() is False
    for value, expected in (("on", True), ("1", True), ("Yes", True), ("true", True), ("off", False),
                            ("0", False), ("", False), ("maybe", False)):
        monkeypatch.setenv("SHOPBOT_MARKETING_DEFAULT", value)
        assert marketing.default_marketing() is expected, value


def test_a_database_without_the_table_reads_the_default(tmp_path):
    db = ShopDatabase(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        assert marketing.read_marketing(db, 1) == marketing.MarketingState(False, None, None)
        assert marketing.marketing_of(db, [1, 2]) == {1: False, 2: False}
        assert marketing.forget_marketing(db, 1) == 0
        assert not inspect(db.engine).has_table(marketing.CUSTOMER_MARKETING.name)
    finally:
        db.dispose()


def test_the_demo_seed_opts_in_its_newsletter_subscribers(shop):
    people = emails(shop)
    expected = {cid for cid, email in people.items()
                if email in marketing.DEMO_OPT_IN_EMAILS or cid % marketing.DEMO_OPT_IN_EVERY == 0}
    allowed = marketing.marketing_of(shop, people)
    assert {cid for cid, ok in allowed.items() if ok} == expected
    assert 0 < len(expected) < len(people)
    jane = next(cid for cid, email in people.items() if email == "jane.doe@example.com")
    assert marketing.read_marketing(shop, jane) == marketing.MarketingState(True, NOW, "import")
    others = [cid for cid in people if cid not in expected]
    assert all(marketing.read_marketing(shop, cid).updated_at is None for cid in others)  # never chose
    assert marketing.demo_opt_ins(shop, now=NOW + timedelta(days=1)) == len(expected)  # again: nothing changes
    assert marketing.read_marketing(shop, jane).updated_at == NOW


def test_every_way_of_choosing_writes_the_same_row(shop):
    sam = 2
    assert marketing.read_marketing(shop, sam).marketing is False
    for step, (value, source) in enumerate(((True, "widget"), (False, "card"), (True, "chat"), (False, "staff"),
                                            (True, "import"))):
        moment = NOW + timedelta(minutes=step)
        assert marketing.write_marketing(shop, sam, value, source, now=moment) == \
            marketing.MarketingState(value, moment, source)
        assert marketing.read_marketing(shop, sam) == marketing.MarketingState(value, moment, source)
        assert marketing.allows_offers(shop, sam) is value
    with shop.engine.connect() as connection:
        rows = connection.execute(marketing.CUSTOMER_MARKETING.select().where(
            marketing.CUSTOMER_MARKETING.c.customer_id == sam)).all()
    assert len(rows) == 1
    assert marketing.allows_offers(shop, None) is False


def test_it_is_apart_from_personalization(shop):
    sam = 2
    marketing.write_marketing(shop, sam, True, "widget", now=NOW)
    assert consent.read_consent(shop, sam).updated_at is None  # no personalization choice recorded
    consent.write_consent(shop, sam, False, source="widget", now=NOW)
    assert marketing.read_marketing(shop, sam).marketing is True


def test_unknown_customers_and_sources_are_refused(shop):
    with pytest.raises(ValueError):
        marketing.write_marketing(shop, 987654, True, "widget")
    with pytest.raises(ValueError):
        marketing.write_marketing(shop, 2, True, "a script")
    assert marketing.read_marketing(shop, 2).updated_at is None


def test_forgetting_leaves_offers_off(shop, monkeypatch):
    jane = 1
    assert marketing.read_marketing(shop, jane).marketing
    assert marketing.forget_marketing(shop, jane) == 1
    assert marketing.read_marketing(shop, jane) == marketing.MarketingState(False, None, None)
    assert marketing.forget_marketing(shop, jane) == 0
    assert marketing.marketing_of(shop, [3])[3] is True  # nobody else's
