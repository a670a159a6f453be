"""Whole conversations through the real `rasa run` (REST) and the real action server,
over the seeded demo shop: what the shopper actually reads."""

import json
import re
import urllib.request
import uuid

import pytest

from bot.catalog import load_catalog
from bot.shop.seed import DEMO_ORDERS
from tests.conftest import ROOT

RECENT = DEMO_ORDERS["delivered_recent"]
OLD = DEMO_ORDERS["delivered_old"]
SHIPPED = DEMO_ORDERS["shipped"]
# Locked by the guessing test below for the rest of the session: no other test uses it.
CANADA = DEMO_ORDERS["shipped_canada"]


class Shopper:
    def __init__(self, url):
        self.url = f"{url}/webhooks/rest/webhook"
        self.sender = f"shopper-{uuid.uuid4()}"

    def say(self, message):
        request = urllib.request.Request(
            self.url, data=json.dumps({"sender": self.sender, "message": message}).encode(),
            headers={"Content-Type": "application/json"})
        replies = json.load(urllib.request.urlopen(request, timeout=180))
        assert replies, f"no reply to {message!r}"
        assert "Traceback" not in json.dumps(replies)
        return replies

    def text(self, message):
        return "\n".join(r.get("text") or "" for r in self.say(message))


def buttons_of(replies):
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def slot_values(rasa_server, sender, name):
    """Every value the stored conversation ever gave a slot, in order (from Rasa's
    SQL tracker store, the table the staff console reads too)."""
    import sqlite3

    with sqlite3.connect(rasa_server["db"]) as connection:
        rows = connection.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' ORDER BY id", (sender,)).fetchall()
    values = []
    for (data,) in rows:
        event = json.loads(data)
        if event.get("name") == name:
            values.append(event.get("value"))
    return values


def ticket_in(rasa_server, text):
    from bot.shop.db import ShopDatabase
    from bot.shop.tickets import get_ticket

    ticket_id = re.search(r"ticket (T-[A-Z0-9]{6})", text).group(1)
    db = ShopDatabase(rasa_server["env"]["SHOPBOT_DATABASE_URL"])
    try:
        return get_ticket(db, ticket_id)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "knowledge" / "catalog.json")


def test_store_question(rasa_server):
    text = Shopper(rasa_server["url"]).text("do you ship to canada?")
    assert "Canada" in text and "US" in text


def test_product_question_gets_the_catalog_price_and_a_card(rasa_server, catalog):
    phone = catalog.products_in("phones")[0]
    replies = Shopper(rasa_server["url"]).say(f"how much is the {phone.display_name}?")
    assert any(f"${phone.price:,.2f}" in (r.get("text") or "") for r in replies)
    cards = [c for r in replies if r.get("custom") for c in r["custom"]["products"]]
    assert cards and cards[0]["id"] == phone.id


