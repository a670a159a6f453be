"""The web side's one data layer: engines, the web front's tables, and Rasa's events.

Everything the Rasa server's web app stores or reads goes through here, on ONE engine
per database URL (``engine_for``), whatever part asks:

- ``WebStore``: feedback on bot replies, product card clicks (with the recommender's
  source when the card was a recommendation) and shoppers' consent (tables ``feedback``,
  ``product_clicks``, ``consent``), with typed methods; the console's feedback and
  click-through numbers come from ``WebStore.feedback_counts`` and ``clicks_by_source``.
- ``Database``: the base the staff console's tables (``bot.web.staff.models``) and the
  shop's tickets (``ShopTables``) sit on: tables created once per engine, sessions that
  commit or roll back as a unit.
- ``TrackerEvents``: read-only, typed reads of Rasa's ``events`` table (the SQL tracker
  store), for the console's conversation list, its analytics and the exports.

Tables are created on first use; a column added to a table later (``product_clicks.source``)
is added to a database made before it, nullable, on first use too (``add_missing_columns``),
on SQLite and PostgreSQL alike.

The tables live in the shop database (``bot.settings.database_url()``) next to those of
``bot.shop``, on their own declarative ``Base``s, written so the Rasa environment
(SQLAlchemy 1.4) and the action server's (2.0) read them the same.
"""

import datetime
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

import yaml
from sqlalchemy import (Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, create_engine, event, func, inspect, select)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base

from bot import settings

logger = logging.getLogger(__name__)

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


def ensure_tables(engine: Engine, metadata: MetaData, upgrade: bool = False) -> None:
    """``create_all`` once per engine and metadata (cheap to call on every use); ``upgrade``
    also adds the nullable columns a table of an older database lacks."""
    key = (id(engine), id(metadata))
    if key in _created:
        return
    with _engines_lock:
        if key not in _created:
            metadata.create_all(engine)
            if upgrade:
                add_missing_columns(engine, metadata)
            _created.add(key)


def add_missing_columns(engine: Engine, metadata: MetaData) -> List[str]:
    """Add to the existing tables of ``metadata`` the nullable columns they lack; returns
    ``table.column`` of each one added.

    ``create_all`` makes missing tables but never changes one that exists, so a database
    made by an older version keeps its old columns. A nullable column without a default
    can be added to a table with rows on SQLite and PostgreSQL alike (``ALTER TABLE ...
    ADD COLUMN``); a NOT NULL one cannot, and is reported instead. Two processes adding
    the same column at once: the second one's error is ignored when the column is there.
    """
    added: List[str] = []
    inspector = inspect(engine)
    preparer = engine.dialect.identifier_preparer
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable or column.primary_key:
                logger.error("table %s lacks the required column %s: migrate it by hand", table.name, column.name)
                continue
            ddl = (f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {preparer.quote(column.name)} "
                   f"{column.type.compile(dialect=engine.dialect)}")
            try:
                with engine.begin() as connection:
                    connection.exec_driver_sql(ddl)
            except SQLAlchemyError:
                if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                    raise
                continue  # another process added it meanwhile
            logger.info("added the column %s.%s", table.name, column.name)
            added.append(f"{table.name}.{column.name}")
    return added


class Database:
    """Sessions on the shared engine of one URL, with the tables of ``metadata`` created.

    Subclasses name the ``metadata`` they own (the web front's, the staff console's, the
    shop's); any number of them on one URL share the engine.
    """

    metadata: Optional[MetaData] = None
    # whether tables of an older database get the (nullable) columns added since
    upgrade_columns = False

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or settings.database_url()

    @property
    def engine(self) -> Engine:
        engine = engine_for(self.url)
        if self.metadata is not None:
            ensure_tables(engine, self.metadata, upgrade=self.upgrade_columns)
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
# Where a recommendation came from (the recommender's candidate sources): what the
# recommendation payloads name and what a click on a recommendation card records.
RECOMMENDATION_SOURCES = ("graph", "co_purchase", "embedding", "learned", "popular")


def recommendation_source(value: Any) -> Optional[str]:
    """``value`` if it names one of ``RECOMMENDATION_SOURCES``, else None."""
    return value if isinstance(value, str) and value in RECOMMENDATION_SOURCES else None


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
    """A shopper opened a product card the assistant showed; ``source`` is the recommender's
    source when the card was a recommendation (None for other cards and older clicks)."""

    __tablename__ = "product_clicks"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    product_id = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=_now)
    # added after the first release: nullable, so older databases get it on first use
    source = Column(String(16), nullable=True)


class ClickRow(NamedTuple):
    sender_id: str
    product_id: str
    source: Optional[str]


def turn_key(ts: Any) -> str:
    """A bot event timestamp as a stable string key (float seconds, 6 decimals)."""
    return f"{float(ts):.6f}"


class WebStore(Database):
    """Feedback, product card clicks and consent; tables created (and columns added since
    an older version made them) on first use."""

    metadata = Base.metadata
    upgrade_columns = True

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

    def add_click(self, sender_id: str, product_id: str, source: Optional[str] = None) -> Dict[str, Any]:
        """Record a card click; a ``source`` that is not a recommendation source is stored as None."""
        source = recommendation_source(source)
        with self.session() as session:
            session.add(ProductClick(sender_id=sender_id, product_id=product_id, source=source, created_at=_now()))
        return {"sender_id": sender_id, "product_id": product_id, "source": source}

    def click_count(self) -> int:
        with self.session() as session:
            return int(session.execute(select(func.count(ProductClick.id))).scalar() or 0)

    def clicks_by_source(self) -> Dict[Optional[str], int]:
        """How many clicks each source got; None: clicks that named no source."""
        with self.session() as session:
            rows = session.execute(select(ProductClick.source, func.count(ProductClick.id))
                                   .group_by(ProductClick.source))
            return {source: int(n) for source, n in rows}

    def clicks_without_source(self) -> List[ClickRow]:
        """The clicks that named no source (older widgets, other clients, plain product cards)."""
        with self.session() as session:
            rows = session.execute(select(ProductClick.sender_id, ProductClick.product_id)
                                   .where(ProductClick.source.is_(None)).order_by(ProductClick.id))
            return [ClickRow(sender, product, None) for sender, product in rows]

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

    def rows(self, sender_id: Optional[str] = None, since: Optional[float] = None,
             type_name: Optional[str] = None, containing: Optional[str] = None) -> List[EventRow]:
        """Every event of one conversation, or of all conversations active since ``since``;
        only those of one ``type_name`` (``bot``, ``user``, ...) and whose JSON contains
        ``containing`` when given."""
        if not self.exists():
            return []
        query = select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                       EVENTS.c.data)
        if sender_id is not None:
            query = query.where(EVENTS.c.sender_id == sender_id)
        if type_name is not None:
            query = query.where(EVENTS.c.type_name == type_name)
        if containing is not None:
            query = query.where(EVENTS.c.data.contains(containing, autoescape=True))
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
