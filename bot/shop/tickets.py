"""Handing a conversation over to human support.

A ticket keeps who asked (if known), why, and the redacted conversation, so a person
can pick it up without asking the shopper to repeat themselves. The table is generic
(open -> assigned -> closed) so a staff console can list, assign and close tickets.
Support hours are Monday to Friday, 9am-6pm Eastern Time.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.shop.codes import unique_code
from bot.shop.orders import normalize_email
from bot.privacy.redaction import redact_text, redact_transcript
from bot.shop.schema import Ticket
from bot.shop.timeutil import to_db, utc, utcnow

SUPPORT_TZ = ZoneInfo("America/New_York")
SUPPORT_OPENS = time(9, 0)
SUPPORT_CLOSES = time(18, 0)
SUPPORT_DAYS = range(0, 5)  # Monday..Friday
HOURS_TEXT = "Monday to Friday, 9am–6pm ET"


@dataclass(frozen=True)
class TicketView:
    id: str
    conversation_id: str
    customer_email: Optional[str]
    reason: str
    status: str
    created_at: datetime
    transcript: List[Dict[str, Any]]
    assigned_to: Optional[str]


@dataclass(frozen=True)
class SupportStatus:
    online: bool
    message: str
    next_opening: Optional[datetime] = None  # aware, in ET; None while online


def create_ticket(db, conversation_id: str, reason: str, transcript: List[dict],
                  customer_email: Optional[str] = None, now: Optional[datetime] = None) -> TicketView:
    """Store a new open ticket; the transcript and reason are redacted before they are written."""
    email = normalize_email(customer_email)
    moment = utcnow(now)
    with db.session() as session:
        ticket = Ticket(
            id=unique_code(session, Ticket, "T-"),
            conversation_id=str(conversation_id)[:128],
            customer_email=email,
            reason=redact_text(str(reason or "other"), email)[:200],
            status="open",
            created_at=to_db(moment),
            updated_at=to_db(moment),
            transcript=redact_transcript(transcript, email),
            assigned_to=None,
        )
        session.add(ticket)
        session.flush()
        return _view(ticket)


def get_ticket(db, ticket_id: str) -> Optional[TicketView]:
    with db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        return _view(ticket) if ticket else None


def open_tickets(db) -> List[TicketView]:
    """Tickets not yet closed (open or assigned), oldest first: the staff queue."""
    with db.session() as session:
        rows = session.execute(
            select(Ticket).where(Ticket.status != "closed").order_by(Ticket.created_at, Ticket.id)
        ).scalars().all()
        return [_view(ticket) for ticket in rows]


def assign_ticket(db, ticket_id: str, staff: str, now: Optional[datetime] = None) -> Optional[TicketView]:
    return _update(db, ticket_id, now, status="assigned", assigned_to=staff)


def close_ticket(db, ticket_id: str, now: Optional[datetime] = None) -> Optional[TicketView]:
    return _update(db, ticket_id, now, status="closed")


def _update(db, ticket_id: str, now: Optional[datetime], **changes) -> Optional[TicketView]:
    with db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return None
        for key, value in changes.items():
            setattr(ticket, key, value)
        ticket.updated_at = to_db(utcnow(now))
        session.flush()
        return _view(ticket)


def _view(ticket: Ticket) -> TicketView:
    return TicketView(
        id=ticket.id,
        conversation_id=ticket.conversation_id,
        customer_email=ticket.customer_email,
        reason=ticket.reason,
        status=ticket.status,
        created_at=utc(ticket.created_at),
        transcript=list(ticket.transcript or []),
        assigned_to=ticket.assigned_to,
    )


def support_status(now: Optional[datetime] = None) -> SupportStatus:
    """Is a person available right now? If not, when will the shopper hear back?"""
    local = utcnow(now).astimezone(SUPPORT_TZ)
    if _is_open(local):
        return SupportStatus(True, "Our team is online now and will reply shortly.")
    opening = _next_opening(local)
    return SupportStatus(False, (
        f"Our team is available {HOURS_TEXT}; you'll hear from us by "
        f"{_when(opening, local)}."), opening)


def _is_open(local: datetime) -> bool:
    return local.weekday() in SUPPORT_DAYS and SUPPORT_OPENS <= local.time() < SUPPORT_CLOSES


def _next_opening(local: datetime) -> datetime:
    day = local.date()
    if local.weekday() in SUPPORT_DAYS and local.time() < SUPPORT_OPENS:
        return datetime.combine(day, SUPPORT_OPENS, tzinfo=SUPPORT_TZ)
    day += timedelta(days=1)
    while day.weekday() not in SUPPORT_DAYS:
        day += timedelta(days=1)
    # combine() with the zone gives the right offset on either side of a DST change.
    return datetime.combine(day, SUPPORT_OPENS, tzinfo=SUPPORT_TZ)


def _when(opening: datetime, local: datetime) -> str:
    hour = f"{opening.hour % 12 or 12}{'am' if opening.hour < 12 else 'pm'} ET"
    if opening.date() == local.date():
        return f"{hour} today"
    if opening.date() == local.date() + timedelta(days=1):
        return f"tomorrow ({opening:%A}) {hour}"
    return f"{opening:%A} {hour}"
