"""A campaign as a value: its offer, its variants, its audience rules and its split.

Kept as JSON in ``campaigns.spec`` (``to_dict``/``from_dict``), so a campaign is one row
and the CLI, the console and the tests describe it the same way::

    {"id": "trail-bands", "name": "Bands for runners' watches", "mode": "ab", "holdout": 0.1,
     "offer": {"product_ids": ["SKU-10163"], "discount": "15% off until Sunday"},
     "variants": [{"name": "control", "template": "..."}, {"name": "warm", "template": "..."},
                  {"name": "graph", "template": "...", "recommender": "graph"}],
     "segment": [{"rule": "owns_accessory_target"}], "conversion_days": 14, "max_impressions": 1}

A variant differs by wording (``template``), by offer (its own ``offer``) or by recommender
(``recommender``: ``first`` offers the offer's first product, ``graph`` the offer product
the knowledge graph ties to something the customer owns). Templates may use
``{first_name}``, ``{product}``, ``{price}``, ``{discount}`` and ``{reason}``; every value
they fill in is a fact the generator's guardrails check its wording against.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

MODES = ("ab", "bandit")
RECOMMENDERS = ("first", "graph")
HOLDOUT = "holdout"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
VARIANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_HOLDOUT = 0.9
PLACEHOLDERS = ("first_name", "product", "price", "discount", "reason")
SEGMENT_RULES = ("owns_accessory_target", "owns", "lapsed", "price_band", "preference")  # bot.campaigns.segments


class CampaignError(ValueError):
    """A campaign description that cannot run (unknown mode, no variants, a bad share...)."""


@dataclass(frozen=True)
class Offer:
    product_ids: Tuple[str, ...]
    discount: Optional[str] = None  # "15% off until Sunday": stated verbatim, a fact

    def to_dict(self) -> Dict[str, Any]:
        return {"product_ids": list(self.product_ids), "discount": self.discount}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Offer":
        ids = data.get("product_ids") or []
        if isinstance(ids, str):
            ids = [ids]
        return cls(tuple(str(i) for i in ids), (data.get("discount") or None))


@dataclass(frozen=True)
class Variant:
    name: str
    template: str
    weight: float = 1.0                 # share of the non-holdout traffic in A/B mode
    offer: Optional[Offer] = None       # None: the campaign's offer
    recommender: str = "first"

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"name": self.name, "template": self.template, "weight": self.weight,
                               "recommender": self.recommender}
        if self.offer is not None:
            out["offer"] = self.offer.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Variant":
        offer = data.get("offer")
        return cls(str(data.get("name") or ""), str(data.get("template") or ""), float(data.get("weight", 1.0)),
                   Offer.from_dict(offer) if isinstance(offer, dict) else None,
                   str(data.get("recommender") or "first"))


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    offer: Offer
    variants: Tuple[Variant, ...]
    segment: Tuple[Dict[str, Any], ...] = ()
    mode: str = "ab"
    holdout: float = 0.1
    control: Optional[str] = None       # None: the first variant
    conversion_days: int = 14
    max_impressions: int = 1            # frequency cap: cards per customer per campaign
    status: str = "draft"
    extra: Dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def control_variant(self) -> str:
        return self.control or self.variants[0].name

    @property
    def variant_names(self) -> List[str]:
        return [v.name for v in self.variants]

    def variant(self, name: str) -> Variant:
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(name)

    def offer_of(self, variant: str) -> Offer:
        return self.variant(variant).offer or self.offer

    def all_product_ids(self) -> List[str]:
        ids = list(self.offer.product_ids)
        for v in self.variants:
            ids += [p for p in (v.offer.product_ids if v.offer else ()) if p not in ids]
        return ids

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "name": self.name, "mode": self.mode, "holdout": self.holdout,
                "control": self.control_variant, "offer": self.offer.to_dict(),
                "variants": [v.to_dict() for v in self.variants], "segment": [dict(r) for r in self.segment],
                "conversion_days": self.conversion_days, "max_impressions": self.max_impressions}

    @classmethod
    def from_dict(cls, data: Dict[str, Any], status: str = "draft") -> "Campaign":
        try:
            return cls(
                id=str(data["id"]), name=str(data.get("name") or data["id"]),
                offer=Offer.from_dict(data.get("offer") or {}),
                variants=tuple(Variant.from_dict(v) for v in data.get("variants") or []),
                segment=tuple(dict(r) for r in data.get("segment") or []),
                mode=str(data.get("mode") or "ab"), holdout=float(data.get("holdout", 0.1)),
                control=data.get("control") or None, conversion_days=int(data.get("conversion_days", 14)),
                max_impressions=int(data.get("max_impressions", 1)), status=status)
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, CampaignError):
                raise
            raise CampaignError(f"invalid campaign description: {error}") from error


def validate(campaign: Campaign) -> None:
    if not ID_PATTERN.match(campaign.id or ""):
        raise CampaignError("the campaign id must be lowercase letters, digits, '-' or '_' (at most 64)")
    if campaign.mode not in MODES:
        raise CampaignError(f"mode must be one of {', '.join(MODES)}")
    if not 0.0 <= campaign.holdout <= MAX_HOLDOUT:
        raise CampaignError(f"the holdout share must be between 0 and {MAX_HOLDOUT}")
    if not campaign.variants:
        raise CampaignError("a campaign needs at least one variant")
    names = [v.name for v in campaign.variants]
    if len(set(names)) != len(names):
        raise CampaignError("variant names must differ")
    for variant in campaign.variants:
        if not VARIANT_PATTERN.match(variant.name) or variant.name == HOLDOUT:
            raise CampaignError(f"invalid variant name {variant.name!r}")
        if not variant.template.strip():
            raise CampaignError(f"variant {variant.name!r} has no template")
        if variant.weight <= 0:
            raise CampaignError(f"variant {variant.name!r} needs a positive weight")
        if variant.recommender not in RECOMMENDERS:
            raise CampaignError(f"variant {variant.name!r}: recommender must be one of {', '.join(RECOMMENDERS)}")
        if not (variant.offer or campaign.offer).product_ids:
            raise CampaignError(f"variant {variant.name!r} offers no product")
        try:
            variant.template.format_map({k: "" for k in PLACEHOLDERS})
        except (KeyError, IndexError, ValueError) as error:
            raise CampaignError(f"variant {variant.name!r}: unknown placeholder {error}; use "
                                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)) from error
    if campaign.control is not None and campaign.control not in names:
        raise CampaignError(f"control {campaign.control!r} is not a variant")
    for rule in campaign.segment:
        if rule.get("rule") not in SEGMENT_RULES:
            raise CampaignError(f"unknown segment rule {rule.get('rule')!r}; rules: {', '.join(SEGMENT_RULES)}")
    if campaign.conversion_days <= 0 or campaign.max_impressions <= 0:
        raise CampaignError("conversion_days and max_impressions must be positive")
