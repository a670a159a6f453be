"""Generate the bundled demo catalog (``knowledge/catalog.json``) from hand-written facts.

    python -m bot.catalog.demo_catalog            # rewrites knowledge/catalog.json
    python -m bot.catalog.demo_catalog --out x.json --seed 7

Why a generator instead of a hand-edited JSON file: ~400 products with consistent
relations (a case is ``accessory_of`` exactly the phones it is cut for, a lens is
``compatible_with`` every body of its mount, a USB-C cable with every USB-C device)
are easy to get wrong by hand and easy to derive from facts. The facts live in
``bot.catalog.demo_data`` (real brands and models, list prices, specs, one
hand-written pitch sentence per product); this module adds what a real shop's data
would also have: ids, stock levels, ratings and review counts, descriptions composed
from each product's own facts, and the relation graph.

Output is deterministic: every random draw comes from ``random.Random`` seeded with
the seed and the product's key, ids follow table order (SKU-10001 upwards), and the
JSON is written with a fixed key order, so the same seed always gives the same bytes.
"""

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from bot import settings
from bot.catalog.demo_data import ATTRIBUTES, BRANDS, CATEGORIES, SHOP, TABLES
from bot.catalog.demo_data.base import Item
from bot.catalog.jsonfmt import render_json
from bot.catalog.model import (
    FORMAT_VERSION, RELATIONS, AttributeSpec, Brand, Catalog, CatalogError, Category, Product, empty_relations,
)

DEFAULT_SEED = 20240601
FIRST_ID = 10001
WATCHES = ("smartwatches", "running_watches")
CHARGER_DEVICES = ("phones", "laptops", "headphones", "action_cameras")
CABLE_DEVICES = ("phones", "laptops", "headphones", "speakers", "cameras", "action_cameras") + WATCHES
OWN_BRAND_ACCESSORY_FOR = ("phones", "laptops", "headphones") + WATCHES
# similar_to stays within the same value of this attribute (a road helmet is no alternative to an MTB one)
SIMILAR_BY = {"headphones": "form_factor", "bikes": "riding_style", "helmets": "riding_style",
              "running_shoes": "surface", "lenses": "mount", "home_gym": "equipment_type",
              "watch_bands": "strap_system", "chargers": "connector", "cables": "connector"}
SIMILAR_PRICE_BAND = (0.65, 1.55)
MAX_SIMILAR = 3
# cross-category pairs a shop sees in real baskets, beyond the rule-based ones below
EXTRA_BOUGHT_WITH = {
    "airpods_pro_2": ["iphone_15"], "galaxy_buds2_pro": ["galaxy_s24"], "pixel_buds_pro": ["pixel_8"],
    "apple_watch_s9_41": ["iphone_15"], "galaxy_watch6": ["galaxy_s24"], "pixel_watch_2": ["pixel_8"],
    "selecttech_552": ["bowflex_51s_bench"], "powerblock_elite_exp": ["bowflex_51s_bench"],
    "gopro_hero12": ["anker_powercore_10k"], "osmo_action_4": ["anker_powercore_10k"],
    "forerunner_265": ["pegasus_40"], "forerunner_965": ["vaporfly_3"], "coros_pace_3": ["clifton_9"],
}


@dataclass
class Row:
    """One product while it is being built: its id, category and facts."""

    sku: str
    category: str
    item: Item
    brand_name: str = ""

    @property
    def display(self) -> str:
        name = self.item.name
        if name.lower().startswith(self.brand_name.lower() + " "):
            return name
        return f"{self.brand_name} {name}"

    def attr(self, key: str, default: Any = None) -> Any:
        return self.item.attrs.get(key, default)


# ---------------------------------------------------------------- wording helpers

def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _mass(grams: float) -> str:
    return f"{_num(round(grams / 1000, 1))} kg" if grams >= 1000 else f"{_num(grams)} g"


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


_AN_LETTERS = "aeiou"
_AN_INITIALS = "AEFHILMNORSX"  # letters read as a vowel sound in an acronym: "an FHD display", "an MIP screen"


def _a(phrase: str) -> str:
    """``phrase`` with the right indefinite article."""
    word = phrase.split()[0]
    acronym = len(word) > 1 and word[:2].isupper()
    vowel = word[0] in _AN_INITIALS if acronym else word[0].lower() in _AN_LETTERS
    return f"{'an' if vowel else 'a'} {phrase}"


