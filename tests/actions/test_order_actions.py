"""The order-status and return forms through rasa-sdk, against the seeded SQLite shop."""

import re

import yaml
from sqlalchemy import select

from actions.order_actions import (
    ActionAskOrderId,
    ActionAskReturnItem,
    ActionOrderStatus,
    ActionSubmitReturn,
    ValidateOrderStatusForm,
    ValidateReturnForm,
)
from actions.base import client_key
from actions.handoff_actions import ActionHumanHandoff
from bot.dialogue import orders
from bot.privacy.redaction import mask_email
from bot.shop.tickets import get_ticket
from bot.shop.verification import make_token
from bot.shop.seed import DEMO_ORDERS
from tests.actions.conftest import make_tracker, run_action, slots_of
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RECENT = DEMO_ORDERS["delivered_recent"]
OLD = DEMO_ORDERS["delivered_old"]
SHIPPED = DEMO_ORDERS["shipped"]
OTHER_EMAIL = "someone.else@example.com"


def validate(action, form, slots, new_slots, sender="shopper-1", client=None):
    """One turn of a form: the slots extracted this turn are the ones set after the user event."""
    events = [{"event": "user", "text": "x"}] + [{"event": "slot", "name": k, "value": v} for k, v in new_slots.items()]
    metadata = {"shopbot": {"client": client, "channel": "rest"}} if client else {}
    tracker = make_tracker(slots={**slots, **new_slots, "requested_slot": None}, active_loop=form, events=events,
                           sender=sender, metadata=metadata)
    return run_action(action, tracker, DOMAIN)


def next_turn(slots):
    """The slots as the redacting tracker store gives them back on the next turn."""
    stored = dict(slots)
    if stored.get("email"):
        stored["email"] = mask_email(stored["email"])
    return stored


def test_right_email_verifies_and_the_status_is_shown(services):
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": "ord100345", "email": SHIPPED.email.upper()})
    slots = slots_of(events)
    assert slots["order_id"] == SHIPPED.id and slots["email"] == SHIPPED.email
    assert slots["verified_order"].startswith(SHIPPED.id + ":")
    assert not messages
    messages, _ = run_action(ActionOrderStatus(), make_tracker(slots=slots))
    assert SHIPPED.id in messages[0]["text"] and "UPS" in messages[0]["text"]


def test_wrong_email_reveals_nothing_and_asks_again(services):
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": RECENT.id, "email": "nope@example.com"})
    slots = slots_of(events)
    assert slots["order_id"] is None and slots["email"] is None and "order_lookup_locked" not in slots
    assert [m["text"] for m in messages] == [orders.NO_MATCH]
    assert "verified_order" not in slots or slots["verified_order"] is None


def test_third_miss_ends_the_form_and_offers_a_person(services):
    for attempt in range(3):
        messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": RECENT.id, "email": f"nope{attempt}@example.com"})
    slots = slots_of(events)
    assert slots["order_lookup_locked"] is True
    assert slots["requested_slot"] is None  # the form ends
    messages, events = run_action(ActionOrderStatus(), make_tracker(slots=slots))
    assert messages[0]["text"] == orders.GIVE_UP and messages[0]["buttons"][0]["payload"] == "/human_handoff"
    assert slots_of(events)["order_lookup_locked"] is None  # the next form run asks again ...
    # ... and is refused at once, whatever it is told: the count is in the database
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": RECENT.id, "email": RECENT.email})
    assert slots_of(events)["order_lookup_locked"] is True and not slots_of(events)["verified_order"]
    assert not messages


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
    assert slots["verified_order"].startswith(RECENT.id + ":")
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
    assert slots["verified_order"].startswith(OLD.id + ":") and slots["requested_slot"] is None
    messages, _ = run_action(ActionSubmitReturn(), make_tracker(slots=slots))
    assert "30-day return window" in messages[0]["text"]
    assert "RMA-" not in messages[0]["text"]


# --- the attacks of the security review, replayed through the actions -----------------

GUESSES = ["ORD-100001", "ORD-100002", "ORD-100003", "ORD-100004", "ORD-100005", SHIPPED.id]


