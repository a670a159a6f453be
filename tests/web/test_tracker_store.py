"""The redacting tracker store over real databases: what lands in the ``events`` table
(read back with the database's own driver, not through Rasa), what a broker receives,
what Rasa reads back, and deleting a conversation (Rasa env only)."""

import asyncio
import json
import os
import sqlite3
import uuid
from pathlib import Path

import pytest

pytest.importorskip("rasa")

import yaml  # noqa: E402
from rasa.core.brokers.sql import SQLEventBroker  # noqa: E402
from rasa.core.tracker_store import TrackerStore  # noqa: E402
from rasa.core.utils import AvailableEndpoints  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    BotUttered,
    EntitiesAdded,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.web.tracker_store import RedactingTrackerStore, delete_conversation  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("SHOPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")

EMAIL = "Jane.Doe@Example.com"
CARD = "4111.1111.1111.1111"
PHONE = "+44  20  7946  0958"
IBAN = "GB82 WEST 1234 5698 7654 32"
ADDRESS = "221B Baker Street"
# Any of these in a stored row means a raw value got through (compared case-insensitively;
# long enough not to turn up by chance in timestamps, confidences or ids).
RAW = ["jane.doe", "4111.1111", "4111111111111111", "20  7946", "7946  0958", "GB82 WEST", "GB82WEST",
       "1234 5698", "DE89370400440532013000", "Baker Street", "221B", "5551234567", "555-123-4567"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def user(text, entities=(), ts=None, intent="inform", metadata=None):
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.93},
             "intent_ranking": [{"name": intent, "confidence": 0.93}], "entities": list(entities)}
    return UserUttered(text, parse["intent"], list(entities), parse_data=parse, timestamp=ts,
                       input_channel="rest", metadata=metadata or {"shopbot": {"channel": "rest"}})


def first_turn(ts=1000.0):
    text = f"I'm {EMAIL}, my card is {CARD}"
    return [
        ActionExecuted("action_listen", timestamp=ts),
        user(text, [{"entity": "email", "value": EMAIL, "start": 4, "end": 24,
                     "extractor": "RegexEntityExtractor"}], ts + 1,
             metadata={"shopbot": {"channel": "rest"}, "note": f"sent by {EMAIL}"}),
        SlotSet("email", EMAIL, timestamp=ts + 2),
        SlotSet("order_id", f"card {CARD}", timestamp=ts + 2),
        ActionExecuted("order_status_form", timestamp=ts + 3),
        BotUttered(f"Thanks, I have {EMAIL} and {CARD}.",
                   data={"buttons": [{"title": f"Not {EMAIL}?", "payload": "/deny"}]}, timestamp=ts + 4),
        ActionExecuted("action_listen", timestamp=ts + 5),
    ]


def second_turn(ts=2000.0):
    text = f"call {PHONE} or 555-123-4567, IBAN {IBAN}, DE89370400440532013000, ship to {ADDRESS}"
    return [
        user(text, [{"entity": "product", "value": "Galaxy S24", "start": 0, "end": 3}], ts),
        EntitiesAdded([{"entity": "email", "value": "jane.doe@example.com"}], timestamp=ts + 1),
        SlotSet("products_in_focus", [ADDRESS, "P-1001"], timestamp=ts + 1),
        SlotSet("budget", {"max": 5551234567, "note": PHONE}, timestamp=ts + 1),
        ActionExecuted("utter_ask_email", timestamp=ts + 2),
        BotUttered(f"Shipping to {ADDRESS}.", timestamp=ts + 3),
        ActionExecuted("action_listen", timestamp=ts + 4),
    ]


def stored_rows(path: Path):
    """Every row of every table of the SQLite file, read with sqlite3."""
    with sqlite3.connect(path) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {table: connection.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}


def assert_no_raw_value(rows) -> str:
    dumped = json.dumps(rows, default=str).lower()
    for raw in RAW:
        assert raw.lower() not in dumped, f"{raw!r} is stored"
    return dumped


def save(store, tracker):
    asyncio.run(store.save(tracker))


@pytest.fixture
def store(tmp_path, domain):
    store = RedactingTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "conversations.db"))
    yield store
    store.engine.dispose()


