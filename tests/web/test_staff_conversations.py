"""The conversation reader, filters, corrections YAML and CLI exports, against a tracker
database written by Rasa's own ``SQLTrackerStore`` with real events (Rasa env only)."""

import asyncio
import json
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

rasa = pytest.importorskip("rasa")

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from bot.web import cli  # noqa: E402
from bot.web.conversations import ConversationReader, Filters, apply_filters  # noqa: E402
from bot.web.staff import review  # noqa: E402
from bot.web.staff.models import StaffDatabase  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DAY1 = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc).timestamp()
DAY2 = datetime(2024, 5, 2, 15, 0, tzinfo=timezone.utc).timestamp()
XSS = '<img src=x onerror="alert(1)">'


def user(text, intent, confidence, ts, sentiment="neutral", entities=(), channel="socketio"):
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": list(entities),
             "text": text, "sentiment": {"label": sentiment, "score": 0.9},
             "intent_ranking": [{"name": intent, "confidence": confidence}]}
    return UserUttered(text, parse["intent"], list(entities), parse_data=parse, timestamp=ts,
                       input_channel=channel, metadata={"shopper_id": "shopper-1"})


def conversations():
    """Three conversations: a happy order lookup, an angry fallback + handoff, a REST one."""
    happy = [
        SessionStarted(timestamp=DAY1), ActionExecuted("action_listen", timestamp=DAY1),
        user("where is my order ORD-100345", "order_status", 0.97, DAY1 + 1,
             entities=[{"entity": "order_id", "value": "ORD-100345", "start": 18, "end": 28}]),
        ActionExecuted("order_form", timestamp=DAY1 + 2),
        BotUttered("What's the e-mail on the order?", timestamp=DAY1 + 3),
        SlotSet("email", "jane.doe@example.com", timestamp=DAY1 + 4),
        SlotSet("verified_order", True, timestamp=DAY1 + 4),
        ActionExecuted("action_order_status", timestamp=DAY1 + 5),
        BotUttered("Your order is on its way.", metadata={"source": "generator"}, timestamp=DAY1 + 6),
        ActionExecuted("action_listen", timestamp=DAY1 + 7),
    ]
    angry = [
        SessionStarted(timestamp=DAY2), ActionExecuted("action_listen", timestamp=DAY2),
        user(XSS + " asdkjh", "nlu_fallback", 0.31, DAY2 + 1, sentiment="negative"),
        ActionExecuted("action_rephrase_options", timestamp=DAY2 + 2),
        BotUttered("Sorry, did you mean one of these?", data={"buttons": [{"title": "Talk to a person",
                   "payload": "/human_handoff"}]}, timestamp=DAY2 + 3),
        ActionExecuted("action_listen", timestamp=DAY2 + 4),
        user("this is useless, get me a human", "human_handoff", 0.92, DAY2 + 5, sentiment="negative"),
        ActionExecuted("action_human_handoff", timestamp=DAY2 + 6),
        BotUttered("I've opened a ticket.", timestamp=DAY2 + 7),
        ConversationPaused(timestamp=DAY2 + 8),
        BotUttered("Hi, Ann here.", metadata={"from": "agent", "agent": "Ann"}, timestamp=DAY2 + 9),
    ]
    rest = [
        ActionExecuted("action_listen", timestamp=DAY2 + 100),
        user("hi", "greet", 0.99, DAY2 + 101, channel="rest"),
        ActionExecuted("utter_greet", timestamp=DAY2 + 102),
        BotUttered("Hello!", timestamp=DAY2 + 103),
    ]
    return {"happy": happy, "angry": angry, "rest": rest}


@pytest.fixture(scope="module")
def tracker_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("trackers") / "conversations.db"
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))
    for sender, events in conversations().items():
        tracker = DialogueStateTracker.from_events(sender, events, slots=domain.slots)
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    return path


@pytest.fixture()
def reader(tracker_db) -> ConversationReader:
    return ConversationReader(path=tracker_db)


def by_sender(summaries):
    return {s.sender_id: s for s in summaries}


