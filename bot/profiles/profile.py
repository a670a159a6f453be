"""What the assistant knows about one shopper, as one read-only value every action uses.

A ``Profile`` is built by ``ProfileService.get`` (``bot.profiles.service``): for a customer
who consents, from their behaviour, orders, reviews, stated preferences and conversations;
for an anonymous shopper, or a customer who said no, from the current conversation only
(``personalized`` is False then, and the value is the same for both, so downstream code
cannot tell them apart and behaves the same).

Affinities are exponentially decayed scores as of ``as_of`` (see ``bot.profiles.builder``
for the weights and the half-life), highest first; ids are the catalog's.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Tuple


@dataclass(frozen=True)
class PriceBand:
    """Prices the shopper looks at and buys: median and the middle half (p25..p75)."""

    median: float
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class OwnedProduct:
    product_id: str
    since: datetime          # naive UTC: when it was bought
    source: str              # "order" (the shop's orders) or "event" (the behaviour log)


@dataclass(frozen=True)
class AspectOpinion:
    """What the shopper's reviews say about one aspect: mentions and mean sentiment (-1..1)."""

    mentions: int
    sentiment: float


@dataclass(frozen=True)
class StatedPreference:
    """Something the shopper said: like/dislike a brand, category or attribute, or a budget."""

    kind: str                          # brand | category | budget | attribute
    value: str                         # catalog id ("brooks", "running_shoes", "noise_cancelling=true"); "" for a budget
    polarity: str = "like"             # like | dislike
    category: str = ""                 # "" = any category
    amount_min: Optional[float] = None
    amount_max: Optional[float] = None
    updated_at: Optional[datetime] = None


@dataclass(frozen=True)
class ConversationMood:
    """Mean sentiment of one conversation session (-1..1) over its turns."""

    conversation_id: str
    session_id: str
    score: float
    turns: int
    started_at: datetime


@dataclass(frozen=True)
class Profile:
    customer_id: Optional[int]
    conversation_id: Optional[str]
    personalized: bool                         # built from the customer's own stored data
    consent: bool                              # personalization allowed (False for anonymous)
    as_of: datetime
    consent_updated_at: Optional[datetime] = None
    category_affinity: Dict[str, float] = field(default_factory=dict)
    brand_affinity: Dict[str, float] = field(default_factory=dict)
    price_band: Optional[PriceBand] = None
    category_price_bands: Dict[str, PriceBand] = field(default_factory=dict)
    owned: Tuple[OwnedProduct, ...] = ()
    favourites: Tuple[str, ...] = ()
    recent_views: Tuple[str, ...] = ()         # newest last
    recent_searches: Tuple[str, ...] = ()      # newest last
    aspects: Dict[str, AspectOpinion] = field(default_factory=dict)
    review_count: int = 0
    review_sentiment: Optional[float] = None   # mean over the reviews' texts, -1..1
    preferences: Tuple[StatedPreference, ...] = ()
    conversations: Tuple[ConversationMood, ...] = ()  # oldest first
    sentiment_trend: Optional[float] = None    # slope of the conversations' mood per session
    event_count: int = 0

    @property
    def is_anonymous(self) -> bool:
        return not self.personalized

    @property
    def owned_ids(self) -> List[str]:
        return [item.product_id for item in self.owned]

    def top_categories(self, n: int = 3) -> List[str]:
        return [c for c, score in list(self.category_affinity.items())[:n] if score > 0]

    def top_brands(self, n: int = 3) -> List[str]:
        return [b for b, score in list(self.brand_affinity.items())[:n] if score > 0]

    def liked(self, kind: str) -> List[str]:
        return [p.value for p in self.preferences if p.kind == kind and p.polarity == "like"]

    def disliked(self, kind: str) -> List[str]:
        return [p.value for p in self.preferences if p.kind == kind and p.polarity == "dislike"]

    def budget(self, category: Optional[str] = None) -> Optional[Tuple[Optional[float], Optional[float]]]:
        """``(min, max)`` the shopper stated for this category, else their general budget."""
        budgets = {p.category: (p.amount_min, p.amount_max) for p in self.preferences if p.kind == "budget"}
        if category and category in budgets:
            return budgets[category]
        return budgets.get("")

    @property
    def mood(self) -> Optional[str]:
        """"improving", "declining" or "steady" over the recent conversations (None: too few)."""
        if self.sentiment_trend is None:
            return None
        if self.sentiment_trend > 0.05:
            return "improving"
        if self.sentiment_trend < -0.05:
            return "declining"
        return "steady"
