"""Behaviour events: the stored round trip, validation and bulk speed."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

from bot.profiles.events import (
    BehaviourEvent, add_events, count_events, delete_events, load_events, load_events_after,
)
from bot.profiles.tables import BehaviourEventRow
from bot.shop.schema import Customer


def _customer_ids(db):
    with db.session() as session:
        return [c.id for c in session.execute(select(Customer).order_by(Customer.id)).scalars()]


def test_events_round_trip_oldest_first(shop_db, catalog):
    jane, sam = _customer_ids(shop_db)[:2]
    product = catalog.products[0].id
    t0 = datetime(2025, 1, 2, 10, 0)
    events = [
        BehaviourEvent(jane, "review", product, t0 + timedelta(hours=3), text="Great battery", rating=5),
        BehaviourEvent(jane, "search", None, t0, query="trail shoes"),
        BehaviourEvent(jane, "view", product, t0 + timedelta(hours=1)),
        BehaviourEvent(sam, "purchase", product, t0 + timedelta(hours=2)),
    ]
    assert add_events(shop_db, events) == 4

    loaded = load_events(shop_db, customer_id=jane)
    assert [e.kind for e in loaded] == ["search", "view", "review"]
    assert loaded[0] == events[1] and loaded[2] == events[0]
    assert loaded[2].rating == 5 and loaded[2].text == "Great battery"
    assert [e.kind for e in load_events(shop_db, since=t0 + timedelta(hours=2))] == ["purchase", "review"]
    assert count_events(shop_db) == 4 and count_events(shop_db, sam) == 1

    pairs = load_events_after(shop_db, jane, None)
    assert len(pairs) == 3
    assert load_events_after(shop_db, jane, max(i for i, _ in pairs)) == []


def test_aware_timestamps_are_stored_as_naive_utc(shop_db, catalog):
    jane = _customer_ids(shop_db)[0]
    aware = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    add_events(shop_db, [BehaviourEvent(jane, "view", catalog.products[0].id, aware)])
    (event,) = load_events(shop_db, jane)
    assert event.at == datetime(2025, 3, 1, 17, 0) and event.at.tzinfo is None


@pytest.mark.parametrize("bad, reason", [
    (dict(kind="like"), "unknown event kind"),
    (dict(kind="view", product_id=None), "needs a product"),
    (dict(kind="review", rating=6), "rating"),
])
def test_invalid_events_are_refused_and_nothing_is_stored(shop_db, catalog, bad, reason):
    jane = _customer_ids(shop_db)[0]
    fields = dict(customer_id=jane, kind="view", product_id=catalog.products[0].id, at=datetime(2025, 1, 1))
    good = BehaviourEvent(**fields)
    with pytest.raises(ValueError, match=reason):
        add_events(shop_db, [good, BehaviourEvent(**{**fields, **bad})])
    assert count_events(shop_db) == 0


def test_table_has_the_indexes_consumers_query_by(shop_db):
    indexes = {tuple(ix["column_names"]) for ix in inspect(shop_db.engine).get_indexes("behaviour_events")}
    assert ("customer_id", "at") in indexes and ("product_id",) in indexes


def test_bulk_add_of_100k_events_is_fast_and_delete_is_per_customer(shop_db, catalog):
    ids = _customer_ids(shop_db)
    products = [p.id for p in catalog.products]
    t0 = datetime(2024, 6, 1)
    events = [BehaviourEvent(ids[i % len(ids)], "view", products[i % len(products)], t0 + timedelta(minutes=i))
              for i in range(100_000)]
    started = time.perf_counter()
    add_events(shop_db, events)
    assert time.perf_counter() - started < 15  # ~2 s on one laptop core
    assert count_events(shop_db) == 100_000
    removed = delete_events(shop_db, ids[0])
    assert removed == 4000 and count_events(shop_db, ids[0]) == 0
    with shop_db.session() as session:
        left = session.execute(select(BehaviourEventRow.customer_id).distinct()).scalars().all()
    assert ids[0] not in left and len(left) == len(ids) - 1


def test_shop_reset_also_drops_the_events_that_point_at_its_customers(shop_db, catalog, now):
    jane = _customer_ids(shop_db)[0]
    add_events(shop_db, [BehaviourEvent(jane, "view", catalog.products[0].id, datetime(2025, 1, 1))])
    assert shop_db.seed_demo(catalog, now=now, reset=True)
    assert count_events(shop_db) == 0 and len(_customer_ids(shop_db)) == 25
