"""The campaign card a signed-in customer gets when they next chat, and its click link.

``next_card(store, customer_id, consent)``: the first active campaign with a message for
this customer whose placement is a variant (never the holdout), under the campaign's
frequency cap (``max_impressions`` cards per customer), and only with both consents,
checked again now: personalization (``consent``, the caller's: the segment was chosen
from the profile) and marketing (``bot.privacy.marketing``, read here: offers are opt-in).
A customer who said no to either since the message was written gets nothing. Showing it
records the impression. One card per call: the session start shows at most one.

Every card carries a "No more offers" action: ``opt_out`` in its payload, a link signed
like the click link (purpose ``campaign-opt-out``, naming the campaign, customer and
channel) to ``/web/api/campaign/opt-out``, where the Rasa server records marketing off
(source ``card``) for exactly the customer the token names. The e-mail export carries the
same link with channel ``email``.

The card is a bot message in the shapes the widget and rasa-webchat already render: text
plus the custom ``{"type": "product_cards", "products": [...]}`` payload of every product
answer, whose card ``url`` is the click link. The link is
``/web/api/campaign/click?t=<token>``: the token, signed with the servers' session secret
(``bot.identity.signing``), names the campaign, customer, variant and channel, so the Rasa
server records the click for exactly who was shown what, and then redirects to the
product page stored with the message. Nothing in the link is trusted unsigned, and the
same link works from an e-mail (``channel`` email).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote, urlparse

from bot.campaigns.model import HOLDOUT
from bot.campaigns.store import CLICK, IMPRESSION, CampaignStore

CLICK_PURPOSE = "campaign-click"
CLICK_PATH = "/web/api/campaign/click"
OPT_OUT_PURPOSE = "campaign-opt-out"
OPT_OUT_PATH = "/web/api/campaign/opt-out"
OPT_OUT_LABEL = "No more offers"


@dataclass(frozen=True)
class Click:
    campaign_id: str
    customer_id: int
    variant: str
    channel: str


def _signed(purpose: str, *fields: Any) -> str:
    from bot.identity.signing import sign

    return sign(purpose, ":".join(str(field) for field in fields))


def _fields(purpose: str, token: Any, count: int) -> Optional[List[str]]:
    """The ``count`` fields of a token this server signed for ``purpose`` (the second one a
    customer id), else None (never raises)."""
    from bot.identity.signing import unsign

    value = unsign(purpose, token)
    parts = value.split(":") if value is not None else []
    if len(parts) != count or not parts[1].isdigit():
        return None
    return parts


def click_token(campaign_id: str, customer_id: int, variant: str, channel: str = "chat") -> str:
    return _signed(CLICK_PURPOSE, campaign_id, int(customer_id), variant, channel)


def read_click_token(token: Any) -> Optional[Click]:
    """The click a token this server signed names, else None (never raises)."""
    parts = _fields(CLICK_PURPOSE, token, 4)
    return Click(parts[0], int(parts[1]), parts[2], parts[3]) if parts else None


def click_url(campaign_id: str, customer_id: int, variant: str, channel: str = "chat",
              base: Optional[str] = None) -> str:
    """The absolute click link (``SHOPBOT_PUBLIC_URL``, as the privacy export's download)."""
    if base is None:
        from bot.privacy.requests import public_url

        base = public_url()
    return f"{base}{CLICK_PATH}?t={quote(click_token(campaign_id, customer_id, variant, channel), safe='')}"


@dataclass(frozen=True)
class OptOut:
    campaign_id: str
    customer_id: int
    channel: str


def opt_out_token(campaign_id: str, customer_id: int, channel: str = "chat") -> str:
    return _signed(OPT_OUT_PURPOSE, campaign_id, int(customer_id), channel)


def read_opt_out_token(token: Any) -> Optional[OptOut]:
    """The opt-out a token this server signed names, else None (never raises)."""
    parts = _fields(OPT_OUT_PURPOSE, token, 3)
    if not parts or parts[2] not in ("chat", "email"):
        return None
    return OptOut(parts[0], int(parts[1]), parts[2])


def opt_out_path(campaign_id: str, customer_id: int, channel: str = "chat") -> str:
    return f"{OPT_OUT_PATH}?t={quote(opt_out_token(campaign_id, customer_id, channel), safe='')}"


def opt_out_url(campaign_id: str, customer_id: int, channel: str = "chat", base: Optional[str] = None) -> str:
    if base is None:
        from bot.privacy.requests import public_url

        base = public_url()
    return base + opt_out_path(campaign_id, customer_id, channel)


def record_opt_out(db: Any, token: Any, now: Optional[datetime] = None) -> Optional[int]:
    """Switch offers off for the customer a genuine opt-out token names (source ``card``);
    the customer id, or None for a forged, unsigned or unknown one (nothing written)."""
    from bot.privacy.marketing import write_marketing

    opt_out = read_opt_out_token(token)
    if opt_out is None:
        return None
    try:
        write_marketing(db, opt_out.customer_id, False, "card", now=now)
    except ValueError:  # the account is gone
        return None
    return opt_out.customer_id


def may_send(store: CampaignStore, customer_id: Optional[int], consent: bool) -> bool:
    """Both consents: personalization (``consent``) and marketing (read now)."""
    from bot.privacy.marketing import allows_offers

    return customer_id is not None and bool(consent) and allows_offers(store.db, customer_id)


@dataclass(frozen=True)
class Card:
    campaign_id: str
    variant: str
    text: str
    custom: Dict[str, Any]
    path: str  # how the text was written: generated | fallback | template

    def message(self) -> Dict[str, Any]:
        """The bot message (``dispatcher.utter_message(text=..., json_message=...)``)."""
        return {"text": self.text, "json_message": self.custom}


def next_card(store: CampaignStore, customer_id: Optional[int], consent: bool, now: Optional[datetime] = None,
              rng: Any = None, base: Optional[str] = None) -> Optional[Card]:
    """The card to show this customer now (recording its impression), or None."""
    if not may_send(store, customer_id, consent):
        return None
    for campaign in store.pending_for(customer_id):
        if store.impressions_of(campaign.id, customer_id) >= campaign.max_impressions:
            continue
        variant = store.assign(campaign, customer_id, now=now, rng=rng)
        if variant == HOLDOUT:
            continue
        message = store.message(campaign.id, customer_id, variant)
        if message is None:
            continue
        link = click_url(campaign.id, customer_id, variant, "chat", base=base)
        products = [{**product, "url": link} for product in message.products]
        custom = {"type": "product_cards", "products": products, "campaign": campaign.id,
                  "opt_out": {"label": OPT_OUT_LABEL, "path": opt_out_path(campaign.id, customer_id, "chat"),
                              "url": opt_out_url(campaign.id, customer_id, "chat", base=base)}}
        store.record(campaign.id, customer_id, variant, IMPRESSION, "chat", now=now)
        return Card(campaign.id, variant, message.text, custom, message.path)
    return None


def safe_landing(url: Any) -> Optional[str]:
    if not isinstance(url, str):
        return None
    parsed = urlparse(url)
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def record_click(store: CampaignStore, token: Any, now: Optional[datetime] = None) -> Tuple[bool, Optional[str]]:
    """(recorded, where to send the shopper) for a click link's token.

    Recorded only when the token is ours and names a real placement: the campaign exists,
    the customer was assigned that very variant and a message was written for it. The
    landing page is the product page stored with that message (never a URL from the link)."""
    click = read_click_token(token)
    if click is None or click.channel not in ("chat", "email"):
        return False, None
    campaign = store.get(click.campaign_id)
    if campaign is None or store.assignment(campaign.id, click.customer_id) != click.variant:
        return False, None
    message = store.message(campaign.id, click.customer_id, click.variant)
    if message is None:
        return False, None
    store.record(campaign.id, click.customer_id, click.variant, CLICK, click.channel, now=now)
    landing = next((safe_landing(p.get("url")) for p in message.products if safe_landing(p.get("url"))), None)
    return True, landing
