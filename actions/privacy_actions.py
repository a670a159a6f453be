"""The shopper's rights: see, export and delete what is held (each confirmed), and consent.

Glue only: who is asking comes from the signed identity (``actions.base.customer_id``),
what to do from ``bot.dialogue.privacy``. The question's pending request lives in the
``privacy_pending`` slot (set only here, custom mapping); ``action_privacy_confirm`` acts
on it only when the shopper's yes or no answers that very question.
"""

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ShopAction, customer_id, entity_values, latest_text, rich
from bot.dialogue.privacy import RIGHT_ENTITY, privacy_confirm_turn, privacy_request_turn
from bot.dialogue.replies import send
from bot.names import ACTION_LISTEN, ACTION_PRIVACY_CONFIRM, ACTION_PRIVACY_REQUEST, AFFIRM

PENDING_SLOT = "privacy_pending"


def profiles():
    from bot.profiles.service import shared_profiles

    return shared_profiles()


def action_before_latest_message(tracker: Tracker) -> Optional[Text]:
    """The last action the bot ran before the shopper's latest message (``action_listen`` aside)."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return None  # two user messages in a row: nothing asked in between
            seen_user = True
        elif seen_user and kind == "action" and event.get("name") != ACTION_LISTEN:
            return event.get("name")
    return None


class ActionPrivacyRequest(ShopAction):
    """Ask to confirm seeing, exporting or deleting what is held; change consent at once."""

    def name(self) -> Text:
        return ACTION_PRIVACY_REQUEST

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        chosen = entity_values(tracker, RIGHT_ENTITY)
        turn = privacy_request_turn(profiles(), latest_text(tracker), customer_id(tracker), tracker.sender_id,
                                    right=chosen[0] if chosen else None, rich=rich(tracker))
        send(dispatcher, turn.replies, rich=rich(tracker))
        return [SlotSet(PENDING_SLOT, turn.pending)]


class ActionPrivacyConfirm(ShopAction):
    """The yes (act) or no (leave it) to the privacy question just asked."""

    def name(self) -> Text:
        return ACTION_PRIVACY_CONFIRM

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        turn = privacy_confirm_turn(
            profiles(), tracker.get_slot(PENDING_SLOT), confirmed=intent == AFFIRM,
            customer_id=customer_id(tracker), conversation_id=tracker.sender_id,
            asked_just_before=action_before_latest_message(tracker) == ACTION_PRIVACY_REQUEST,
            rich=rich(tracker))
        send(dispatcher, turn.replies, rich=rich(tracker))
        return [SlotSet(PENDING_SLOT, None)]
