"""Folding behaviour events into a customer's profile state, one event at a time.

Why a fold: a profile is updated incrementally (the events stored since the last update
are applied to the saved state), and the same fold over all events from an empty state
is the full rebuild, so both give exactly the same state.

**Affinities with time decay.** Each event adds ``weight(kind)`` to the score of its
product's category and brand; every score halves every ``half_life_days`` (default 90,
``SHOPBOT_PROFILE_HALF_LIFE_DAYS``). Scores are kept referenced to the newest event's time
(``reference_at``): a newer event first scales every score by ``2 ** (-dt / half_life)``;
reading a profile later decays them to that moment the same way. Weights
(``SHOPBOT_PROFILE_WEIGHTS="purchase=5,cart_add=3,..."`` overrides any):

    purchase 5 > cart_add 3 > favourite 2 > view 1 > search 0.5 (its clicked product, or
    the categories and brands its words name); review: (rating - 3) / 2, from -1 to +1,
    or the text's sentiment when there is no rating (a bad review lowers the affinity).

**Price bands**: the prices of the products viewed, carted and bought, per category and
overall (the last ``MAX_PRICES`` each); ``PriceBand`` gives median and p25..p75.
**Purchases, favourites, recent views and searches** are kept as lists. **Review aspects**:
each review's clauses that name an aspect (``bot.profiles.aspects``) are scored by the
shop's sentiment model (``bot.profiles.sentiment``); per aspect the sum and count are kept.

Changing the half-life or the weights (``ProfileConfig.key()``) or the sentiment model
changes ``ProfileBuilder.version``, and stored profiles of another version are rebuilt in
full on their next update (so reviews folded in before the model was trained get their
aspects once it is there).
"""

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.profiles.aspects import AspectVocabulary, aspect_vocabulary, find_aspects
from bot.profiles.events import BehaviourEvent
from bot.profiles.profile import PriceBand

DEFAULT_WEIGHTS = {"purchase": 5.0, "cart_add": 3.0, "favourite": 2.0, "view": 1.0, "search": 0.5, "review": 1.0}
DEFAULT_HALF_LIFE_DAYS = 90.0
MAX_PRICES = 200
MAX_RECENT = 20
MAX_SEARCHES = 10
_PRICE_KINDS = ("view", "cart_add", "purchase")


def _env_weights() -> Dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS)
    for part in (os.environ.get("SHOPBOT_PROFILE_WEIGHTS") or "").split(","):
        if "=" in part:
            kind, _, value = part.partition("=")
            try:
                if kind.strip() in weights:
                    weights[kind.strip()] = float(value)
            except ValueError:
                pass
    return weights


def _env_half_life() -> float:
    try:
        value = float(os.environ.get("SHOPBOT_PROFILE_HALF_LIFE_DAYS") or DEFAULT_HALF_LIFE_DAYS)
    except ValueError:
        value = DEFAULT_HALF_LIFE_DAYS
    return value if value > 0 else DEFAULT_HALF_LIFE_DAYS