def order_status_turn(order_id, email, sender, client=None):
    """The shopper answers both questions; the form validates and, when it ends, the rule
    runs action_order_status. Returns everything said and the slots after the turn."""
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {}, {"order_id": order_id, "email": email},
                                sender=sender, client=client)
    slots = slots_of(events)
    if slots.get("verified_order") or slots.get("requested_slot", "unset") is None:  # the form is done
        more, _ = run_action(ActionOrderStatus(), make_tracker(slots=slots, sender=sender))
        messages = messages + more
    return messages, slots


def test_guessing_a_known_emails_order_numbers_never_shows_the_order(services):
    """Six guesses with a known email, the sixth right, over form restarts and three
    conversations from one address: the tracking number never appears."""
    tracking = orders.verified_order(services.db, SHIPPED.id, SHIPPED.email, make_token(SHIPPED.id, SHIPPED.email)).tracking_number
    said = []
    for guess in GUESSES[:3]:
        said.append(order_status_turn(guess, SHIPPED.email, "attacker-1", client="client-1"))
    said.append(order_status_turn(GUESSES[5], SHIPPED.email, "attacker-1", client="client-1"))  # the form again
    for guess in GUESSES[3:5]:
        said.append(order_status_turn(guess, SHIPPED.email, "attacker-2", client="client-2"))
    said.append(order_status_turn(GUESSES[5], SHIPPED.email, "attacker-3", client="client-3"))
    texts = [" ".join(m.get("text") or "" for m in messages) for messages, _ in said]
    assert not any(tracking in text or "UPS" in text for text in texts)
    assert not any(slots.get("verified_order") for _, slots in said)
    assert texts == [orders.NO_MATCH, orders.NO_MATCH, orders.GIVE_UP, orders.GIVE_UP,
                     orders.NO_MATCH, orders.GIVE_UP, orders.GIVE_UP]


def test_the_client_limit_holds_across_conversations(services):
    for miss in range(10):
        order_status_turn(RECENT.id, f"guess{miss}@example.com", f"bot-{miss // 3}", client="one-address")
    messages, slots = order_status_turn(RECENT.id, RECENT.email, "bot-new", client="one-address")
    assert [m["text"] for m in messages] == [orders.GIVE_UP] and not slots.get("verified_order")
    messages, slots = order_status_turn(RECENT.id, RECENT.email, "bot-new", client=None)  # shell, tests: no address
    assert slots["verified_order"] and RECENT.id in messages[0]["text"]


def test_the_conversation_limit_holds_whatever_the_email(services):
    for miss in range(3):
        order_status_turn(OLD.id, f"other{miss}@example.com", "one-conversation")
    messages, slots = order_status_turn(OLD.id, OLD.email, "one-conversation")
    assert [m["text"] for m in messages] == [orders.GIVE_UP] and not slots.get("verified_order")


def verified_slots(order, sender="shopper-1"):
    _, events = validate(ValidateReturnForm(), "return_form", {}, {"order_id": order.id, "email": order.email}, sender=sender)
    slots = slots_of(events)
    assert slots["verified_order"]
    return slots


def test_swapping_the_email_after_verification_drops_it(services):
    """Verify your own order, then send /inform{"email": someone else's}: inside the form
    the new pair is looked up (and misses); the proof is gone."""
    slots = next_turn(verified_slots(RECENT, sender="swapper"))
    slots["return_item"] = "SKU-10001"  # chosen for the verified order
    messages, events = validate(ValidateReturnForm(), "return_form", slots, {"email": OTHER_EMAIL}, sender="swapper")
    after = {**slots, **slots_of(events)}
    assert after["verified_order"] is None and after["email"] is None and after["order_id"] is None
    assert [m["text"] for m in messages] == [orders.NO_MATCH]
    assert after["return_item"] is None


def test_a_stale_proof_with_a_swapped_email_shows_nothing(services):
    """However the email slot came to hold another address, nothing treats it as verified."""
    slots = next_turn(verified_slots(RECENT, sender="stale"))
    slots["email"] = OTHER_EMAIL
    messages, _ = run_action(ActionOrderStatus(), make_tracker(slots=slots, sender="stale"))
    assert RECENT.id not in messages[0]["text"] and "UPS" not in messages[0]["text"]
    messages, _ = run_action(ActionAskReturnItem(), make_tracker(slots=slots, active_loop="return_form"))
    assert messages == []  # no items of an order this conversation no longer proves
    messages, _ = run_action(ActionSubmitReturn(), make_tracker(slots={**slots, "return_item": "SKU-10001", "return_reason": "x"}))
    assert "RMA-" not in messages[0]["text"]


