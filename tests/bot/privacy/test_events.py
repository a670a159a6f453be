"""Rasa event dicts (as stored and streamed) redacted without changing the live ones."""

import copy
import json

from bot.privacy.events import redact_event
from bot.privacy.redaction import ADDRESS, CARD, IBAN, PHONE

RAW = ["jane.doe@example.com", "Jane.Doe@Example.com", "4111", "555-123-4567", "5551234567",
       "GB82", "WEST", "12 Baker Street", "Baker Street"]

USER = {
    "event": "user", "timestamp": 1.0, "metadata": {"note": "from jane.doe@example.com"},
    "text": "I'm Jane.Doe@Example.com, card 4111.1111.1111.1111, IBAN GB82 WEST 1234 5698 7654 32",
    "parse_data": {
        "text": "I'm Jane.Doe@Example.com, card 4111.1111.1111.1111, IBAN GB82 WEST 1234 5698 7654 32",
        "intent": {"name": "inform", "confidence": 0.9},
        "intent_ranking": [{"name": "inform", "confidence": 0.9}],
        "entities": [{"entity": "email", "value": "Jane.Doe@Example.com", "start": 4, "end": 24,
                      "extractor": "RegexEntityExtractor"},
                     {"entity": "order_id", "value": "ORD-100345", "start": 0, "end": 1}],
    },
    "input_channel": "rest", "message_id": "3f2a",
}


def test_user_message_text_entities_and_metadata_are_redacted_in_a_copy():
    original = copy.deepcopy(USER)
    stored = redact_event(USER)
    assert USER == original  # the live event's dicts are shared with its as_dict(): untouched
    assert stored["text"] == f"I'm j***@example.com, card {CARD}, IBAN {IBAN}"
    assert stored["parse_data"]["text"] == stored["text"]
    assert stored["parse_data"]["entities"][0]["value"] == "j***@example.com"
    assert stored["parse_data"]["entities"][1]["value"] == "ORD-100345"
    assert stored["parse_data"]["intent"] == {"name": "inform", "confidence": 0.9}
    assert stored["metadata"] == {"note": "from j***@example.com"}
    assert stored.keys() == USER.keys()
    dumped = json.dumps(stored)
    for raw in RAW:
        assert raw not in dumped


def test_slots_bot_replies_and_entities_events_are_redacted():
    events = [
        {"event": "slot", "name": "email", "value": "Jane.Doe@Example.com", "timestamp": 2.0},
        {"event": "slot", "name": "email", "value": "jane.doe@localhost", "timestamp": 2.0},
        {"event": "slot", "name": "order_id", "value": "my number is 555-123-4567", "timestamp": 2.0},
        {"event": "slot", "name": "verified_order", "value": {"order": "ORD-100345", "phone": 5551234567}},
        {"event": "slot", "name": "products_in_focus", "value": ["12 Baker Street", "P-100"]},
        {"event": "slot", "name": "order_lookup_failures", "value": 2.0},
        {"event": "bot", "text": "I'll ship to 12 Baker Street, Jane.Doe@Example.com",
         "data": {"buttons": [{"title": "Call 555-123-4567", "payload": "/inform"}]}, "metadata": {}},
        {"event": "entities", "entities": [{"entity": "email", "value": "jane.doe@example.com"}]},
        {"event": "action", "name": "action_listen", "policy": "policy_1_RulePolicy", "confidence": 1.0},
    ]
    stored = [redact_event(event) for event in events]
    assert stored[0]["value"] == "j***@example.com" and stored[1]["value"] == "j***@localhost"
    assert stored[2]["value"] == f"my number is {PHONE}"
    assert stored[3]["value"] == {"order": "ORD-100345", "phone": PHONE}
    assert stored[4]["value"] == [ADDRESS, "P-100"]
    assert stored[5]["value"] == 2.0
    assert stored[6]["text"] == f"I'll ship to {ADDRESS}, j***@example.com"
    assert stored[6]["data"]["buttons"][0] == {"title": f"Call {PHONE}", "payload": "/inform"}
    assert stored[7]["entities"] == [{"entity": "email", "value": "j***@example.com"}]
    assert stored[8] == events[8]
    dumped = json.dumps(stored)
    for raw in RAW + ["jane.doe"]:
        assert raw.lower() not in dumped.lower()
