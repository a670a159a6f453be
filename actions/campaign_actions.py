"""The campaign card at the start of a signed-in shopper's session (glue only).

``campaign_card_events(customer_id)`` asks ``bot.campaigns.delivery.next_card`` for the
card this customer should see now (their segment's campaign, their variant, consent
checked again, marketing consent too, never the holdout, under the frequency cap; the
impression is recorded)
and returns it as Rasa's ``BotUttered``: the text, and the product-card payload the
widget renders whose link is the signed click link. ``action_session_start`` places it
after ``SessionStarted``, so it belongs to the new session and goes out with the
session's first reply. Text-only channels get the text, the link and the signed "No more
offers" link.
"""

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk.events import BotUttered

from bot.services import shared_services

logger = logging.getLogger(__name__)


def campaign_card_events(customer_id: Optional[int], rich: bool = True, services: Any = None) -> List[Dict[Text, Any]]:
    """[BotUttered] with this customer's campaign card, or [] (anonymous, no consent, nothing due)."""
    if customer_id is None:
        return []
    from bot.campaigns.delivery import next_card
    from bot.campaigns.store import CampaignStore

    services = services or shared_services()
    card = next_card(CampaignStore(services.db), customer_id, services.profiles.consent(customer_id))
    if card is None:
        return []
    metadata = {"campaign": {"id": card.campaign_id, "variant": card.variant, "generation": card.path}}
    if rich:
        return [BotUttered(text=card.text, data={"custom": card.custom}, metadata=metadata)]
    link = (card.custom.get("products") or [{}])[0].get("url")
    text = f"{card.text} {link}" if link else card.text
    opt_out = (card.custom.get("opt_out") or {}).get("url")
    if opt_out:
        text += f" ({card.custom['opt_out'].get('label', 'No more offers')}: {opt_out})"
    return [BotUttered(text=text, metadata=metadata)]