@dataclass(frozen=True)
class ProfileConfig:
    half_life_days: float = field(default_factory=_env_half_life)
    weights: Dict[str, float] = field(default_factory=_env_weights)

    def key(self) -> str:
        blob = json.dumps({"half_life": self.half_life_days, "weights": self.weights}, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def decay(self, older: datetime, newer: datetime) -> float:
        """Factor a score made at ``older`` keeps at ``newer``."""
        days = (newer - older).total_seconds() / 86400.0
        return 0.5 ** (days / self.half_life_days) if days > 0 else 1.0


def empty_state() -> Dict[str, Any]:
    return {"cat": {}, "brand": {}, "prices": {}, "all_prices": [], "purchases": [], "favourites": [],
            "recent": [], "searches": [], "aspects": {}, "reviews": [0, 0.0], "events": 0}


def price_band(prices: Sequence[float]) -> Optional[PriceBand]:
    if not prices:
        return None
    ordered = sorted(prices)

    def quantile(q: float) -> float:
        position = q * (len(ordered) - 1)
        low, high = math.floor(position), math.ceil(position)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return PriceBand(round(quantile(0.5), 2), round(quantile(0.25), 2), round(quantile(0.75), 2), len(ordered))


class QueryMatcher:
    """The categories and brands a search's words name (catalog names, synonyms, aliases)."""

    def __init__(self, catalog) -> None:
        self.names: Dict[str, Tuple[str, str]] = {}
        for category in catalog.categories:
            for name in [category.name, category.singular, category.id.replace("_", " ")] + list(category.synonyms):
                if name:
                    self.names.setdefault(name.lower(), ("cat", category.id))
        for brand in catalog.brands:
            for name in [brand.name, brand.id.replace("_", " ")] + list(brand.aliases):
                if name:
                    self.names.setdefault(name.lower(), ("brand", brand.id))
        words = sorted(self.names, key=len, reverse=True)
        self.pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b") if words else None

    def match(self, text: str) -> List[Tuple[str, str]]:
        if not self.pattern or not text:
            return []
        found = []
        for hit in self.pattern.finditer(text.lower()):
            target = self.names[hit.group(1)]
            if target not in found:
                found.append(target)
        return found


class ProfileBuilder:
    """Applies events to a state (a JSON-able dict). One per catalog and config."""

    def __init__(self, catalog, config: Optional[ProfileConfig] = None) -> None:
        self.catalog = catalog
        self.config = config or ProfileConfig()
        self.vocabulary: AspectVocabulary = aspect_vocabulary(catalog)
        self.matcher = QueryMatcher(catalog)

    def version(self, model: Optional[Any]) -> str:
        """Identifies what a state was made with: the settings and the sentiment model (if any).
        A stored profile of another version is rebuilt in full on its next update."""
        blob = f"{self.config.key()}:{getattr(model, 'name', 'model') if model is not None else 'none'}"
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def apply(self, state: Dict[str, Any], reference: Optional[datetime], events: Sequence[BehaviourEvent],
              model: Optional[Any] = None) -> Optional[datetime]:
        """Fold ``events`` (in storage order) into ``state``; returns the new reference time.
        ``model`` (a ``SentimentModel``) scores review texts; without one they add no aspects."""
        review_scores = self._score_reviews([e for e in events if e.kind == "review"], model)
        weights = self.config.weights
        for event in events:
            at = event.at
            if reference is None:
                reference = at
            elif at > reference:
                factor = self.config.decay(reference, at)
                for table in ("cat", "brand"):
                    state[table] = {key: value * factor for key, value in state[table].items()}
                reference = at
            weight = weights.get(event.kind, 0.0) * self.config.decay(at, reference)
            product = self.catalog.product(event.product_id) if event.product_id else None
            state["events"] += 1
            if event.kind == "review":
                text_score = review_scores.get(id(event), (None, []))[0]
                if event.rating is not None:
                    weight *= (event.rating - 3) / 2.0
                else:
                    weight *= text_score if text_score is not None else 0.0
                self._add_review(state, event, review_scores.get(id(event)))
            if product is not None:
                self._bump(state["cat"], product.category, weight)
                self._bump(state["brand"], product.brand, weight)
                if event.kind in _PRICE_KINDS:
                    self._push(state["prices"].setdefault(product.category, []), float(product.price), MAX_PRICES)
                    self._push(state["all_prices"], float(product.price), MAX_PRICES)
            elif event.kind == "search" and event.query:
                for table, key in self.matcher.match(event.query):
                    self._bump(state[table], key, weight)
            if event.kind == "purchase" and event.product_id:
                state["purchases"].append([event.product_id, at.isoformat()])
            elif event.kind == "favourite" and event.product_id and event.product_id not in state["favourites"]:
                state["favourites"].append(event.product_id)
            elif event.kind == "view" and event.product_id:
                recent = [pid for pid in state["recent"] if pid != event.product_id]
                state["recent"] = (recent + [event.product_id])[-MAX_RECENT:]
            elif event.kind == "search" and event.query:
                state["searches"] = (state["searches"] + [event.query])[-MAX_SEARCHES:]
        return reference

    @staticmethod
    def _bump(table: Dict[str, float], key: str, weight: float) -> None:
        table[key] = table.get(key, 0.0) + weight

    @staticmethod
    def _push(values: List[float], value: float, limit: int) -> None:
        values.append(value)
        if len(values) > limit:
            del values[: len(values) - limit]

    def _score_reviews(self, reviews: Sequence[BehaviourEvent],
                       model: Optional[Any]) -> Dict[int, Tuple[Optional[float], List]]:
        """id(event) -> (text score, [(aspect, clause score)]) for the reviews with a text."""
        with_text = [e for e in reviews if e.text and e.text.strip()]
        if not with_text or model is None:
            return {}
        texts: List[str] = []
        plan = []
        for event in with_text:
            found = find_aspects(event.text, self.vocabulary)
            plan.append((event, len(texts), [aspect for aspect, _ in found]))
            texts.append(event.text)
            texts.extend(clause for _, clause in found)
        # one text per forward pass: no padding, so a review scores the same whether it is
        # applied alone (incremental update) or among all of them (full rebuild)
        scores = [score for text in texts for score in model.scores([text])]
        out: Dict[int, Tuple[Optional[float], List]] = {}
        for event, start, aspects in plan:
            out[id(event)] = (scores[start], list(zip(aspects, scores[start + 1:start + 1 + len(aspects)])))
        return out

    @staticmethod
    def _add_review(state: Dict[str, Any], event: BehaviourEvent,
                    scored: Optional[Tuple[Optional[float], List]]) -> None:
        if scored is None or scored[0] is None:
            return
        text_score, aspects = scored
        state["reviews"][0] += 1
        state["reviews"][1] += text_score
        for aspect, score in aspects:
            total = state["aspects"].setdefault(aspect, [0, 0.0])
            total[0] += 1
            total[1] += score
