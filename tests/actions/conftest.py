"""Action tests: real rasa-sdk trackers and dispatchers over the seeded demo shop."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import bot.services


@pytest.fixture
def services(shop_services, monkeypatch):
    """Point the actions' process-wide services at the test session's shop.

    The shop database lives for the whole session; the order lookup misses of earlier
    tests are forgotten so every test starts unlocked.
    """
    from bot.shop.attempts import LookupGuard

    monkeypatch.setattr(bot.services, "_shared", shop_services)
    LookupGuard(shop_services.db).clear()
    return shop_services


def make_tracker(text="", intent="", entities=(), slots=None, active_loop=None, events=(), sender="shopper-1",
                 metadata=None, input_channel=None):
    """A rasa-sdk tracker as the Rasa server sends it; ``metadata`` is the latest user
    message's (the channels put ``{"shopbot": {"client": ...}}`` there)."""
    events = list(events)
    if input_channel is not None:
        events.insert(0, {"event": "user", "text": text, "input_channel": input_channel})
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": list(entities),
                        "metadata": dict(metadata or {})},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run_action(action, tracker, domain=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return dispatcher.messages, events


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