def test_summaries_come_from_rasas_events_table(reader):
    found = by_sender(reader.summaries())
    assert set(found) == {"happy", "angry", "rest"}
    happy, angry, rest = found["happy"], found["angry"], found["rest"]
    assert happy.channel == "socketio" and rest.channel == "rest"
    assert happy.turns == 1 and angry.turns == 2
    assert happy.customer_email == "jane.doe@example.com" and angry.customer_email is None
    assert angry.negative and angry.fallback and angry.handoff and angry.paused
    assert not (happy.negative or happy.fallback or happy.handoff or happy.paused)
    assert angry.min_confidence == pytest.approx(0.31)
    assert angry.intents == ["nlu_fallback", "human_handoff"]
    assert happy.started.date() == date(2024, 5, 1)
    assert [s.sender_id for s in reader.summaries()][0] == "rest"  # newest activity first


def test_transcript_turns_carry_nlu_action_source_and_slots(reader):
    turns = reader.conversation("happy").turns
    shopper, ask, answer = turns
    assert shopper.kind == "user" and shopper.intent == "order_status" and shopper.confidence == 0.97
    assert shopper.entities[0]["value"] == "ORD-100345" and shopper.sentiment["label"] == "neutral"
    assert (ask.action, ask.source) == ("order_form", "template")
    assert (answer.action, answer.source) == ("action_order_status", "generator")
    assert answer.slots["email"] == "jane.doe@example.com" and "email" not in ask.slots
    angry = reader.conversation("angry").turns
    assert angry[1].buttons[0]["title"] == "Talk to a person"
    assert (angry[-1].kind, angry[-1].agent, angry[-1].source) == ("agent", "Ann", "agent")
    assert reader.conversation("nobody") is None
    assert [t.text for t in reader.new_turns("angry", angry[-2].event_id)] == ["Hi, Ann here."]


@pytest.mark.parametrize("filters, expected", [
    (Filters(), {"happy", "angry", "rest"}),
    (Filters(since=date(2024, 5, 2)), {"angry", "rest"}),
    (Filters(until=date(2024, 5, 1)), {"happy"}),
    (Filters(channel="rest"), {"rest"}),
    (Filters(negative=True), {"angry"}),
    (Filters(fallback=False), {"happy", "rest"}),
    (Filters(handoff=True), {"angry"}),
    (Filters(intent="greet"), {"rest"}),
    (Filters(low_confidence=True, threshold=0.5), {"angry"}),
    (Filters(low_confidence=True, threshold=0.98), {"angry", "happy"}),
    (Filters(customer="JANE"), {"happy"}),
    (Filters(q="useless"), {"angry"}),
    (Filters(q="on its way"), {"happy"}),
    (Filters(reviewed=True), {"rest"}),
    (Filters(reviewed=False), {"happy", "angry"}),
    (Filters(feedback=True), {"happy"}),
])
def test_filters(reader, filters, expected):
    kept = apply_filters(reader.summaries(), filters, reviewed={"rest"}, with_feedback={"happy"})
    assert {s.sender_id for s in kept} == expected


def test_feedback_counts_come_from_the_web_store(tmp_path):
    from bot.web.store import WebStore

    store = WebStore(f"sqlite:///{tmp_path / 'shop.db'}")
    assert store.feedback_counts() == {}
    store.set_feedback("a", 1.5, "up")
    store.set_feedback("a", 2.5, "down")
    store.set_feedback("a", 3.5, "up")
    store.set_feedback("b", 1.5, "down")
    store.set_feedback("b", 1.5, "up")  # changed its mind: one vote
    assert store.feedback_counts() == {"a": {"up": 2, "down": 1}, "b": {"up": 1}}


def test_corrections_export_is_valid_rasa_nlu_data(tmp_path, reader):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    db = StaffDatabase(f"sqlite:///{tmp_path / 'staff.db'}")
    turn = reader.conversation("angry").turns[0]
    review.correct_intent(db, "angry", turn.timestamp, turn.text, turn.intent, "human_handoff", "ann@shop.example")
    review.correct_intent(db, "angry", turn.timestamp, turn.text, turn.intent, "complaint", "ann@shop.example")
    review.correct_intent(db, "happy", DAY1 + 1, "where's my parcel: ORD-1?", "faq", "order_status", "bo@shop.example")
    with pytest.raises(ValueError):
        review.correct_intent(db, "happy", DAY1 + 9, "x", None, "bad intent\n- injected", "bo@shop.example")
    items = review.corrections(db)
    assert len(items) == 2  # the second verdict on the same turn replaced the first
    assert items[0].original_intent == "nlu_fallback" and items[0].reviewer == "ann@shop.example"
    out = tmp_path / "corrections.yml"
    assert cli.main(["--database-url", db.url, "export-corrections", "--out", str(out)]) == 0
    content = out.read_text()
    assert 'version: "3.1"' in content or "version: '3.1'" in content
    data = RasaYAMLReader().reads(content)
    examples = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert examples == {("complaint", XSS + " asdkjh"), ("order_status", "where's my parcel: ORD-1?")}


