"""Rasa's SQL tracker store, keeping conversations without the personal data in them.

Rasa stores every event of a conversation as it happened: what the shopper typed (card
numbers, e-mail and street addresses, IBANs, phone numbers), the entities and slots
filled from it, and the bot's replies that may echo it. ``RedactingTrackerStore``
writes (and streams to an event broker) a redacted copy of each event instead
(``bot.privacy.events.redact_event``), so the database, the REST API's
``?include_events=ALL``, the staff console and the exports never see a raw value.

Within one turn the processor and the action server still work on the tracker in
memory, with the raw values: a form can verify the e-mail the shopper just typed. From
the next turn on, the tracker is read back from the store, with the masked values.

It is chosen in ``endpoints.yml`` by module path (Rasa passes ``host``, ``domain``,
``event_broker`` and the block's other keys to the constructor)::

    tracker_store:
      type: bot.web.tracker_store.RedactingTrackerStore
      dialect: "sqlite"
      db: "var/conversations.db"

``delete`` removes every event of a conversation (all its sessions): what "Clear
conversation" needs, where Rasa alone only appends a ``Restarted`` event and keeps the
rest. ``delete_conversation`` finds the store behind Rasa's wrappers, and
``conversations_of_customer`` the conversations a signed-in customer had (their user
messages carry ``metadata.shopbot.customer_id``, which redaction keeps): what "delete my
data" erases (``bot.web.erasure``).
"""

import json
import logging
import os
from typing import Any, Dict, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.privacy.events import redact_event

logger = logging.getLogger(__name__)


class RedactingTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that stores and streams redacted copies of the events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and os.environ.get("SHOPBOT_SQLITE_TUNING", "1") != "0":
            self._tune_sqlite()  # SHOPBOT_SQLITE_TUNING=0: Rasa's settings (benchmark baseline)

    def _tune_sqlite(self) -> None:
        """Keep SQLite connections open and commit without waiting for the disk each turn.

        SQLAlchemy 1.4 opens a new SQLite connection for every session of a file database
        (``NullPool``), and SQLite's default journal syncs the file twice per commit: most of
        a turn's tracker-store time (BENCHMARKS.md, "Load and throughput"). Here connections
        are pooled, and the database runs in WAL mode with ``synchronous=NORMAL``: a commit
        is durable against a crash of the process, and against power loss all but the last
        commits before it are (SQLite's documented trade-off for WAL). Readers (the staff
        console, exports) no longer block the writer.
        """
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import sessionmaker
        from sqlalchemy.pool import QueuePool

        url = self.engine.url
        self.engine.dispose()
        engine = create_engine(url, poolclass=QueuePool, pool_size=2, max_overflow=8,
                               connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine)

    @staticmethod
    def serialise_event(event: Event) -> Dict[Text, Any]:
        """The event as stored: ``Event.as_dict()`` with the personal data taken out.

        ``redact_event`` builds new dicts, so the live event (whose ``parse_data`` the
        serialised form shares) is not changed.
        """
        return redact_event(event.as_dict())

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, redacted.

        The same steps as ``SQLTrackerStore.save`` in Rasa 3.6, one row per event (Rasa
        counts the stored rows of the current session to know which events are new).
        """
        await self.stream_events(tracker)

        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = self.serialise_event(event)
                intent = (data.get("parse_data") or {}).get("intent", {}) or {}
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent.get(INTENT_NAME_KEY) if isinstance(intent, dict) else None,
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

        logger.debug("Tracker with sender_id '%s' stored to database (redacted)", tracker.sender_id)

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: List[Event], sender_id: Text
    ) -> None:
        """Publish the new events to the event broker, redacted as they are stored."""
        for event in new_events:
            body = {"sender_id": sender_id}
            body.update(self.serialise_event(event))
            event_broker.publish(body)

    async def delete(self, sender_id: Text) -> int:
        """Delete every event of the conversation ``sender_id`` (all sessions); returns how many."""
        return _delete_events(self, sender_id)


def _delete_events(store: SQLTrackerStore, sender_id: Text) -> int:
    with store.session_scope() as session:
        deleted = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender_id)
            .delete(synchronize_session=False)
        )
        session.commit()
    logger.debug("Deleted %s events of a conversation", deleted)
    return deleted


def unwrap_tracker_store(tracker_store: Any) -> Any:
    """The store behind Rasa's ``FailSafeTrackerStore``/``AwaitableTrackerStore`` wrappers."""
    seen = 0
    while hasattr(tracker_store, "_tracker_store") and seen < 5:
        tracker_store = tracker_store._tracker_store
        seen += 1
    return tracker_store


