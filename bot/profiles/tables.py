"""The profile package's tables, on the shop schema's ``Base`` so the shop database holds them.

They are declared here rather than in ``bot.shop.schema`` because only the action server
reads or writes them; the Rasa server's web app never imports this module. A table is
created by ``Base.metadata.create_all`` once this module has been imported, and
``ensure_tables(db)`` creates the missing ones for a database opened before that.

Timestamps are naive UTC, like every shop table.
"""

import weakref

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)

from bot.shop.schema import Base

EVENT_KINDS = ("view", "search", "cart_add", "purchase", "favourite", "review")
PREFERENCE_KINDS = ("brand", "category", "budget", "attribute")
POLARITIES = ("like", "dislike")


def _one_of(name: str, column: str, values) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)  # constants, never user input
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class BehaviourEventRow(Base):
    """One thing a customer did in the shop: viewed, searched, added to cart, bought, ..."""

    __tablename__ = "behaviour_events"
    __table_args__ = (
        _one_of("ck_behaviour_events_kind", "kind", EVENT_KINDS),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="ck_behaviour_events_rating"),
        Index("ix_behaviour_events_customer_at", "customer_id", "at"),
        Index("ix_behaviour_events_product", "product_id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    kind = Column(String(16), nullable=False)
    product_id = Column(String(64))  # None only for a search without a clicked product
    at = Column(DateTime, nullable=False)
    query = Column(String(300))      # search text
    text = Column(Text)              # review text
    rating = Column(Integer)         # review rating 1..5


class CustomerProfileRow(Base):
    """A customer's profile as of ``last_event_id``: decayed sums referenced to ``reference_at``.

    ``state`` is the builder's JSON (``bot.profiles.builder``); ``config`` the hash of the
    builder settings it was made with (another half-life or weight means a full rebuild).
    """

    __tablename__ = "customer_profiles"

    customer_id = Column(Integer, ForeignKey("customers.id"), primary_key=True)
    state = Column(JSON, nullable=False)
    last_event_id = Column(Integer, nullable=False, default=0)
    reference_at = Column(DateTime)
    config = Column(String(16), nullable=False)
    updated_at = Column(DateTime, nullable=False)


class StatedPreferenceRow(Base):
    """Something the shopper told the assistant: "I like Brooks", "no Apple", "under $150".

    ``kind`` brand / category / attribute: ``value`` is the catalog id (attribute:
    ``key=value``); budget: ``amount_min`` / ``amount_max``, optionally for one ``category``.
    One row per (customer, kind, value, category); stating it again updates it.
    """

    __tablename__ = "stated_preferences"
    __table_args__ = (
        _one_of("ck_stated_preferences_kind", "kind", PREFERENCE_KINDS),
        _one_of("ck_stated_preferences_polarity", "polarity", POLARITIES),
        UniqueConstraint("customer_id", "kind", "value", "category", name="uq_stated_preferences"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    value = Column(String(200), nullable=False, default="")
    polarity = Column(String(8), nullable=False, default="like")
    category = Column(String(64), nullable=False, default="")  # "" = any category
    amount_min = Column(Numeric(10, 2, asdecimal=False))
    amount_max = Column(Numeric(10, 2, asdecimal=False))
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class ConsentRow(Base):
    """The shopper's own choice about personalization; no row = the shop's default."""

    __tablename__ = "customer_consent"

    customer_id = Column(Integer, ForeignKey("customers.id"), primary_key=True)
    personalization = Column(Boolean, nullable=False)
    source = Column(String(32), nullable=False, default="chat")  # chat | widget | staff | import
    updated_at = Column(DateTime, nullable=False)


class ConversationSentimentRow(Base):
    """The mean sentiment of one conversation session of a customer (for the trend)."""

    __tablename__ = "conversation_sentiment"
    __table_args__ = (
        UniqueConstraint("customer_id", "conversation_id", "session_id", name="uq_conversation_sentiment"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(String(128), nullable=False)
    session_id = Column(String(64), nullable=False, default="")
    score_sum = Column(Float, nullable=False, default=0.0)
    turns = Column(Integer, nullable=False, default=0)
    started_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class SessionProfileRow(Base):
    """An anonymous (or not consenting) shopper's profile, kept for one conversation only.

    Rows expire ``SHOPBOT_SESSION_PROFILE_TTL_HOURS`` (default 24) after their last use and
    are purged whenever session profiles are read or written.
    """

    __tablename__ = "session_profiles"

    conversation_id = Column(String(128), primary_key=True)
    state = Column(JSON, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)


PROFILE_TABLES = [BehaviourEventRow.__table__, CustomerProfileRow.__table__, StatedPreferenceRow.__table__,
                  ConsentRow.__table__, ConversationSentimentRow.__table__, SessionProfileRow.__table__]


_ensured: "weakref.WeakSet" = weakref.WeakSet()


def ensure_tables(db) -> None:
    """Create the profile tables a database lacks (one opened before this module was imported).
    Checked once per engine and process."""
    if db.engine in _ensured:
        return
    Base.metadata.create_all(db.engine, tables=PROFILE_TABLES, checkfirst=True)
    _ensured.add(db.engine)
