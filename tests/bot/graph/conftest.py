"""Two catalogs for the graph tests.

``mini_catalog``: a small hand-written shop whose edge cases are guaranteed (a brand
called Polar, a "cases" category, two Forerunners, lenses sharing a mount), so the
linking rules are tested exactly. ``demo_catalog``: the bundled demo shop, loaded as the
assistant loads it; tests on it derive their expectations from its data.
"""

import pytest

from bot.catalog.model import AttributeSpec, Brand, Catalog, Category, Product, empty_relations


def _product(pid, name, brand, category, price, stock=5, rating=4.0, reviews=100,
             aliases=(), attributes=None, **relations):
    rel = empty_relations()
    rel.update({k: list(v) for k, v in relations.items()})
    return Product(id=pid, name=name, brand=brand, category=category, price=price, stock=stock,
                   rating=rating, reviews=reviews, description=f"{name}.", aliases=list(aliases),
                   attributes=dict(attributes or {}), relations=rel)


def build_mini_catalog() -> Catalog:
    categories = [
        Category("phones", "Phones", "phone", ["smartphone", "mobile phone"], "electronics"),
        Category("cases", "Cases", "case", ["phone case", "cover"], "accessories"),
        Category("watches", "Smartwatches", "smartwatch", ["watch", "fitness watch"], "wearables"),
        Category("bands", "Watch bands", "watch band", ["band", "strap"], "accessories"),
        Category("cameras", "Cameras", "camera", ["mirrorless camera"], "photo"),
        Category("lenses", "Lenses", "lens", ["camera lens"], "photo"),
        Category("chargers", "Chargers", "charger", ["power adapter"], "accessories"),
    ]
    brands = [Brand("samsung", "Samsung"), Brand("google", "Google"), Brand("garmin", "Garmin"),
              Brand("polar", "Polar"), Brand("sony", "Sony"), Brand("spigen", "Spigen"),
              Brand("anker", "Anker")]
    attributes = {a.key: a for a in [
        AttributeSpec("battery_life_h", "Battery life", "number", "h", "higher"),
        AttributeSpec("weight_g", "Weight", "number", "g", "lower"),
        AttributeSpec("water_resistance", "Water resistance", "text"),
        AttributeSpec("colours", "Colours", "list"),
        AttributeSpec("wireless_charging", "Wireless charging", "bool"),
        AttributeSpec("mount", "Lens mount", "text"),
        AttributeSpec("connectivity", "Connectivity", "list"),
    ]}
    p = _product
    products = [
        p("PHN-00001", "Galaxy S24", "samsung", "phones", 799, rating=4.6, reviews=812,
          aliases=["S24", "Samsung S24"],
          attributes={"battery_life_h": 29, "weight_g": 167, "water_resistance": "IP68",
                      "colours": ["black", "violet"], "wireless_charging": True,
                      "connectivity": ["5G", "Wi-Fi 6E"]},
          successor_of=["PHN-00004"], similar_to=["PHN-00003"]),
        p("PHN-00002", "Galaxy S24 Ultra", "samsung", "phones", 1299, rating=4.7, reviews=640,
          aliases=["S24 Ultra"],
          attributes={"battery_life_h": 31, "weight_g": 232, "water_resistance": "IP68",
                      "colours": ["titanium grey"], "wireless_charging": True}),
        p("PHN-00003", "Pixel 8", "google", "phones", 699, rating=4.5, reviews=500,
          attributes={"battery_life_h": 24, "weight_g": 187, "water_resistance": "IP68",
                      "colours": ["obsidian", "hazel"], "wireless_charging": True},
          similar_to=["PHN-00001"]),
        p("PHN-00004", "Galaxy S23", "samsung", "phones", 599, stock=0, rating=4.4, reviews=1500,
          attributes={"battery_life_h": 22, "weight_g": 168, "water_resistance": "IP68",
                      "colours": ["black"], "wireless_charging": True}),
        p("PHN-00005", "Pixel 8 Pro", "google", "phones", 999, rating=4.6, reviews=300,
          attributes={"battery_life_h": 26, "weight_g": 213, "water_resistance": "IP68",
                      "colours": ["obsidian"], "wireless_charging": True}),
        p("CAS-00001", "Tough Armor Galaxy S24", "spigen", "cases", 29, rating=4.5, reviews=90,
          attributes={"colours": ["black"]}, accessory_of=["PHN-00001"], compatible_with=["PHN-00001"],
          frequently_bought_with=["PHN-00001"]),
        p("CAS-00002", "Silicone Case Galaxy S24", "samsung", "cases", 39, rating=4.2, reviews=40,
          attributes={"colours": ["violet", "black"]}, accessory_of=["PHN-00001"]),
        p("CAS-00003", "Thin Fit Pixel 8", "spigen", "cases", 19, rating=4.4, reviews=70,
          accessory_of=["PHN-00003"], compatible_with=["PHN-00003"]),
        p("CHG-00001", "Nano 30W", "anker", "chargers", 25, rating=4.8, reviews=2000,
          compatible_with=["PHN-00001", "PHN-00003", "PHN-00002"]),
        p("WCH-00001", "Forerunner 265", "garmin", "watches", 449, rating=4.7, reviews=700,
          attributes={"battery_life_h": 312, "weight_g": 47, "water_resistance": "5 ATM",
                      "colours": ["black", "aqua"]}),
        p("WCH-00002", "Forerunner 965", "garmin", "watches", 599, rating=4.8, reviews=450,
          attributes={"battery_life_h": 552, "weight_g": 53, "water_resistance": "5 ATM"},
          successor_of=["WCH-00001"]),
        p("WCH-00003", "Pacer Pro", "polar", "watches", 299, rating=4.3, reviews=150,
          attributes={"battery_life_h": 168, "weight_g": 41, "water_resistance": "5 ATM"}),
        p("BND-00001", "QuickFit 22 Silicone Band", "garmin", "bands", 49, rating=4.5, reviews=80,
          accessory_of=["WCH-00001", "WCH-00002"]),
        p("CAM-00001", "Alpha 7 IV", "sony", "cameras", 2499, rating=4.8, reviews=300,
          aliases=["A7 IV", "a7iv"], attributes={"mount": "Sony E", "weight_g": 658}),
        p("LNS-00001", "FE 50mm F1.8", "sony", "lenses", 249, rating=4.5, reviews=210,
          attributes={"mount": "Sony E", "weight_g": 186}, compatible_with=["CAM-00001"]),
        p("LNS-00002", "FE 24-70mm F2.8 GM II", "sony", "lenses", 2299, rating=4.9, reviews=120,
          attributes={"mount": "Sony E", "weight_g": 695}, compatible_with=["CAM-00001"]),
    ]
    return Catalog(shop={"name": "Mini", "currency": "USD", "base_url": "https://shop.example.com"},
                   categories=categories, brands=brands, attributes=attributes, products=products)


@pytest.fixture(scope="session")
def mini_catalog():
    return build_mini_catalog()


@pytest.fixture(scope="session")
def mini_kg(mini_catalog):
    from bot.graph.knowledge_graph import KnowledgeGraph

    return KnowledgeGraph.from_catalog(mini_catalog)


@pytest.fixture(scope="session")
def mini_linker(mini_kg):
    from bot.graph.linking import MentionLinker

    return MentionLinker(mini_kg)


@pytest.fixture(scope="session")
def demo_catalog():
    from bot import settings
    from bot.catalog import load_catalog
    return load_catalog(settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE)


@pytest.fixture(scope="session")
def demo_kg(demo_catalog):
    from bot.graph.knowledge_graph import KnowledgeGraph

    return KnowledgeGraph.from_catalog(demo_catalog)


@pytest.fixture(scope="session")
def demo_linker(demo_kg):
    from bot.graph.linking import MentionLinker

    return MentionLinker(demo_kg)
