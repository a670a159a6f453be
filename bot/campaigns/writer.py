"""Writes each customer's campaign message through the grounded generator (action side).

For every member of the segment and the variant they get (A/B: their assigned one;
bandit: every variant, since the bandit picks at delivery), the variant's template is
filled with facts looked up here: the offered product's exact name and price, the offer's
discount text, why it fits them (the product they own it goes with) and their first name.
That filled template is the fallback; ``Rephraser.reply`` may word it for the shopper and
sends the template instead whenever a guardrail doubts the wording (a price or name not in
the facts, another customer's data, over the budget). The path that served each message
(generated, fallback and why, template) is stored with it.

``bot.generation`` is imported only inside ``rephraser()`` / ``write_message``: the Rasa
server, which reads the campaign tables too, never loads it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.campaigns.assignment import assign as hash_assign
from bot.campaigns.model import HOLDOUT, Campaign
from bot.campaigns.segments import Member
from bot.campaigns.store import CampaignStore

logger = logging.getLogger(__name__)


def money(amount: float, currency: str = "USD") -> str:
    symbol = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}.get(currency, "")
    text = f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def first_name(full_name: Optional[str]) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else ""


def card(product: Any, reason: str = "", currency: str = "USD") -> Dict[str, Any]:
    """The widget's product card fields (as ``bot.dialogue.replies.product_card``) and the reason."""
    return {"id": product.id, "name": product.display_name, "brand": getattr(product, "brand_name", product.brand),
            "category": product.category, "price": round(float(product.price), 2), "currency": currency,
            "price_text": money(product.price, currency), "url": getattr(product, "url", None),
            "image": getattr(product, "image", None), "reason": reason}


def choose_product(campaign: Campaign, variant: str, member: Member, catalog: Any, graph: Any) -> Tuple[Any, str]:
    """(offered product, why it fits) for this customer and variant.

    Recommender ``first``: the offer's first product (with the reason the segment found, if
    it fits something they own); ``graph``: the first offer product the knowledge graph ties
    to something they own."""
    offer = campaign.offer_of(variant)
    chosen = offer.product_ids[0]
    if campaign.variant(variant).recommender == "graph":
        chosen = next((pid for pid in offer.product_ids if pid in member.matched), chosen)
    product = catalog.product(chosen)
    if product is None:
        raise ValueError(f"campaign {campaign.id}: product {chosen} is not in the catalog")
    owned_id = member.matched.get(chosen)
    owned = catalog.product(owned_id) if owned_id else None
    reason = f"goes with your {owned.display_name}" if owned is not None else ""
    return product, reason


@dataclass(frozen=True)
class Draft:
    template: str
    facts: Any          # bot.generation.facts.Facts
    products: List[Dict[str, Any]]


def draft(campaign: Campaign, variant: str, member: Member, customer_name: str, catalog: Any, graph: Any,
          currency: str = "USD") -> Draft:
    """The filled template and the facts it was filled from."""
    from bot.generation.facts import Facts, ProductFact

    product, reason = choose_product(campaign, variant, member, catalog, graph)
    offer = campaign.offer_of(variant)
    name = first_name(customer_name)
    values = {"first_name": name, "product": product.display_name, "price": money(product.price, currency),
              "discount": offer.discount or "", "reason": reason}
    text = " ".join(campaign.variant(variant).template.format_map(values).split())
    text = text.replace(" ,", ",").replace(" .", ".").replace(" !", "!")
    facts = Facts(answer=text, products=(ProductFact.from_product(product, currency, reason=reason or None),),
                  shopper_name=name or None, currency=currency)
    return Draft(text, facts, [card(product, reason, currency)])


DEFAULT_BUDGET_S = 10.0


def batch_budget() -> float:
    """Seconds one campaign message may take (``SHOPBOT_CAMPAIGN_GENERATION_BUDGET_S``, default 10):
    written in a batch nobody waits for, so more than a chat reply's budget; the guardrails
    are the same."""
    import os

    try:
        value = float(os.environ.get("SHOPBOT_CAMPAIGN_GENERATION_BUDGET_S") or DEFAULT_BUDGET_S)
    except ValueError:
        value = DEFAULT_BUDGET_S
    return value if value > 0 else DEFAULT_BUDGET_S


