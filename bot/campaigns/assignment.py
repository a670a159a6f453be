"""Who gets which variant: a hash of the campaign and the customer, so the same customer
lands in the same bucket in every process and every run, without storing anything first.

``bucket(campaign_id, customer_id)`` is a number in [0, 1) from SHA-256 (not Python's
``hash``, which is salted per process). Below the campaign's holdout share the customer is
held out (gets nothing, and is the baseline); the rest of [0, 1) is cut in proportion to
the variants' weights. In bandit mode the holdout is decided the same way, and the variant
by the bandit at first delivery (``store.assign``).
"""

import hashlib
from typing import Sequence

from bot.campaigns.model import HOLDOUT, Campaign, Variant


def bucket(campaign_id: str, customer_id: int, salt: str = "") -> float:
    """A uniform number in [0, 1), the same for the same campaign and customer everywhere."""
    digest = hashlib.sha256(f"{salt}{campaign_id}\x00{int(customer_id)}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def in_holdout(campaign: Campaign, customer_id: int) -> bool:
    return bucket(campaign.id, customer_id) < campaign.holdout


def split(variants: Sequence[Variant], u: float) -> str:
    """The variant whose share of [0, 1) holds ``u`` (shares proportional to the weights)."""
    total = sum(v.weight for v in variants)
    edge = 0.0
    for variant in variants:
        edge += variant.weight / total
        if u < edge:
            return variant.name
    return variants[-1].name


def assign(campaign: Campaign, customer_id: int) -> str:
    """``holdout`` or the A/B variant of this customer (bandit mode: ``holdout`` or "" = the
    bandit decides)."""
    u = bucket(campaign.id, customer_id)
    if u < campaign.holdout:
        return HOLDOUT
    if campaign.mode == "bandit":
        return ""
    # the same draw, rescaled past the holdout: independent of the holdout decision
    return split(campaign.variants, (u - campaign.holdout) / (1.0 - campaign.holdout))
