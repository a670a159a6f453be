"""A seeded, shop-shaped synthetic catalog of any size, for scale tests and benchmarks.

The demo shop has a few hundred products; a real shop may have 100k. This makes a
catalog with the demo's density - ~40 categories (devices and their accessory
categories), a few hundred brands, numeric/text/list/bool attributes, accessories
pointing at devices of their paired category, model successions, similar and
frequently-bought-together links - so the graph's indexes are measured on realistic
neighbourhood sizes. Same seed, same catalog.
"""

import random
from typing import List

from bot.catalog.model import AttributeSpec, Brand, Catalog, Category, Product, empty_relations

DEVICE_KINDS = ["phone", "tablet", "laptop", "smartwatch", "camera", "headphone", "speaker",
                "monitor", "e-reader", "drone", "console", "router", "printer", "projector",
                "fitness tracker", "action camera", "keyboard", "mouse", "bike computer", "tv"]
ACCESSORY_KINDS = ["case", "charger", "cable", "band", "lens", "screen protector", "stand",
                   "bag", "mount", "battery pack", "dock", "remote", "ear tip", "filter",
                   "memory card", "cover", "strap", "adapter", "hub", "skin"]
SERIES = ["Nova", "Apex", "Zen", "Vista", "Pulse", "Orbit", "Echo", "Quantum", "Vertex", "Lumen",
          "Aura", "Strata", "Helix", "Nimbus", "Vector", "Prism", "Summit", "Drift", "Flux", "Atlas"]
SUFFIXES = ["", "", "", " Pro", " Max", " Lite", " Plus", " Mini", " Ultra", " SE"]
COLOURS = ["black", "white", "silver", "blue", "red", "green", "violet", "gold", "grey",
           "pink", "orange", "graphite"]
WATER = ["IP67", "IP68", "IPX4", "5 ATM", "10 ATM", "none"]
CONNECTIVITY = ["5G", "LTE", "Wi-Fi 6", "Wi-Fi 6E", "Bluetooth 5.3", "NFC", "USB-C", "ANT+"]


def synthetic_catalog(n_products: int = 100_000, seed: int = 7, n_brands: int = 300) -> Catalog:
    rng = random.Random(seed)
    categories: List[Category] = []
    for kind in DEVICE_KINDS:
        categories.append(Category(_slug(_plural(kind)), _plural(kind).title(), kind, [], "devices"))
    for kind in ACCESSORY_KINDS:
        categories.append(Category(_slug(_plural(kind)), _plural(kind).title(), kind, [],
                                   "accessories"))
    devices, accessories = categories[:len(DEVICE_KINDS)], categories[len(DEVICE_KINDS):]
    brands = [Brand(f"brand{b:03d}", f"Brand{b:03d}") for b in range(n_brands)]
    attributes = {a.key: a for a in [
        AttributeSpec("battery_life_h", "Battery life", "number", "h", "higher"),
        AttributeSpec("weight_g", "Weight", "number", "g", "lower"),
        AttributeSpec("screen_size_in", "Screen size", "number", "in", None),
        AttributeSpec("water_resistance", "Water resistance", "text"),
        AttributeSpec("colours", "Colours", "list"),
        AttributeSpec("connectivity", "Connectivity", "list"),
        AttributeSpec("wireless_charging", "Wireless charging", "bool"),
    ]}

    n_devices = int(n_products * 0.6)
    products: List[Product] = []
    device_ids_by_category: dict = {c.id: [] for c in devices}
    for i in range(n_products):
        is_device = i < n_devices
        category = rng.choice(devices if is_device else accessories)
        brand = rng.choice(brands)
        name = f"{rng.choice(SERIES)} {i % 997 + 1}{rng.choice(SUFFIXES)}"
        attrs = {
            "weight_g": rng.randint(10, 3000),
            "water_resistance": rng.choice(WATER),
            "colours": rng.sample(COLOURS, rng.randint(1, 3)),
        }
        if is_device:
            attrs["battery_life_h"] = rng.randint(2, 600)
            attrs["connectivity"] = rng.sample(CONNECTIVITY, rng.randint(1, 4))
            attrs["wireless_charging"] = rng.random() < 0.4
            if rng.random() < 0.5:
                attrs["screen_size_in"] = round(rng.uniform(1.2, 65), 1)
        pid = f"SYN-{i:06d}"
        products.append(Product(
            id=pid, name=name, brand=brand.id, category=category.id,
            price=round(rng.uniform(5, 3000), 2), stock=rng.choice([0, 0, 3, 10, 25, 100]),
            rating=round(rng.uniform(2.5, 5.0), 1), reviews=rng.randint(0, 5000),
            description=f"{brand.name} {name}.", aliases=[], attributes=attrs,
            relations=empty_relations()))
        if is_device:
            device_ids_by_category[category.id].append(pid)

    # accessory categories pair with a few device categories, as cases go with phones
    pairing = {acc.id: rng.sample([d.id for d in devices], 3) for acc in accessories}
    by_category: dict = {}
    for product in products:
        by_category.setdefault(product.category, []).append(product.id)
    for product in products:
        rel = product.relations
        if product.category in pairing:
            pool = device_ids_by_category[rng.choice(pairing[product.category])]
            targets = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
            rel["accessory_of"] = targets
            rel["compatible_with"] = list(targets)
        else:
            same = by_category[product.category]
            if rng.random() < 0.15:
                older = rng.choice(same)
                if older != product.id:
                    rel["successor_of"] = [older]
        same = by_category[product.category]
        rel["similar_to"] = [s for s in rng.sample(same, min(2, len(same))) if s != product.id]
        other = products[rng.randrange(len(products))].id
        rel["frequently_bought_with"] = [other] if other != product.id else []
    shop = {"name": "Synthetic", "currency": "USD", "base_url": "https://shop.example.com"}
    return Catalog(shop=shop, categories=categories, brands=brands, attributes=attributes,
                   products=products)


def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith(("s", "ch", "sh", "x")) else "s")


def _slug(text: str) -> str:
    return text.lower().replace(" ", "_").replace("-", "_")
