"""The words a shopper uses for the catalog's attributes, built from the catalog itself.

"the lightest tent", "at least 12 hours of battery", "under 1.5 kg", "waterproof": none of
these words is an attribute key. What connects them is generic English plus the catalog's
own attribute specs: every numeric attribute has a label ("Packed weight") and a unit
("g"), and the unit says what the number measures (mass). "lightest" is an adjective about
mass, so "the lightest tent" sorts tents by whichever mass attribute tents have; "kg" is a
unit of mass, so "under 1.5 kg" becomes ``packed_weight_g <= 1500``. Only the tables of
English words and units live here; which attributes exist, what they are called and which
direction is better all come from the catalog, so a tea shop with "Caffeine (mg)" or a
bookshop with "Pages" gets the same features.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

# unit spelling (lower case) -> (dimension, factor to the dimension's base unit)
UNITS: Dict[str, Tuple[str, float]] = {}
for _dim, _spellings in {
    "mass": {("mg", "milligram", "milligrams"): 0.001, ("g", "gr", "gram", "grams", "gramme", "grammes"): 1.0,
             ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"): 1000.0,
             ("lb", "lbs", "pound", "pounds"): 453.592, ("oz", "ounce", "ounces"): 28.3495},
    "duration": {("s", "sec", "secs", "second", "seconds"): 1.0, ("min", "mins", "minute", "minutes"): 60.0,
                 ("h", "hr", "hrs", "hour", "hours"): 3600.0, ("d", "day", "days"): 86400.0,
                 ("week", "weeks"): 604800.0},
    "length": {("mm", "millimetre", "millimetres", "millimeter", "millimeters"): 1.0,
               ("cm", "centimetre", "centimetres", "centimeter", "centimeters"): 10.0,
               ("m", "metre", "metres", "meter", "meters"): 1000.0,
               ("in", "inch", "inches", '"'): 25.4, ("ft", "foot", "feet"): 304.8,
               ("km", "kilometre", "kilometres", "kilometer", "kilometers"): 1e6},
    "volume": {("ml", "millilitre", "millilitres", "milliliter", "milliliters"): 1.0,
               ("l", "litre", "litres", "liter", "liters"): 1000.0},
    "data": {("mb", "megabyte", "megabytes"): 1.0, ("gb", "gig", "gigs", "gigabyte", "gigabytes"): 1024.0,
             ("tb", "terabyte", "terabytes"): 1024.0 ** 2},
    "power": {("w", "watt", "watts"): 1.0, ("kw", "kilowatt", "kilowatts"): 1000.0},
    "energy": {("mah",): 1.0},
    "resolution": {("mp", "megapixel", "megapixels"): 1.0},
    "count": {("people", "person", "persons", "pax"): 1.0},
    "frequency": {("hz", "hertz"): 1.0, ("khz",): 1000.0},
    "temperature": {("c", "°c", "celsius"): 1.0},
    "angle": {("°", "degree", "degrees"): 1.0},
}.items():
    for _names, _factor in _spellings.items():
        for _name in _names:
            UNITS.setdefault(_name, (_dim, _factor))

# Superlative adjectives about a kind of quantity: word -> (dimensions, "max" | "min").
DIMENSION_SUPERLATIVES: Dict[str, Tuple[Tuple[str, ...], str]] = {
    "lightest": (("mass",), "min"), "heaviest": (("mass",), "max"),
    "longest": (("duration", "length"), "max"), "shortest": (("duration", "length"), "min"),
    "longest-lasting": (("duration",), "max"),
    "biggest": (("length", "volume", "count", "data"), "max"),
    "largest": (("length", "volume", "count", "data"), "max"),
    "roomiest": (("volume", "count"), "max"), "smallest": (("length", "volume", "count", "data"), "min"),
    "tiniest": (("length", "volume", "mass"), "min"), "thinnest": (("length",), "min"),
    "thickest": (("length",), "max"), "widest": (("length",), "max"),
    "strongest": (("power",), "max"), "fastest": (("power", "frequency"), "max"),
    "sharpest": (("resolution",), "max"),
}
# The noun each quantity adjective is about: a label with it wins ("lightest" -> "Weight",
# not "Caffeine", though milligrams are mass too).
ADJECTIVE_NOUNS: Dict[str, Tuple[str, ...]] = {
    "lightest": ("weight",), "heaviest": ("weight",), "lighter": ("weight",), "heavier": ("weight",),
    "longest": ("length", "life", "battery"), "shortest": ("length",),
    "longest-lasting": ("life", "battery"), "biggest": ("size", "capacity"), "largest": ("size", "capacity"),
    "roomiest": ("capacity",), "smallest": ("size",), "tiniest": ("size",), "thinnest": ("thickness",),
    "thickest": ("thickness",), "widest": ("width",), "strongest": ("power",), "fastest": ("speed", "power"),
}
# Comparatives, for thresholds without a comparison word ("lighter than 2 kg").
COMPARATIVE_OPS: Dict[str, str] = {
    "lighter": "<=", "heavier": ">=", "longer": ">=", "shorter": "<=", "bigger": ">=",
    "larger": ">=", "smaller": "<=", "thinner": "<=", "thicker": ">=", "wider": ">=",
    "stronger": ">=", "faster": ">=",
}
# Superlatives about the catalog's own product fields: phrase -> (field, direction).
FIELD_SUPERLATIVES: Sequence[Tuple[str, str, str]] = (
    ("least expensive", "price", "min"), ("lowest priced", "price", "min"), ("lowest price", "price", "min"),
    ("most affordable", "price", "min"), ("cheapest", "price", "min"),
    ("most expensive", "price", "max"), ("highest priced", "price", "max"), ("priciest", "price", "max"),
    ("best rated", "rating", "max"), ("best-rated", "rating", "max"), ("top rated", "rating", "max"),
    ("top-rated", "rating", "max"), ("highest rated", "rating", "max"), ("best reviewed", "rating", "max"),
    ("worst rated", "rating", "min"), ("lowest rated", "rating", "min"),
    ("most popular", "reviews", "max"), ("best selling", "reviews", "max"),
    ("best-selling", "reviews", "max"), ("bestselling", "reviews", "max"), ("most reviewed", "reviews", "max"),
)
# "most storage", "least weight", "best battery", "highest resolution": word -> direction
# ("better" follows the spec's own ``better``).
DEGREE_WORDS: Dict[str, str] = {"most": "max", "highest": "max", "maximum": "max", "max": "max",
                                "greatest": "max", "least": "min", "lowest": "min", "minimum": "min",
                                "best": "better", "worst": "worse"}
# Comparison words before a number -> operator.
COMPARISONS: Sequence[Tuple[str, str]] = (
    ("no less than", ">="), ("not less than", ">="), ("at least", ">="), ("minimum of", ">="),
    ("minimum", ">="), ("min", ">="), ("more than", ">="), ("greater than", ">="), ("over", ">="),
    ("above", ">="), ("upwards of", ">="), ("no more than", "<="), ("not more than", "<="),
    ("at most", "<="), ("maximum of", "<="), ("maximum", "<="), ("max", "<="), ("up to", "<="),
    ("under", "<="), ("below", "<="), ("less than", "<="), ("fewer than", "<="), ("within", "<="),
    ("around", "~"), ("about", "~"), ("roughly", "~"), ("approximately", "~"), ("approx", "~"),
    ("~", "~"),
)
# "-proof" and "-resistant" make an adjective of the thing resisted: "waterproof",
# "water-resistant", "shockproof" name the attribute whose label starts with that thing.
RESIST_SUFFIXES = ("proof", "resistant", "resistance")

_WORD = re.compile(r"\d+(?:[.,]\d+)*(?:[^\W\d_]+)?|[^\W_]+(?:['\u2019][^\W_]+)?|[~\"°+]")


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> List[Tuple[str, int, int]]:
    """(lower-cased word, start, end) for every word of ``text`` (offsets in ``text``)."""
    folded = normalize(text)
    if len(folded) != len(text):  # folding changed lengths: offsets from the folded text
        text = folded
    return [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(folded)]


def same_word(a: str, b: str) -> bool:
    """Loose word equality for label words: "weighs"~"weight", "cancelling"~"canceling",
    "batteries"~"battery"; short words must be equal ("ram" is not "ramp")."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < 4:
        return False
    need = min(shorter, 5)
    return a[:need] == b[:need]