def _storage(gb: float) -> str:
    return f"{_num(gb / 1024)} TB" if gb >= 1024 else f"{_num(gb)} GB"


def _battery(hours: float, row: Row) -> str:
    if row.category in WATCHES and hours >= 48:
        return f"up to {_num(round(hours / 24))} days of battery life"
    if row.category in ("headphones", "speakers"):
        return f"{_num(hours)} hours of playback per charge"
    if row.category == "action_cameras":
        return f"about {_num(hours)} hours of recording per battery"
    return f"up to {_num(hours)} hours of battery life"


def _sensor(mp: float, row: Row) -> str:
    if row.category == "phones":
        return f"a {_num(mp)} MP main camera"
    if row.category == "cameras":
        return f"a {_num(mp)} MP {row.attr('sensor_size', '')} sensor".replace("  ", " ")
    return f"{_num(mp)} MP stills"


def _wheels(inches: float, row: Row) -> str:
    return "700c wheels" if inches == 28 else f"{_num(inches)}-inch wheels"


Clause = Callable[[Any, Row], Optional[str]]
CLAUSES: Dict[str, Clause] = {
    "screen_size_in": lambda v, r: f"a {_num(v)}-inch screen",
    "processor": lambda v, r: f"the {v} chip" if r.category == "phones" else _a(f"{v} processor"),
    "display": lambda v, r: _a(f"{v} display"),
    "storage_gb": lambda v, r: f"{_storage(v)} of storage",
    "ram_gb": lambda v, r: f"{_num(v)} GB of RAM",
    "battery_life_h": _battery,
    "gps_battery_h": lambda v, r: f"{_num(v)} hours of GPS tracking",
    "weight_g": lambda v, r: f"a weight of just {_mass(v)}" if v < 300 else f"a weight of {_mass(v)}",
    "water_resistance": lambda v, r: (f"waterproofing to {v[:-len(' waterproof')]}" if v.endswith(" waterproof")
                                      else f"{v} water resistance"),
    "connectivity": lambda v, r: "support for " + _join(v[:3]),
    "noise_cancelling": lambda v, r: "active noise cancelling" if v else "an open, natural sound without ANC",
    "sensor_mp": _sensor,
    "video": lambda v, r: f"{v} video",
    "stabilisation": lambda v, r: ("in-body image stabilisation" if r.category == "cameras" else
                                   "optical stabilisation") if v else None,
    "mount": lambda v, r: f"the {v} mount" if v != "fixed lens" else "a fixed lens",
    "focal_length_mm": lambda v, r: f"a {v} mm focal length" if "-" not in v else f"a {v} mm zoom range",
    "max_aperture": lambda v, r: f"a maximum aperture of {v}",
    "wattage_w": lambda v, r: f"{_num(v)} W of charging power",
    "ports": lambda v, r: f"{_num(v)} output ports" if v > 1 else None,
    "length_m": lambda v, r: f"a {_num(v)} m length",
    "connector": lambda v, r: f"a {v} connector" if r.category == "cables" else None,
    "drop_protection_ft": lambda v, r: f"{_num(v)} ft drop protection",
    "magsafe": lambda v, r: "built-in MagSafe magnets" if v else None,
    "material": lambda v, r: f"a body made from {v}" if r.category in ("cases", "chargers")
    else f"{v} material" if r.category == "yoga_mats" else f"made from {v}",
    "band_width_mm": lambda v, r: f"a {_num(v)} mm width",
    "strap_system": lambda v, r: f"{v} attachment",
    "case_size_mm": lambda v, r: f"a {_num(v)} mm case",
    "drop_mm": lambda v, r: f"a {_num(v)} mm heel-to-toe drop",
    "cushioning": lambda v, r: f"{v} cushioning",
    "support": lambda v, r: "a neutral ride" if v == "neutral" else f"{v} support",
    "surface": lambda v, r: "a grippy trail outsole" if v == "trail" else "a durable road outsole",
    "frame_material": lambda v, r: _a(f"{v} frame"),
    "wheel_size_in": _wheels,
    "gears": lambda v, r: f"{_num(v)} gears",
    "mips": lambda v, r: "a MIPS low-friction layer" if v else "a WaveCel liner" if "WaveCel" in r.item.name
    else None,
    "capacity_l": lambda v, r: f"{_num(v)} litres of space",
    "capacity_persons": lambda v, r: f"room for {_num(v)}" + (" person" if v == 1 else " people"),
    "packed_weight_g": lambda v, r: f"a packed weight of {_mass(v)}",
    "seasons": lambda v, r: f"{v} weather protection",
    "thickness_mm": lambda v, r: f"{_num(v)} mm of thickness",
    "length_cm": lambda v, r: f"a {_num(v)} cm length",
    "weight_range_lb": lambda v, r: ("bodyweight resistance" if v == "bodyweight" else
                                     f"a {v} lb weight range" if "-" in v else f"a weight of {v} lb"),
    "fit": lambda v, r: f"a {v} fit",
}

