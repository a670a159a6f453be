"""The privacy actions through rasa-sdk: the question's pending request in its slot, a yes
acting only right after the question and only for the signed-in customer who asked, the
button's entity, and ``rasa shell`` getting the export as text."""

import json

import pytest

from actions.privacy_actions import ActionPrivacyConfirm, ActionPrivacyRequest, action_before_latest_message
from bot.privacy.consent import read_consent
from bot.profiles.service import ProfileService
from tests.actions.conftest import make_tracker, run_action, slots_of


@pytest.fixture
def profiles(services, monkeypatch):
    service = ProfileService(services.db, services.catalog, sentiment=lambda: None)
    monkeypatch.setitem(services._built, "profiles", service)  # what shared_profiles() returns
    return service


def signed_in(customer_id):
    return {"shopbot": {"customer_id": customer_id, "channel": "rest"}}


def asked(pending_text, customer_id, intent="affirm", sender="privacy-1", input_channel=None):
    """A tracker whose latest message answers action_privacy_request's question."""
    events = [{"event": "user", "text": pending_text}, {"event": "action", "name": "action_privacy_request"},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "yes", "input_channel": input_channel or "rest"}]
    return make_tracker("yes", intent, metadata=signed_in(customer_id) if customer_id else None,
                        events=events, sender=sender)


def test_the_request_asks_and_remembers_whose_request_it_is(profiles):
    messages, events = run_action(ActionPrivacyRequest(),
                                  make_tracker("delete my data", "privacy_request", metadata=signed_in(3)))
    assert "Delete it all?" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]
    assert slots_of(events) == {"privacy_pending": "delete:3"}


def test_a_buttons_right_is_taken(profiles):
    entities = [{"entity": "privacy_right", "value": "export"}]
    messages, events = run_action(ActionPrivacyRequest(), make_tracker(
        '/privacy_request{"privacy_right":"export"}', "privacy_request", entities, metadata=signed_in(3)))
    assert slots_of(events) == {"privacy_pending": "export:3"} and "JSON file" in messages[0]["text"]


def test_a_consent_change_acts_at_once_and_clears_the_pending_request(profiles):
    messages, events = run_action(ActionPrivacyRequest(), make_tracker(
        "stop personalizing", "privacy_request", metadata=signed_in(4), slots={"privacy_pending": "delete:4"}))
    assert slots_of(events) == {"privacy_pending": None}
    assert messages[0]["custom"] == {"type": "consent", "personalization": False}
    assert read_consent(profiles.db, 4).source == "chat" and not profiles.consent(4)


def test_a_yes_right_after_the_question_acts(profiles):
    tracker = asked("what do you know about me?", 5)
    tracker.slots["privacy_pending"] = "see:5"
    assert action_before_latest_message(tracker) == "action_privacy_request"
    messages, events = run_action(ActionPrivacyConfirm(), tracker)
    assert messages[0]["text"].startswith(("Here's what I hold about you:", "I hold no shopping profile"))
    assert slots_of(events) == {"privacy_pending": None}


def test_a_late_yes_or_anothers_yes_does_nothing(profiles):
    late = make_tracker("yes", "affirm", metadata=signed_in(5), slots={"privacy_pending": "delete:5"},
                        events=[{"event": "action", "name": "action_privacy_request"}, {"event": "user", "text": "hi"},
                                {"event": "action", "name": "utter_greet"}, {"event": "user", "text": "yes"}])
    assert action_before_latest_message(late) == "utter_greet"
    messages, _ = run_action(ActionPrivacyConfirm(), late)
    assert messages[0]["text"] == "Great! What else can I do for you?"
    other = asked("delete my data", 6)
    other.slots["privacy_pending"] = "delete:5"
    messages, _ = run_action(ActionPrivacyConfirm(), other)
    assert "left everything as it is" in messages[0]["text"]


def test_rasa_shell_gets_the_export_as_text(profiles):
    tracker = asked("export my data", 7, input_channel="cmdline")
    tracker.slots["privacy_pending"] = "export:7"
    messages, _ = run_action(ActionPrivacyConfirm(), tracker)
    data = json.loads(messages[-1]["text"])
    assert data["customer"]["id"] == 7 and not any(m.get("custom") for m in messages)


def test_offers_stop_and_start_in_the_chat_for_the_signed_in_customer_only(profiles):
    from bot.privacy.marketing import forget_marketing, read_marketing, write_marketing

    before = read_marketing(profiles.db, 5)
    try:
        messages, events = run_action(ActionPrivacyRequest(), make_tracker(
            "stop sending me offers", "privacy_request", metadata=signed_in(5)))
        assert slots_of(events) == {"privacy_pending": None}
        assert messages[0]["custom"] == {"type": "consent", "marketing": False}
        assert (read_marketing(profiles.db, 5).marketing, read_marketing(profiles.db, 5).source) == (False, "chat")
        entities = [{"entity": "privacy_right", "value": "offers_in"}]
        messages, _ = run_action(ActionPrivacyRequest(), make_tracker(
            '/privacy_request{"privacy_right":"offers_in"}', "privacy_request", entities, metadata=signed_in(5)))
        assert "Offers are on again" in messages[0]["text"] and profiles.marketing(5)
        # a shopper who is not signed in: told so, nothing written for anyone
        messages, _ = run_action(ActionPrivacyRequest(), make_tracker("stop sending me offers", "privacy_request"))
        assert "not signed in" in messages[0]["text"] and not messages[0].get("custom")
        assert read_marketing(profiles.db, 5).marketing
    finally:
        forget_marketing(profiles.db, 5)
        if before.updated_at is not None:
            write_marketing(profiles.db, 5, before.marketing, before.source, now=before.updated_at)
