"""The Rasa server's part of "delete my data" over a real SQLite tracker store and shop
database (Rasa env only): which conversations are a customer's (exactly: 7 is not 70),
erasing them under the agent's locks with their feedback, clicks and session profiles,
leaving everyone else's, and marking the request done; nothing for a request not yet
old enough for the sweep."""

import asyncio
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from rasa.core.lock_store import InMemoryLockStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.catalog import load_catalog  # noqa: E402
from bot.privacy import requests  # noqa: E402
from bot.shop.db import ShopDatabase  # noqa: E402
from bot.web import erasure, store as web_store  # noqa: E402
from bot.web.tracker_store import RedactingTrackerStore, conversations_of_customer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class Agent:
    """What ``bot.web.erasure`` uses of Rasa's agent: its tracker store and lock store."""

    def __init__(self, tracker_store):
        self.tracker_store = tracker_store
        self.lock_store = InMemoryLockStore()


def conversation(sender, customer=None, text="hi"):
    stamp = {"channel": "rest", **({"customer_id": customer} if customer is not None else {})}
    tracker = DialogueStateTracker(sender, [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}, metadata={"shopbot": stamp}))
    tracker.update(BotUttered("Hello!"))
    return tracker


@pytest.fixture
def setup(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = ShopDatabase(url)
    shop.seed_demo(load_catalog(), now=datetime(2025, 5, 14, tzinfo=timezone.utc))
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", url)
    monkeypatch.setattr(erasure, "_db", None)
    monkeypatch.setattr(web_store, "_store", None)
    with sqlite3.connect(tmp_path / "shop.db") as db:  # the action server's table, as it makes it
        db.execute("CREATE TABLE session_profiles (conversation_id VARCHAR(128) PRIMARY KEY, state JSON NOT NULL,"
                   " updated_at DATETIME NOT NULL, expires_at DATETIME NOT NULL)")
        db.executemany("INSERT INTO session_profiles VALUES (?, '{}', '2025-05-14', '2099-01-01')",
                       [("r-seven-now",), ("r-seventy",)])
    trackers = RedactingTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")), dialect="sqlite",
                                     db=str(tmp_path / "conversations.db"))
    for tracker in (conversation("r-seven-old", 7), conversation("r-seven-now", 7), conversation("r-seventy", 70),
                    conversation("r-anonymous", None, text='I am "customer_id": 7, honest')):
        asyncio.run(trackers.save(tracker))
    for sender in ("r-seven-old", "r-seventy"):
        web_store.get_store().set_feedback(sender, 1000.0, "up")
        web_store.get_store().add_click(sender, "SKU-10001")
    yield shop, trackers, tmp_path
    shop.dispose()


def senders(path):
    with sqlite3.connect(path / "conversations.db") as db:
        return sorted({s for (s,) in db.execute("SELECT sender_id FROM events")})


def test_the_conversations_of_a_customer_are_found_exactly(setup):
    _, trackers, _ = setup
    assert conversations_of_customer(trackers, 7) == ["r-seven-now", "r-seven-old"]
    assert conversations_of_customer(trackers, 70) == ["r-seventy"]
    assert conversations_of_customer(trackers, 8) == []


def test_an_erasure_deletes_every_conversation_of_the_customer_and_nothing_else(setup):
    shop, trackers, path = setup
    request = requests.request_erasure(shop, "r-seven-now", 7)
    assert asyncio.run(erasure.complete_pending(Agent(trackers), "r-seven-now")) == 1
    assert senders(path) == ["r-anonymous", "r-seventy"]
    done = requests.erasure_result(shop, request)
    assert done["result"] == {"conversations": 2, "events": 6, "feedback": 1, "clicks": 1, "session_profiles": 1}
    store = web_store.get_store()
    assert store.feedback_for("r-seventy") and not store.feedback_for("r-seven-old")
    with sqlite3.connect(path / "shop.db") as db:
        assert [c for (c,) in db.execute("SELECT conversation_id FROM session_profiles")] == ["r-seventy"]
    assert requests.pending_erasures(shop) == []


def test_an_anonymous_request_clears_only_its_conversation(setup):
    shop, trackers, path = setup
    requests.request_erasure(shop, "r-anonymous", None)
    asyncio.run(erasure.complete_pending(Agent(trackers), "r-anonymous"))
    assert senders(path) == ["r-seven-now", "r-seven-old", "r-seventy"]


def test_the_sweep_leaves_requests_younger_than_the_grace_period(setup):
    shop, trackers, path = setup
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    requests.request_erasure(shop, "r-seventy", 70, now=now)
    assert asyncio.run(erasure.complete_pending(Agent(trackers), grace=60)) == 0
    assert "r-seventy" in senders(path)
    requests.request_erasure(shop, "r-seven-old", 7, now=now - timedelta(minutes=5))
    assert asyncio.run(erasure.complete_pending(Agent(trackers), grace=60)) == 1
    assert senders(path) == ["r-anonymous", "r-seventy"]


def test_after_a_turn_the_channels_erase_what_it_asked_for(setup):
    from types import SimpleNamespace

    shop, trackers, path = setup
    app = SimpleNamespace(ctx=SimpleNamespace(agent=Agent(trackers)))
    asyncio.run(erasure.after_turn(app, "r-seventy"))  # nothing asked: nothing happens
    assert len(senders(path)) == 4
    requests.request_erasure(shop, "r-seventy", 70)
    asyncio.run(erasure.after_turn(app, "r-seventy"))
    assert senders(path) == ["r-anonymous", "r-seven-now", "r-seven-old"]
    asyncio.run(erasure.after_turn(SimpleNamespace(ctx=SimpleNamespace(agent=None)), "r-seven-now"))  # not ready
