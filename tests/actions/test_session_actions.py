"""The session start through rasa-sdk over the seeded demo shop: Rasa's events, the slots
carried over, the ended session's mood kept in the shopper's profile."""

from sqlalchemy import select

from actions.session_actions import ActionSessionStart, last_session, session_moods
from bot.shop.seed import DEMO_ORDERS
from tests.actions.conftest import make_tracker, run_action, slots_of


def user(text, label, score, timestamp):
    return {"event": "user", "text": text, "timestamp": timestamp,
            "parse_data": {"intent": {"name": "x"}, "sentiment": {"label": label, "score": score}}}


ENDED = [
    {"event": "session_started", "timestamp": 100.0},
    user("hi", "neutral", 0.9, 101.0),
    user("my order is late and nobody answers", "negative", 0.8, 102.0),
    user("thanks, that helped", "positive", 0.6, 103.0),
]


def customer_id(services, email):
    from bot.shop.schema import Customer

    with services.db.session() as session:
        return session.execute(select(Customer.id).where(Customer.email == email)).scalar_one()


def test_only_the_ended_sessions_messages_count():
    earlier = [{"event": "session_started", "timestamp": 1.0}, user("old", "negative", 1.0, 2.0)]
    assert last_session(earlier + ENDED) == ENDED[1:]
    assert session_moods(earlier + ENDED) == [0.0, -0.8, 0.6]


def test_rasas_session_start_events_with_the_slots_carried_over(services):
    tracker = make_tracker(slots={"products_in_focus": ["SKU-1"], "email": None}, events=ENDED, sender="anon-session")
    messages, events = run_action(ActionSessionStart(), tracker,
                                  {"session_config": {"carry_over_slots_to_new_session": True}})
    assert messages == []
    assert events[0]["event"] == "session_started" and events[-1] == {
        "event": "action", "name": "action_listen", "policy": None, "confidence": None, "timestamp": None}
    assert slots_of(events) == {"products_in_focus": ["SKU-1"]}  # unset slots are not set again
    _, events = run_action(ActionSessionStart(), tracker, {"session_config": {"carry_over_slots_to_new_session": False}})
    assert slots_of(events) == {}


def test_a_signed_in_shoppers_mood_reaches_their_profile(services):
    jane = customer_id(services, DEMO_ORDERS["shipped"].email)
    tracker = make_tracker(events=ENDED, sender="jane-session",
                           slots={"session_started_metadata": {"shopbot": {"customer_id": jane}}})
    run_action(ActionSessionStart(), tracker, {})
    profile = services.profiles.get(customer_id=jane, conversation_id="jane-session")
    [mood] = [m for m in profile.conversations if m.conversation_id == "jane-session"]
    assert round(mood.score, 3) == round((0.0 - 0.8 + 0.6) / 3, 3) and mood.turns == 3  # stored to 4 places


def test_a_client_cannot_claim_a_customer_by_metadata_it_sends():
    from actions.session_actions import session_customer

    forged = make_tracker(slots={"session_started_metadata": {"customer_id": 1, "shopbot": {"customer_id": "1"}}})
    assert session_customer(forged) is None
