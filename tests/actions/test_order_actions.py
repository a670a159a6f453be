"""The order-status and return forms through rasa-sdk, against the seeded SQLite shop."""

import re

import yaml

from actions.order_actions import (
    ActionAskOrderId,
    ActionAskReturnItem,
    ActionOrderStatus,
    ActionSubmitReturn,
    ValidateOrderStatusForm,
    ValidateReturnForm,
)
from bot.dialogue import orders
from bot.shop.seed import DEMO_ORDERS
from tests.actions.conftest import make_tracker, run_action, slots_of
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RECENT = DEMO_ORDERS["delivered_recent"]
OLD = DEMO_ORDERS["delivered_old"]
SHIPPED = DEMO_ORDERS["shipped"]


def validate(action, form, slots, new_slots):
    """One turn of a form: the slots extracted this turn are the ones set after the user event."""
    events = [{"event": "user", "text": "x"}] + [{"event": "slot", "name": k, "value": v} for k, v in new_slots.items()]
    tracker = make_tracker(slots={**slots, **new_slots, "requested_slot": None}, active_loop=form, events=events)
    return run_action(action, tracker, DOMAIN)


def test_right_email_verifies_and_the_status_is_shown(services):
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": "ord100345", "email": SHIPPED.email.upper()})
    slots = slots_of(events)
    assert slots["order_id"] == SHIPPED.id and slots["email"] == SHIPPED.email
    assert slots["verified_order"] == SHIPPED.id
    assert not messages
    messages, _ = run_action(ActionOrderStatus(), make_tracker(slots=slots))
    assert SHIPPED.id in messages[0]["text"] and "UPS" in messages[0]["text"]


def test_wrong_email_reveals_nothing_and_asks_again(services):
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": RECENT.id, "email": "nope@example.com"})
    slots = slots_of(events)
    assert slots["order_id"] is None and slots["email"] is None and slots["order_lookup_failures"] == 1
    assert [m["text"] for m in messages] == [orders.NO_MATCH]
    assert "verified_order" not in slots or slots["verified_order"] is None


def test_third_miss_ends_the_form_and_offers_a_person(services):
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {"order_lookup_failures": 2}, {"order_id": RECENT.id, "email": "nope@example.com"})
    slots = slots_of(events)
    assert slots["order_lookup_failures"] == 3
    assert slots["requested_slot"] is None  # the form ends
    messages, events = run_action(ActionOrderStatus(), make_tracker(slots=slots))
    assert messages[0]["buttons"][0]["payload"] == "/human_handoff"
    assert slots_of(events)["order_lookup_failures"] == 0


def test_malformed_order_number_is_explained(services):
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": "1234"})
    assert slots_of(events)["order_id"] is None
    assert "ORD-123456" in messages[0]["text"]


def test_form_questions_fit_the_form(services):
    [message], _ = run_action(ActionAskOrderId(), make_tracker(active_loop="return_form"))
    assert "return" in message["text"].lower()
    [message], _ = run_action(ActionAskOrderId(), make_tracker(active_loop="order_status_form"))
    assert "check" in message["text"].lower()


def test_return_inside_the_window_creates_an_rma(services):
    messages, events = validate(ValidateReturnForm(), "return_form", {}, {"order_id": RECENT.id, "email": RECENT.email})
    slots = slots_of(events)
    assert slots["verified_order"] == RECENT.id
    assert slots.get("requested_slot", "unset") is not None  # the form goes on
    [question], _ = run_action(ActionAskReturnItem(), make_tracker(slots=slots, active_loop="return_form"))
    payload = question["buttons"][0]["payload"]
    product_id = re.search(r'"product_id":"([^"]+)"', payload).group(1)
    messages, events = validate(ValidateReturnForm(), "return_form", slots, {"return_item": product_id})
    slots.update(slots_of(events))
    assert slots["return_item"] == product_id
    slots["return_reason"] = "Changed my mind"
    messages, events = run_action(ActionSubmitReturn(), make_tracker(slots=slots))
    assert re.search(r"RMA-[A-Z0-9]{6}", messages[0]["text"])
    assert slots_of(events) == {"return_item": None, "return_reason": None}


def test_return_outside_the_window_ends_the_form_with_the_reason(services):
    messages, events = validate(ValidateReturnForm(), "return_form", {}, {"order_id": OLD.id, "email": OLD.email})
    slots = slots_of(events)
    assert slots["verified_order"] == OLD.id and slots["requested_slot"] is None
    messages, _ = run_action(ActionSubmitReturn(), make_tracker(slots=slots))
    assert "30-day return window" in messages[0]["text"]
    assert "RMA-" not in messages[0]["text"]
