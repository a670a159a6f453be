"""Handing over to a person: a ticket with a redacted transcript, and honest timing."""

from datetime import datetime, timezone

from bot.dialogue.handoff import handoff_reason, handoff_replies, transcript_from_events
from bot.shop.tickets import get_ticket

EVENTS = [
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "my card 4111 1111 1111 1111 was charged twice", "timestamp": 1.0,
     "parse_data": {"intent": {"name": "complaint"}}},
    {"event": "bot", "text": "I'm really sorry about that.", "timestamp": 2.0},
    {"event": "user", "text": "/human_handoff", "timestamp": 3.0, "parse_data": {"intent": {"name": "human_handoff"}}},
]


def test_transcript_keeps_the_messages_in_order():
    lines = transcript_from_events(EVENTS)
    assert [line["role"] for line in lines] == ["shopper", "bot", "shopper"]
    assert lines[0]["intent"] == "complaint"


def test_reason_is_the_last_real_message():
    assert handoff_reason(EVENTS).startswith("my card")
    assert handoff_reason([]) == "Shopper asked to talk to a person"


def test_ticket_is_created_with_a_redacted_transcript(shop_services):
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
    [reply] = handoff_replies(shop_services.db, "conv-42", EVENTS, email=None, now=saturday)
    ticket_id = reply.text.split("ticket ")[1].split(")")[0]
    assert ticket_id.startswith("T-")
    assert "Monday" in reply.text  # nobody is in on a Saturday: say when they are
    ticket = get_ticket(shop_services.db, ticket_id)
    assert ticket.conversation_id == "conv-42"
    stored = str(ticket.transcript)
    assert "4111 1111 1111 1111" not in stored and "charged twice" in stored


def test_handoff_replies_never_opt_in_to_wording(shop_services):
    from bot.dialogue.handoff import handoff_replies

    replies = handoff_replies(shop_services.db, "conv-wording", [], email=None)
    assert replies and not any(r.rephrase for r in replies)