SPEC_KEYS: Dict[str, Tuple[str, ...]] = {
    "phones": ("screen_size_in", "processor", "sensor_mp", "battery_life_h", "storage_gb", "water_resistance"),
    "laptops": ("processor", "display", "ram_gb", "storage_gb", "battery_life_h", "weight_g"),
    "headphones": ("noise_cancelling", "battery_life_h", "connectivity", "water_resistance", "weight_g"),
    "speakers": ("battery_life_h", "water_resistance", "weight_g", "connectivity"),
    "smartwatches": ("battery_life_h", "display", "water_resistance", "case_size_mm", "weight_g"),
    "running_watches": ("gps_battery_h", "battery_life_h", "display", "weight_g", "water_resistance"),
    "cameras": ("sensor_mp", "video", "stabilisation", "weight_g", "mount"),
    "action_cameras": ("video", "water_resistance", "battery_life_h", "weight_g", "sensor_mp"),
    "lenses": ("focal_length_mm", "max_aperture", "weight_g", "stabilisation"),
    "chargers": ("wattage_w", "ports", "weight_g"),
    "cables": ("length_m", "wattage_w", "connector"),
    "cases": ("drop_protection_ft", "material", "magsafe", "weight_g"),
    "watch_bands": ("band_width_mm", "material", "strap_system"),
    "running_shoes": ("cushioning", "drop_mm", "weight_g", "support", "surface"),
    "bikes": ("frame_material", "wheel_size_in", "gears", "weight_g"),
    "helmets": ("mips", "weight_g", "riding_style"),
    "tents": ("capacity_persons", "packed_weight_g", "seasons", "material"),
    "backpacks": ("capacity_l", "weight_g", "material", "fit"),
    "yoga_mats": ("thickness_mm", "material", "weight_g", "length_cm"),
    "home_gym": ("weight_range_lb", "material"),
}
CLAUSES["riding_style"] = lambda v, r: f"a shape made for {v} riding"

SPEC_FRAMES = ("Highlights: {}.", "It offers {}.", "You get {}.", "On paper that means {}.",
               "Specs include {}.", "Expect {}.", "Key numbers: {}.")
IMPROVEMENTS = (("battery_life_h", "longer battery life"), ("gps_battery_h", "longer GPS battery life"),
                ("sensor_mp", "a higher-resolution sensor"), ("storage_gb", "more storage"),
                ("wattage_w", "more power"), ("weight_g", "less weight"), ("ram_gb", "more memory"))


# ---------------------------------------------------------------- the generator

