"""The shopper's data rights as records both servers share: erasures and prepared exports.

**Erasures.** A confirmed "delete my data" must also delete the shopper's conversation
history, which lives in Rasa's tracker store: only the Rasa server reaches it, the
action server does not even know where it is. So the action deletes what it owns
(profile, behaviour events with the review texts, stated preferences, conversation
moods: ``bot.profiles``) and records an erasure request here, in the shop database; the
Rasa server completes it (``bot.web.erasure``): its channels look for a request of the
conversation right after each turn, once the turn's events are saved and the shopper's
reply has gone out, and delete every conversation carrying that customer's id, this one
included; a sweep finishes any request left behind (a channel without that hook,
``rasa shell``, a restart in between). A table rather than a marker in the reply: it
survives a crash between the confirmation and the deletion, nothing server-only ever
travels towards a client, and ``done_at`` with the counts says what happened.

**Exports.** The JSON of everything held about a customer never goes into a chat
message (it would be stored with the conversation). The action prepares it
(``ProfileService.export``) and keeps it here for ``SHOPBOT_PRIVACY_EXPORT_TTL_MINUTES``
(10); the shopper gets a link whose token, signed with the session secret, names the
prepared file and when it expires. The Rasa server serves it as a download; the token
is masked wherever the conversation is stored or logged (``bot.privacy.redaction``).
Expired exports are purged whenever exports are written or read.

Written for SQLAlchemy 1.4 (the Rasa server) and 2.0 (the action server) alike; every
function takes a database object with ``session()`` and ``engine`` (``bot.shop.db.ShopDatabase``,
``bot.web.store.ShopTables``). Timestamps are naive UTC, like every shop table.
"""

import json
import os
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, delete, select

from bot.identity.signing import random_id, sign, unsign
from bot.shop.schema import Base

EXPORT_PURPOSE = "privacy-export"
EXPORT_PATH = "/web/api/privacy/export"
DEFAULT_EXPORT_TTL_MINUTES = 10


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def export_ttl() -> timedelta:
    """How long a download link works (``SHOPBOT_PRIVACY_EXPORT_TTL_MINUTES``, default 10)."""
    try:
        minutes = float(os.environ.get("SHOPBOT_PRIVACY_EXPORT_TTL_MINUTES") or DEFAULT_EXPORT_TTL_MINUTES)
    except ValueError:
        minutes = DEFAULT_EXPORT_TTL_MINUTES
    return timedelta(minutes=minutes if minutes > 0 else DEFAULT_EXPORT_TTL_MINUTES)


def public_url() -> str:
    """Where shoppers reach the Rasa server (``SHOPBOT_PUBLIC_URL``, e.g. ``https://bot.example.com``);
    default ``http://localhost:<SHOPBOT_RASA_PORT or 5005>``, as run.sh serves it."""
    explicit = (os.environ.get("SHOPBOT_PUBLIC_URL") or "").strip().rstrip("/")
    if explicit:
        return explicit
    return f"http://localhost:{os.environ.get('SHOPBOT_RASA_PORT') or 5005}"


# ----------------------------------------------------------------------------------- tables
class ErasureRequest(Base):
    """A confirmed deletion the Rasa server still has to finish in the tracker store."""

    __tablename__ = "privacy_requests"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # None: an anonymous shopper's request (this conversation only). No foreign key: the
    # record outlives whatever it names.
    customer_id = Column(Integer, index=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    requested_at = Column(DateTime, nullable=False)
    done_at = Column(DateTime, index=True)
    result = Column(JSON)  # counts per kind, never content


class PreparedExport(Base):
    """A customer's export, kept for the few minutes its download link works."""

    __tablename__ = "privacy_exports"

    id = Column(String(48), primary_key=True)
    customer_id = Column(Integer, nullable=False, index=True)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)


# The action server's table of anonymous shoppers' profiles (``bot.profiles.tables``), by
# name only: the Rasa server deletes the rows of the conversations it erases and must not
# import the action server's packages. Declared, never created here.
SESSION_PROFILES = Table("session_profiles", MetaData(), Column("conversation_id", String(128), primary_key=True))

TABLES = [ErasureRequest.__table__, PreparedExport.__table__]
_ensured: "weakref.WeakSet" = weakref.WeakSet()


def ensure_tables(db: Any) -> None:
    """Create these tables where the database lacks them (once per engine and process)."""
    engine = db.engine
    if engine in _ensured:
        return
    Base.metadata.create_all(engine, tables=TABLES, checkfirst=True)
    _ensured.add(engine)


# --------------------------------------------------------------------------------- erasures
@dataclass(frozen=True)
class Erasure:
    id: int
    customer_id: Optional[int]
    conversation_id: str
    requested_at: datetime


