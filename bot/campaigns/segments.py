"""Who a campaign speaks to: rules on each customer's profile, all of which must hold, and
only customers who consent to personalization (their own choice, else the shop's default,
exactly as ``ProfileService`` decides; a customer who said no is never in a segment).

Rules (``{"rule": ..., ...}`` in the campaign's ``segment``):

- ``owns_accessory_target``: owns a product that one of the offer's products is an
  accessory of (the knowledge graph's ``accessory_of`` links), and does not own that
  offer product yet: "owners of a watch whose band is on sale";
- ``owns``: owns one of ``product_ids``, or anything in ``category``;
- ``lapsed``: bought in ``category`` before, but not in the last ``days`` days (default
  180): "runners whose last shoes are from last spring", before the season;
- ``price_band``: the median price they buy and look at (in ``category`` if given) lies
  in [``min``, ``max``];
- ``preference``: stated that they like ``value`` (a ``kind``: brand, category, attribute).

``Member.matched`` keeps what made a customer eligible (the owned product an offer fits),
for the message's reason and the graph recommender.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from bot.campaigns.model import SEGMENT_RULES as RULES
from bot.campaigns.model import Campaign, CampaignError


@dataclass(frozen=True)
class Member:
    customer_id: int
    matched: Dict[str, str] = field(default_factory=dict)  # offer product id -> owned product id it fits


def accessory_targets(graph: Any, product_ids: Iterable[str]) -> Dict[str, List[str]]:
    """offer product -> the products it is an accessory of."""
    return {pid: [p.id for p in graph.related(pid, "accessory_of")] for pid in product_ids}


def _category_of(catalog: Any, product_id: str) -> Optional[str]:
    product = catalog.product(product_id)
    return product.category if product is not None else None


def check_rules(rules: Sequence[Dict[str, Any]]) -> None:
    for rule in rules:
        if rule.get("rule") not in RULES:
            raise CampaignError(f"unknown segment rule {rule.get('rule')!r}; rules: {', '.join(RULES)}")


def matches(campaign: Campaign, profile: Any, catalog: Any, graph: Any, now: datetime) -> Optional[Member]:
    """The customer as a ``Member`` when every rule holds for their profile, else None.

    ``profile`` must be the consenting customer's own (``profile.personalized``); anyone
    else is never a member, whatever the rules say."""
    if profile is None or not getattr(profile, "personalized", False) or not getattr(profile, "consent", False):
        return None
    owned = {item.product_id: item.since for item in profile.owned}
    matched: Dict[str, str] = {}
    for rule in campaign.segment:
        kind = rule.get("rule")
        if kind == "owns_accessory_target":
            targets = accessory_targets(graph, campaign.all_product_ids())
            for offer_id, fits in targets.items():
                if offer_id in owned:
                    continue
                hit = next((pid for pid in fits if pid in owned), None)
                if hit is not None:
                    matched.setdefault(offer_id, hit)
            if not matched:
                return None
        elif kind == "owns":
            ids = set(rule.get("product_ids") or [])
            category = rule.get("category")
            if not any(pid in ids or (category and _category_of(catalog, pid) == category) for pid in owned):
                return None
        elif kind == "lapsed":
            category = rule.get("category")
            days = float(rule.get("days", 180))
            bought = [since for pid, since in owned.items() if _category_of(catalog, pid) == category]
            if not bought or max(bought) > now - timedelta(days=days):
                return None
        elif kind == "price_band":
            category = rule.get("category")
            band = profile.category_price_bands.get(category) if category else profile.price_band
            low, high = float(rule.get("min", 0)), float(rule.get("max", float("inf")))
            if band is None or not low <= band.median <= high:
                return None
        elif kind == "preference":
            if str(rule.get("value")) not in profile.liked(str(rule.get("kind") or "brand")):
                return None
        else:
            raise CampaignError(f"unknown segment rule {kind!r}")
    return Member(int(profile.customer_id), matched)


def select_members(campaign: Campaign, customer_ids: Iterable[int], profile_of: Callable[[int], Any],
                   catalog: Any, graph: Any, now: datetime) -> List[Member]:
    """Every customer of ``customer_ids`` in the campaign's segment, in order.

    ``profile_of(id)`` returns the customer's profile as ``ProfileService.get`` builds it:
    for a customer without consent that is a profile with ``personalized`` False, which
    no rule admits."""
    check_rules(campaign.segment)
    members = []
    for customer_id in customer_ids:
        member = matches(campaign, profile_of(int(customer_id)), catalog, graph, now)
        if member is not None:
            members.append(member)
    return members