class DemoCatalogBuilder:
    """Turns the demo tables into a ``Catalog``; see the module docstring."""

    def __init__(self, seed: int = DEFAULT_SEED, tables=TABLES) -> None:
        self.seed = seed
        self.brand_names = {bid: name for bid, name, _ in BRANDS}
        self.specs = {key: AttributeSpec(key, label, kind, unit, better)
                      for key, label, kind, unit, better in ATTRIBUTES}
        self.rows: List[Row] = []
        self.by_key: Dict[str, Row] = {}
        for category, items in tables:
            for item in items:
                if item.key in self.by_key:
                    raise ValueError(f"duplicate product key {item.key}")
                row = Row(f"SKU-{FIRST_ID + len(self.rows)}", category, item, self.brand_names[item.brand])
                self.rows.append(row)
                self.by_key[item.key] = row

    # -- helpers
    def rng(self, row: Row, purpose: str) -> random.Random:
        """An independent stream per product and purpose: adding a product moves nothing else."""
        return random.Random(f"{self.seed}:{row.item.key}:{purpose}")

    def in_categories(self, categories: Sequence[str]) -> List[Row]:
        return [r for r in self.rows if r.category in categories]

    def row(self, key: str) -> Row:
        if key not in self.by_key:
            raise ValueError(f"unknown product key {key!r} in the demo tables")
        return self.by_key[key]

    # -- numbers a shop has
    def stock(self, row: Row) -> int:
        if row.item.stock is not None:
            return int(row.item.stock)
        rng = self.rng(row, "stock")
        draw = rng.random()
        if draw < 0.05:
            return 0
        if draw < 0.2:
            return rng.randint(1, 5)
        return rng.randint(6, 90)

    def rating_and_reviews(self, row: Row) -> Tuple[float, int]:
        rng = self.rng(row, "rating")
        rating = round(min(4.9, max(3.6, rng.gauss(4.45, 0.22))), 1)
        reviews = int(rng.lognormvariate(5.2, 0.7) * row.item.popularity)
        return rating, max(reviews, 3)

    # -- relations
    @staticmethod
    def laptop_power_need(row: Row) -> float:
        """The smallest charger (W) that charges this laptop at a useful speed."""
        processor = row.attr("processor", "")
        if "Max" in processor or "Ryzen 9" in processor:
            return 100
        if row.attr("screen_size_in", 0) >= 15 or row.attr("ram_gb", 0) >= 18:
            return 65
        return 30

    def charger_targets(self, row: Row) -> List[Row]:
        connector, watts = row.attr("connector"), row.attr("wattage_w", 0)
        found = []
        for dev in self.in_categories(CHARGER_DEVICES):
            plug = dev.attr("connector")
            if connector in ("USB-C", "USB-A"):
                if dev.category == "laptops":
                    ok = connector == "USB-C" and plug == "USB-C" and watts >= self.laptop_power_need(dev)
                else:
                    ok = plug in ("USB-C", "Lightning")
            elif connector in ("Qi", "Qi2"):
                ok = dev.category in ("phones", "headphones") and dev.attr("wireless_charging") is True
            elif connector == "MagSafe":
                ok = (dev.item.brand == "apple" and dev.attr("wireless_charging") is True
                      and dev.category in ("phones", "headphones") and dev.attr("screen_size_in", 6) >= 6)
            else:
                ok = False
            if ok:
                found.append(dev)
        return found

    def cable_targets(self, row: Row) -> List[Row]:
        connector, watts = row.attr("connector"), row.attr("wattage_w", 0)
        return [dev for dev in self.in_categories(CABLE_DEVICES)
                if dev.attr("connector") == connector
                and (dev.category != "laptops" or watts >= self.laptop_power_need(dev))]

    def band_targets(self, row: Row) -> List[Row]:
        return [w for w in self.in_categories(WATCHES)
                if w.attr("strap_system") == row.attr("strap_system")
                and w.attr("band_width_mm") == row.attr("band_width_mm")]

    def lens_targets(self, row: Row) -> List[Row]:
        return [c for c in self.in_categories(("cameras",)) if c.attr("mount") == row.attr("mount")]

    def accessory_links(self, row: Row) -> Tuple[List[Row], List[Row]]:
        """(accessory_of, compatible_with) for one product."""
        fits = [self.row(k) for k in row.item.fits]
        if row.category == "watch_bands":
            fits = fits + self.band_targets(row)
        elif row.category == "lenses":
            fits = fits + self.lens_targets(row)
        compatible = list(fits)
        accessory_of = list(fits)
        if row.category in ("chargers", "cables"):
            works = self.charger_targets(row) if row.category == "chargers" else self.cable_targets(row)
            compatible += works
            accessory_of += [d for d in works if d.item.brand == row.item.brand
                             and d.category in OWN_BRAND_ACCESSORY_FOR]
        return _unique(accessory_of), _unique(compatible)

    def similar(self, row: Row) -> List[Row]:
        low, high = SIMILAR_PRICE_BAND
        same_by = SIMILAR_BY.get(row.category)
        candidates = []
        for other in self.rows:
            if other is row or other.category != row.category:
                continue
            if same_by and other.attr(same_by) != row.attr(same_by):
                continue
            if row.item.fits and set(other.item.fits) != set(row.item.fits):
                continue  # a case is only an alternative to cases for the same phone
            ratio = other.item.price / row.item.price
            if low <= ratio <= high:
                candidates.append((abs(math.log(ratio)), other.sku, other))
        return [other for _, _, other in sorted(candidates)[:MAX_SIMILAR]]

    def bought_with(self, row: Row, compatible_sources: Dict[str, List[Row]]) -> List[Row]:
        """Cross-category companions stored on the main product (the graph makes them symmetric)."""
        cat, picks = row.category, []
        rng = self.rng(row, "bought_with")
        accessories = compatible_sources.get(row.sku, [])  # products that are accessory_of this one

        def first(category: str, pool: Optional[List[Row]] = None) -> None:
            for acc in pool if pool is not None else accessories:
                if acc.category == category:
                    picks.append(acc)
                    return

        if cat == "phones":
            first("cases")
            own = [a for a in accessories if a.category == "chargers" and a.item.brand == row.item.brand
                   and a.attr("connector") == "USB-C"]
            picks.append(own[0] if own else self.row("anker_511_nano3"))
            if row.attr("connector") == "Lightning":
                picks.append(self.row("apple_usbc_lightning"))
        elif cat == "laptops" and row.attr("connector") == "USB-C":
            picks.append(self.row("anker_735") if self.laptop_power_need(row) <= 65 else
                         self.row("anker_prime_100w"))
            picks.append(self.row("anker_765_cable"))
        elif cat in WATCHES:
            first("watch_bands")
        elif cat == "cameras":
            lenses = sorted((a for a in accessories if a.category == "lenses"), key=lambda r: (r.item.price, r.sku))
            picks.extend(lenses[:1])
        elif cat == "bikes":
            helmets = [h for h in self.in_categories(("helmets",))
                       if h.attr("riding_style") == row.attr("riding_style")]
            if not helmets:
                helmets = [h for h in self.in_categories(("helmets",)) if h.attr("riding_style") == "road"]
            picks.append(rng.choice(helmets))
        elif cat == "tents":
            packs = [p for p in self.in_categories(("backpacks",)) if p.attr("capacity_l", 0) >= 50]
            picks.append(rng.choice(packs))
        elif cat == "yoga_mats":
            bands = [g for g in self.in_categories(("home_gym",)) if g.attr("equipment_type") == "resistance bands"]
            picks.append(rng.choice(bands))
        picks += [self.row(k) for k in EXTRA_BOUGHT_WITH.get(row.item.key, [])]
        return _unique(p for p in picks if p is not row)

    # -- descriptions
    def description(self, row: Row, relations: Dict[str, List[Row]]) -> str:
        rng = self.rng(row, "description")
        sentences = [row.item.pitch.strip()]
        clauses = []
        for key in SPEC_KEYS.get(row.category, ()):
            if key in row.item.attrs:
                text = CLAUSES[key](row.item.attrs[key], row)
                if text:
                    clauses.append(text)
        if clauses:
            count = min(len(clauses), rng.choice((2, 3, 3)))
            chosen = sorted(rng.sample(range(min(len(clauses), 5)), min(count, min(len(clauses), 5))))
            sentences.append(rng.choice(SPEC_FRAMES).format(_join([clauses[i] for i in chosen])))
        third = self.closing_sentence(row, relations, rng)
        if third:
            sentences.append(third)
        return " ".join(sentences)

    def closing_sentence(self, row: Row, relations: Dict[str, List[Row]], rng: random.Random) -> Optional[str]:
        if relations["successor_of"]:
            older = relations["successor_of"][0]
            gains = []
            for key, wording in IMPROVEMENTS:
                new, old = row.attr(key), older.attr(key)
                if isinstance(new, (int, float)) and isinstance(old, (int, float)) and new != old:
                    better = self.specs[key].better
                    if (better == "higher" and new > old) or (better == "lower" and new < old):
                        gains.append(wording)
            tail = f", with {_join(gains[:2])}" if gains else ""
            return f"It replaces the {older.display}{tail}."
        targets = relations["compatible_with"] or relations["accessory_of"]
        if targets and row.category in ("cases", "watch_bands", "lenses", "chargers", "cables"):
            names = [t.display for t in targets]
            if len(names) <= 3:
                return f"Made for the {_join(names)}."
            shown = [names[i] for i in sorted(rng.sample(range(len(names)), 3))]
            return f"Works with {len(names)} products in our range, including the {_join(shown)}."
        if row.category == "running_shoes" and row.attr("sizes"):
            sizes = row.attr("sizes")
            return f"Available in {row.attr('fit', 'unisex')} US sizes {sizes[0]} to {sizes[-1]}."
        if row.category == "bikes" and row.attr("frame_size"):
            return f"Frame sizes: {', '.join(row.attr('frame_size'))}."
        colours = row.attr("colours") or []
        if len(colours) >= 2 and rng.random() < 0.7:
            return f"Available in {_join(colours)}."
        return None

    # -- assembly
    def build(self) -> Catalog:
        links: Dict[str, Dict[str, List[Row]]] = {}
        accessories_of: Dict[str, List[Row]] = {}
        for row in self.rows:
            accessory_of, compatible = self.accessory_links(row)
            links[row.sku] = {"accessory_of": accessory_of, "compatible_with": compatible,
                              "successor_of": [self.row(k) for k in row.item.successor_of],
                              "similar_to": self.similar(row)}
            for target in accessory_of:
                accessories_of.setdefault(target.sku, []).append(row)
        for row in self.rows:
            links[row.sku]["frequently_bought_with"] = self.bought_with(row, accessories_of)

        base = SHOP["base_url"].rstrip("/")
        products = []
        for row in self.rows:
            rel = links[row.sku]
            rating, reviews = self.rating_and_reviews(row)
            relations = empty_relations()
            for name in RELATIONS:
                relations[name] = [t.sku for t in rel.get(name, [])]
            attributes = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in row.item.attrs.items()}
            for key, value in attributes.items():
                if key not in self.specs:
                    raise ValueError(f"{row.item.key}: attribute {key} is not declared in taxonomy.ATTRIBUTES")
                if isinstance(value, float) and value.is_integer() and self.specs[key].type == "number":
                    attributes[key] = int(value)
            products.append(Product(
                id=row.sku, name=row.item.name, brand=row.item.brand, category=row.category,
                price=round(row.item.price, 2), stock=self.stock(row), rating=rating, reviews=reviews,
                description=self.description(row, rel), url=f"{base}/p/{row.sku}",
                image=f"{base}/img/{row.sku}.jpg", aliases=list(row.item.aliases), attributes=attributes,
                relations=relations, brand_name=row.brand_name,
            ))
        used_brands = {p.brand for p in products}
        used_attributes = {k for p in products for k in p.attributes}
        return Catalog(
            shop=dict(SHOP),
            categories=[Category(cid, name, singular, list(syn), group)
                        for cid, name, singular, syn, group in CATEGORIES],
            brands=sorted((Brand(bid, name, list(aliases)) for bid, name, aliases in BRANDS if bid in used_brands),
                          key=lambda b: b.id),
            attributes={k: s for k, s in self.specs.items() if k in used_attributes},
            products=sorted(products, key=lambda p: p.id),
            version=FORMAT_VERSION,
        )


