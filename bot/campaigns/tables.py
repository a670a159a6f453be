"""The campaign tables, beside the shop's in the same database, in SQLAlchemy Core.

Core, on a ``MetaData`` of their own, because both servers use them and run different
SQLAlchemy versions (1.4 in the Rasa server, 2.0 in the action server). ``customer_id``
has no foreign key: a campaign's record outlives an account (erasure removes the rows
by id, ``store.forget_customer``), and the shop's ``reset`` need not know these tables.

``BEHAVIOUR_EVENTS`` is the profiles' event log (``bot.profiles.tables``), declared here
by name and only the columns conversions read: the Rasa server must not import the
action server's packages. Declared, never created from here.

Timestamps are naive UTC, like every shop table.
"""

import weakref

from sqlalchemy import (
    JSON, Column, DateTime, Float, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text,
)

metadata = MetaData()

CAMPAIGNS = Table(
    "campaigns", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("mode", String(16), nullable=False, default="ab"),      # ab | bandit
    Column("status", String(16), nullable=False, default="draft"),  # draft | active | stopped
    Column("spec", JSON, nullable=False),                           # model.Campaign.to_dict()
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# one row per customer the campaign has placed: a variant, or "holdout"
ASSIGNMENTS = Table(
    "campaign_assignments", metadata,
    Column("campaign_id", String(64), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("variant", String(64), nullable=False),
    Column("method", String(16), nullable=False),  # hash | bandit
    Column("assigned_at", DateTime, nullable=False),
    PrimaryKeyConstraint("campaign_id", "customer_id", name="pk_campaign_assignments"),
)

# the message written for a customer and variant (bandit mode: one per variant)
MESSAGES = Table(
    "campaign_messages", metadata,
    Column("campaign_id", String(64), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("variant", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("path", String(16), nullable=False),        # generated | fallback | template
    Column("detail", String(500), nullable=False, default=""),
    Column("products", JSON, nullable=False),          # [{"id", "name", "price", "url", "reason"}]
    Column("written_at", DateTime, nullable=False),
    PrimaryKeyConstraint("campaign_id", "customer_id", "variant", name="pk_campaign_messages"),
)

# impressions and clicks, per delivery; conversions are read from the behaviour log
EVENTS = Table(
    "campaign_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("variant", String(64), nullable=False),
    Column("kind", String(16), nullable=False),       # impression | click
    Column("channel", String(16), nullable=False, default="chat"),  # chat | email
    Column("at", DateTime, nullable=False),
    Index("ix_campaign_events_campaign", "campaign_id", "variant", "kind"),
    Index("ix_campaign_events_customer", "customer_id", "campaign_id"),
)

# the bandit's persisted Beta counts per arm (successes = clicks, trials = impressions)
ARMS = Table(
    "campaign_arms", metadata,
    Column("campaign_id", String(64), nullable=False),
    Column("variant", String(64), nullable=False),
    Column("trials", Float, nullable=False, default=0.0),
    Column("successes", Float, nullable=False, default=0.0),
    PrimaryKeyConstraint("campaign_id", "variant", name="pk_campaign_arms"),
)

CAMPAIGN_TABLES = [CAMPAIGNS, ASSIGNMENTS, MESSAGES, EVENTS, ARMS]

BEHAVIOUR_EVENTS = Table(
    "behaviour_events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer),
    Column("kind", String(16)),
    Column("product_id", String(64)),
    Column("at", DateTime),
)

_ensured: "weakref.WeakSet" = weakref.WeakSet()


def ensure_tables(db) -> None:
    """Create the campaign tables a database lacks; once per engine and process."""
    if db.engine in _ensured:
        return
    metadata.create_all(db.engine, tables=CAMPAIGN_TABLES, checkfirst=True)
    _ensured.add(db.engine)

# The shop's customers (``bot.shop.schema.Customer``), by name, for the e-mail export's
# address and the message's first name. Declared, never created from here.
CUSTOMERS = Table(
    "customers", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(120)),
    Column("email", String(254)),
)