def test_review_tags_notes_and_reviewed(tmp_path):
    db = StaffDatabase(f"sqlite:///{tmp_path / 'staff.db'}")
    assert review.set_tags(db, "s", "Refund, late delivery,, refund, <script>") == ["refund", "late delivery"]
    review.add_note(db, "s", "ann@shop.example", "called the customer")
    review.mark_reviewed(db, "s", "ann@shop.example")
    state = review.get_review(db, "s")
    assert state.reviewed and state.reviewed_by == "ann@shop.example" and state.tags == ["refund", "late delivery"]
    assert [n.text for n in review.notes(db, "s")] == ["called the customer"]
    assert review.reviewed_senders(db) == {"s"}
    review.mark_reviewed(db, "s", "ann@shop.example", reviewed=False)
    assert review.reviewed_senders(db) == set()


def test_export_conversations_as_json_lines(tmp_path, tracker_db):
    out = tmp_path / "out" / "conversations.jsonl"
    assert cli.main(["export-conversations", "--out", str(out), "--tracker-db", str(tracker_db)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["sender_id"] for line in lines} == {"happy", "angry", "rest"}
    angry = next(line for line in lines if line["sender_id"] == "angry")
    assert angry["handoff"] and [m["kind"] for m in angry["messages"]] == ["user", "bot", "user", "bot", "agent"]
    out2 = tmp_path / "since.jsonl"
    assert cli.main(["export-conversations", "--out", str(out2), "--since", "2024-05-02",
                     "--tracker-db", str(tracker_db)]) == 0
    assert {json.loads(line)["sender_id"] for line in out2.read_text().splitlines()} == {"angry", "rest"}


def test_charts_are_pngs(reader):
    from bot.web.staff import charts

    summaries = reader.summaries()
    numbers = charts.metrics(summaries, {"happy": {"up": 3, "down": 1}}, 0)
    assert numbers["conversations"] == 3 and numbers["handoff_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert numbers["containment_rate"] == pytest.approx(2 / 3, abs=1e-3) and numbers["feedback_score"] == 0.75
    charts.clear_cache()
    started = time.monotonic()
    for name in charts.CHARTS:
        assert charts.render(name, summaries, {"happy": {"up": 3}}, 0).startswith(b"\x89PNG")
    assert charts.render("intents", [], {}, 0).startswith(b"\x89PNG")  # cached
    assert time.monotonic() - started < 60


def test_exported_conversations_are_redacted(tmp_path):
    """Old tracker data may hold what shoppers pasted: the export never writes it out."""
    path = tmp_path / "conversations.db"
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))
    pasted = "card 4111 1111 1111 1111, call me on +1-555-123-4567 or mail bob.smith@example.org"
    events = [
        ActionExecuted("action_listen", timestamp=DAY1),
        user(pasted, "order_status", 0.9, DAY1 + 1),
        SlotSet("email", "jane.doe@example.com", timestamp=DAY1 + 2),
        SlotSet("verified_order", True, timestamp=DAY1 + 2),
        ActionExecuted("action_order_status", timestamp=DAY1 + 3),
        BotUttered("Sent to jane.doe@example.com, ORD-100345 ships 2024-05-03.", timestamp=DAY1 + 4),
        user("thanks", "thank", 0.99, DAY1 + 5),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("pii-1", events, slots=domain.slots)))
    store.engine.dispose()
    out = tmp_path / "export.jsonl"
    assert cli.main(["export-conversations", "--out", str(out), "--tracker-db", str(path)]) == 0
    raw = out.read_text()
    for secret in ("4111 1111 1111 1111", "555-123-4567", "bob.smith@example.org", "jane.doe@example.com"):
        assert secret not in raw
    line = json.loads(raw)
    assert line["sender_id"] == "pii-1" and line["customer_email"] == "j***@example.com"
    shopper, bot, _ = line["messages"]
    assert "[card number]" in shopper["text"] and "[phone number]" in shopper["text"] and "[email]" in shopper["text"]
    assert "ORD-100345" in bot["text"] and "2024-05-03" in bot["text"]  # order numbers and dates stay
    assert bot["slots"]["email"] == "[email]"
