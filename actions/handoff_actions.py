"""Handing over to a person: a ticket with the transcript for the support team."""

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ShopAction
from bot.dialogue.handoff import handoff_replies
from bot.dialogue.orders import verified_customer_email
from bot.dialogue.replies import send


class ActionHumanHandoff(ShopAction):
    """A ticket naming only the customer this conversation verified (the order's own
    email from the database), never whatever the ``email`` slot holds."""

    def name(self) -> Text:
        return "action_human_handoff"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        db = self.services().db
        email = verified_customer_email(
            db, tracker.get_slot("order_id"), tracker.get_slot("email"), tracker.get_slot("verified_order")
        )
        send(dispatcher, handoff_replies(db, tracker.sender_id, tracker.events, email=email))
        return []
