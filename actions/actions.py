"""Custom actions. Thin: read the tracker, call a service in ``bot/``, dispatch.

Heavy models are imported lazily inside the services, never at import time: the
action server exits on any import error here.
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.rephrase import DID_YOU_MEAN, rephrase_buttons


class ActionRephraseOptions(Action):
    """After an unclear message: offer the likeliest intents as buttons, or ask to rephrase."""

    def name(self) -> Text:
        return "action_rephrase_options"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        buttons = rephrase_buttons(tracker.latest_message.get("intent_ranking"))
        if buttons:
            dispatcher.utter_message(text=DID_YOU_MEAN, buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_rephrase")
        return []
