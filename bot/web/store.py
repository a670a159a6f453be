"""The web side's one data layer: engines, the web front's tables, and Rasa's events.

Everything the Rasa server's web app stores or reads goes through here, on ONE engine
per database URL (``engine_for``), whatever part asks:

- ``WebStore``: feedback on bot replies, product card clicks and shoppers' consent
  (tables ``feedback``, ``product_clicks``, ``consent``), with typed methods; the
  console's feedback numbers come from ``WebStore.feedback_counts``.
- ``Database``: the base the staff console's tables (``bot.web.staff.models``) and the
  shop's tickets (``ShopTables``) sit on: tables created once per engine, sessions that
  commit or roll back as a unit.
- ``TrackerEvents``: read-only, typed reads of Rasa's ``events`` table (the SQL tracker
  store), for the console's conversation list and the exports.

The tables live in the shop database (``bot.settings.database_url()``) next to those of
``bot.shop``, on their own declarative ``Base``s, written so the Rasa environment
(SQLAlchemy 1.4) and the action server's (2.0) read them the same.
"""

import datetime
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

import yaml
from sqlalchemy import (Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, create_engine, event, func, inspect, select)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, declarative_base

from bot import settings

# --- engines: one per URL ---------------------------------------------------------------
_engines: Dict[str, Engine] = {}
_created: Set[Tuple[int, int]] = set()  # (engine, metadata) pairs whose tables exist
_engines_lock = threading.RLock()


def _sqlite_foreign_keys(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_for(url: Optional[str] = None) -> Engine:
    """The process's engine for ``url`` (default: the shop database), made on first use."""
    url = url or settings.database_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            parsed = make_url(url)
            sqlite = parsed.get_backend_name() == "sqlite"
            if sqlite and parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, future=True)
            if sqlite:
                event.listen(engine, "connect", _sqlite_foreign_keys)
            _engines[url] = engine
        return engine


def adopt_engine(engine: Engine) -> Engine:
    """Use an engine made elsewhere (Rasa's tracker store) for its URL; returns the one in use."""
    url = engine.url.render_as_string(hide_password=False)
    with _engines_lock:
        return _engines.setdefault(url, engine)


def ensure_tables(engine: Engine, metadata: MetaData) -> None:
    """``create_all`` once per engine and metadata (cheap to call on every use)."""
    key = (id(engine), id(metadata))
    if key in _created:
        return
    with _engines_lock:
        if key not in _created:
            metadata.create_all(engine)
            _created.add(key)


class Database:
    """Sessions on the shared engine of one URL, with the tables of ``metadata`` created.

    Subclasses name the ``metadata`` they own (the web front's, the staff console's, the
    shop's); any number of them on one URL share the engine.
    """

    metadata: Optional[MetaData] = None

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or settings.database_url()

    @property
    def engine(self) -> Engine:
        engine = engine_for(self.url)
        if self.metadata is not None:
            ensure_tables(engine, self.metadata)
        return engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back if it raises."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({make_url(self.url).render_as_string(hide_password=True)!r})"


# --- the web front's tables ----------------------------------------------------------------
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


class WebStore(Database):
    """Feedback, product card clicks and consent; tables created on first use."""

    metadata = Base.metadata

    def set_feedback(self, sender_id: str, turn: Any, value: str) -> Dict[str, Any]:
        """Store (or change) the feedback on one turn; returns what is stored."""
        if value not in FEEDBACK_VALUES:
            raise ValueError(f"value must be one of {FEEDBACK_VALUES}")
        key = turn_key(turn)
        with self.session() as session:
            row = session.execute(
                select(Feedback).where(Feedback.sender_id == sender_id, Feedback.bot_event_ts == key)
            ).scalar_one_or_none()
            if row is None:
                row = Feedback(sender_id=sender_id, bot_event_ts=key, value=value, created_at=_now())
                session.add(row)
            else:
                row.value = value
                row.created_at = _now()
            return {"sender_id": sender_id, "turn": float(key), "value": value}

    def feedback_for(self, sender_id: str) -> Dict[str, str]:
        """``{turn key: up|down}`` of one conversation (the widget restores its thumbs)."""
        with self.session() as session:
            rows = session.execute(select(Feedback).where(Feedback.sender_id == sender_id)).scalars()
            return {row.bot_event_ts: row.value for row in rows}

    def feedback_counts(self) -> Dict[str, Dict[str, int]]:
        """Per conversation, how many replies got each value: ``{sender: {"up": n, "down": m}}``."""
        with self.session() as session:
            rows = session.execute(select(Feedback.sender_id, Feedback.value, func.count(Feedback.id))
                                   .group_by(Feedback.sender_id, Feedback.value))
            counts: Dict[str, Dict[str, int]] = {}
            for sender, value, n in rows:
                counts.setdefault(sender, {})[str(value)] = int(n)
            return counts

    def add_click(self, sender_id: str, product_id: str) -> Dict[str, Any]:
        with self.session() as session:
            session.add(ProductClick(sender_id=sender_id, product_id=product_id, created_at=_now()))
        return {"sender_id": sender_id, "product_id": product_id}

    def click_count(self) -> int:
        with self.session() as session:
            return int(session.execute(select(func.count(ProductClick.id))).scalar() or 0)

    def forget_conversations(self, sender_ids: Any) -> Dict[str, int]:
        """Delete the feedback and product clicks of these conversations (an erasure)."""
        ids = [s for s in sender_ids if s]
        if not ids:
            return {"feedback": 0, "clicks": 0}
        from sqlalchemy import delete

        with self.session() as session:
            feedback = session.execute(delete(Feedback).where(Feedback.sender_id.in_(ids))).rowcount
            clicks = session.execute(delete(ProductClick).where(ProductClick.sender_id.in_(ids))).rowcount
        return {"feedback": int(feedback or 0), "clicks": int(clicks or 0)}

    def set_consent(self, shopper_id: str, personalization: bool) -> Dict[str, Any]:
        with self.session() as session:
            row = session.get(Consent, shopper_id)
            if row is None:
                row = Consent(shopper_id=shopper_id)
                session.add(row)
            row.personalization = bool(personalization)
            row.updated_at = _now()
            return {"shopper_id": shopper_id, "personalization": row.personalization,
                    "updated_at": row.updated_at.isoformat()}

    def get_consent(self, shopper_id: str) -> Dict[str, Any]:
        """A shopper's consent; one never asked has not consented."""
        with self.session() as session:
            row = session.get(Consent, shopper_id)
            if row is None:
                return {"shopper_id": shopper_id, "personalization": False, "updated_at": None}
            return {"shopper_id": shopper_id, "personalization": row.personalization,
                    "updated_at": row.updated_at.isoformat()}


