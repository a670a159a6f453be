"""Which product aspects a review talks about, with words taken from the shop's own catalog.

An aspect is either one of the catalog's attribute specs (its key; found by its label,
"battery life", and the label's first word, "battery") or one of a few aspects every
shop's reviews mention (price, quality, delivery, comfort, design). A tea shop's
"Caffeine" or "Origin" attributes become aspects the same way, with no code change.

``find_aspects`` splits a text into clauses and returns each aspect with the clause that
mentions it, so a sentiment model can judge "the battery is great" and "the strap broke"
separately within one review.
"""

import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

UNIVERSAL_ASPECTS: Dict[str, Tuple[str, ...]] = {
    "price": ("price", "value for money", "value", "expensive", "overpriced", "cheap", "money"),
    "quality": ("quality", "build", "well made", "cheaply made", "sturdy", "flimsy", "broke"),
    "delivery": ("delivery", "shipping", "arrived", "packaging"),
    "comfort": ("comfort", "comfortable", "uncomfortable"),
    "design": ("design", "looks", "style"),
}
# Attribute specs a review can sensibly call good or bad (not a colour list or a size chart).
REVIEWABLE_TYPES = ("number", "text", "bool")
_CLAUSE = re.compile(r"[.!?;]+|,\s*(?:but|and|although|though|while)\s+|\s+but\s+", re.IGNORECASE)


@dataclass(frozen=True)
class AspectVocabulary:
    """keyword -> aspect id, and aspect id -> readable name, for one catalog."""

    keywords: Dict[str, str]
    names: Dict[str, str]
    pattern: "re.Pattern[str]"

    def name(self, aspect: str) -> str:
        return self.names.get(aspect, aspect)


def aspect_vocabulary(catalog) -> AspectVocabulary:
    keywords: Dict[str, str] = {}
    names: Dict[str, str] = {}
    for key, words in UNIVERSAL_ASPECTS.items():
        names[key] = key.capitalize()
        for word in words:
            keywords.setdefault(word, key)
    # "cable" names the product, not its "Cable length": category words are never aspect keywords
    category_words = {word for category in catalog.categories
                      for word in (category.singular or "").lower().split() + category.name.lower().split()}
    for key, spec in catalog.attributes.items():
        if spec.type not in REVIEWABLE_TYPES or not spec.label:
            continue
        label = spec.label.lower()
        names[key] = spec.label
        keywords.setdefault(label, key)
        first = label.split()[0]
        if len(first) >= 4 and first not in keywords and first not in category_words:
            keywords[first] = key
    ordered = sorted(keywords, key=len, reverse=True)  # "battery life" before "battery"
    pattern = re.compile(r"\b(" + "|".join(re.escape(word) for word in ordered) + r")\b", re.IGNORECASE)
    return AspectVocabulary(keywords, names, pattern)


def clauses(text: str) -> List[str]:
    return [part.strip() for part in _CLAUSE.split(text or "") if part and part.strip()]


def find_aspects(text: str, vocabulary: AspectVocabulary) -> List[Tuple[str, str]]:
    """``(aspect id, clause)`` for every aspect mentioned, in order, each aspect once per clause."""
    found: List[Tuple[str, str]] = []
    for clause in clauses(text):
        seen = set()
        for match in vocabulary.pattern.finditer(clause):
            aspect = vocabulary.keywords[match.group(1).lower()]
            if aspect not in seen:
                seen.add(aspect)
                found.append((aspect, clause))
    return found


def reviewable_aspects(catalog, product) -> List[Tuple[str, float]]:
    """``(aspect, weight)`` a review of this product may mention: its own attributes that have a
    better direction (battery life, weight) most, its descriptive ones (cushioning) less, and
    price, quality and design, which every review may mention."""
    own = []
    for key, value in product.attributes.items():
        spec = catalog.attributes.get(key)
        if spec is None or value in (None, "", []):
            continue
        if spec.type == "number" and spec.better:
            own.append((key, 3.0))
        elif spec.type == "text":
            own.append((key, 1.0))
    return own + [("price", 2.0), ("quality", 2.0), ("design", 1.0)]
