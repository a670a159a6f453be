"""Reading and writing the profile tables; no decisions, only rows in and out.

Every function takes a SQLAlchemy session (the service opens one unit of work per call),
so a profile refresh and the preference it depends on are read consistently.
"""

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.profiles.profile import ConversationMood, StatedPreference
from bot.profiles.tables import (
    BehaviourEventRow, ConsentRow, ConversationSentimentRow, CustomerProfileRow, SessionProfileRow,
    StatedPreferenceRow,
)
from bot.shop.schema import Customer

# ------------------------------------------------------------------------------- profiles
StoredProfile = Tuple[Dict[str, Any], int, Optional[datetime], str]


def load_profile(session: Session, customer_id: int) -> Optional[StoredProfile]:
    row = session.get(CustomerProfileRow, int(customer_id))
    if row is None:
        return None
    return row.state, row.last_event_id, row.reference_at, row.config


def save_profile(session: Session, customer_id: int, state: Dict[str, Any], last_event_id: int,
                 reference_at: Optional[datetime], config: str, now: datetime) -> None:
    row = session.get(CustomerProfileRow, int(customer_id))
    if row is None:
        row = CustomerProfileRow(customer_id=int(customer_id))
        session.add(row)
    row.state = state
    row.last_event_id = last_event_id
    row.reference_at = reference_at
    row.config = config
    row.updated_at = now


def customer_exists(session: Session, customer_id: int) -> bool:
    return session.get(Customer, int(customer_id)) is not None


# ---------------------------------------------------------------------------- preferences
def _preference(row: StatedPreferenceRow) -> StatedPreference:
    return StatedPreference(row.kind, row.value, row.polarity, row.category, row.amount_min, row.amount_max,
                            row.updated_at)


def list_preferences(session: Session, customer_id: int) -> List[StatedPreference]:
    rows = session.execute(select(StatedPreferenceRow).where(StatedPreferenceRow.customer_id == int(customer_id))
                           .order_by(StatedPreferenceRow.created_at, StatedPreferenceRow.id)).scalars()
    return [_preference(row) for row in rows]


def upsert_preference(session: Session, customer_id: int, preference: StatedPreference, now: datetime) -> None:
    row = session.execute(select(StatedPreferenceRow).where(
        StatedPreferenceRow.customer_id == int(customer_id), StatedPreferenceRow.kind == preference.kind,
        StatedPreferenceRow.value == preference.value, StatedPreferenceRow.category == preference.category,
    )).scalar_one_or_none()
    if row is None:
        row = StatedPreferenceRow(customer_id=int(customer_id), kind=preference.kind, value=preference.value,
                                  category=preference.category, created_at=now)
        session.add(row)
    row.polarity = preference.polarity
    row.amount_min = preference.amount_min
    row.amount_max = preference.amount_max
    row.updated_at = now


def remove_preference(session: Session, customer_id: int, kind: str, value: str, category: str) -> bool:
    result = session.execute(delete(StatedPreferenceRow).where(
        StatedPreferenceRow.customer_id == int(customer_id), StatedPreferenceRow.kind == kind,
        StatedPreferenceRow.value == value, StatedPreferenceRow.category == category))
    return bool(result.rowcount)


# -------------------------------------------------------------------------------- consent
def load_consent(session: Session, customer_id: int) -> Optional[Tuple[bool, datetime, str]]:
    row = session.get(ConsentRow, int(customer_id))
    return (row.personalization, row.updated_at, row.source) if row is not None else None


def save_consent(session: Session, customer_id: int, personalization: bool, source: str, now: datetime) -> None:
    row = session.get(ConsentRow, int(customer_id))
    if row is None:
        row = ConsentRow(customer_id=int(customer_id))
        session.add(row)
    row.personalization = bool(personalization)
    row.source = source
    row.updated_at = now


# ------------------------------------------------------------------- conversation moods
def add_mood(session: Session, customer_id: int, conversation_id: str, session_id: str, score: float,
             now: datetime) -> None:
    row = session.execute(select(ConversationSentimentRow).where(
        ConversationSentimentRow.customer_id == int(customer_id),
        ConversationSentimentRow.conversation_id == conversation_id,
        ConversationSentimentRow.session_id == session_id)).scalar_one_or_none()
    if row is None:
        row = ConversationSentimentRow(customer_id=int(customer_id), conversation_id=conversation_id,
                                       session_id=session_id, score_sum=0.0, turns=0, started_at=now)
        session.add(row)
    row.score_sum = float(row.score_sum or 0.0) + float(score)
    row.turns = int(row.turns or 0) + 1
    row.updated_at = now


def list_moods(session: Session, customer_id: int, limit: Optional[int] = None) -> List[ConversationMood]:
    statement = (select(ConversationSentimentRow).where(ConversationSentimentRow.customer_id == int(customer_id))
                 .order_by(ConversationSentimentRow.started_at.desc(), ConversationSentimentRow.id.desc()))
    if limit:
        statement = statement.limit(limit)
    rows = list(session.execute(statement).scalars())
    return [ConversationMood(r.conversation_id, r.session_id, round(r.score_sum / max(1, r.turns), 4), r.turns,
                             r.started_at) for r in reversed(rows)]


# ------------------------------------------------------------------------ session profiles
def load_session_state(session: Session, conversation_id: str, now: datetime) -> Dict[str, Any]:
    session.execute(delete(SessionProfileRow).where(SessionProfileRow.expires_at <= now))
    row = session.get(SessionProfileRow, conversation_id)
    return dict(row.state) if row is not None else {}


def save_session_state(session: Session, conversation_id: str, state: Dict[str, Any], now: datetime,
                       ttl: timedelta) -> None:
    row = session.get(SessionProfileRow, conversation_id)
    if row is None:
        row = SessionProfileRow(conversation_id=conversation_id)
        session.add(row)
    row.state = state
    row.updated_at = now
    row.expires_at = now + ttl


# ------------------------------------------------------------------------------- privacy
def delete_customer_data(session: Session, customer_id: int, conversation_ids=()) -> Dict[str, int]:
    """Remove the profile, behaviour events (with review texts), stated preferences and
    conversation moods of one customer (and the given conversations' session profiles).
    The consent choice stays: deleting data must not switch personalization back on."""
    cid = int(customer_id)
    counts = {}
    for name, table, column in (
        ("customer_profiles", CustomerProfileRow.__table__, CustomerProfileRow.customer_id),
        ("behaviour_events", BehaviourEventRow.__table__, BehaviourEventRow.customer_id),
        ("stated_preferences", StatedPreferenceRow.__table__, StatedPreferenceRow.customer_id),
        ("conversation_sentiment", ConversationSentimentRow.__table__, ConversationSentimentRow.customer_id),
    ):
        counts[name] = int(session.execute(delete(table).where(column == cid)).rowcount or 0)
    ids = [c for c in conversation_ids if c]
    counts["session_profiles"] = int(session.execute(
        delete(SessionProfileRow).where(SessionProfileRow.conversation_id.in_(ids))).rowcount or 0) if ids else 0
    return counts
