import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.shop.orders import find_order_for_customer
from bot.shop.returns import (
    OrderNotFound,
    ReturnError,
    ReturnNotAllowed,
    create_return,
    return_deadline,
    return_eligibility,
)
from bot.shop.schema import ReturnRequest
from bot.shop.seed import DEMO_ORDERS

JANE = "jane.doe@example.com"


def _view(db, key):
    demo = DEMO_ORDERS[key]
    return find_order_for_customer(db, demo.id, demo.email)


def test_recent_delivery_is_returnable_with_the_policy_facts(db, now):
    view = _view(db, "delivered_recent")
    item = view.items[0]
    result = return_eligibility(view, item.product_id, now=now)
    assert result.ok and result.reason_code == "ok"
    assert result.deadline == (now - timedelta(days=5)).date() + timedelta(days=30)
    for fact in ("free prepaid return label", "unused", "original packaging",
                 "original payment method", "5-7 business days", item.name):
        assert fact in result.message


def test_return_window_boundary_is_inclusive(db, now):
    view = _view(db, "delivered_recent")
    delivered = view.delivered_at
    last_day = delivered + timedelta(days=30)
    assert return_deadline(view) == last_day.date()
    assert return_eligibility(view, now=last_day.replace(hour=23, minute=59)).ok
    assert return_eligibility(view, now=last_day.replace(hour=0, minute=0)).ok
    late = return_eligibility(view, now=last_day.replace(hour=0, minute=0) + timedelta(days=1))
    assert not late.ok and late.reason_code == "window_closed"
    assert "30-day return window closed" in late.message
    assert return_eligibility(view, now=delivered + timedelta(days=29)).ok


def test_old_delivery_is_outside_the_window(db, now):
    result = return_eligibility(_view(db, "delivered_old"), now=now)
    assert not result.ok and result.reason_code == "window_closed"
    assert result.deadline == (now - timedelta(days=45)).date() + timedelta(days=30)


@pytest.mark.parametrize("key, code, words", [
    ("shipped", "not_delivered", "hasn't been delivered yet — you can return it within 30 days once it arrives"),
    ("out_for_delivery", "not_delivered", "once it arrives"),
    ("delayed", "not_delivered", "once it arrives"),
    ("shipped_canada", "not_delivered", "once it arrives"),
    ("processing", "not_shipped", "cancelled within 1 hour"),
    ("placed", "not_shipped", "cancelled within 1 hour"),
    ("cancelled", "cancelled", "was cancelled"),
    ("returned", "already_returned", "already been returned"),
])
def test_orders_that_cannot_be_returned_say_why(db, now, key, code, words):
    view = _view(db, key)
    result = return_eligibility(view, view.items[0].product_id, now=now)
    assert not result.ok and result.reason_code == code
    assert words in result.message and view.id in result.message


def test_item_not_on_the_order(db, now):
    view = _view(db, "delivered_recent")
    result = return_eligibility(view, "NOT-ON-ORDER", now=now)
    assert not result.ok and result.reason_code == "item_not_on_order"


def test_item_with_an_open_return_is_already_returned(db, now):
    view = _view(db, "return_in_progress")
    first, second = view.items
    assert first.return_rma and first.return_status == "label_sent"
    blocked = return_eligibility(view, first.product_id, now=now)
    assert not blocked.ok and blocked.reason_code == "already_returned"
    assert first.return_rma in blocked.message
    assert return_eligibility(view, second.product_id, now=now).ok
    assert return_eligibility(view, now=now).ok  # the order as a whole still has a returnable item


def test_rejected_return_does_not_block_a_new_one(db, now):
    view = _view(db, "return_in_progress")
    with db.session() as session:
        request = session.get(ReturnRequest, view.items[0].return_rma)
        request.status = "rejected"
    view = _view(db, "return_in_progress")
    assert view.items[0].return_rma is None
    assert return_eligibility(view, view.items[0].product_id, now=now).ok


def test_create_return_persists_and_then_blocks_a_second_one(db, now):
    view = _view(db, "delivered_recent")
    item = view.items[1]
    created = create_return(db, "#100234", "Jane.Doe@Example.com", item.product_id, "Changed my mind", now=now)
    assert re.fullmatch(r"RMA-[A-Z2-9]{6}", created.rma)
    assert created.product_name == item.name and created.quantity == item.qty
    assert created.refund_amount == round(item.qty * item.unit_price, 2)
    assert created.status == "requested" and JANE in created.label_note
    assert "prepaid return label" in created.label_note
    with db.session() as session:
        stored = session.execute(select(ReturnRequest).where(ReturnRequest.rma == created.rma)).scalar_one()
        assert (stored.order_id, stored.product_id, stored.reason) == ("ORD-100234", item.product_id,
                                                                        "Changed my mind")
    again = _view(db, "delivered_recent")
    assert again.item(item.product_id).return_rma == created.rma
    with pytest.raises(ReturnNotAllowed) as error:
        create_return(db, "ORD-100234", JANE, item.product_id, "again", now=now)
    assert error.value.eligibility.reason_code == "already_returned"


def test_rma_numbers_are_unique_and_not_sequential(db, now):
    rmas = []
    for key in ("delivered_recent", "return_in_progress"):
        view = _view(db, key)
        for item in view.items:
            if item.return_rma is None:
                rmas.append(create_return(db, view.id, view.email, item.product_id, None, now=now).rma)
    with db.session() as session:
        stored = session.execute(select(ReturnRequest.rma)).scalars().all()
    assert len(rmas) == 3 and len(set(stored)) == len(stored)
    assert set(rmas) <= set(stored)
    numbers = sorted(rmas)
    assert numbers[0][4:] != numbers[1][4:]


def test_create_return_checks_order_email_and_policy_again(db, now):
    view = _view(db, "delivered_recent")
    pid = view.items[0].product_id
    for order_id, email in (("ORD-100234", "sam.lee@example.com"), ("ORD-999999", JANE),
                            ("ORD-100234' OR '1'='1", JANE)):
        with pytest.raises(OrderNotFound):
            create_return(db, order_id, email, pid, "x", now=now)
    with pytest.raises(ReturnNotAllowed) as late:
        create_return(db, "ORD-100234", JANE, pid, "x", now=now + timedelta(days=40))
    assert late.value.eligibility.reason_code == "window_closed"
    with pytest.raises(ReturnError):
        create_return(db, "ORD-100234", JANE, "NOT-ON-ORDER", "x", now=now)
    shipped = _view(db, "shipped")
    with pytest.raises(ReturnNotAllowed) as early:
        create_return(db, shipped.id, shipped.email, shipped.items[0].product_id, "x", now=now)
    assert "once it arrives" in str(early.value)
    with db.session() as session:
        assert not session.execute(
            select(ReturnRequest).where(ReturnRequest.order_id.in_(["ORD-100234", shipped.id]))).first()


def test_eligibility_on_a_view_without_delivery_date(db, now):
    view = replace(_view(db, "delivered_recent"), delivered_at=None)
    assert return_eligibility(view, now=now).reason_code == "window_closed"
