"""Recommendations, product search and stated preferences, for this shopper.

Thin: who the shopper is comes from the signed identity (``customer_id``) or the
conversation; the profile from the one consent-aware service; the answer from
``bot.dialogue.personal`` / ``bot.dialogue.preferences``. Each turn that used the profile
records a summary of it (names only) in the ``profile_used`` slot for the staff console.
"""

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ShopAction, customer_id, latest_text
from bot.dialogue.personal import profile_used, recommend_turn, search_turn
from bot.dialogue.preferences import state_preferences
from bot.dialogue.products import compare_turn


def _entities(tracker: Tracker) -> List[Dict[Text, Any]]:
    return [e for e in tracker.latest_message.get("entities") or [] if isinstance(e, dict)]


class _PersonalAction(ShopAction):
    """Reads the shopper's profile once per turn (respecting consent)."""

    def profile(self, tracker: Tracker) -> Any:
        return self.services().profiles.get(customer_id=customer_id(tracker), conversation_id=tracker.sender_id)

    def used(self, tracker: Tracker, profile: Any) -> SlotSet:
        return SlotSet("profile_used", profile_used(profile, self.services().catalog, customer_id(tracker) is not None))


class ActionRecommend(_PersonalAction):
    """Products for this shopper, each with the reason it was picked."""

    def name(self) -> Text:
        return "action_recommend"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        profile = self.profile(tracker)
        turn = recommend_turn(self.services(), profile, latest_text(tracker), _entities(tracker))
        await self.say(dispatcher, tracker, turn.replies)
        events: List[Dict[Text, Any]] = [self.used(tracker, profile)]
        if turn.focus is not None:
            events.append(SlotSet("products_in_focus", turn.focus))
        return events


class ActionSearchProducts(_PersonalAction):
    """Constraint questions ("the cheapest laptop", "tents under 2 kg") from the catalog;
    a message without any constraint gets recommendations instead."""

    def name(self) -> Text:
        return "action_search_products"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        services = self.services()
        text, entities = latest_text(tracker), _entities(tracker)
        focus = tracker.get_slot("products_in_focus") or []
        query = services.search.parse(text, entities)
        if focus and not (query.category or query.brands or query.fits or query.products):
            # "which is the cheapest?" right after a list: about the products just shown
            turn = compare_turn(services, text, focus=focus)
            await self.say(dispatcher, tracker, turn.replies)
            return [SlotSet("products_in_focus", turn.focus)] if turn.focus is not None else []
        turn = search_turn(services, text, entities)
        events: List[Dict[Text, Any]] = []
        if turn is None:
            profile = self.profile(tracker)
            turn = recommend_turn(services, profile, latest_text(tracker), _entities(tracker))
            events.append(self.used(tracker, profile))
        await self.say(dispatcher, tracker, turn.replies)
        if turn.focus is not None:
            events.append(SlotSet("products_in_focus", turn.focus))
        return events


class ActionInformPreference(_PersonalAction):
    """Remembers a stated like, dislike or budget and confirms it back."""

    def name(self) -> Text:
        return "action_inform_preference"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        services = self.services()
        customer: Optional[int] = customer_id(tracker)
        before = self.profile(tracker)
        reply = state_preferences(services.profiles, services.graph, latest_text(tracker), _entities(tracker),
                                  customer_id=customer, conversation_id=tracker.sender_id,
                                  remembered=bool(before.personalized))
        await self.say(dispatcher, tracker, [reply])
        return [self.used(tracker, self.profile(tracker))]
