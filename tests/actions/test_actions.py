"""The custom actions, run with real rasa-sdk trackers and dispatchers."""

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionRephraseOptions
from bot.dialogue.rephrase import DID_YOU_MEAN


def tracker_with(latest_message):
    return Tracker(
        sender_id="shopper-1",
        slots={},
        latest_message=latest_message,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_rephrase_offers_the_likeliest_intents():
    tracker = tracker_with({
        "text": "my thing didnt come",
        "intent": {"name": "nlu_fallback", "confidence": 0.5},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.5},
            {"name": "order_status", "confidence": 0.45},
            {"name": "complaint", "confidence": 0.35},
        ],
    })
    [message], events = run(ActionRephraseOptions(), tracker)
    assert events == []
    assert message["text"] == DID_YOU_MEAN
    assert [b["payload"] for b in message["buttons"]] == [
        "/order_status", "/complaint", "/human_handoff"
    ]


def test_rephrase_without_any_likely_intent_asks_to_rephrase():
    tracker = tracker_with({"text": "zzz", "intent": {"name": "nlu_fallback"}, "intent_ranking": []})
    [message], _ = run(ActionRephraseOptions(), tracker)
    assert message["response"] == "utter_rephrase"
    assert not message["buttons"]