def ticket_of(messages, services):
    ticket_id = re.search(r"ticket (T-[A-Z0-9]{6})", messages[0]["text"]).group(1)
    return get_ticket(services.db, ticket_id)


def test_a_ticket_after_verification_names_only_the_verified_customer(services):
    slots = next_turn(verified_slots(RECENT, sender="ticket-ok"))  # the store masked the email
    events = [{"event": "user", "text": f"my email is {RECENT.email}, can a person help", "parse_data": {"intent": {"name": "human_handoff"}}}]
    messages, _ = run_action(ActionHumanHandoff(), make_tracker("/human_handoff", "human_handoff", slots=slots, events=events, sender="ticket-ok"))
    ticket = ticket_of(messages, services)
    assert ticket.customer_email == RECENT.email  # from the order in the database, not a slot


def test_a_ticket_after_an_email_swap_does_not_name_the_other_person(services):
    slots = next_turn(verified_slots(RECENT, sender="ticket-swap"))
    slots["email"] = OTHER_EMAIL
    events = [{"event": "user", "text": f'/inform{{"email":"{OTHER_EMAIL}"}}', "parse_data": {"intent": {"name": "inform"}}}]
    messages, _ = run_action(ActionHumanHandoff(), make_tracker("/human_handoff", "human_handoff", slots=slots, events=events, sender="ticket-swap"))
    ticket = ticket_of(messages, services)
    assert ticket.customer_email is None
    assert OTHER_EMAIL not in str(ticket.transcript) and OTHER_EMAIL not in ticket.reason


def test_the_return_form_works_across_turns_with_the_masked_email(services):
    """The redacting tracker store keeps only p***@example.com after the turn the address
    was typed in; the form, its questions and the return still work."""
    order = DEMO_ORDERS["return_in_progress"]  # one item still returnable, used by no other test here
    slots = next_turn(verified_slots(order, sender="masked"))
    assert slots["email"] == mask_email(order.email)
    [question], _ = run_action(ActionAskReturnItem(), make_tracker(slots=slots, active_loop="return_form"))
    offered = [re.search(r'"product_id":"([^"]+)"', b["payload"]).group(1) for b in question["buttons"]]
    view = orders.verified_order(services.db, order.id, slots["email"], slots["verified_order"])
    product_id = orders.returnable_items(view)[0].product_id
    assert product_id in offered
    messages, events = validate(ValidateReturnForm(), "return_form", slots, {"return_item": product_id}, sender="masked")
    slots = next_turn({**slots, **slots_of(events)})
    assert slots["return_item"] == product_id and slots["verified_order"] and not messages
    messages, events = validate(ValidateReturnForm(), "return_form", slots, {"return_reason": "Arrived damaged"}, sender="masked")
    slots = next_turn({**slots, **slots_of(events)})
    messages, _ = run_action(ActionSubmitReturn(), make_tracker(slots=slots, sender="masked"))
    assert re.search(r"RMA-[A-Z0-9]{6}", messages[0]["text"])


def test_an_email_from_an_earlier_turn_is_asked_again_not_guessed_with(services):
    """Email first, order number on a later turn: only the masked address is left, so the
    form asks for it again instead of counting a miss."""
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", {"email": mask_email(SHIPPED.email)},
                                {"order_id": SHIPPED.id}, sender="email-first")
    slots = slots_of(events)
    assert slots["order_id"] == SHIPPED.id and slots["email"] is None and not messages
    messages, events = validate(ValidateOrderStatusForm(), "order_status_form", next_turn(slots),
                                {"email": SHIPPED.email}, sender="email-first")
    assert slots_of(events)["verified_order"]
    with services.db.session() as session:
        from bot.shop.schema import LookupMiss

        assert session.execute(select(LookupMiss)).first() is None


def test_the_client_key_comes_only_from_server_set_metadata():
    assert client_key(make_tracker()) is None
    assert client_key(make_tracker(metadata={"shopbot": {"client": "abc"}})) == "abc"
    for junk in ({"client": "abc"}, {"shopbot": "abc"}, {"shopbot": {"client": 42}}, {"shopbot": {"client": ""}}):
        assert client_key(make_tracker(metadata=junk)) is None
