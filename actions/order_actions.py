"""The order-status and return forms: thin wrappers over ``bot.dialogue.orders``.

The forms ask for the order number and the email on the order; only when both match
(``verified_order``, a proof bound to the pair) does anything about the order reach the
shopper. Misses are counted in the shop database per email, client and conversation.
"""

import abc
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import ShopAction, client_key
from bot.dialogue import orders
from bot.dialogue.replies import apology, send
from bot.services import shared_services

logger = logging.getLogger(__name__)


def _merge(events: List[EventType], slots: Dict[Text, Any]) -> List[EventType]:
    merged: Dict[Text, Any] = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    merged.update(slots)
    return [SlotSet(name, value) for name, value in merged.items()]


class _OrderFormValidation(FormValidationAction):
    """Checks the order number and email formats, then that they belong together."""

    @abc.abstractmethod
    def name(self) -> Text:
        """validate_<form name>"""

    def services(self):
        return shared_services()

    def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        step = orders.check_order_id(value)
        send(dispatcher, step.replies)
        return step.slots

    def validate_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        step = orders.check_email(value)
        send(dispatcher, step.replies)
        return step.slots

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Text]:
        if orders.gave_up(tracker.slots.get("order_lookup_locked")):
            return []  # ends the form; the submit action offers a person
        return domain_slots

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        try:
            step = orders.verify(
                self.services().db,
                tracker.slots.get("order_id"),
                tracker.slots.get("email"),
                tracker.slots.get("verified_order"),
                conversation=tracker.sender_id,
                client=client_key(tracker),
            )
            send(dispatcher, step.replies)
            tracker.slots.update(step.slots)
            slots = dict(step.slots)
            slots.update(self.after_verification(dispatcher, tracker))
            return _merge(events, slots)
        except Exception:  # noqa: BLE001 - apologize and end the form instead of a silent failure
            logger.exception("order verification failed for %s", tracker.sender_id)
            send(dispatcher, [apology()])
            return _merge(events, {"requested_slot": None, "order_id": None, "email": None, "verified_order": None})

    def after_verification(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        return {}


class ValidateOrderStatusForm(_OrderFormValidation):
    def name(self) -> Text:
        return "validate_order_status_form"


class ActionOrderStatus(ShopAction):
    """After the order form: the order's status, or a person after too many misses."""

    def name(self) -> Text:
        return "action_order_status"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if orders.gave_up(tracker.get_slot("order_lookup_locked")):
            send(dispatcher, orders.give_up_replies())
            return [SlotSet("order_lookup_locked", None), SlotSet("order_id", None), SlotSet("email", None)]
        view = orders.verified_order(
            self.services().db, tracker.get_slot("order_id"), tracker.get_slot("email"), tracker.get_slot("verified_order")
        )
        if view is None:
            send(dispatcher, [apology()])
            return []
        await self.say(dispatcher, tracker, orders.order_status_replies(view))
        return []


class ValidateReturnForm(_OrderFormValidation):
    """Adds the item and reason to the order checks; ends early when nothing is returnable."""

    def name(self) -> Text:
        return "validate_return_form"

    def _view(self, tracker: Tracker):
        return orders.verified_order(
            self.services().db, tracker.slots.get("order_id"), tracker.slots.get("email"), tracker.slots.get("verified_order")
        )

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Text]:
        if orders.gave_up(tracker.slots.get("order_lookup_locked")):
            return []
        view = self._view(tracker)
        if view is not None and not orders.returnable_items(view):
            return []  # nothing on this order can be returned: the submit action says why
        return domain_slots

    def after_verification(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        view = self._view(tracker)
        if view is None:
            # No (longer a) verified order: an item chosen for another order must go too.
            if tracker.slots.get("return_item") is not None:
                tracker.slots["return_item"] = None
                return {"return_item": None}
            return {}
        if tracker.slots.get("return_item"):
            return {}
        items = orders.returnable_items(view)
        if len(items) == 1 and len(orders.items_of(view)) == 1:
            tracker.slots["return_item"] = items[0].product_id
            return {"return_item": items[0].product_id}
        return {}

    def validate_return_item(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        view = self._view(tracker)
        if view is None:
            return {"return_item": None}
        step = orders.check_return_item(view, value)
        send(dispatcher, step.replies)
        return step.slots

    def validate_return_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"return_reason": orders.return_reason_ok(value)}


class ActionAskOrderId(ShopAction):
    def name(self) -> Text:
        return "action_ask_order_id"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        send(dispatcher, [orders.ask_order_id(tracker.active_loop_name)])
        return []


class ActionAskEmail(ShopAction):
    def name(self) -> Text:
        return "action_ask_email"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        send(dispatcher, [orders.ask_email()])
        return []


class ActionAskReturnReason(ShopAction):
    def name(self) -> Text:
        return "action_ask_return_reason"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        send(dispatcher, [orders.ask_return_reason()])
        return []


class ActionAskReturnItem(ShopAction):
    """Asks which item to return, with one button per returnable item of the order."""

    def name(self) -> Text:
        return "action_ask_return_item"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        view = orders.verified_order(
            self.services().db, tracker.get_slot("order_id"), tracker.get_slot("email"), tracker.get_slot("verified_order")
        )
        if view is not None:
            send(dispatcher, [orders.return_item_question(view)])
        return []


class ActionSubmitReturn(ShopAction):
    """Creates the return request (RMA) once the order, item and reason are known."""

    def name(self) -> Text:
        return "action_submit_return"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        reset = [SlotSet("return_item", None), SlotSet("return_reason", None)]
        if orders.gave_up(tracker.get_slot("order_lookup_locked")):
            send(dispatcher, orders.give_up_replies())
            return reset + [SlotSet("order_lookup_locked", None), SlotSet("order_id", None), SlotSet("email", None)]
        services = self.services()
        replies = orders.submit_return(
            services.db,
            tracker.get_slot("order_id"),
            tracker.get_slot("email"),
            tracker.get_slot("verified_order"),
            tracker.get_slot("return_item"),
            tracker.get_slot("return_reason"),
            currency=services.catalog.shop.get("currency", "USD"),
        )
        send(dispatcher, replies)
        return reset
