"""What the recommender needs to know about a shopper, and nothing more.

``ProfileView`` is a plain value: the profile service (``bot/profiles``) adapts its own
records into it, and the offline evaluation builds it from the event log with
:func:`profile_from_events`. Keeping it this small means ranking can be tested with
hand-made profiles and never depends on how profiles are stored.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

# How much one event of each kind says about a shopper's interest.
KIND_WEIGHTS: Dict[str, float] = {"purchase": 4.0, "cart_add": 2.0, "favourite": 2.0,
                                  "review": 1.5, "view": 1.0, "search": 0.5}
HALF_LIFE_DAYS = 90.0


@dataclass
class Interaction:
    """One product the shopper touched: when, and how (purchase, view, ...)."""

    product_id: str
    at: Optional[datetime] = None
    kind: str = "purchase"


@dataclass
class ProfileView:
    """A shopper as the recommender sees them.

    ``owned``: products they have (with the purchase date where known); ``recent``:
    products they looked at, newest last; affinities map category / brand ids to a
    weight (any positive scale; only the relative sizes matter); ``price_band`` is the
    (low, high) they usually pay; ``budget`` a stated (min, max), either end optional.
    An empty ProfileView is an anonymous shopper (cold start).
    """

    customer_id: Optional[Any] = None
    owned: List[Interaction] = field(default_factory=list)
    recent: List[Interaction] = field(default_factory=list)
    category_affinity: Dict[str, float] = field(default_factory=dict)
    brand_affinity: Dict[str, float] = field(default_factory=dict)
    price_band: Optional[Tuple[float, float]] = None
    liked_brands: List[str] = field(default_factory=list)
    disliked_brands: List[str] = field(default_factory=list)
    disliked_categories: List[str] = field(default_factory=list)
    budget: Optional[Tuple[Optional[float], Optional[float]]] = None

    @property
    def owned_ids(self) -> List[str]:
        return list(dict.fromkeys(i.product_id for i in self.owned))

    @property
    def is_cold(self) -> bool:
        return not (self.owned or self.recent or self.category_affinity or self.brand_affinity)

    def history(self) -> List[Interaction]:
        """Every interaction known, oldest first (undated ones first)."""
        items = list(self.owned) + list(self.recent)
        return sorted(items, key=lambda i: _ts(i.at))

    def owned_at(self, pid: str) -> Optional[datetime]:
        dates = [i.at for i in self.owned if i.product_id == pid and i.at is not None]
        return max(dates) if dates else None


def _ts(at: Optional[datetime]) -> float:
    if at is None:
        return float("-inf")
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.timestamp()


def decay(at: Optional[datetime], now: Optional[datetime], half_life_days: float = HALF_LIFE_DAYS) -> float:
    """1.0 now, 0.5 one half-life ago; undated events count fully."""
    if at is None or now is None:
        return 1.0
    days = max(0.0, (_ts(now) - _ts(at)) / 86400.0)
    return math.pow(0.5, days / half_life_days)


def profile_from_events(events: Iterable[Any], catalog: Any, customer_id: Any = None,
                        now: Optional[datetime] = None, recent_limit: int = 20) -> ProfileView:
    """A ProfileView from one shopper's behaviour events (BehaviourEvent-like objects with
    ``kind``, ``product_id``, ``at``, ``rating``): what the evaluation and the cold path use.
    Persona labels are never read; only the events."""
    events = sorted((e for e in events if getattr(e, "product_id", None)), key=lambda e: _ts(e.at))
    if now is None and events:
        now = events[-1].at
    view = ProfileView(customer_id=customer_id)
    prices: List[float] = []
    for e in events:
        product = catalog.product(e.product_id)
        if product is None:
            continue
        w = KIND_WEIGHTS.get(e.kind, 0.5) * decay(e.at, now)
        rating = getattr(e, "rating", None)
        if e.kind == "review" and rating is not None and rating <= 2:
            w = -w  # a bad review is not a wish for more of the same
        view.category_affinity[product.category] = view.category_affinity.get(product.category, 0.0) + w
        view.brand_affinity[product.brand] = view.brand_affinity.get(product.brand, 0.0) + w
        if e.kind == "purchase":
            view.owned.append(Interaction(e.product_id, e.at, "purchase"))
            prices.append(float(product.price))
        elif e.kind in ("view", "cart_add", "favourite"):
            view.recent.append(Interaction(e.product_id, e.at, e.kind))
            if e.kind != "view":
                prices.append(float(product.price))
    view.recent = view.recent[-recent_limit:]
    if prices:
        prices.sort()
        lo = prices[int(0.1 * (len(prices) - 1))]
        hi = prices[int(math.ceil(0.9 * (len(prices) - 1)))]
        view.price_band = (lo, hi)
    return view


def top_keys(weights: Dict[str, float], n: int) -> List[str]:
    return [k for k, v in sorted(weights.items(), key=lambda kv: -kv[1]) if v > 0][:n]


def recent_ids(view: ProfileView, n: int = 10) -> Sequence[str]:
    return list(dict.fromkeys(i.product_id for i in reversed(view.history())))[:n]
