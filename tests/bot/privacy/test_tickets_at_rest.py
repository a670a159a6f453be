"""Support tickets replayed with the formats the old redaction missed, read back from the
shop database with sqlite3: no raw card, IBAN or double-spaced number is stored."""

import json
import sqlite3

from bot.shop.db import ShopDatabase
from bot.shop.tickets import create_ticket

MISSED = [
    "card 4111.1111.1111.1111", "or 4111/1111/1111/1111", "or 4111  1111  1111  1111",
    "IBAN GB82 WEST 1234 5698 7654 32", "IBAN DE89370400440532013000", "call 555  123  4567",
    "I live at 221B Baker Street",
]
RAW = ["4111.1111", "4111/1111", "4111  1111", "GB82 WEST", "DE89370400440532013000", "555  123", "Baker Street"]


def test_tickets_store_no_raw_card_iban_phone_or_address(tmp_path):
    path = tmp_path / "shop.db"
    db = ShopDatabase(f"sqlite:///{path}")
    try:
        create_ticket(db, "conv-1", "refund to GB82 WEST 1234 5698 7654 32",
                      [{"sender": "user", "text": text} for text in MISSED],
                      customer_email="jane.doe@example.com")
    finally:
        db.dispose()
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT * FROM tickets").fetchall()
    dumped = json.dumps(rows)
    assert len(rows) == 1
    for raw in RAW:
        assert raw not in dumped, f"{raw!r} is stored in a ticket"
    assert "jane.doe@example.com" in dumped  # the customer's own address, to reply to
    for placeholder in ("[card number]", "[iban]", "[phone number]", "[address]"):
        assert placeholder in dumped
