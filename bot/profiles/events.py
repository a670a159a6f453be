"""The behaviour event contract: what a customer did in the shop, one immutable record each.

Everything downstream (profiles, recommenders, their offline evaluation) reads behaviour
only through ``BehaviourEvent`` and ``load_events``; the demo generator and the event log
importer write only through ``add_events``. Keeping the contract this small lets a shop
bring its own event log without touching any consumer.

Timestamps are naive UTC, like the rest of the shop schema (aware values are converted).
``add_events`` is a bulk insert (executemany in chunks), fast for ~100k rows on SQLite.

    from bot.profiles.events import BehaviourEvent, add_events, load_events
    add_events(db, [BehaviourEvent(1, "view", "p-123", datetime(2025, 1, 2, 10, 0))])
    events = load_events(db, customer_id=1)          # oldest first
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bot.profiles.tables import EVENT_KINDS, BehaviourEventRow, ensure_tables
from bot.shop.timeutil import to_db

__all__ = [
    "EVENT_KINDS", "BehaviourEvent", "add_events", "load_events", "load_events_after", "count_events",
    "delete_events", "session_scope",
]

_CHUNK = 5000
_TABLE = BehaviourEventRow.__table__


@dataclass(frozen=True)
class BehaviourEvent:
    customer_id: int
    kind: str                      # one of EVENT_KINDS
    product_id: Optional[str]      # None only for a search without a clicked product
    at: datetime                   # naive UTC, like the shop schema
    query: Optional[str] = None    # search text
    text: Optional[str] = None     # review text
    rating: Optional[int] = None   # review rating 1..5

    def problem(self) -> Optional[str]:
        """Why this event cannot be stored, or None when it is valid."""
        if self.kind not in EVENT_KINDS:
            return f"unknown event kind {self.kind!r} (expected one of {', '.join(EVENT_KINDS)})"
        if self.product_id is None and self.kind != "search":
            return f"a {self.kind} event needs a product"
        if self.rating is not None and not (isinstance(self.rating, int) and 1 <= self.rating <= 5):
            return f"rating {self.rating!r} is not a whole number from 1 to 5"
        if not isinstance(self.at, datetime):
            return f"timestamp {self.at!r} is not a datetime"
        return None


@contextmanager
def session_scope(session_or_db: Any) -> Iterator[Session]:
    """A session from a ``ShopDatabase`` (committed at the end) or the caller's own session."""
    if isinstance(session_or_db, Session):
        yield session_or_db
        return
    ensure_tables(session_or_db)
    with session_or_db.session() as session:
        yield session


def _row(event: BehaviourEvent) -> Dict[str, Any]:
    problem = event.problem()
    if problem:
        raise ValueError(f"cannot store {event!r}: {problem}")
    return {"customer_id": int(event.customer_id), "kind": event.kind, "product_id": event.product_id,
            "at": to_db(event.at), "query": event.query, "text": event.text, "rating": event.rating}


def add_events(session_or_db: Any, events: Iterable[BehaviourEvent]) -> int:
    """Store events in bulk; returns how many. Raises ValueError (nothing stored) on an invalid one."""
    rows = [_row(event) for event in events]
    if not rows:
        return 0
    with session_scope(session_or_db) as session:
        for start in range(0, len(rows), _CHUNK):
            session.execute(insert(_TABLE), rows[start:start + _CHUNK])
    return len(rows)


def _event(row: Any) -> BehaviourEvent:
    return BehaviourEvent(customer_id=row.customer_id, kind=row.kind, product_id=row.product_id, at=row.at,
                          query=row.query, text=row.text, rating=row.rating)


def _query(customer_id: Optional[int], since: Optional[datetime], after_id: Optional[int]):
    statement = select(_TABLE)
    if customer_id is not None:
        statement = statement.where(_TABLE.c.customer_id == int(customer_id))
    if since is not None:
        statement = statement.where(_TABLE.c.at >= to_db(since))
    if after_id is not None:
        statement = statement.where(_TABLE.c.id > int(after_id))
    return statement.order_by(_TABLE.c.at, _TABLE.c.id)


def load_events(session_or_db: Any, customer_id: Optional[int] = None,
                since: Optional[datetime] = None) -> List[BehaviourEvent]:
    """Events (of one customer, or all), at or after ``since`` when given, oldest first."""
    with session_scope(session_or_db) as session:
        return [_event(row) for row in session.execute(_query(customer_id, since, None))]


def load_events_after(session_or_db: Any, customer_id: int,
                      after_id: Optional[int]) -> List[Tuple[int, BehaviourEvent]]:
    """``(row id, event)`` pairs stored after row ``after_id`` (all when None), oldest first.

    Row ids grow with every insert, so they tell which events a profile has not seen yet
    even when an imported log brings events with old timestamps.
    """
    with session_scope(session_or_db) as session:
        return [(row.id, _event(row)) for row in session.execute(_query(customer_id, None, after_id))]


def count_events(session_or_db: Any, customer_id: Optional[int] = None) -> int:
    statement = select(func.count(_TABLE.c.id))
    if customer_id is not None:
        statement = statement.where(_TABLE.c.customer_id == int(customer_id))
    with session_scope(session_or_db) as session:
        return int(session.execute(statement).scalar_one())


def delete_events(session_or_db: Any, customer_id: int) -> int:
    """Remove every event of one customer (a privacy deletion); returns how many."""
    with session_scope(session_or_db) as session:
        result = session.execute(delete(_TABLE).where(_TABLE.c.customer_id == int(customer_id)))
        return int(result.rowcount or 0)
