"""Personal data at rest, end to end: the real ``rasa run`` (endpoints.yml's tracker
store) and action server take messages full of personal data over REST; the tracker
database, read with sqlite3, holds none of it, while the order lookup still works."""

import json
import sqlite3
import urllib.request
import uuid

import pytest

pytest.importorskip("rasa")

from bot.shop.seed import DEMO_ORDERS  # noqa: E402

MESSAGES = [
    "my card is 4111.1111.1111.1111, can I pay with it?",
    "or take 4111  1111  1111  1111 or 4111/1111/1111/1111",
    "call me on +44 20 7946 0958 or 555-123-4567",
    "refund to my IBAN GB82 WEST 1234 5698 7654 32 please",
    "or to DE89370400440532013000",
    "ship it to 221B Baker Street, London",
    "my wife is mary.major@example.org",
]
# Raw forms (and their digits without separators), compared case-insensitively: long enough
# not to turn up by chance in confidences, timestamps or ids.
RAW = ["4111.1111", "4111  1111", "4111/1111", "4111111111111111", "20 7946 0958", "442079460958",
       "555-123-4567", "5551234567", "GB82 WEST", "GB82WEST", "1234 5698 7654", "DE89370400440532013000",
       "221B Baker", "Baker Street", "mary.major", "jane.doe"]


def post(url, payload):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=120))


def every_row(path):
    with sqlite3.connect(path) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {table: connection.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}


def test_conversations_are_stored_without_personal_data(rasa_server):
    webhook = f"{rasa_server['url']}/webhooks/rest/webhook"
    order = DEMO_ORDERS["delivered_recent"]

    # The order lookup verifies the e-mail the shopper types (raw, within the turn) ...
    shopper = f"shopper-{uuid.uuid4().hex[:8]}"
    post(webhook, {"sender": shopper, "message": f"where is my order {order.id}?"})
    replies = post(webhook, {"sender": shopper, "message": order.email})
    answer = " ".join(reply.get("text") or "" for reply in replies)
    assert order.id in answer or "deliver" in answer.lower(), answer

    # ... and everything else a shopper might paste is taken.
    other = f"shopper-{uuid.uuid4().hex[:8]}"
    for message in MESSAGES:
        assert post(webhook, {"sender": other, "message": message}) is not None

    rows = every_row(rasa_server["db"])
    assert rows.get("events"), "nothing was stored"
    dumped = json.dumps(rows, default=str).lower()
    for raw in RAW + [order.email, order.email.split("@")[0]]:
        assert raw.lower() not in dumped, f"{raw!r} is stored in the tracker database"
    # the placeholders and the masked addresses are what staff see instead
    assert "[card number]" in dumped and "[iban]" in dumped and "[address]" in dumped
    assert "[phone number]" in dumped and f"{order.email[0]}***@" in dumped and "m***@example.org" in dumped
