"""Making sure every shopper message gets an answer, even when a part behind Rasa fails.

Rasa logs a failed custom action (action server down, a timeout) and carries on without
a word to the shopper. The channels count what they sent for a message; when nothing
went out and the conversation is not paused for a person, they send this apology
instead of silence.
"""

import logging
from typing import Any, Dict, List, Optional, Text

from bot.names import HUMAN_HANDOFF, command

logger = logging.getLogger(__name__)

APOLOGY = ("Sorry, something went wrong on my side and I couldn't answer that just now. "
           "Please try again in a moment, or ask for a person.")
HANDOFF_BUTTON = {"title": "Talk to a person", "payload": command(HUMAN_HANDOFF)}


def apology_buttons() -> List[Dict[Text, Text]]:
    return [dict(HANDOFF_BUTTON)]


async def needs_apology(app: Optional[Any], conversation_id: Text) -> bool:
    """True unless the conversation is paused (a person took over: silence is right)."""
    agent = getattr(getattr(app, "ctx", None), "agent", None) if app is not None else None
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return True
    try:
        tracker = await store.retrieve(conversation_id)
    except Exception:  # noqa: BLE001 - the store itself may be what failed
        logger.exception("reading the tracker to decide on an apology failed")
        return True
    return not (tracker is not None and tracker.is_paused())
