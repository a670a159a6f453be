"""A customer's personalization choice as the Rasa server's widget API reads and writes it.

The chat ("stop personalizing") and the widget's Personalize switch must set the same
flag: the ``customer_consent`` table of the action server's profiles
(``bot.profiles.tables.ConsentRow``, written there through ``ProfileService.set_consent``).
The widget talks to the Rasa server, which must not import the action server's packages,
so the table is declared here once more, column for column (``tests/bot/privacy`` checks
that both declarations agree), with SQLAlchemy Core that works on 1.4 and 2.0.

Without a row, the shop's default applies: ``SHOPBOT_PERSONALIZATION_DEFAULT`` (``on``
unless ``off``/``0``/``false``/``no``), read exactly as ``bot.profiles.service`` reads it.
"""

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, select, update

_FALSE = ("0", "false", "no", "off")
_metadata = MetaData()
# only so the foreign key below has something to point at; never created from here
_CUSTOMERS = Table("customers", _metadata, Column("id", Integer, primary_key=True))
CUSTOMER_CONSENT = Table(
    "customer_consent", _metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("personalization", Boolean, nullable=False),
    Column("source", String(32), nullable=False, default="chat"),  # chat | widget | staff | import
    Column("updated_at", DateTime, nullable=False),
)
SOURCES = ("chat", "widget", "staff", "import")


def default_consent() -> bool:
    value = (os.environ.get("SHOPBOT_PERSONALIZATION_DEFAULT") or "on").strip().lower()
    return value not in _FALSE


@dataclass(frozen=True)
class ConsentState:
    personalization: bool
    updated_at: Optional[datetime]  # None: never chosen, the shop's default applies
    source: Optional[str]


def _engine(db: Any) -> Any:
    return getattr(db, "engine", db)


def customer_exists(db: Any, customer_id: int) -> bool:
    with _engine(db).connect() as connection:
        return connection.execute(select(_CUSTOMERS.c.id).where(_CUSTOMERS.c.id == int(customer_id))).first() is not None


def read_consent(db: Any, customer_id: int) -> ConsentState:
    engine = _engine(db)
    from sqlalchemy import inspect

    if not inspect(engine).has_table(CUSTOMER_CONSENT.name):
        return ConsentState(default_consent(), None, None)
    with engine.connect() as connection:
        row = connection.execute(select(CUSTOMER_CONSENT).where(
            CUSTOMER_CONSENT.c.customer_id == int(customer_id))).first()
    if row is None:
        return ConsentState(default_consent(), None, None)
    return ConsentState(bool(row.personalization), row.updated_at, row.source)


def write_consent(db: Any, customer_id: int, personalization: bool, source: str = "widget",
                  now: Optional[datetime] = None) -> ConsentState:
    """Record the customer's choice; raises ``ValueError`` for an unknown customer or source."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    engine = _engine(db)
    moment = now or datetime.now(timezone.utc).replace(tzinfo=None)
    if not customer_exists(engine, customer_id):
        raise ValueError(f"no customer with id {customer_id}")
    CUSTOMER_CONSENT.create(engine, checkfirst=True)  # the action server may not have made it yet
    values = {"personalization": bool(personalization), "source": source, "updated_at": moment}
    with engine.begin() as connection:
        changed = connection.execute(update(CUSTOMER_CONSENT).where(
            CUSTOMER_CONSENT.c.customer_id == int(customer_id)).values(**values)).rowcount
        if not changed:
            connection.execute(CUSTOMER_CONSENT.insert().values(customer_id=int(customer_id), **values))
    return ConsentState(bool(personalization), moment, source)
