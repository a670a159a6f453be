"""The order-status and return conversations against a real, seeded SQLite shop."""

import re

import pytest

from bot.dialogue import orders
from bot.shop.seed import DEMO_ORDERS

RECENT = DEMO_ORDERS["delivered_recent"]
OLD = DEMO_ORDERS["delivered_old"]
SHIPPED = DEMO_ORDERS["shipped"]
OTHER = DEMO_ORDERS["out_for_delivery"]  # another customer's order


@pytest.mark.parametrize("text,expected", [
    ("ORD-100234", "ORD-100234"),
    ("ord100234", "ORD-100234"),
    ("#100234", "ORD-100234"),
    ("it's ord-100234 thanks", "ORD-100234"),
])
def test_order_numbers_are_normalized(text, expected):
    step = orders.check_order_id(text)
    assert step.slots == {"order_id": expected}
    assert not step.replies


@pytest.mark.parametrize("text", ["12345", "ORD-12", "'; DROP TABLE orders;--", "", None, "x" * 5000, 42])
def test_malformed_order_numbers_explain_the_format(text):
    step = orders.check_order_id(text)
    assert step.slots == {"order_id": None}
    assert "ORD-123456" in step.replies[0].text


def test_emails_are_read_from_an_answer():
    assert orders.check_email("it's Jane.Doe@Example.com thanks").slots == {"email": "jane.doe@example.com"}
    step = orders.check_email("jane at example dot com")
    assert step.slots == {"email": None} and step.replies


def test_matching_number_and_email_verifies_the_order(shop_services):
    step = orders.verify(shop_services.db, RECENT.id, RECENT.email, 0, None)
    assert step.slots == {"verified_order": RECENT.id, "order_lookup_failures": 0}
    assert not step.replies
    view = orders.verified_order(shop_services.db, RECENT.id, RECENT.email, RECENT.id)
    assert view is not None and view.id == RECENT.id


@pytest.mark.parametrize("order_id,email", [
    (RECENT.id, "someone.else@example.com"),      # wrong email
    ("ORD-999999", RECENT.email),                 # no such order
    (OTHER.id, RECENT.email),                     # another customer's order
    ("ORD-100234' OR '1'='1", RECENT.email),      # SQL-looking
])
def test_a_mismatch_reveals_nothing_and_counts(shop_services, order_id, email):
    step = orders.verify(shop_services.db, order_id, email, 0, None)
    assert step.slots["order_lookup_failures"] == 1
    assert step.slots["order_id"] is None and step.slots["email"] is None
    assert step.replies[0].text == orders.NO_MATCH  # the same words whatever the cause
    assert orders.verified_order(shop_services.db, order_id, email, None) is None


def test_three_misses_end_the_form_and_offer_a_person(shop_services):
    failures = 0
    for _ in range(orders.MAX_TRIES):
        step = orders.verify(shop_services.db, RECENT.id, "wrong@example.com", failures, None)
        failures = step.slots["order_lookup_failures"]
    assert failures == orders.MAX_TRIES and orders.gave_up(failures)
    assert not step.replies  # the submit action speaks
    [reply] = orders.give_up_replies()
    assert reply.buttons[0]["payload"] == "/human_handoff"


def test_a_verified_order_is_described(shop_services):
    view = orders.verified_order(shop_services.db, SHIPPED.id, SHIPPED.email, SHIPPED.id)
    text = " ".join(r.text for r in orders.order_status_replies(view))
    assert SHIPPED.id in text and "UPS" in text and view.tracking_number in text


def test_recent_delivery_is_returnable_and_creates_an_rma(shop_services):
    view = orders.verified_order(shop_services.db, RECENT.id, RECENT.email, RECENT.id)
    items = orders.returnable_items(view)
    assert items, "the recent delivery has returnable items"
    item = items[-1]
    # typed with a typo: still the right line of the order
    typed = item.name[:-1] if len(item.name) > 6 else item.name
    assert orders.match_item(view, typed) == item.product_id
    assert orders.check_return_item(view, "a product we never sold you").slots == {"return_item": None}
    [reply] = orders.submit_return(shop_services.db, RECENT.id, RECENT.email, RECENT.id, item.product_id, "Changed my mind")
    assert re.search(r"RMA-[A-Z0-9]{6}", reply.text)
    assert "prepaid return label" in reply.text and "5–7 business days" in reply.text
    # the same item again: already on its way back
    view = orders.verified_order(shop_services.db, RECENT.id, RECENT.email, RECENT.id)
    assert item.product_id not in [i.product_id for i in orders.returnable_items(view)]
    again = orders.check_return_item(view, item.product_id)
    assert again.slots == {"return_item": None} and again.replies


def test_old_delivery_is_outside_the_window(shop_services):
    view = orders.verified_order(shop_services.db, OLD.id, OLD.email, OLD.id)
    assert orders.returnable_items(view) == []
    [reply] = orders.submit_return(shop_services.db, OLD.id, OLD.email, OLD.id, None, None)
    assert "30-day return window" in reply.text
    assert reply.buttons[0]["payload"] == "/human_handoff"


def test_nothing_is_returned_without_verification(shop_services):
    [reply] = orders.submit_return(shop_services.db, RECENT.id, "wrong@example.com", None, "SKU-10001", "x")
    assert "RMA-" not in reply.text