def test_rasa_shell_gets_the_product_answer_without_the_card_json(rasa_server, catalog):
    """`rasa shell` (input channel "cmdline", what its messages carry) printed the whole
    card payload after every product answer; it gets the text only, other channels the cards."""
    phone = catalog.products_in("phones")[0]
    body = {"sender": f"shell-{uuid.uuid4()}", "message": f"how much is the {phone.display_name}?",
            "input_channel": "cmdline"}
    request = urllib.request.Request(f"{rasa_server['url']}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    replies = json.load(urllib.request.urlopen(request, timeout=180))
    assert any(f"${phone.price:,.2f}" in (r.get("text") or "") for r in replies)
    assert not any(r.get("custom") for r in replies)


def test_comparison(rasa_server, catalog):
    a, b = catalog.products_in("phones")[:2]
    text = Shopper(rasa_server["url"]).text(f"compare the {a.display_name} and the {b.display_name}")
    assert a.display_name in text and b.display_name in text


def test_order_status_with_the_right_email(rasa_server):
    shopper = Shopper(rasa_server["url"])
    assert "order number" in shopper.text("where is my order?")
    assert "email" in shopper.text(SHIPPED.id)
    text = shopper.text(SHIPPED.email)
    assert SHIPPED.id in text and "UPS" in text


def test_order_status_with_the_wrong_email_reveals_nothing(rasa_server):
    shopper = Shopper(rasa_server["url"])
    shopper.text(f"can you check order {SHIPPED.id} for me")
    text = shopper.text("not.the.owner@example.com")
    assert "couldn't find an order" in text
    assert "UPS" not in text and "shipped" not in text.lower()
    shopper.text(SHIPPED.id)
    shopper.text("still.wrong@example.com")
    shopper.text(SHIPPED.id)
    replies = shopper.say("third.wrong@example.com")
    assert any(b["payload"] == "/human_handoff" for r in replies for b in r.get("buttons") or [])


def test_hostile_order_number_is_explained(rasa_server):
    shopper = Shopper(rasa_server["url"])
    shopper.text("where is my order")
    text = shopper.text("'; DROP TABLE orders;--")
    assert "ORD-123456" in text or "order number" in text


def test_return_inside_the_window(rasa_server):
    shopper = Shopper(rasa_server["url"])
    shopper.text("I want to return something")
    shopper.text(RECENT.id)
    replies = shopper.say(RECENT.email)
    item_buttons = [b for r in replies for b in r.get("buttons") or []]
    assert item_buttons, replies
    replies = shopper.say(item_buttons[0]["payload"])
    reason = [b for r in replies for b in r.get("buttons") or []][0]["payload"]
    text = shopper.text(reason)
    assert re.search(r"RMA-[A-Z0-9]{6}", text) and "prepaid return label" in text


def test_return_outside_the_window(rasa_server):
    shopper = Shopper(rasa_server["url"])
    shopper.text("I'd like to return an item")
    shopper.text(OLD.id)
    text = shopper.text(OLD.email)
    assert "30-day return window" in text and "RMA-" not in text


def test_handoff_creates_a_ticket(rasa_server):
    text = Shopper(rasa_server["url"]).text("I want to talk to a human")
    assert re.search(r"ticket T-[A-Z0-9]{6}", text)


# --- the security review's attacks, replayed against the real servers ------------------

GIVE_UP_WORDS = "I've stopped here to keep your orders safe"


def look_up(shopper, order_id, email):
    assert "email" in shopper.text(order_id)
    return shopper.say(email)


def test_guessing_order_numbers_for_a_known_email_never_shows_the_order(rasa_server):
    """A known email and order numbers guessed until the sixth is right, over form
    restarts and new conversations: the order never shows, every refusal reads alike."""
    guesses = ["ORD-101118", "ORD-101119", "ORD-101120", "ORD-101121", "ORD-101122", CANADA.id]
    said = []
    first = Shopper(rasa_server["url"])
    assert "order number" in first.text("where is my order?")
    for guess in guesses[:3]:
        said.append(look_up(first, guess, CANADA.email))
    first.text("where is my order?")  # the form again, in the same conversation
    said.append(look_up(first, guesses[5], CANADA.email))
    second = Shopper(rasa_server["url"])  # a new conversation
    second.text("where is my order?")
    for guess in guesses[3:5]:
        said.append(look_up(second, guess, CANADA.email))
    third = Shopper(rasa_server["url"])
    third.text("where is my order?")
    said.append(look_up(third, guesses[5], CANADA.email))

    texts = ["\n".join(r.get("text") or "" for r in replies) for replies in said]
    for text in texts:
        assert "Canada Post" not in text and "Toronto" not in text and "shipped" not in text.lower()
    stopped = [GIVE_UP_WORDS in text for text in texts]
    assert stopped == [False, False, True, True, False, True, True]
    assert all("couldn't find an order" in text for text, stop in zip(texts, stopped) if not stop)
    assert all("/human_handoff" in buttons_of(replies) for replies, stop in zip(said, stopped) if stop)
    assert texts[-1] == texts[2]  # the right pair while locked reads exactly like a miss
    for shopper in (first, second, third):
        assert not any(slot_values(rasa_server, shopper.sender, "verified_order"))


def test_an_email_sent_after_verification_changes_nobody(rasa_server):
    """Verify your own order, then /inform{"email": someone else's}: the slots keep the
    verified customer, and the ticket names only them."""
    shopper = Shopper(rasa_server["url"])
    shopper.text("where is my order?")
    shopper.text(SHIPPED.id)
    assert "UPS" in shopper.text(SHIPPED.email)
    shopper.say('/inform{"email": "someone.else@example.com"}')
    assert "someone.else@example.com" not in slot_values(rasa_server, shopper.sender, "email")
    text = shopper.text("I want to talk to a person")
    ticket = ticket_in(rasa_server, text)
    assert ticket.customer_email == SHIPPED.email
    assert "someone.else@example.com" not in json.dumps(ticket.transcript)


def test_payloads_cannot_set_protected_slots(rasa_server):
    forged = f"{SHIPPED.id}:0123456789abcdef0123456789abcdef"
    shopper = Shopper(rasa_server["url"])
    shopper.say(json.dumps({"verified_order": forged, "order_lookup_locked": False, "order_id": SHIPPED.id,
                            "email": SHIPPED.email}).join(["/inform", ""]))
    for name in ("verified_order", "order_lookup_locked", "order_id", "email"):
        assert not any(slot_values(rasa_server, shopper.sender, name)), name
    text = shopper.text("where is my order?")
    assert "order number" in text and "UPS" not in text


def test_restart_gets_an_answer_and_the_conversation_goes_on(rasa_server):
    shopper = Shopper(rasa_server["url"])
    shopper.text("where is my order?")
    assert "start over" in shopper.text("/restart")
    assert "order number" in shopper.text("where is my order?")
