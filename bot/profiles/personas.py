"""Shopper personas derived from a catalog's own structure, for the demo behaviour generator.

A persona is "someone who shops for one main category, plus what goes with it": a
photographer buys a camera, then lenses and a charger; a runner buys shoes and a GPS
watch, then a watch band. Nothing here knows the demo shop. Everything comes from the
catalog:

- **Accessory categories**: at least half of their products are ``accessory_of`` or
  ``compatible_with`` another product (cases, lenses, chargers), or they are mostly
  bought with one other category that costs over five times as much (helmets with bikes).
- **Main categories**: every other category with at least ``MIN_PRODUCTS`` products.
- **Links**: how many relations (``accessory_of``, ``compatible_with``,
  ``frequently_bought_with``, either direction) join two categories' products. A persona's
  side categories are its main category's strongest links (weight ``log(1 + relations)``,
  so many-to-many fits like chargers x phones do not drown the rest), plus, at half that
  weight split by share, the accessories of a linked main category (runner: shoes -> GPS
  watch -> watch bands).
  A catalog without relations (a tea shop that lists no pairings) falls back to the other
  categories of the same ``group``.
- A **gift buyer** persona is always added: small budget, any category, busy in
  November and December.

Labels are for documentation and tests only; they are never stored where a
recommender reads. ``NICE_LABELS`` gives friendlier names where a category of that id
exists; any other category is named after itself ("tea shopper").
"""

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, List, Set, Tuple

MIN_PRODUCTS = 3
ACCESSORY_SHARE = 0.5      # share of a category's products that fit another product
ADD_ON_PRICE_RATIO = 0.2   # median price vs the category it is mostly bought with
MAX_SIDE = 5
MIN_SIDE_SHARE = 0.04
GIFT_BUYER = "gift buyer"

NICE_LABELS = {
    "running_shoes": "runner", "running_watches": "trail runner", "bikes": "road cyclist",
    "cameras": "photographer", "action_cameras": "adventure filmmaker", "laptops": "home-office worker",
    "phones": "phone enthusiast", "headphones": "music lover", "speakers": "home audio fan",
    "smartwatches": "fitness fan", "tents": "camper", "backpacks": "hiker", "yoga_mats": "yogi",
    "home_gym": "home athlete", "games": "gamer", "consoles": "gamer",
}
_LINK_RELATIONS = ("accessory_of", "compatible_with", "frequently_bought_with")
_FIT_RELATIONS = ("accessory_of", "compatible_with")


@dataclass(frozen=True)
class Persona:
    """One kind of shopper: a main category and the categories that go with it (weights sum to 1)."""

    label: str
    main: str                              # category id; "" for the gift buyer
    side: Tuple[Tuple[str, float], ...]    # (category id, weight), strongest first

    @property
    def is_gift_buyer(self) -> bool:
        return not self.main


def category_links(catalog) -> Dict[str, Counter]:
    """category -> Counter(other category -> number of relations between their products)."""
    links: Dict[str, Counter] = defaultdict(Counter)
    for product in catalog.products:
        for relation in _LINK_RELATIONS:
            for other_id in product.related(relation):
                other = catalog.product(other_id)
                if other is None or other.category == product.category:
                    continue
                links[product.category][other.category] += 1
                links[other.category][product.category] += 1
    return links


def accessory_categories(catalog, links: Dict[str, Counter]) -> Set[str]:
    """Categories whose products mostly go with another category's products."""
    accessories: Set[str] = set()
    medians = {c.id: statistics.median([p.price for p in catalog.products_in(c.id)] or [0.0])
               for c in catalog.categories}
    for category in catalog.categories:
        products = catalog.products_in(category.id)
        if not products:
            continue
        fitting = sum(1 for p in products if any(p.related(r) for r in _FIT_RELATIONS))
        if fitting / len(products) >= ACCESSORY_SHARE:
            accessories.add(category.id)
            continue
        if links.get(category.id):
            partner, _ = links[category.id].most_common(1)[0]
            if medians[partner] > 0 and medians[category.id] / medians[partner] < ADD_ON_PRICE_RATIO:
                accessories.add(category.id)
    return accessories


def persona_label(catalog, category_id: str) -> str:
    if category_id in NICE_LABELS:
        return NICE_LABELS[category_id]
    category = catalog.category(category_id)
    return f"{(category.singular or category.name).lower()} shopper" if category else f"{category_id} shopper"


def derive_personas(catalog) -> List[Persona]:
    """The catalog's personas: one per main category, then the gift buyer."""
    links = category_links(catalog)
    accessories = accessory_categories(catalog, links)
    counts = Counter(p.category for p in catalog.products)
    mains = [c.id for c in catalog.categories if c.id not in accessories and counts[c.id] >= MIN_PRODUCTS]
    personas: List[Persona] = []
    labels: Counter = Counter()
    for main in mains:
        side: Dict[str, float] = defaultdict(float)
        for other, count in links.get(main, Counter()).items():
            weight = math.log1p(count)  # many-to-many fits (chargers x phones) must not drown the rest
            side[other] += weight
            if other not in accessories:  # a linked main category brings its accessories along
                far_links = links.get(other, Counter())
                total = sum(far_links.values())
                for far, far_count in far_links.items():
                    if far != main and far in accessories:
                        side[far] += weight * far_count / total / 2
        if not side:
            group = catalog.category(main).group
            for category in catalog.categories:
                if category.id != main and group and category.group == group and counts[category.id]:
                    side[category.id] += 1
        strongest = sorted(side.items(), key=lambda item: (-item[1], item[0]))[:MAX_SIDE]
        total = sum(weight for _, weight in strongest) or 1.0
        strongest = [(c, w) for c, w in strongest if w / total >= MIN_SIDE_SHARE]
        total = sum(weight for _, weight in strongest) or 1.0
        label = persona_label(catalog, main)
        labels[label] += 1
        if labels[label] > 1:  # two categories with one nice name ("gamer")
            label = f"{label} ({catalog.category(main).name.lower()})"
        personas.append(Persona(label, main, tuple((c, w / total) for c, w in strongest)))
    personas.append(Persona(GIFT_BUYER, "", ()))
    return personas
