"""A conversation session starts: the shopper's profile is loaded, the last session's mood kept.

Rasa's own ``action_session_start`` (a new ``SessionStarted``, the slots carried over,
``action_listen``) is what this action returns too; before that it brings the signed-in
shopper's profile up to date (the one service applies the behaviour stored since it was
last read, so the first recommendation of the session is as fast as the next), and adds
the mood of the session that just ended, turn by turn from the NLU's sentiment, to the
profile's conversation trend, and shows a signed-in shopper the campaign card due to them
(``actions.campaign_actions``). A failure there never stops the session from starting.
"""

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import customer_id, rich
from actions.campaign_actions import campaign_card_events
from bot.services import shared_services

logger = logging.getLogger(__name__)


def last_session(events: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The events after the latest ``session_started`` (all of them when there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1:]
    return list(events)


def session_key(events: List[Dict[Text, Any]]) -> Text:
    """A stable id of the ended session: the time of its first event."""
    stamps = [e.get("timestamp") for e in events if isinstance(e.get("timestamp"), (int, float))]
    return str(int(min(stamps))) if stamps else ""


def session_moods(events: List[Dict[Text, Any]]) -> List[float]:
    """The signed sentiment (-1..1) of each shopper message of the ended session."""
    from bot.profiles.service import signed_sentiment

    moods = []
    for event in last_session(events):
        if event.get("event") != "user":
            continue
        sentiment = (event.get("parse_data") or {}).get("sentiment")
        if isinstance(sentiment, dict):
            moods.append(signed_sentiment(sentiment))
    return moods


class ActionSessionStart(Action):
    """Rasa's session start, with the shopper's profile loaded and the last session's mood kept."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            self.remember(tracker)
        except Exception:  # noqa: BLE001 - the session starts whatever happens to the profile
            logger.exception("profile update at the start of a session failed for %s", tracker.sender_id)
        events: List[Dict[Text, Any]] = [SessionStarted()]
        carry_over = (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True)
        if carry_over:
            events.extend(SlotSet(name, value) for name, value in tracker.slots.items()
                          if value is not None and name != "session_started_metadata")
        events.extend(self.campaign_card(tracker))
        events.append(ActionExecuted("action_listen"))
        return events

    @staticmethod
    def campaign_card(tracker: Tracker) -> List[Dict[Text, Any]]:
        """A signed-in shopper's due campaign card (``actions.campaign_actions``); [] on any failure."""
        try:
            return campaign_card_events(session_customer(tracker), rich=rich(tracker))
        except Exception:  # noqa: BLE001 - the session starts whatever happens to a campaign
            logger.exception("the campaign card at the start of a session failed for %s", tracker.sender_id)
            return []

    @staticmethod
    def remember(tracker: Tracker) -> None:
        profiles = shared_services().profiles
        customer: Optional[int] = session_customer(tracker)
        moods = session_moods(tracker.events)
        key = session_key(last_session(tracker.events))
        for mood in moods:
            profiles.record_conversation_sentiment(tracker.sender_id, mood, customer_id=customer, session_id=key)
        if customer is not None:
            profiles.get(customer_id=customer, conversation_id=tracker.sender_id)


def session_customer(tracker: Tracker) -> Optional[int]:
    """The signed-in shopper starting this session: Rasa hands the first message's metadata
    to the session start as the ``session_started_metadata`` slot (server-stamped by our
    channels, like every message's); else the last message's."""
    metadata = tracker.get_slot("session_started_metadata")
    shopbot = metadata.get("shopbot") if isinstance(metadata, dict) else None
    value = shopbot.get("customer_id") if isinstance(shopbot, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return customer_id(tracker)