def request_erasure(db: Any, conversation_id: str, customer_id: Optional[int] = None,
                    now: Optional[datetime] = None) -> int:
    """Record that this conversation (and, for a customer, all of theirs) must be erased."""
    if not conversation_id:
        raise ValueError("an erasure needs the conversation it was asked in")
    ensure_tables(db)
    with db.session() as session:
        row = ErasureRequest(customer_id=int(customer_id) if customer_id is not None else None,
                             conversation_id=conversation_id, requested_at=now or _now())
        session.add(row)
        session.flush()
        return int(row.id)


def pending_erasures(db: Any, conversation_id: Optional[str] = None,
                     requested_before: Optional[datetime] = None) -> List[Erasure]:
    """Requests not done yet, oldest first: of one conversation, or all (older than a moment)."""
    ensure_tables(db)
    query = select(ErasureRequest).where(ErasureRequest.done_at.is_(None))
    if conversation_id is not None:
        query = query.where(ErasureRequest.conversation_id == conversation_id)
    if requested_before is not None:
        query = query.where(ErasureRequest.requested_at <= requested_before)
    with db.session() as session:
        rows = session.execute(query.order_by(ErasureRequest.id)).scalars().all()
        return [Erasure(r.id, r.customer_id, r.conversation_id, r.requested_at) for r in rows]


def finish_erasure(db: Any, request_id: int, result: Dict[str, int], now: Optional[datetime] = None) -> None:
    with db.session() as session:
        row = session.get(ErasureRequest, int(request_id))
        if row is not None:
            row.done_at = now or _now()
            row.result = dict(result)


def erasure_result(db: Any, request_id: int) -> Optional[Dict[str, Any]]:
    """``{"done_at", "result"}`` of a request, or None while it is pending (tests, staff)."""
    ensure_tables(db)
    with db.session() as session:
        row = session.get(ErasureRequest, int(request_id))
        if row is None or row.done_at is None:
            return None
        return {"done_at": row.done_at, "result": dict(row.result or {})}


def forget_session_profiles(db: Any, conversation_ids: Iterable[str]) -> int:
    """Delete the anonymous session profiles of these conversations (if that table exists)."""
    ids = [c for c in conversation_ids if c]
    if not ids:
        return 0
    from sqlalchemy import inspect

    if not inspect(db.engine).has_table(SESSION_PROFILES.name):
        return 0
    with db.session() as session:
        result = session.execute(delete(SESSION_PROFILES).where(SESSION_PROFILES.c.conversation_id.in_(ids)))
        return int(result.rowcount or 0)


# ---------------------------------------------------------------------------------- exports
class ExportUnavailable(LookupError):
    """A download link that is forged, unknown, or expired (``expired`` says which)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("this download link has expired" if expired else "no such download")
        self.expired = expired


def export_token(export_id: str, expires_at: datetime) -> str:
    expiry = int(expires_at.replace(tzinfo=timezone.utc).timestamp())
    return sign(EXPORT_PURPOSE, f"{export_id}.{expiry}")


def export_path(token: str) -> str:
    """The download's path on the Rasa server (the token is URL-safe as it is)."""
    return f"{EXPORT_PATH}?token={token}"


def save_export(db: Any, customer_id: int, payload: Dict[str, Any], now: Optional[datetime] = None,
                ttl: Optional[timedelta] = None) -> Tuple[str, datetime]:
    """Keep a customer's export for its download; returns (link token, expiry)."""
    ensure_tables(db)
    moment = now or _now()
    expires = moment + (ttl or export_ttl())
    export_id = random_id(18)
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    with db.session() as session:
        session.execute(delete(PreparedExport).where(PreparedExport.expires_at <= moment))
        session.add(PreparedExport(id=export_id, customer_id=int(customer_id), payload=text,
                                   created_at=moment, expires_at=expires))
    return export_token(export_id, expires), expires


def read_export(db: Any, token: Any, now: Optional[float] = None) -> Tuple[int, str, datetime]:
    """(customer id, JSON text, created at) of the export a link names; raises ``ExportUnavailable``."""
    value = unsign(EXPORT_PURPOSE, token)
    export_id, _, expiry = (value or "").rpartition(".")
    if not export_id or not expiry.isdigit():
        raise ExportUnavailable(expired=False)
    moment = time.time() if now is None else now
    if moment > int(expiry):
        raise ExportUnavailable(expired=True)
    ensure_tables(db)
    at = datetime.fromtimestamp(moment, tz=timezone.utc).replace(tzinfo=None)
    with db.session() as session:
        session.execute(delete(PreparedExport).where(PreparedExport.expires_at <= at))
        row = session.get(PreparedExport, export_id)
        if row is None:  # purged, or deleted with the customer's data
            raise ExportUnavailable(expired=True)
        return int(row.customer_id), row.payload, row.created_at


def forget_exports(db: Any, customer_id: int) -> int:
    """Delete a customer's prepared exports (their data is being deleted)."""
    ensure_tables(db)
    with db.session() as session:
        result = session.execute(delete(PreparedExport).where(PreparedExport.customer_id == int(customer_id)))
        return int(result.rowcount or 0)