def test_saved_events_keep_no_raw_personal_data(store, tmp_path, domain):
    tracker = DialogueStateTracker.from_events("shopper-1", first_turn(), slots=domain.slots)
    save(store, tracker)
    for event in second_turn():  # the next turn, saved as Rasa does: only the new events
        tracker.update(event)
    save(store, tracker)

    rows = stored_rows(tmp_path / "conversations.db")
    dumped = assert_no_raw_value(rows)
    assert "j***@example.com" in dumped and "[card number]" in dumped and "[iban]" in dumped
    assert "[phone number]" in dumped and "[address]" in dumped
    # one row per event, not one more: Rasa counts the rows to know what is new
    assert len(rows["events"]) == len(tracker.events)
    # the tracker the processor is still using keeps the raw values for this turn
    assert tracker.get_slot("email") == EMAIL
    assert tracker.get_latest_entity_values("product") is not None
    assert tracker.latest_message.text.startswith("call +44  20")
    first_user = next(e for e in tracker.events if isinstance(e, UserUttered))
    assert first_user.parse_data["entities"][0]["value"] == EMAIL and first_user.metadata["note"].endswith(EMAIL)


def test_a_stored_tracker_replays_with_masked_values(store, domain):
    tracker = DialogueStateTracker.from_events("shopper-2", first_turn() + second_turn(), slots=domain.slots)
    save(store, tracker)
    loaded = asyncio.run(store.retrieve("shopper-2"))
    assert loaded is not None and len(loaded.events) == len(tracker.events)
    assert [type(e) for e in loaded.events] == [type(e) for e in tracker.events]
    assert loaded.get_slot("email") == "j***@example.com"
    assert loaded.get_slot("order_id") == "card [card number]"
    assert loaded.get_slot("products_in_focus") == ["[address]", "P-1001"]
    assert loaded.latest_message.intent["name"] == "inform"
    # saving the loaded tracker with one more event appends exactly that event
    loaded.update(user("thanks", ts=3000.0, intent="thank"))
    save(store, loaded)
    assert len(asyncio.run(store.retrieve("shopper-2")).events) == len(tracker.events) + 1


def test_every_session_is_redacted_and_delete_removes_them_all(store, tmp_path, domain):
    events = [SessionStarted(timestamp=900.0)] + first_turn() + [SessionStarted(timestamp=1500.0)] + second_turn()
    save(store, DialogueStateTracker.from_events("shopper-3", events, slots=domain.slots))
    save(store, DialogueStateTracker.from_events("someone-else", first_turn(), slots=domain.slots))
    assert len(asyncio.run(store.retrieve("shopper-3")).events) == len(second_turn()) + 1
    full = asyncio.run(store.retrieve_full_tracker("shopper-3"))
    assert len(full.events) == len(events)
    assert_no_raw_value(stored_rows(tmp_path / "conversations.db"))
    assert_no_raw_value([e.as_dict() for e in full.events])  # what ?include_events=ALL shows

    assert asyncio.run(store.delete("shopper-3")) == len(events)
    senders = {row[1] for row in stored_rows(tmp_path / "conversations.db")["events"]}
    assert senders == {"someone-else"}
    assert asyncio.run(store.retrieve("shopper-3")) is None
    assert asyncio.run(store.retrieve_full_tracker("shopper-3")) is None


def test_events_streamed_to_a_broker_are_redacted(tmp_path, domain):
    broker = SQLEventBroker(db=str(tmp_path / "broker.db"))
    store = RedactingTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "c.db"), event_broker=broker)
    try:
        tracker = DialogueStateTracker.from_events("shopper-4", first_turn() + second_turn(), slots=domain.slots)
        save(store, tracker)
    finally:
        store.engine.dispose()
        broker.engine.dispose()
    published = stored_rows(tmp_path / "broker.db")["events"]
    assert len(published) == len(tracker.events)
    assert "j***@example.com" in assert_no_raw_value(published)