@dataclass(frozen=True)
class AttributeTerm:
    """What the shop calls one attribute, and what its numbers measure."""

    key: str
    label: str
    type: str
    unit: Optional[str]
    better: Optional[str]
    label_words: Tuple[str, ...]
    dimension: Optional[str]  # mass, duration, ... from the unit; None when unitless
    factor: float  # the spec's unit in its dimension's base unit
    brandish: Tuple[str, ...]  # label words written like names ("MagSafe", "MIPS")

    def label_score(self, tokens: Iterable[str]) -> int:
        tokens = list(tokens)
        return sum(1 for w in self.label_words if any(same_word(w, t) for t in tokens))


LABEL_STOPWORDS = frozenset("of the a an and or to in on with for".split())


class Vocabulary:
    """The catalog's attributes as words: labels, units, dimensions, categorical values."""

    def __init__(self, catalog: Any):
        self.catalog = catalog
        self.terms: Dict[str, AttributeTerm] = {}
        for key, spec in (getattr(catalog, "attributes", None) or {}).items():
            unit = (getattr(spec, "unit", None) or "").strip()
            dim, factor = UNITS.get(unit.casefold(), (None, 1.0)) if unit else (None, 1.0)
            label = getattr(spec, "label", None) or key.replace("_", " ")
            raw = re.findall(r"[^\W_]+", label)
            label_words = tuple(w.casefold() for w in raw if w.casefold() not in LABEL_STOPWORDS)
            brandish = tuple(w.casefold() for w in raw if any(c.isupper() for c in w[1:]) or
                             (w.isupper() and len(w) > 1))
            self.terms[key] = AttributeTerm(key, label, getattr(spec, "type", "text"), unit or None,
                                            getattr(spec, "better", None), label_words, dim, factor,
                                            brandish)
        # coverage: (category or None) -> {key: products with a value}
        self.coverage: Dict[Optional[str], Dict[str, int]] = {}
        # categorical values: key -> {normalised value phrase: original value}
        self.values: Dict[str, Dict[Tuple[str, ...], str]] = {}
        self.value_has_mark: Set[Tuple[str, ...]] = set()
        for product in getattr(catalog, "products", None) or []:
            for key, value in (product.attributes or {}).items():
                if value is None or value == [] or value == "":
                    continue
                for scope in (None, product.category):
                    counts = self.coverage.setdefault(scope, {})
                    counts[key] = counts.get(key, 0) + 1
                term = self.terms.get(key)
                if term is None or term.type not in ("text", "list"):
                    continue
                for item in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(item, str) and 0 < len(item) <= 40:
                        phrase = tuple(w for w, _, _ in words(item))
                        if phrase:
                            self.values.setdefault(key, {})[phrase] = item
                            if any(c.isdigit() for c in item) or any(c.isupper() for c in item[1:]) \
                                    or "-" in item:
                                self.value_has_mark.add(phrase)

    def covered(self, key: str, category: Optional[str]) -> int:
        return self.coverage.get(category, {}).get(key, 0)

    def numeric_terms(self, category: Optional[str] = None) -> List[AttributeTerm]:
        return [t for t in self.terms.values() if t.type == "number" and self.covered(t.key, category) > 0]

    def pick(self, candidates: Sequence[AttributeTerm], context: Sequence[str],
             category: Optional[str]) -> Optional[AttributeTerm]:
        """The attribute a phrase means among ``candidates``: most label words in the
        context, then fewest label words left unsaid, then most products that have it."""
        usable = [t for t in candidates if self.covered(t.key, category) > 0]
        if not usable:
            return None
        return max(usable, key=lambda t: (t.label_score(context),
                                          -(len(t.label_words) - t.label_score(context)),
                                          self.covered(t.key, category)))