class ShopTables(Database):
    """The shop's tables (``bot.shop.schema``) on the shared engine: what the console's
    ticket queue hands to ``bot.shop.tickets``, whose functions take any object with
    ``session()``."""

    @property
    def metadata(self) -> MetaData:  # type: ignore[override]
        from bot.shop.schema import Base as ShopBase

        return ShopBase.metadata


# --- Rasa's events table (read-only) --------------------------------------------------------
# The columns of Rasa 3.6's ``SQLTrackerStore.SQLEvent`` this side reads; ``data`` is the
# event as JSON. Declared, never created: the tracker store owns the table.
EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("data", Text),
)


class EventRow(NamedTuple):
    id: int
    sender_id: str
    type_name: str
    timestamp: Optional[float]
    data: Optional[str]


def tracker_db_path() -> Path:
    """The SQLite file of the tracker store outside the Rasa server: ``SHOPBOT_TRACKER_DB``,
    else the SQLite ``db`` of ``endpoints.yml``, else ``var/conversations.db``."""
    explicit = os.environ.get("SHOPBOT_TRACKER_DB")
    if explicit:
        return Path(explicit)
    endpoints = settings.PROJECT_ROOT / "endpoints.yml"
    try:
        store = (yaml.safe_load(endpoints.read_text()) or {}).get("tracker_store") or {}
    except (OSError, yaml.YAMLError):
        store = {}
    kind = str(store.get("type", "")).lower()
    db = store.get("db") if kind in ("sql", "") or kind.endswith("trackerstore") else None
    if db and str(store.get("dialect", "sqlite")) == "sqlite":
        path = Path(db)
        return path if path.is_absolute() else settings.PROJECT_ROOT / path
    return settings.var_dir() / "conversations.db"


def tracker_engine_of(tracker_store: Any) -> Optional[Engine]:
    """The SQLAlchemy engine of Rasa's (possibly fail-safe wrapped) SQL tracker store."""
    from bot.web.tracker_store import unwrap_tracker_store

    for candidate in (tracker_store, getattr(tracker_store, "_tracker_store", None),
                      unwrap_tracker_store(tracker_store)):
        engine = getattr(candidate, "engine", None)
        if isinstance(engine, Engine):
            return engine
    return None


class TrackerEvents:
    """Typed reads of the ``events`` table, in event order per conversation."""

    def __init__(self, engine: Optional[Engine] = None, path: Optional[Path] = None) -> None:
        self.engine = engine or engine_for(f"sqlite:///{path or tracker_db_path()}")
        self._exists = False

    def exists(self) -> bool:
        """Whether Rasa has made the table yet (a server that never saw a message has not)."""
        if not self._exists:
            try:
                self._exists = inspect(self.engine).has_table("events")
            except Exception:  # noqa: BLE001 - an unreachable database reads as empty
                return False
        return self._exists

    def rows(self, sender_id: Optional[str] = None, since: Optional[float] = None) -> List[EventRow]:
        """Every event of one conversation, or of all conversations active since ``since``."""
        if not self.exists():
            return []
        query = select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                       EVENTS.c.data)
        if sender_id is not None:
            query = query.where(EVENTS.c.sender_id == sender_id)
        if since is not None:
            # whole conversations that were active since then
            active = select(EVENTS.c.sender_id).where(EVENTS.c.timestamp >= since)
            query = query.where(EVENTS.c.sender_id.in_(active))
        query = query.order_by(EVENTS.c.sender_id, EVENTS.c.id)
        with self.engine.connect() as connection:
            return [EventRow(*row) for row in connection.execute(query)]


_store: Optional[WebStore] = None


def get_store() -> WebStore:
    """The process-wide store on the configured database."""
    global _store
    if _store is None:
        _store = WebStore()
    return _store