def test_endpoints_yml_selects_the_redacting_store(tmp_path, domain):
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "bot.web.tracker_store.RedactingTrackerStore"
    assert endpoints["tracker_store"]["dialect"] == "sqlite"
    assert endpoints["tracker_store"]["db"] == "var/conversations.db"
    endpoints["tracker_store"]["db"] = str(tmp_path / "conversations.db")
    (tmp_path / "endpoints.yml").write_text(yaml.safe_dump(endpoints))

    config = AvailableEndpoints.read_endpoints(str(tmp_path / "endpoints.yml")).tracker_store
    store = TrackerStore.create(config, domain=domain)  # as `rasa run` does
    try:
        assert type(store) is RedactingTrackerStore  # async: not wrapped, not the in-memory fallback
        save(store, DialogueStateTracker.from_events("shopper-5", first_turn(), slots=domain.slots))
        assert_no_raw_value(stored_rows(tmp_path / "conversations.db"))
        assert asyncio.run(delete_conversation(store, "shopper-5")) is True
        assert stored_rows(tmp_path / "conversations.db")["events"] == []
    finally:
        store.engine.dispose()


def test_delete_conversation_reaches_the_store_behind_rasas_wrappers(store, tmp_path, domain):
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore, InMemoryTrackerStore

    save(store, DialogueStateTracker.from_events("shopper-6", first_turn(), slots=domain.slots))
    wrapped = FailSafeTrackerStore(AwaitableTrackerStore(store))  # what agent.tracker_store may be
    assert asyncio.run(delete_conversation(wrapped, "shopper-6")) is True
    assert stored_rows(tmp_path / "conversations.db")["events"] == []

    memory = InMemoryTrackerStore(domain)
    asyncio.run(memory.save(DialogueStateTracker.from_events("shopper-7", first_turn(), slots=domain.slots)))
    assert asyncio.run(delete_conversation(FailSafeTrackerStore(memory), "shopper-7")) is True
    assert asyncio.run(memory.retrieve("shopper-7")) is None


@pytest.fixture
def postgres_store(domain):
    psycopg2 = pytest.importorskip("psycopg2", reason="no PostgreSQL driver (psycopg2) in this environment")
    from sqlalchemy.engine import make_url

    admin = make_url(POSTGRES_URL)
    params = dict(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username or "postgres",
                  password=admin.password, dbname=admin.database or "postgres", connect_timeout=5)
    try:
        connection = psycopg2.connect(**params)
    except psycopg2.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {admin.render_as_string(hide_password=True)}: {error}")
    connection.autocommit = True
    name = f"shopbot_trackers_{uuid.uuid4().hex[:12]}"  # generated, not user input
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    store = RedactingTrackerStore(domain=domain, dialect="postgresql", host=params["host"], port=params["port"],
                                  db=name, username=params["user"], password=params["password"])
    try:
        yield store, {**params, "dbname": name}
    finally:
        store.engine.dispose()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.close()


def test_the_same_store_on_postgresql(postgres_store, domain):
    import psycopg2

    store, params = postgres_store
    tracker = DialogueStateTracker.from_events("shopper-pg", first_turn(), slots=domain.slots)
    save(store, tracker)
    for event in second_turn():
        tracker.update(event)
    save(store, tracker)
    save(store, DialogueStateTracker.from_events("someone-else", first_turn(), slots=domain.slots))
    with psycopg2.connect(**params) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM events")
        rows = cursor.fetchall()
    assert "j***@example.com" in assert_no_raw_value(rows)
    assert sum(row[1] == "shopper-pg" for row in rows) == len(tracker.events)
    assert asyncio.run(store.retrieve("shopper-pg")).get_slot("email") == "j***@example.com"
    assert asyncio.run(store.delete("shopper-pg")) == len(tracker.events)
    with psycopg2.connect(**params) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT sender_id FROM events")
        assert cursor.fetchall() == [("someone-else",)]


def test_sqlite_keeps_its_connections_and_runs_in_wal_mode(store, tmp_path, domain):
    """The embedded store pools connections and commits in WAL mode (each turn's write
    costs about a third of what SQLite's default journal did: BENCHMARKS.md)."""
    import sqlite3

    from sqlalchemy.pool import QueuePool

    save(store, DialogueStateTracker.from_events("shopper-wal", first_turn(), slots=domain.slots))
    assert isinstance(store.engine.pool, QueuePool)
    with sqlite3.connect(tmp_path / "conversations.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    again = asyncio.run(store.retrieve("shopper-wal"))
    assert len(again.events) == len(first_turn())
