"""From source scores to a short, fair list: business rules, profile fit, diversity.

Rules are hard: a product out of stock, already owned, outside the stated budget or of
a brand (or category) the shopper dislikes is never recommended, whatever its score;
each rule is its own function so a test can prove it. The score is a weighted sum of
each source's scores (normalised per request, so one source's scale cannot drown the
others) plus how well the product fits the profile (category and brand affinity, the
usual price band). Diversity is a greedy MMR over categories: a second product of a
category already shown pays a penalty, and at most ``PER_CATEGORY`` of any category
make the list, so "recommend me something" is not five phone cases.
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.recs.candidates import RecContext, Source
from bot.recs.profile import ProfileView

PER_CATEGORY = 2
DIVERSITY_PENALTY = 0.35
# Weights of the hybrid as chosen on the evaluation's validation split of the demo
# behaviour (``python -m bot.recs.evaluate`` prints them; BENCHMARKS.md). "affinity" and
# "price" are the profile-fit terms (affinity 0: the sources already carry that signal);
# "stated" is the shopper's stated brand preferences, which the event log cannot measure.
DEFAULT_WEIGHTS: Dict[str, float] = {"co_purchase": 0.0, "learned": 1.0, "embedding": 1.0,
                                     "graph": 0.1, "popular": 0.0, "als": 3.0, "affinity": 0.0,
                                     "price": 3.0, "stated": 0.5}


# ---------------------------------------------------------------- business rules
def rule_in_stock(product: Any, profile: ProfileView, budget: Optional[Tuple]) -> bool:
    return (product.stock or 0) > 0


def rule_not_owned(product: Any, profile: ProfileView, budget: Optional[Tuple]) -> bool:
    return product.id not in set(profile.owned_ids)


def rule_within_budget(product: Any, profile: ProfileView, budget: Optional[Tuple]) -> bool:
    low, high = budget or (None, None)
    price = product.price
    return (low is None or price >= low) and (high is None or price <= high)


def rule_no_disliked_brand(product: Any, profile: ProfileView, budget: Optional[Tuple]) -> bool:
    disliked = {b.casefold() for b in profile.disliked_brands}
    return product.brand.casefold() not in disliked and \
        (getattr(product, "brand_name", "") or "").casefold() not in disliked


def rule_no_disliked_category(product: Any, profile: ProfileView, budget: Optional[Tuple]) -> bool:
    return product.category not in set(profile.disliked_categories)


RULES: Dict[str, Callable[[Any, ProfileView, Optional[Tuple]], bool]] = {
    "in_stock": rule_in_stock, "not_owned": rule_not_owned, "within_budget": rule_within_budget,
    "no_disliked_brand": rule_no_disliked_brand, "no_disliked_category": rule_no_disliked_category,
}


def allowed_mask(products: Sequence[Any], profile: ProfileView, budget: Optional[Tuple],
                 rules: Sequence[str] = tuple(RULES)) -> np.ndarray:
    checks = [RULES[r] for r in rules]
    return np.array([all(check(p, profile, budget) for check in checks) for p in products], dtype=bool)


# ---------------------------------------------------------------- scores
def normalised(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores, dtype=np.float64)


@dataclass
class Scored:
    """The ranked list's raw material: per-source normalised scores and the total."""

    total: np.ndarray
    by_source: Dict[str, np.ndarray] = field(default_factory=dict)


class HybridScorer:
    """Weighted sum of the sources' normalised scores and the profile-fit terms."""

    def __init__(self, products: Sequence[Any], sources: Sequence[Source],
                 weights: Optional[Dict[str, float]] = None):
        self.products = list(products)
        self.sources = [s for s in sources if s is not None]
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.category = np.array([p.category for p in self.products])
        self.brand = np.array([p.brand for p in self.products])
        self.price = np.array([float(p.price) for p in self.products])

    def profile_fit(self, ctx: RecContext) -> Tuple[np.ndarray, np.ndarray]:
        """(affinity, price fit) per product, each in [0, 1]."""
        n = len(self.products)
        affinity = np.zeros(n)
        price_fit = np.zeros(n)
        profile = ctx.profile
        if ctx.use_history:
            for weights, column in ((profile.category_affinity, self.category), (profile.brand_affinity, self.brand)):
                positive = {k: v for k, v in weights.items() if v > 0}
                top = max(positive.values(), default=0.0)
                if top > 0:
                    affinity += np.array([positive.get(c, 0.0) / top for c in column]) * 0.5
            if profile.price_band:
                low, high = profile.price_band
                mid = max((low + high) / 2, 1.0)
                inside = (self.price >= low * 0.8) & (self.price <= high * 1.2)
                price_fit = np.where(inside, 1.0, np.exp(-np.abs(np.log(self.price.clip(0.01) / mid))))
        return np.clip(affinity, 0, 1), price_fit

    def score(self, ctx: RecContext) -> Scored:
        by_source = {s.name: normalised(s.scores(ctx)) for s in self.sources}
        total = np.zeros(len(self.products))
        for name, values in by_source.items():
            total += self.weights.get(name, 0.0) * values
        affinity, price_fit = self.profile_fit(ctx)
        total += self.weights.get("affinity", 0.0) * affinity + self.weights.get("price", 0.0) * price_fit
        liked = {b.casefold() for b in ctx.profile.liked_brands}
        if liked and self.weights.get("stated"):
            names = [(p.brand.casefold(), (getattr(p, "brand_name", "") or "").casefold()) for p in self.products]
            total += self.weights["stated"] * np.array([float(b in liked or n in liked) for b, n in names])
        # a cold or history-free request still needs an order: popularity breaks ties
        total += 1e-3 * by_source.get("popular", np.zeros(len(self.products)))
        if ctx.categories:  # the message asked for these kinds of product
            total = total + 1.0 * np.isin(self.category, ctx.categories)
        return Scored(total, by_source)


def diversify(order: Sequence[int], scores: np.ndarray, categories: np.ndarray, k: int,
              per_category: int = PER_CATEGORY, penalty: float = DIVERSITY_PENALTY) -> List[int]:
    """Greedy MMR over categories: each pick lowers the others of its category by
    ``penalty`` x (their score range); at most ``per_category`` of one category."""
    pool = list(order[: max(k * 10, 50)])
    spread = float(scores[pool].max() - scores[pool].min()) if pool else 0.0
    chosen: List[int] = []
    count: Dict[str, int] = {}
    while pool and len(chosen) < k:
        best = max(pool, key=lambda i: scores[i] - penalty * spread * count.get(categories[i], 0))
        pool.remove(best)
        if count.get(categories[best], 0) >= per_category:
            continue
        chosen.append(best)
        count[categories[best]] = count.get(categories[best], 0) + 1
    return chosen
