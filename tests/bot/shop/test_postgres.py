"""The same shop code against a real PostgreSQL server, in a throw-away database.

Needs a PostgreSQL driver (psycopg2) in the running environment and a server at
SHOPBOT_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres); skipped
with the reason otherwise. The Rasa environment (.venv) has psycopg2, so run it there too:
``.venv/bin/python -m pytest tests/bot/shop/test_postgres.py``.
"""

import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.shop.db import ShopDatabase
from bot.shop.orders import find_order_for_customer, orders_for_customer
from bot.privacy.redaction import CARD
from bot.shop.returns import ReturnNotAllowed, create_return, return_eligibility
from bot.shop.schema import ORDER_STATUSES, Order
from bot.shop.seed import DEMO_ORDERS
from bot.shop.tickets import create_ticket, open_tickets

ADMIN_URL = os.environ.get("SHOPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_db(catalog, now):
    psycopg2 = pytest.importorskip(
        "psycopg2", reason="no PostgreSQL driver (psycopg2) in this environment; "
                           "the Rasa environment .venv has one")
    from sqlalchemy.engine import make_url

    admin = make_url(ADMIN_URL)
    params = dict(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username or "postgres",
                  password=admin.password, dbname=admin.database or "postgres", connect_timeout=5)
    try:
        connection = psycopg2.connect(**params)
    except psycopg2.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {admin.render_as_string(hide_password=True)}: {error}")
    connection.autocommit = True
    name = f"shopbot_test_{uuid.uuid4().hex[:12]}"  # generated, not user input
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    db = ShopDatabase(admin.set(database=name).render_as_string(hide_password=False))
    try:
        assert db.seed_demo(catalog, now=now)
        yield db
    finally:
        db.dispose()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.close()


def test_core_flows_on_postgresql(pg_db, catalog, now):
    db = pg_db
    assert db.engine.dialect.name == "postgresql"
    assert db.seed_demo(catalog, now=now) is False
    with db.session() as session:
        assert set(session.execute(select(Order.status).distinct()).scalars()) == set(ORDER_STATUSES)

    view = find_order_for_customer(db, "ord 100234", "Jane.Doe@example.com")
    assert view.id == "ORD-100234" and view.delivered_at == now - timedelta(days=5)
    assert find_order_for_customer(db, "ORD-100234", "sam.lee@example.com") is None
    assert find_order_for_customer(db, "ORD-100234' OR '1'='1", "jane.doe@example.com") is None
    assert find_order_for_customer(db, "'; DROP TABLE orders;--", "x@example.com") is None
    with db.session() as session:
        assert session.execute(select(func.count(Order.id))).scalar_one() == 80
    assert len(orders_for_customer(db, "jane.doe@example.com")) >= 3

    item = view.items[0]
    assert return_eligibility(view, item.product_id, now=now + timedelta(days=25)).ok
    created = create_return(db, view.id, view.email, item.product_id, "too big", now=now)
    assert created.rma.startswith("RMA-")
    with pytest.raises(ReturnNotAllowed):
        create_return(db, view.id, view.email, item.product_id, "again", now=now)
    old = DEMO_ORDERS["delivered_old"]
    with pytest.raises(ReturnNotAllowed):
        create_return(db, old.id, old.email, find_order_for_customer(db, old.id, old.email).items[0].product_id,
                      "late", now=now)

    ticket = create_ticket(db, "conv-pg", "human", [{"sender": "user", "text": "card 4111111111111111"}],
                           customer_email="jane.doe@example.com", now=now)
    assert [t.id for t in open_tickets(db)] == [ticket.id]
    assert open_tickets(db)[0].transcript == [{"sender": "user", "text": f"card {CARD}"}]


def test_lookup_limits_and_verification_on_postgresql(pg_db, now):
    """The attempt table and the bound proof with PostgreSQL's types and transactions."""
    import threading

    from bot.shop.attempts import Limits, LookupGuard, lookup_keys
    from bot.shop.verification import make_token, verified_view

    guard = LookupGuard(pg_db, Limits({"email": 5, "client": 10, "conversation": 3}, timedelta(hours=1),
                                      timedelta(minutes=15)))
    jane = DEMO_ORDERS["shipped"]
    keys = lookup_keys(email=jane.email)
    ran = []

    def guess():
        guard.attempt(keys, lambda: ran.append(1) or None, now=now)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= len(ran) <= 5  # never more lookups than the limit, even all at once
    for _ in range(5 - len(ran)):  # attempts that refused each other left room: use it up
        guess()
    assert len(ran) == 5
    refused = guard.attempt(keys, lambda: find_order_for_customer(pg_db, jane.id, jane.email), now=now)
    assert refused.refused and refused.value is None
    assert guard.attempt(keys, lambda: "ok", now=now + timedelta(minutes=16)).value == "ok"

    token = make_token(jane.id, jane.email)
    assert verified_view(pg_db, token, jane.id, jane.email).id == jane.id
    assert verified_view(pg_db, token, jane.id, "sam.lee@example.com") is None