def _unique(rows) -> List[Row]:
    seen, out = set(), []
    for row in rows:
        if row.sku not in seen:
            seen.add(row.sku)
            out.append(row)
    return out


# ---------------------------------------------------------------- output

def generate_catalog(seed: int = DEFAULT_SEED) -> Catalog:
    """The demo catalog for ``seed``, checked by the same strict validation as ``load_catalog``."""
    from bot.catalog.validation import build_catalog, errors_only

    catalog = DemoCatalogBuilder(seed).build()
    data = catalog.to_dict()
    rows = {key: [(i + 1, item) for i, item in enumerate(data[key])]
            for key in ("categories", "brands", "attributes", "products")}
    _, problems = build_catalog("<demo catalog>", data["shop"], rows["categories"], rows["brands"],
                                rows["attributes"], rows["products"])
    errors = errors_only(problems)
    if errors:
        raise CatalogError("the generated demo catalog is invalid:\n" + "\n".join(str(e) for e in errors[:20]))
    return catalog


def catalog_text(seed: int = DEFAULT_SEED) -> str:
    return render_json(generate_catalog(seed).to_dict()) + "\n"


def write_demo_catalog(path: Optional[Path] = None, seed: int = DEFAULT_SEED) -> Path:
    path = Path(path) if path is not None else settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(catalog_text(seed), encoding="utf-8")
    return path


def summary(catalog: Catalog) -> str:
    counts = {name: sum(len(p.relations.get(name, [])) for p in catalog.products) for name in RELATIONS}
    return (f"{len(catalog.products)} products, {len(catalog.categories)} categories, {len(catalog.brands)} brands, "
            f"{len(catalog.attributes)} attributes; relations: "
            + ", ".join(f"{name} {count}" for name, count in counts.items()))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.catalog.demo_catalog",
                                     description="Regenerate the bundled demo catalog (deterministic).")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output file (default: {settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    path = write_demo_catalog(args.out, args.seed)
    from bot.catalog.loader import load_catalog

    print(f"wrote {path}: {summary(load_catalog(path))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
