"""Templated review texts whose wording agrees with their star rating, for the demo behaviour.

A review names one to three aspects of the product (its own rated attributes from the
catalog, "battery life", "cushioning", or price / quality / design), praising them in a
5-star review, criticising them in a 1-star one and mixing both in between, with varied
openers and closers so the texts do not read as one sentence repeated. The profile
builder later reads these texts with the shop's sentiment model and ``bot.profiles.aspects``.
"""

import random
from typing import List

from bot.profiles.aspects import reviewable_aspects

_POSITIVE = (
    "the {a} is excellent", "really impressed by the {a}", "the {a} is great", "love the {a}",
    "the {a} exceeded my expectations", "the {a} is spot on", "very happy with the {a}",
)
_NEGATIVE = (
    "the {a} is disappointing", "the {a} is poor", "not happy with the {a}", "the {a} could be much better",
    "the {a} is a letdown", "really unhappy with the {a}", "the {a} is worse than advertised",
)
_OPENERS = {
    5: ("Love this {s}!", "Absolutely brilliant {s}.", "Best {s} I have owned.", "Five stars.", "Fantastic."),
    4: ("Very good {s}.", "Happy with this one.", "Solid {s}.", "Good purchase overall."),
    3: ("It's okay.", "Mixed feelings about this {s}.", "Average {s}.", "Decent, not great."),
    2: ("Disappointed.", "Not what I hoped for.", "Meh.", "Expected more from this {s}."),
    1: ("Terrible.", "Avoid this one.", "Really bad {s}.", "Waste of money."),
}
_CLOSERS = {
    5: ("Would recommend.", "Would buy again.", "", "Highly recommended."),
    4: ("Would recommend.", "", "Worth it."),
    3: ("", "Might return it.", "It does the job."),
    2: ("Would not buy again.", "", "Can't recommend it."),
    1: ("Returning it.", "Would not buy again.", "Stay away."),
}


def _sentence(phrase: str) -> str:
    return phrase[0].upper() + phrase[1:] + "."


def write_review(catalog, product, rating: int, rng: random.Random) -> str:
    """A short review of ``product`` whose sentiment matches ``rating`` (1..5)."""
    weighted = reviewable_aspects(catalog, product)
    picked: List[str] = []
    for _ in range(min(len(weighted), rng.choice((1, 2, 2, 3)))):
        aspect = rng.choices([a for a, _ in weighted], [w for _, w in weighted])[0]
        weighted = [(a, w) for a, w in weighted if a != aspect]
        picked.append(catalog.attributes[aspect].label.lower() if aspect in catalog.attributes else aspect)
    category = catalog.category(product.category)
    singular = (category.singular if category else "product").lower()
    if rating >= 5:
        tones = [True] * len(picked)
    elif rating == 4:
        tones = [True] * len(picked)
        if len(picked) > 1 and rng.random() < 0.4:
            tones[-1] = False
    elif rating == 3:
        tones = [i % 2 == 0 for i in range(len(picked))] if len(picked) > 1 else [rng.random() < 0.5]
    elif rating == 2:
        tones = [False] * len(picked)
        if len(picked) > 1 and rng.random() < 0.4:
            tones[0] = True
    else:
        tones = [False] * len(picked)
    parts: List[str] = [rng.choice(_OPENERS[rating]).format(s=singular)]
    for name, good in zip(picked, tones):
        phrase = rng.choice(_POSITIVE if good else _NEGATIVE).format(a=name)
        parts.append(_sentence(phrase))
    closer = rng.choice(_CLOSERS[rating])
    if closer:
        parts.append(closer)
    return " ".join(parts)
