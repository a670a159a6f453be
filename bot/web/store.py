"""The web front's own tables: feedback on bot replies and shoppers' consent.

They live in the shop database (``bot.settings.database_url()``), next to the tables
of ``bot.shop``, but on their own declarative ``Base`` so this module owns its schema
and the Rasa environment (SQLAlchemy 1.4) and the action server's (2.0) both read it.
Tables are created on first use.
"""

import datetime
import threading
from typing import Any, Dict, Optional

from sqlalchemy import Boolean, Column, DateTime, Integer, String, UniqueConstraint, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base

from bot import settings

Base = declarative_base()

FEEDBACK_VALUES = ("up", "down")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Feedback(Base):
    """A shopper's thumbs up/down on one bot reply; clicking again changes it."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("sender_id", "bot_event_ts", name="uq_feedback_turn"),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    # the bot event's timestamp identifies the turn (it is what the history API returns)
    bot_event_ts = Column(String(32), nullable=False)
    value = Column(String(8), nullable=False)
    created_at = Column(DateTime, nullable=False, default=_now)


class Consent(Base):
    """Whether a shopper allows personalization (a later feature builds profiles on it)."""

    __tablename__ = "consent"

    shopper_id = Column(String(128), primary_key=True)
    personalization = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False, default=_now)


class ProductClick(Base):
    """A shopper opened a product card the assistant showed (recommendation clicks)."""

    __tablename__ = "product_clicks"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    product_id = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=_now)


def turn_key(ts: Any) -> str:
    """A bot event timestamp as a stable string key (float seconds, 6 decimals)."""
    return f"{float(ts):.6f}"


class WebStore:
    """Feedback and consent, on one engine; schema created lazily, once."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or settings.database_url()
        self._engine: Optional[Engine] = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                if self.url.startswith("sqlite:///"):
                    from pathlib import Path

                    Path(self.url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(self.url, future=True)
                Base.metadata.create_all(engine)
                self._engine = engine
            return self._engine

    def set_feedback(self, sender_id: str, turn: Any, value: str) -> Dict[str, Any]:
        """Store (or change) the feedback on one turn; returns what is stored."""
        if value not in FEEDBACK_VALUES:
            raise ValueError(f"value must be one of {FEEDBACK_VALUES}")
        key = turn_key(turn)
        with Session(self.engine) as session:
            row = session.execute(
                select(Feedback).where(Feedback.sender_id == sender_id, Feedback.bot_event_ts == key)
            ).scalar_one_or_none()
            if row is None:
                row = Feedback(sender_id=sender_id, bot_event_ts=key, value=value, created_at=_now())
                session.add(row)
            else:
                row.value = value
                row.created_at = _now()
            session.commit()
            return {"sender_id": sender_id, "turn": float(key), "value": value}

    def feedback_for(self, sender_id: str) -> Dict[str, str]:
        """``{turn key: up|down}`` of one conversation (the widget restores its thumbs)."""
        with Session(self.engine) as session:
            rows = session.execute(select(Feedback).where(Feedback.sender_id == sender_id)).scalars()
            return {row.bot_event_ts: row.value for row in rows}

    def add_click(self, sender_id: str, product_id: str) -> Dict[str, Any]:
        with Session(self.engine) as session:
            session.add(ProductClick(sender_id=sender_id, product_id=product_id, created_at=_now()))
            session.commit()
        return {"sender_id": sender_id, "product_id": product_id}

    def click_count(self) -> int:
        from sqlalchemy import func

        with Session(self.engine) as session:
            return int(session.execute(select(func.count(ProductClick.id))).scalar() or 0)

    def set_consent(self, shopper_id: str, personalization: bool) -> Dict[str, Any]:
        with Session(self.engine) as session:
            row = session.get(Consent, shopper_id)
            if row is None:
                row = Consent(shopper_id=shopper_id)
                session.add(row)
            row.personalization = bool(personalization)
            row.updated_at = _now()
            session.commit()
            return {"shopper_id": shopper_id, "personalization": row.personalization,
                    "updated_at": row.updated_at.isoformat()}

    def get_consent(self, shopper_id: str) -> Dict[str, Any]:
        """A shopper's consent; one never asked has not consented."""
        with Session(self.engine) as session:
            row = session.get(Consent, shopper_id)
            if row is None:
                return {"shopper_id": shopper_id, "personalization": False, "updated_at": None}
            return {"shopper_id": shopper_id, "personalization": row.personalization,
                    "updated_at": row.updated_at.isoformat()}


_store: Optional[WebStore] = None


def get_store() -> WebStore:
    """The process-wide store on the configured database."""
    global _store
    if _store is None:
        _store = WebStore()
    return _store
