"""What every shop action shares: one apology instead of a stack trace, and the services.

An action that fails (a database down, a model missing) must still answer the shopper;
the error goes to the log, the shopper gets an apology and a way to reach a person.
"""

import abc
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.replies import apology, rich_channel, send
from bot.services import shared_services

logger = logging.getLogger(__name__)


def entity_values(tracker: Tracker, entity: Text) -> List[Text]:
    """Values of one entity in the latest message (button payloads carry them too)."""
    values = []
    for item in tracker.latest_message.get("entities") or []:
        if item.get("entity") == entity and isinstance(item.get("value"), str):
            values.append(item["value"])
    return values


def latest_text(tracker: Tracker) -> Text:
    return tracker.latest_message.get("text") or ""


def client_key(tracker: Tracker) -> Optional[Text]:
    """The server-set pseudonym of the shopper's address, when the channel added one.

    The channels put ``{"shopbot": {"client": ...}}`` into every user message's metadata
    and discard whatever a client sent under that key; tests and ``rasa shell`` have none.
    """
    metadata = tracker.latest_message.get("metadata")
    shopbot = metadata.get("shopbot") if isinstance(metadata, dict) else None
    client = shopbot.get("client") if isinstance(shopbot, dict) else None
    return client if isinstance(client, str) and client else None


def customer_id(tracker: Tracker) -> Optional[int]:
    """The signed-in shopper's id in the shop database, when their message carried a valid token.

    The channels verify the shopper's identity token (``bot.identity.tokens``) and put only
    the id into the server-set ``{"shopbot": {"customer_id": ...}}``; a client cannot set it,
    and anonymous shoppers (no token, or an expired or forged one) have none.
    """
    metadata = tracker.latest_message.get("metadata")
    shopbot = metadata.get("shopbot") if isinstance(metadata, dict) else None
    value = shopbot.get("customer_id") if isinstance(shopbot, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def rich(tracker: Tracker) -> bool:
    """Whether the shopper's channel shows product cards (``rasa shell`` prints them raw)."""
    return rich_channel(tracker.get_latest_input_channel())


class ShopAction(Action, abc.ABC):
    """An action whose ``respond`` may fail without the shopper ever seeing it.

    Abstract (rasa-sdk registers every concrete ``Action`` subclass it finds).
    """

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""

    def services(self):
        return shared_services()

    @abc.abstractmethod
    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """What the action says and does; exceptions become an apology in ``run``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        try:
            return await self.respond(dispatcher, tracker, domain)
        except Exception:  # noqa: BLE001 - the shopper gets an apology, the log gets the trace
            logger.exception("%s failed for conversation %s", self.name(), tracker.sender_id)
            send(dispatcher, [apology()])
            return []
