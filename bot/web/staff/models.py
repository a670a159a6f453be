"""Tables of the staff console: users, sessions, sign-in guards and the review work.

They live in the shop database (``bot.settings.database_url()``) but on their own
declarative ``Base``, so the console never touches the schema the actions own; the
engine is the web side's shared one for that URL (``bot.web.store.Database``).
Written so SQLAlchemy 1.4 (the Rasa server's env) and 2.0 read them the same.
"""

from datetime import datetime, timezone

from sqlalchemy import Boolean, Column, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

from bot.web.store import Database

Base = declarative_base()
ROLES = ("agent", "admin")


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no zone, so every timestamp here is stored the same way."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class StaffUser(Base):
    __tablename__ = "staff_users"
    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    name = Column(String(120), nullable=False)
    role = Column(String(16), nullable=False, default="agent")
    password_hash = Column(String(400), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class StaffSession(Base):
    """A login: only the SHA-256 of the cookie token is stored, so a database leak is no login."""

    __tablename__ = "staff_sessions"
    token_hash = Column(String(64), primary_key=True)
    user_id = Column(Integer, nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)


class LoginFormToken(Base):
    """A sign-in form's CSRF token: single use, bound to the browser's pre-session cookie.

    Only hashes are stored; ``consume`` deletes the row, so a token works once.
    """

    __tablename__ = "staff_login_tokens"
    token_hash = Column(String(64), primary_key=True)
    presession_hash = Column(String(64), nullable=False, index=True)
    expires_at = Column(DateTime, nullable=False, index=True)


class LoginThrottle(Base):
    """Failed sign-ins of one account or one client address, and the lock they earned.

    ``key`` is a keyed hash (``bot.identity.signing.keyed_hash``) of the e-mail or the
    address, so the table lists neither who tried nor from where.
    """

    __tablename__ = "staff_login_throttle"
    kind = Column(String(16), primary_key=True)  # account | address
    key = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    window_start = Column(DateTime, nullable=False)
    locked_until = Column(DateTime)


class ConversationReview(Base):
    __tablename__ = "staff_reviews"
    sender_id = Column(String(255), primary_key=True)
    reviewed = Column(Boolean, nullable=False, default=False)
    reviewed_by = Column(String(254))
    reviewed_at = Column(DateTime)
    tags = Column(Text, nullable=False, default="")  # comma separated, lower case


class ConversationNote(Base):
    __tablename__ = "staff_notes"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    author = Column(String(254), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class IntentCorrection(Base):
    """A reviewer's verdict on one shopper turn: the training example it becomes."""

    __tablename__ = "staff_corrections"
    __table_args__ = (UniqueConstraint("sender_id", "event_timestamp"),)
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    event_timestamp = Column(Float, nullable=False)
    text = Column(Text, nullable=False)
    original_intent = Column(String(255))
    corrected_intent = Column(String(255), nullable=False)
    reviewer = Column(String(254), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class StaffDatabase(Database):
    """The staff tables, on the shop database's URL by default."""

    metadata = Base.metadata