async def delete_conversation(tracker_store: Any, sender_id: Text) -> bool:
    """Delete every event of ``sender_id`` from the agent's tracker store.

    Works on ``agent.tracker_store`` as Rasa wraps it; returns False where the store
    cannot delete (a store other than this project's, SQL or in-memory ones).
    Callers hold the agent's lock for the conversation, as for any tracker change.
    """
    store = unwrap_tracker_store(tracker_store)
    if isinstance(store, RedactingTrackerStore):
        await store.delete(sender_id)
        return True
    if isinstance(store, SQLTrackerStore):  # Rasa's own, configured as ``type: SQL``
        _delete_events(store, sender_id)
        return True
    if isinstance(store, InMemoryTrackerStore):
        store.store.pop(sender_id, None)
        return True
    return False


async def delete_conversation_events(tracker_store: Any, sender_id: Text) -> Optional[int]:
    """Like ``delete_conversation``, returning how many events went (None where it cannot delete)."""
    store = unwrap_tracker_store(tracker_store)
    if isinstance(store, SQLTrackerStore):  # ours (a subclass) and Rasa's own
        return _delete_events(store, sender_id)
    if isinstance(store, InMemoryTrackerStore):
        serialised = store.store.pop(sender_id, None)
        return len(_stored_events(serialised)) if serialised is not None else 0
    return None


def _stored_events(serialised: Any) -> List[Dict[Text, Any]]:
    try:
        events = json.loads(serialised).get("events") if isinstance(serialised, (str, bytes)) else None
    except ValueError:
        return []
    return [e for e in events or [] if isinstance(e, dict)]


def _signed_in_as(event: Dict[Text, Any], customer_id: int) -> bool:
    metadata = event.get("metadata")
    stamp = metadata.get("shopbot") if isinstance(metadata, dict) else None
    value = stamp.get("customer_id") if isinstance(stamp, dict) else None
    return isinstance(value, int) and not isinstance(value, bool) and value == customer_id


def conversations_of_customer(tracker_store: Any, customer_id: int) -> List[Text]:
    """The conversations with a user message from this signed-in customer, sorted.

    SQL stores: a ``LIKE`` on the stored JSON narrows the rows (``"customer_id": 7`` also
    matches 70), each candidate is then read exactly. A scan of the events table, which
    is fine for something a shopper asks for rarely.
    """
    cid = int(customer_id)
    store = unwrap_tracker_store(tracker_store)
    found = set()
    if isinstance(store, SQLTrackerStore):
        with store.session_scope() as session:
            rows = (session.query(store.SQLEvent.sender_id, store.SQLEvent.data)
                    .filter(store.SQLEvent.type_name == "user",
                            store.SQLEvent.data.like(f'%"customer_id": {cid}%'))
                    .all())
        for sender_id, data in rows:
            try:
                event = json.loads(data)
            except (TypeError, ValueError):
                continue
            if isinstance(event, dict) and _signed_in_as(event, cid):
                found.add(sender_id)
    elif isinstance(store, InMemoryTrackerStore):
        for sender_id, serialised in list(store.store.items()):
            if any(e.get("event") == "user" and _signed_in_as(e, cid) for e in _stored_events(serialised)):
                found.add(sender_id)
    return sorted(found)
