"""The parser knows no shop: a tea shop's own attributes and words work the same way."""

import pytest

from bot.catalog.model import AttributeSpec, Brand, Catalog, Category, Product, empty_relations
from bot.graph.knowledge_graph import KnowledgeGraph
from bot.recs.search import ProductSearch


def tea(pid, name, brand, price, caffeine, weight, organic, origin, stock=5):
    return Product(id=pid, name=name, brand=brand, category="teas", price=price, stock=stock, rating=4.5,
                   reviews=10, attributes={"caffeine_mg": caffeine, "pack_weight_g": weight,
                                           "organic": organic, "origin": origin},
                   relations=empty_relations())


@pytest.fixture(scope="module")
def tea_search():
    catalog = Catalog(
        shop={"name": "Tea", "currency": "EUR"},
        categories=[Category("teas", "Teas", "tea", ["loose leaf"], "drinks")],
        brands=[Brand("leafco", "LeafCo"), Brand("kyoto", "Kyoto Leaf")],
        attributes={a.key: a for a in [
            AttributeSpec("caffeine_mg", "Caffeine", "number", "mg", "lower"),
            AttributeSpec("pack_weight_g", "Pack weight", "number", "g", "higher"),
            AttributeSpec("organic", "Organic", "bool"),
            AttributeSpec("origin", "Origin", "text")]},
        products=[tea("T1", "Sencha", "kyoto", 12.0, 30, 100, True, "Shizuoka Japan"),
                  tea("T2", "Assam Breakfast", "leafco", 8.0, 70, 250, False, "Assam India"),
                  tea("T3", "Rooibos", "leafco", 9.5, 0, 200, True, "South Africa"),
                  tea("T4", "Gyokuro", "kyoto", 29.0, 120, 50, False, "Uji Japan")])
    return ProductSearch(KnowledgeGraph.from_catalog(catalog))


def test_unit_threshold_in_another_shop(tea_search):
    result = tea_search.search("teas with less than 50 mg caffeine", limit=10)
    assert {p.id for p in result.products} == {"T1", "T3"}


def test_mass_superlative_in_another_shop(tea_search):
    result = tea_search.search("the heaviest pack of tea")
    assert result.products[0].id == "T2"
    result = tea_search.search("the lightest tea")
    assert result.products[0].id == "T4"


def test_best_follows_the_specs_direction(tea_search):
    # "least caffeine" / "most caffeine" read the label; currency from the shop
    assert tea_search.search("the tea with the least caffeine").products[0].id == "T3"
    assert tea_search.search("most caffeine").products[0].id == "T4"


def test_yes_no_feature_and_price_in_another_shop(tea_search):
    result = tea_search.search("organic tea under 10", limit=10)
    assert {p.id for p in result.products} == {"T3"}
    assert "\u20ac10" in result.describe()
