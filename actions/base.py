"""What every shop action shares: one apology instead of a stack trace, the services, and
``say``: the replies, worded for the shopper where they opted in.

An action that fails (a database down, a model missing) must still answer the shopper;
the error goes to the log, the shopper gets an apology and a way to reach a person.
"""

import abc
import asyncio
from dataclasses import replace
import logging
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.replies import Reply, apology, rich_channel, send
from bot.dialogue.wording import needs_wording, word_for_shopper
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


def generation_on() -> bool:
    """``SHOPBOT_GENERATION``, read on every turn (the generator's model is not imported here)."""
    from bot.generation.service import generation_enabled

    return generation_enabled()


async def say(dispatcher: CollectingDispatcher, tracker: Tracker, replies: Iterable[Reply], services: Any = None) -> None:
    """Send ``replies`` through the dispatcher, the opted-in ones worded for this shopper.

    With generation off (the default) nothing is loaded and every reply is its template;
    the path is recorded either way (``Reply.record``).
    """
    replies = list(replies)
    shows_cards = rich(tracker)
    if not shows_cards:
        # a text-only channel (rasa shell) drops the product cards: the text is then the
        # only list of the products, so it is sent whole, as built
        replies = [replace(r, rephrase=False) if r.rephrase and r.custom else r for r in replies]
    if needs_wording(replies) and generation_on():
        services = services or shared_services()
        customer = customer_id(tracker)

        def word() -> List[Reply]:
            # all of it off the event loop: the rephraser's first build (names from the
            # catalog and the customers), the profile, the model
            try:
                name = services.customer_name(customer) if customer is not None else None
            except Exception:  # noqa: BLE001 - no name is fine
                name = None
            return word_for_shopper(replies, services.rephraser, services.profiles, customer,
                                    tracker.sender_id, latest_text(tracker), name)

        try:
            replies = await asyncio.get_running_loop().run_in_executor(None, word)
        except Exception:  # noqa: BLE001 - the templates always go out
            logger.exception("wording replies failed; sending the templates")
    send(dispatcher, replies, rich=shows_cards)


class ShopAction(Action, abc.ABC):
    """An action whose ``respond`` may fail without the shopper ever seeing it.

    Abstract (rasa-sdk registers every concrete ``Action`` subclass it finds).
    """

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""

    def services(self):
        return shared_services()

    async def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, replies: Iterable[Reply]) -> None:
        """Send ``replies``; those that opted in (``Reply.rephrase``) worded for this shopper
        by the process's rephraser, in a worker thread (``bot.dialogue.wording``)."""
        await say(dispatcher, tracker, replies, self.services())

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
