import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.privacy.redaction import CARD, EMAIL, PHONE
from bot.shop.schema import Ticket
from bot.shop.tickets import (
    assign_ticket,
    close_ticket,
    create_ticket,
    get_ticket,
    open_tickets,
    support_status,
)

JANE = "jane.doe@example.com"


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_ticket_stores_a_redacted_transcript(empty_db, now):
    transcript = [
        {"sender": "user", "text": "I'm Jane.Doe@example.com, card 4111 1111 1111 1111"},
        {"sender": "bot", "text": "I can't take card numbers here."},
        {"sender": "user", "text": "call me on 555-123-4567 or mail my friend bob@mail.example.org"},
    ]
    ticket = create_ticket(empty_db, "conv-42", "refund question", transcript, customer_email=" Jane.Doe@Example.com",
                           now=now)
    assert re.fullmatch(r"T-[A-Z2-9]{6}", ticket.id)
    assert (ticket.status, ticket.customer_email, ticket.assigned_to) == ("open", JANE, None)
    assert ticket.created_at == now
    with empty_db.session() as session:
        stored = session.execute(select(Ticket).where(Ticket.id == ticket.id)).scalar_one().transcript
    text = " ".join(turn["text"] for turn in stored)
    assert "4111" not in text and "555-123" not in text and "bob@" not in text
    assert CARD in text and PHONE in text and EMAIL in text
    assert "Jane.Doe@example.com" in text  # the customer's own address stays for the reply
    assert stored == ticket.transcript == get_ticket(empty_db, ticket.id).transcript
    assert transcript[0]["text"].endswith("1111")  # the caller's list is not changed


def test_anonymous_tickets_redact_every_email_and_the_reason(empty_db):
    ticket = create_ticket(empty_db, "conv-1", "call 555-123-4567",
                           [{"sender": "user", "text": "I'm jane.doe@example.com"}])
    assert ticket.customer_email is None
    assert ticket.transcript[0]["text"] == f"I'm {EMAIL}"
    assert ticket.reason == f"call {PHONE}"


def test_open_tickets_queue_assign_and_close(empty_db, now):
    first = create_ticket(empty_db, "c1", "human", [], now=now)
    second = create_ticket(empty_db, "c2", "complaint", [{"sender": "user", "text": "hi"}],
                           now=now + timedelta(minutes=1))
    assert first.id != second.id
    assert [t.id for t in open_tickets(empty_db)] == [first.id, second.id]
    assigned = assign_ticket(empty_db, first.id, "alice")
    assert (assigned.status, assigned.assigned_to) == ("assigned", "alice")
    assert [t.id for t in open_tickets(empty_db)] == [first.id, second.id]
    assert close_ticket(empty_db, first.id).status == "closed"
    assert [t.id for t in open_tickets(empty_db)] == [second.id]
    assert close_ticket(empty_db, "T-NOPE00") is None and get_ticket(empty_db, "T-NOPE00") is None


@pytest.mark.parametrize("moment", [
    utc(2025, 5, 14, 15, 0),                       # Wednesday 11am EDT
    utc(2025, 5, 14, 13, 0),                       # 9:00 sharp
    utc(2025, 5, 14, 21, 59),                      # 5:59pm
    utc(2025, 3, 10, 13, 30),                      # Monday after spring-forward: 9:30 EDT
    utc(2025, 11, 3, 14, 30),                      # Monday after fall-back: 9:30 EST
    datetime(2025, 5, 14, 15, 0),                  # naive = UTC
])
def test_support_is_online_in_office_hours(moment):
    status = support_status(moment)
    assert status.online and status.next_opening is None
    assert status.message == "Our team is online now and will reply shortly."


@pytest.mark.parametrize("moment, when, opening_utc", [
    (utc(2025, 5, 14, 22, 0), "tomorrow (Thursday) 9am ET", utc(2025, 5, 15, 13, 0)),   # 6pm sharp
    (utc(2025, 5, 15, 1, 30), "tomorrow (Thursday) 9am ET", utc(2025, 5, 15, 13, 0)),   # Wed 9:30pm
    (utc(2025, 5, 15, 11, 0), "9am ET today", utc(2025, 5, 15, 13, 0)),                 # Thu 7am
    (utc(2025, 5, 16, 23, 0), "Monday 9am ET", utc(2025, 5, 19, 13, 0)),                # Friday evening
    (utc(2025, 5, 17, 16, 0), "Monday 9am ET", utc(2025, 5, 19, 13, 0)),                # Saturday
    (utc(2025, 5, 18, 16, 0), "tomorrow (Monday) 9am ET", utc(2025, 5, 19, 13, 0)),     # Sunday
    (utc(2025, 3, 8, 16, 0), "Monday 9am ET", utc(2025, 3, 10, 13, 0)),                 # weekend across DST start
    (utc(2025, 3, 10, 12, 30), "9am ET today", utc(2025, 3, 10, 13, 0)),                # 8:30 EDT (was 7:30 EST)
    (utc(2025, 11, 3, 13, 30), "9am ET today", utc(2025, 11, 3, 14, 0)),                # 8:30 EST
])
def test_support_is_offline_and_says_when_the_team_is_back(moment, when, opening_utc):
    status = support_status(moment)
    assert not status.online
    assert status.message == (
        f"Our team is available Monday to Friday, 9am–6pm ET; you'll hear from us by {when}.")
    assert status.next_opening == opening_utc
    assert status.next_opening.hour == 9


def test_support_status_defaults_to_now():
    assert isinstance(support_status().online, bool)
