import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.shop.orders import find_order_for_customer
from bot.shop.returns import return_eligibility
from bot.shop.schema import ORDER_STATUSES, Customer, Order, OrderItem, ReturnRequest
from bot.shop.seed import DEMO_CUSTOMERS, DEMO_ORDERS, TOTAL_ORDERS, pick_demo_products

ROOT = Path(__file__).resolve().parents[3]


def _counts(db):
    with db.session() as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Customer, Order, OrderItem, ReturnRequest))


def _snapshot(db):
    with db.session() as session:
        orders = session.execute(select(Order).order_by(Order.id)).scalars().all()
        return [(o.id, o.status, o.customer.email, o.placed_at, o.tracking_number, o.total,
                 [(i.product_id, i.quantity) for i in o.items]) for o in orders]


def test_seeding_fills_customers_and_orders_in_every_status(db):
    customers, orders, items, returns = _counts(db)
    assert customers == len(DEMO_CUSTOMERS) == 25
    assert orders == TOTAL_ORDERS
    assert items >= orders and returns >= 2
    with db.session() as session:
        statuses = Counter(session.execute(select(Order.status)).scalars())
        emails = session.execute(select(Customer.email)).scalars().all()
    assert set(statuses) == set(ORDER_STATUSES)
    assert all(email.endswith("@example.com") and email == email.lower() for email in emails)


def test_seeding_is_idempotent(db, catalog, now):
    before = (_counts(db), _snapshot(db))
    assert db.seed_demo(catalog, now=now) is False
    assert db.seed_demo(catalog, now=now + timedelta(days=3), seed=99) is False
    assert (_counts(db), _snapshot(db)) == before


def test_reset_reseeds_and_the_same_seed_gives_the_same_data(db, catalog, now, tmp_path):
    before = _snapshot(db)
    assert db.seed_demo(catalog, now=now, reset=True) is True
    assert _snapshot(db) == before
    other = type(db)(f"sqlite:///{tmp_path / 'other.db'}")
    other.seed_demo(catalog, now=now, seed=8)
    assert _snapshot(other) != before
    other.dispose()


def test_demo_orders_are_stable_and_documented(db, catalog, now):
    assert DEMO_ORDERS["delivered_recent"].id == "ORD-100234"
    assert DEMO_ORDERS["delivered_recent"].email == "jane.doe@example.com"
    known = {email for _, email in DEMO_CUSTOMERS}
    for key, demo in DEMO_ORDERS.items():
        view = find_order_for_customer(db, demo.id, demo.email)
        assert view is not None, key
        assert view.status == demo.status, key
        assert demo.email in known and demo.note
        for item in view.items:
            product = catalog.product(item.product_id)
            assert product is not None and item.unit_price == round(float(product.price), 2)
    assert len(find_order_for_customer(db, "ORD-100234", "jane.doe@example.com").items) == 2


def test_demo_products_are_the_first_in_stock_of_their_category(catalog):
    def first(category):
        stocked = [p for p in catalog.products if p.category == category and p.in_stock]
        return min(stocked, key=lambda p: p.id)

    phone, case = pick_demo_products(catalog, DEMO_ORDERS["delivered_recent"])
    assert (phone.id, case.id) == (first("phones").id, first("cases").id)
    assert [p.id for p in pick_demo_products(catalog, DEMO_ORDERS["delivered_recent"])] == [phone.id, case.id]


def test_demo_orders_cover_the_return_window_and_carriers(db, now):
    recent = find_order_for_customer(db, "ORD-100234", "jane.doe@example.com")
    old = find_order_for_customer(db, DEMO_ORDERS["delivered_old"].id, DEMO_ORDERS["delivered_old"].email)
    assert return_eligibility(recent, now=now).ok
    assert return_eligibility(old, now=now).reason_code == "window_closed"
    with db.session() as session:
        shipped = session.execute(
            select(Order).where(Order.status.in_(["shipped", "out_for_delivery", "delayed"]))).scalars().all()
        delivered = session.execute(select(Order).where(Order.status == "delivered")).scalars().all()
    assert shipped and all(o.carrier and o.tracking_number and o.shipped_at for o in shipped)
    assert {o.carrier for o in shipped} >= {"UPS", "FedEx", "USPS", "Canada Post"}
    ages = [(now.replace(tzinfo=None) - o.delivered_at).days for o in delivered]
    assert min(ages) <= 30 < max(ages)


def test_command_line_seeds_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def seed(*args):
        done = subprocess.run([sys.executable, "-m", "bot.shop.seed", "--url", url, *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "ORD-100234" in seed()
    assert "nothing written" in seed()
    assert "Seeded" in seed("--reset")