def rephraser(catalog: Any, people: Sequence[str] = (), enabled: Optional[bool] = None, generator: Any = None,
              budget_s: Optional[float] = None, warm: bool = False):
    """The grounded generator behind its guardrails (``SHOPBOT_GENERATION`` unless ``enabled``).

    ``warm``: load the model now, so the first messages are not sent as templates because it
    was still loading."""
    from bot.generation.entities import NameIndex
    from bot.generation.service import RateLimit, Rephraser

    # a batch job, not serving: no rate limit (SHOPBOT_GENERATION_RATE protects chat latency)
    rephrase = Rephraser(generator=generator, names=NameIndex.from_catalog(catalog, people=list(people)),
                         enabled=enabled, budget_s=budget_s if budget_s is not None else batch_budget(),
                         rate=RateLimit(0, 1))
    if warm and rephrase.enabled:
        rephrase.warm()
    return rephrase


def finished(served: Any, template: str) -> Any:
    """The served message, unless it is a generated one cut off mid-sentence (the token limit
    reached, or no closing punctuation): a promotion is read as a whole, so that is sent as
    its template instead, recorded as a fallback ``truncated``."""
    from dataclasses import replace

    from bot.generation.runtime import LENGTH
    from bot.generation.service import FALLBACK, GENERATED

    if served.path != GENERATED:
        return served
    cut = served.generation is not None and served.generation.finish_reason == LENGTH
    if cut or not served.text.rstrip().endswith((".", "!", "?", ".)", "!)")):
        return replace(served, text=template, path=FALLBACK, reason="truncated",
                       violations=("the generated message was cut off",))
    return served


def write_message(store: CampaignStore, campaign: Campaign, variant: str, member: Member, customer_name: str,
                  catalog: Any, graph: Any, rephrase: Any, profile_lines: Sequence[str] = (),
                  now: Optional[datetime] = None):
    """Word one message and store it with the path that served it; returns the ``Served``."""
    made = draft(campaign, variant, member, customer_name, catalog, graph)
    served = finished(rephrase.reply(made.template, made.facts, profile_lines, ""), made.template)
    store.save_message(campaign.id, member.customer_id, variant, served.text, served.path, served.detail,
                       made.products, now=now)
    return served


def variants_to_write(store: CampaignStore, campaign: Campaign, customer_id: int, now: Optional[datetime]) -> List[str]:
    """A/B: the assigned variant (none for the holdout); bandit: the holdout is placed now,
    everyone else gets a message per variant and the bandit chooses at delivery."""
    if campaign.mode == "bandit":
        if hash_assign(campaign, customer_id) == HOLDOUT:
            store.assign(campaign, customer_id, now=now)
            return []
        chosen = store.assignment(campaign.id, customer_id)
        return [chosen] if chosen and chosen != HOLDOUT else campaign.variant_names
    variant = store.assign(campaign, customer_id, now=now)
    return [] if variant == HOLDOUT else [variant]


@dataclass
class WriteResult:
    members: int = 0
    holdout: int = 0
    written: int = 0
    paths: Optional[Dict[str, int]] = None
    no_marketing: int = 0  # members not opted in to offers (for now): written, but not delivered


def write_campaign(store: CampaignStore, campaign: Campaign, members: Iterable[Member], names: Dict[int, str],
                   catalog: Any, graph: Any, rephrase: Any, profile_lines: Optional[Dict[int, Sequence[str]]] = None,
                   now: Optional[datetime] = None, progress: bool = False) -> WriteResult:
    """Place every member and write their messages (re-running rewrites them, placements stay)."""
    members = list(members)
    result = WriteResult(paths={})
    iterator: Iterable[Member] = members
    if progress:
        from tqdm import tqdm

        iterator = tqdm(members, desc=f"writing {campaign.id}", unit="customer")
    for member in iterator:
        result.members += 1
        variants = variants_to_write(store, campaign, member.customer_id, now)
        if not variants:
            result.holdout += 1
            continue
        for variant in variants:
            served = write_message(store, campaign, variant, member, names.get(member.customer_id, ""), catalog,
                                   graph, rephrase, (profile_lines or {}).get(member.customer_id, ()), now=now)
            result.written += 1
            result.paths[served.path] = result.paths.get(served.path, 0) + 1
    return result
