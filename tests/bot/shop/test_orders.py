from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from bot.shop.orders import (
    describe_status,
    find_order_for_customer,
    normalize_email,
    normalize_order_id,
    orders_for_customer,
)
from bot.shop.schema import Customer, Order
from bot.shop.seed import DEMO_ORDERS

JANE = "jane.doe@example.com"


@pytest.mark.parametrize("text", ["ORD-100234", "ord100234", "#100234", "ord 100234", "ord-100234",
                                  " Ord #100234 ", "100234", "# 100234"])
def test_order_numbers_in_many_spellings(text):
    assert normalize_order_id(text) == "ORD-100234"


@pytest.mark.parametrize("text", ["", None, "ORD-12345", "ORD-1234567", "ORX-100234", "order 100234",
                                  "ORD-100234 and ORD-100345", "ORD-100234' OR '1'='1", "ORD-10023a",
                                  "'; DROP TABLE orders;--", "ORD--100234", 100234])
def test_malformed_order_numbers_are_none(text):
    assert normalize_order_id(text) is None


def test_email_normalisation():
    assert normalize_email("  Jane.Doe@Example.COM ") == JANE
    assert normalize_email("<jane.doe@example.com>") == JANE
    for bad in ("", None, "jane", "jane@", "@example.com", "jane doe@example.com", "a@b"):
        assert normalize_email(bad) is None


def test_lookup_with_the_right_email(db, now):
    view = find_order_for_customer(db, "ord 100234", "JANE.DOE@example.com ")
    assert view.id == "ORD-100234" and view.email == JANE
    assert view.status == "delivered" and view.status_label == "Delivered"
    assert view.items and all(item.qty >= 1 and item.unit_price > 0 for item in view.items)
    assert view.total == round(sum(i.qty * i.unit_price for i in view.items), 2)
    assert view.delivered_at.tzinfo is not None
    assert view.delivered_at == now - timedelta(days=5)
    assert view.carrier == "UPS" and view.tracking_url.endswith(view.tracking_number)


def test_wrong_email_unknown_id_and_foreign_order_look_the_same(db):
    other = DEMO_ORDERS["out_for_delivery"]  # Sam's order
    assert other.email != JANE
    assert find_order_for_customer(db, "ORD-100234", "sam.lee@example.com") is None
    assert find_order_for_customer(db, "ORD-100234", "nobody@example.com") is None
    assert find_order_for_customer(db, "ORD-999999", JANE) is None
    assert find_order_for_customer(db, other.id, JANE) is None
    assert find_order_for_customer(db, "ORD-100234", "") is None
    assert find_order_for_customer(db, "ORD-100234", None) is None
    assert find_order_for_customer(db, None, JANE) is None


@pytest.mark.parametrize("order_id, email", [
    ("ORD-100234' OR '1'='1", JANE),
    ("'; DROP TABLE orders;--", JANE),
    ("ORD-100234", "jane.doe@example.com' OR '1'='1"),
    ("ORD-100234", "x@example.com'; DROP TABLE customers;--"),
    ("ORD-100234 OR 1=1", "' OR ''='"),
])
def test_sql_injection_looking_input_finds_nothing_and_breaks_nothing(db, order_id, email):
    with db.session() as session:
        before = (session.execute(select(func.count(Order.id))).scalar_one(),
                  session.execute(select(func.count(Customer.id))).scalar_one())
    assert find_order_for_customer(db, order_id, email) is None
    if email != JANE:
        assert orders_for_customer(db, email) == []
    with db.session() as session:
        after = (session.execute(select(func.count(Order.id))).scalar_one(),
                 session.execute(select(func.count(Customer.id))).scalar_one())
    assert after == before
    assert {"orders", "customers"} <= set(inspect(db.engine).get_table_names())


def test_orders_for_customer_newest_first(db):
    orders = orders_for_customer(db, "Jane.Doe@example.com")
    ids = [o.id for o in orders]
    assert {"ORD-100234", "ORD-100117", "ORD-100345"} <= set(ids)
    assert all(o.email == JANE for o in orders)
    assert [o.placed_at for o in orders] == sorted((o.placed_at for o in orders), reverse=True)
    assert orders_for_customer(db, "nobody@example.com") == []


def _view(db, key):
    demo = DEMO_ORDERS[key]
    return find_order_for_customer(db, demo.id, demo.email)


def test_describe_status_for_every_demo_order(db, now):
    texts = {key: describe_status(_view(db, key), now) for key in DEMO_ORDERS}
    shipped = _view(db, "shipped")
    assert texts["shipped"] == (f"Your order {shipped.id} was shipped with UPS on May 12; "
                                f"tracking {shipped.tracking_number}; expected May 16.")
    assert texts["delivered_recent"] == "Your order ORD-100234 was delivered on May 9."
    assert "out for delivery with FedEx" in texts["out_for_delivery"]
    assert "being prepared" in texts["processing"]
    assert "delayed" in texts["delayed"] and "May 17" in texts["delayed"]
    assert "cancelled" in texts["cancelled"]
    assert "returned" in texts["returned"] and "5-7 business days" in texts["returned"]
    assert "Canada Post" in texts["shipped_canada"]
    for key, text in texts.items():
        assert DEMO_ORDERS[key].id in text


def test_describe_status_mentions_a_late_parcel_and_other_years(db, now):
    shipped = _view(db, "shipped")
    later = now + timedelta(days=5)
    assert "running late" in describe_status(shipped, later)
    assert "2025" in describe_status(_view(db, "delivered_recent"), now + timedelta(days=365))


def test_tracking_urls_per_carrier(db):
    urls = {key: _view(db, key).tracking_url for key in ("shipped", "out_for_delivery", "delayed",
                                                          "shipped_canada")}
    assert urls["shipped"].startswith("https://www.ups.com/")
    assert urls["out_for_delivery"].startswith("https://www.fedex.com/")
    assert urls["delayed"].startswith("https://tools.usps.com/")
    assert urls["shipped_canada"].startswith("https://www.canadapost-postescanada.ca/")
    assert _view(db, "processing").tracking_url is None


def test_the_shop_database_commits_in_wal_mode(db):
    """A commit no longer syncs the disk twice (the action server's loop waited on it)."""
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
