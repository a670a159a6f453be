"""Store questions and product questions, answered from the shop's own knowledge."""

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ShopAction, entity_values, latest_text
from bot.dialogue.faq import faq_replies
from bot.dialogue.orders import verified_order
from bot.dialogue.products import compare_turn, compatibility_turn, product_info_turn


class ActionFaq(ShopAction):
    """Store policy questions: the FAQ entry retrieval is sure of, or the closest topics."""

    def name(self) -> Text:
        return "action_faq"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        services = self.services()
        topics = entity_values(tracker, "faq_topic")
        replies = faq_replies(services.faq_answerer, services.faq, latest_text(tracker), topics[0] if topics else None)
        await self.say(dispatcher, tracker, replies)
        return []


class _ProductAction(ShopAction):
    turn = None  # one of bot.dialogue.products' *_turn functions

    def turn_for(self, tracker: Tracker):
        services = self.services()
        return type(self).turn(
            services,
            latest_text(tracker),
            chosen=entity_values(tracker, "product_id"),
            focus=tracker.get_slot("products_in_focus") or [],
        )

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        turn = self.turn_for(tracker)
        await self.say(dispatcher, tracker, turn.replies)
        return [SlotSet("products_in_focus", turn.focus)] if turn.focus is not None else []


class ActionProductInfo(_ProductAction):
    """Details, price and stock of a product, from the knowledge graph."""

    turn = staticmethod(product_info_turn)

    def name(self) -> Text:
        return "action_product_info"


class ActionCompareProducts(_ProductAction):
    """Two or more products side by side, differences first."""

    turn = staticmethod(compare_turn)

    def name(self) -> Text:
        return "action_compare_products"


class ActionProductCompatibility(_ProductAction):
    """Whether products work together; what fits a device or what the shopper bought."""

    def name(self) -> Text:
        return "action_product_compatibility"

    def turn_for(self, tracker: Tracker):
        services = self.services()
        view = verified_order(
            services.db, tracker.get_slot("order_id"), tracker.get_slot("email"), tracker.get_slot("verified_order")
        )
        owned = [item.product_id for item in getattr(view, "items", [])] if view is not None else []
        return compatibility_turn(
            services,
            latest_text(tracker),
            chosen=entity_values(tracker, "product_id"),
            focus=tracker.get_slot("products_in_focus") or [],
            owned=owned,
        )
