"""A customer's marketing choice: may the shop send them offers (campaign cards, e-mail)?

Separate from personalization (``bot.privacy.consent``): letting the assistant tailor its
answers is not agreeing to promotions, and promotional messages, e-mail above all, need
their own opt-in (GDPR, ePrivacy). A campaign reaches a customer only when both hold:
personalization (the segment is chosen from their profile) and marketing.

One table, ``customer_marketing_consent``, declared once, here, in SQLAlchemy Core that
works on 1.4 and 2.0, so both servers use this very declaration: the Rasa server (the
widget's Offers switch, the card's "No more offers" link) and the action server (the
chat, the campaign card and export, the shopper's rights). Every way of changing it writes
the same row, with where the choice was made (``source``).

Without a row the shop's default applies: ``SHOPBOT_MARKETING_DEFAULT``, **off** unless
``on``/``1``/``true``/``yes`` (opt-in). Deleting a customer's data removes the row, which
leaves offers off again under that default.
"""

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Optional

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, delete, select, update

_TRUE = ("1", "true", "yes", "on")
_metadata = MetaData()
# only so the foreign key below has something to point at; never created from here
_CUSTOMERS = Table("customers", _metadata, Column("id", Integer, primary_key=True),
                   Column("email", String(254)))
CUSTOMER_MARKETING = Table(
    "customer_marketing_consent", _metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("marketing", Boolean, nullable=False),
    Column("source", String(32), nullable=False, default="chat"),  # one of SOURCES
    Column("updated_at", DateTime, nullable=False),
)
SOURCES = ("chat", "widget", "staff", "import", "card")

# the demo shop's newsletter opt-ins (``demo_opt_ins``): named customers, and every third
# generated one, so the demo campaigns still reach someone
DEMO_OPT_IN_EMAILS = ("jane.doe@example.com", "maria.garcia@example.com", "priya.patel@example.com",
                      "noah.williams@example.com", "chloe.martin@example.com")
DEMO_OPT_IN_EVERY = 3


def default_marketing() -> bool:
    """The shop's setting for customers who have not chosen (``SHOPBOT_MARKETING_DEFAULT``, off)."""
    value = (os.environ.get("SHOPBOT_MARKETING_DEFAULT") or "off").strip().lower()
    return value in _TRUE


@dataclass(frozen=True)
class MarketingState:
    marketing: bool
    updated_at: Optional[datetime]  # None: never chosen, the shop's default applies
    source: Optional[str]

    def to_json(self) -> Dict[str, Any]:
        return {"marketing": self.marketing, "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "source": self.source, "default": default_marketing()}


def _engine(db: Any) -> Any:
    return getattr(db, "engine", db)


def _has_table(engine: Any) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table(CUSTOMER_MARKETING.name)


def ensure_table(db: Any) -> None:
    CUSTOMER_MARKETING.create(_engine(db), checkfirst=True)


def _now(now: Optional[datetime]) -> datetime:
    if now is None:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    return now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def read_marketing(db: Any, customer_id: int) -> MarketingState:
    engine = _engine(db)
    if not _has_table(engine):
        return MarketingState(default_marketing(), None, None)
    with engine.connect() as connection:
        row = connection.execute(select(CUSTOMER_MARKETING).where(
            CUSTOMER_MARKETING.c.customer_id == int(customer_id))).first()
    if row is None:
        return MarketingState(default_marketing(), None, None)
    return MarketingState(bool(row.marketing), row.updated_at, row.source)


def allows_offers(db: Any, customer_id: Optional[int]) -> bool:
    return customer_id is not None and read_marketing(db, customer_id).marketing


def marketing_of(db: Any, customer_ids: Iterable[int]) -> Dict[int, bool]:
    """Each customer's marketing choice (or the default), in one query (reports, exports)."""
    ids = sorted({int(c) for c in customer_ids})
    out = {cid: default_marketing() for cid in ids}
    engine = _engine(db)
    if not ids or not _has_table(engine):
        return out
    with engine.connect() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in connection.execute(select(CUSTOMER_MARKETING.c.customer_id, CUSTOMER_MARKETING.c.marketing)
                                          .where(CUSTOMER_MARKETING.c.customer_id.in_(chunk))):
                out[int(row.customer_id)] = bool(row.marketing)
    return out


def write_marketing(db: Any, customer_id: int, marketing: bool, source: str,
                    now: Optional[datetime] = None) -> MarketingState:
    """Record the customer's choice; raises ``ValueError`` for an unknown customer or source."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    engine = _engine(db)
    moment = _now(now)
    with engine.connect() as connection:
        known = connection.execute(select(_CUSTOMERS.c.id).where(_CUSTOMERS.c.id == int(customer_id))).first()
    if known is None:
        raise ValueError(f"no customer with id {customer_id}")
    ensure_table(engine)
    values = {"marketing": bool(marketing), "source": source, "updated_at": moment}
    with engine.begin() as connection:
        changed = connection.execute(update(CUSTOMER_MARKETING).where(
            CUSTOMER_MARKETING.c.customer_id == int(customer_id)).values(**values)).rowcount
        if not changed:
            connection.execute(CUSTOMER_MARKETING.insert().values(customer_id=int(customer_id), **values))
    return MarketingState(bool(marketing), moment, source)


def forget_marketing(db: Any, customer_id: int) -> int:
    """Delete the customer's choice (their data's erasure); offers are then the default, off."""
    engine = _engine(db)
    if not _has_table(engine):
        return 0
    with engine.begin() as connection:
        return int(connection.execute(delete(CUSTOMER_MARKETING).where(
            CUSTOMER_MARKETING.c.customer_id == int(customer_id))).rowcount or 0)


def demo_opt_ins(db: Any, now: Optional[datetime] = None) -> int:
    """Mark the demo shop's newsletter subscribers as opted in (source ``import``, as a shop
    imports its own opt-ins): the customers of ``DEMO_OPT_IN_EMAILS`` and every
    ``DEMO_OPT_IN_EVERY``-th customer by id. Returns how many."""
    engine = _engine(db)
    with engine.connect() as connection:
        people = connection.execute(select(_CUSTOMERS.c.id, _CUSTOMERS.c.email).order_by(_CUSTOMERS.c.id)).all()
    chosen = [int(r.id) for r in people if (r.email or "").lower() in DEMO_OPT_IN_EMAILS
              or int(r.id) % DEMO_OPT_IN_EVERY == 0]
    ensure_table(engine)
    moment = _now(now)
    with engine.begin() as connection:
        chosen_set = set(chosen)
        existing = {int(r.customer_id) for r in connection.execute(select(CUSTOMER_MARKETING.c.customer_id))}
        fresh = [cid for cid in chosen if cid not in existing]
        if fresh:
            connection.execute(CUSTOMER_MARKETING.insert(), [
                {"customer_id": cid, "marketing": True, "source": "import", "updated_at": moment} for cid in fresh])
    return len(chosen_set)
