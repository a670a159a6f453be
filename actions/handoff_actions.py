"""Handing over to a person: a ticket with the transcript for the support team."""

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ShopAction
from bot.dialogue.handoff import handoff_replies
from bot.dialogue.replies import send


class ActionHumanHandoff(ShopAction):
    def name(self) -> Text:
        return "action_human_handoff"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        email = tracker.get_slot("email") if tracker.get_slot("verified_order") else None
        send(dispatcher, handoff_replies(self.services().db, tracker.sender_id, tracker.events, email=email))
        return []
