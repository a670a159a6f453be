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
