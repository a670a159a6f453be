"""The profile package's tables, on the shop schema's ``Base`` so the shop database holds them.

They are declared here rather than in ``bot.shop.schema`` because only the action server
reads or writes them; the Rasa server's web app never imports this module. A table is
created by ``Base.metadata.create_all`` once this module has been imported, and
``ensure_tables(db)`` creates the missing ones for a database opened before that.

Timestamps are naive UTC, like every shop table.
"""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)

from bot.shop.schema import Base

EVENT_KINDS = ("view", "search", "cart_add", "purchase", "favourite", "review")


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


PROFILE_TABLES = [BehaviourEventRow.__table__]


def ensure_tables(db) -> None:
    """Create the profile tables a database lacks (one opened before this module was imported)."""
    Base.metadata.create_all(db.engine, tables=PROFILE_TABLES, checkfirst=True)
