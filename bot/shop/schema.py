"""Tables of the shop database, written so SQLAlchemy 1.4 and 2.0 read them the same.

Timestamps are stored as naive UTC (SQLite keeps no zone; PostgreSQL columns stay
``timestamp without time zone``) and turned into aware UTC values by the views.
Money is stored with two decimals and read back as float: it is only shown, never
summed across many rows, so a Decimal round trip buys nothing here.
The shipping address keeps city, region and country only: the assistant never needs
a street, and what is not stored cannot leak.
"""

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

ORDER_STATUSES = (
    "placed",
    "processing",
    "shipped",
    "out_for_delivery",
    "delivered",
    "cancelled",
    "returned",
    "delayed",
)
RETURN_STATUSES = ("requested", "label_sent", "received", "refunded", "rejected")
TICKET_STATUSES = ("open", "assigned", "closed")
CARRIERS = ("UPS", "FedEx", "USPS", "Canada Post")


def _one_of(column: str, values) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)  # constants, never user input
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{column}_allowed")


def _money() -> Numeric:
    return Numeric(10, 2, asdecimal=False)


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(120), nullable=False)
    email = Column(String(254), nullable=False, unique=True)  # always stored lowercased
    created_at = Column(DateTime, nullable=False)

    orders = relationship("Order", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (_one_of("status", ORDER_STATUSES),)

    id = Column(String(10), primary_key=True)  # "ORD-123456"
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    placed_at = Column(DateTime, nullable=False)
    shipped_at = Column(DateTime)
    delivered_at = Column(DateTime)
    estimated_delivery = Column(Date)
    carrier = Column(String(40))
    tracking_number = Column(String(40))
    ship_city = Column(String(80))
    ship_region = Column(String(80))
    ship_country = Column(String(2))  # ISO 3166-1 alpha-2
    total = Column(_money(), nullable=False)
    currency = Column(String(3), nullable=False, default="USD")

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")
    returns = relationship("ReturnRequest", back_populates="order", order_by="ReturnRequest.created_at")


class OrderItem(Base):
    __tablename__ = "order_items"

    id = Column(Integer, primary_key=True, autoincrement=True)
    order_id = Column(String(10), ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(String(64), nullable=False)
    product_name = Column(String(200), nullable=False)  # snapshot: the catalog may change later
    quantity = Column(Integer, nullable=False)
    unit_price = Column(_money(), nullable=False)

    order = relationship("Order", back_populates="items")


class ReturnRequest(Base):
    __tablename__ = "return_requests"
    __table_args__ = (_one_of("status", RETURN_STATUSES),)

    rma = Column(String(12), primary_key=True)  # "RMA-XXXXXX"
    order_id = Column(String(10), ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(String(64), nullable=False)
    quantity = Column(Integer, nullable=False)
    reason = Column(Text)
    status = Column(String(20), nullable=False)
    created_at = Column(DateTime, nullable=False)
    refund_amount = Column(_money(), nullable=False)

    order = relationship("Order", back_populates="returns")


class Ticket(Base):
    """A hand-over to human support; generic so a staff console can list, assign and close it."""

    __tablename__ = "tickets"
    __table_args__ = (_one_of("status", TICKET_STATUSES),)

    id = Column(String(10), primary_key=True)  # "T-XXXXXX"
    conversation_id = Column(String(128), nullable=False, index=True)
    customer_email = Column(String(254))
    reason = Column(String(200), nullable=False)
    status = Column(String(20), nullable=False, default="open", index=True)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime)
    transcript = Column(JSON, nullable=False)  # redacted before it is stored
    assigned_to = Column(String(120))


class LookupMiss(Base):
    """One failed (or still running) order lookup, counted against each key it carries.

    An attempt writes one row per key (kind ``email``, ``client`` or ``conversation``; the
    key is a keyed hash, never the raw value), so limits hold across forms, conversations
    and processes. Rows of a matched lookup are deleted again; see ``bot.shop.attempts``.
    """

    __tablename__ = "order_lookup_misses"
    __table_args__ = (Index("ix_order_lookup_misses_key", "kind", "key", "created_at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    attempt = Column(String(32), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    key = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)
