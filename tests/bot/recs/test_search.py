"""Product search against the demo catalog: every expected answer is computed here from the
raw catalog JSON, independently of the parser and the graph."""

import pytest


def in_category(raw, cid):
    return [p for p in raw["products"] if p["category"] == cid]


def category_named(raw, word):
    """The category whose name or singular is ``word`` (from the raw JSON)."""
    for c in raw["categories"]:
        if word.lower() in (c["name"].lower(), c["singular"].lower()):
            return c["id"]
    raise AssertionError(word)


def spec(raw, key):
    return next(a for a in raw["attributes"] if a["key"] == key)


def test_cheapest_laptop_is_the_catalog_minimum(search, raw_catalog):
    cid = category_named(raw_catalog, "laptop")
    cheapest = min(p["price"] for p in in_category(raw_catalog, cid))
    result = search.search("how much is the cheapest laptop?")
    assert result.products[0].price == cheapest
    assert result.products[0].category == cid
    assert result.total == len(in_category(raw_catalog, cid))
    assert result.describe() == "Laptops, cheapest first"


def test_most_expensive_phone(search, raw_catalog):
    cid = category_named(raw_catalog, "phone")
    top = max(p["price"] for p in in_category(raw_catalog, cid))
    assert search.search("the most expensive phone").products[0].price == top


@pytest.mark.parametrize("word", ["tent", "laptop", "helmet"])
def test_lightest_uses_the_categorys_mass_attribute(search, raw_catalog, word):
    cid = category_named(raw_catalog, word)
    products = in_category(raw_catalog, cid)
    # the mass attributes (unit g) that products of this category have
    mass_keys = [a["key"] for a in raw_catalog["attributes"] if a.get("unit") == "g"
                 and any(a["key"] in p["attributes"] for p in products)]
    assert mass_keys
    key = max(mass_keys, key=lambda k: sum(k in p["attributes"] for p in products))
    lightest = min(p["attributes"][key] for p in products if key in p["attributes"])
    result = search.search(f"the lightest {word}")
    assert result.query.superlative.key == key
    assert result.products[0].attributes[key] == lightest
    values = [p.attributes[key] for p in result.products]
    assert values == sorted(values)


def test_longest_battery_phone(search, raw_catalog):
    cid = category_named(raw_catalog, "phone")
    best = max(p["attributes"]["battery_life_h"] for p in in_category(raw_catalog, cid)
               if "battery_life_h" in p["attributes"])
    result = search.search("which phone has the longest battery?")
    assert result.query.superlative.key == "battery_life_h"
    assert result.products[0].attributes["battery_life_h"] == best


def test_biggest_backpack_by_capacity(search, raw_catalog):
    cid = category_named(raw_catalog, "backpack")
    best = max(p["attributes"]["capacity_l"] for p in in_category(raw_catalog, cid))
    result = search.search("the biggest backpack")
    assert result.products[0].attributes["capacity_l"] == best


def test_under_a_price(search, raw_catalog):
    cid = category_named(raw_catalog, "laptop")
    expected = {p["id"] for p in in_category(raw_catalog, cid) if p["price"] <= 1000}
    result = search.search("laptops under $1,000", limit=100)
    assert {p.id for p in result.products} == expected
    assert result.total == len(expected)
    assert result.describe() == "Laptops under $1,000"


def test_between_two_prices(search, raw_catalog):
    cid = category_named(raw_catalog, "running shoe")
    expected = {p["id"] for p in in_category(raw_catalog, cid) if 100 <= p["price"] <= 150}
    result = search.search("running shoes between 100 and 150", limit=100)
    assert {p.id for p in result.products} == expected
    assert "between $100 and $150" in result.describe()


def test_around_a_price_without_currency_sign(search, raw_catalog):
    cid = category_named(raw_catalog, "headphones")
    expected = {p["id"] for p in in_category(raw_catalog, cid) if 255 <= p["price"] <= 345}
    result = search.search("headphones around 300", limit=100)
    assert result.query.price_role == "approx"
    assert {p.id for p in result.products} == expected


def test_budget_entity_with_role_is_used(search, raw_catalog):
    entities = [{"entity": "budget", "value": {"min": None, "max": 150.0, "currency": "USD"}, "role": "max"}]
    result = search.search("show me running shoes", entities=entities, limit=100)
    cid = category_named(raw_catalog, "running shoe")
    assert {p.id for p in result.products} == {p["id"] for p in in_category(raw_catalog, cid)
                                              if p["price"] <= 150}


def test_at_least_hours_of_battery(search, raw_catalog):
    cid = category_named(raw_catalog, "headphones")
    expected = {p["id"] for p in in_category(raw_catalog, cid)
                if p["attributes"].get("battery_life_h", 0) >= 30}
    result = search.search("headphones with at least 30 hours of battery", limit=100)
    assert {p.id for p in result.products} == expected
    assert expected and len(expected) < len(in_category(raw_catalog, cid))


def test_weight_threshold_converts_units(search, raw_catalog):
    cid = category_named(raw_catalog, "laptop")
    expected = {p["id"] for p in in_category(raw_catalog, cid) if p["attributes"]["weight_g"] <= 1500}
    result = search.search("a laptop lighter than 1.5 kg", limit=100)
    assert {p.id for p in result.products} == expected
    assert result.query.numeric[0].value == 1500


def test_grams_threshold(search, raw_catalog):
    cid = category_named(raw_catalog, "phone")
    expected = {p["id"] for p in in_category(raw_catalog, cid) if p["attributes"]["weight_g"] <= 180}
    assert {p.id for p in search.search("phones under 180 g", limit=100).products} == expected


def test_waterproof_means_a_water_resistance_rating(search, raw_catalog):
    cid = category_named(raw_catalog, "headphones")
    expected = {p["id"] for p in in_category(raw_catalog, cid) if p["attributes"].get("water_resistance")}
    result = search.search("waterproof headphones", limit=100)
    assert {p.id for p in result.products} == expected
    assert result.describe().startswith("Waterproof headphones")


def test_yes_no_feature_and_brand(search, raw_catalog):
    cid = category_named(raw_catalog, "headphones")
    sony = next(b["id"] for b in raw_catalog["brands"] if b["name"] == "Sony")
    expected = {p["id"] for p in in_category(raw_catalog, cid)
                if p["brand"] == sony and p["attributes"].get("noise_cancelling") is True}
    result = search.search("Sony headphones with noise cancelling", limit=100)
    assert {p.id for p in result.products} == expected
    assert result.describe() == "Sony headphones with noise cancelling"


def test_categorical_value(search, raw_catalog):
    cid = category_named(raw_catalog, "phone")
    expected = {p["id"] for p in in_category(raw_catalog, cid) if "IP68" in p["attributes"].get("water_resistance", "")}
    assert {p.id for p in search.search("an IP68 phone", limit=100).products} == expected


def test_accessories_for_a_product(search, demo_kg, raw_catalog):
    pixel = next(p for p in raw_catalog["products"] if p["name"] == "Pixel 8")
    result = search.search("a case for my Pixel 8", limit=100)
    assert result.query.fits == pixel["id"]
    for p in result.products:
        raw = next(r for r in raw_catalog["products"] if r["id"] == p.id)
        assert pixel["id"] in raw["relations"]["accessory_of"] + raw["relations"]["compatible_with"]


def test_result_carries_exact_price_and_stock(search, raw_catalog):
    by_id = {p["id"]: p for p in raw_catalog["products"]}
    for p in search.search("tents", limit=100).products:
        assert (p.price, p.stock) == (by_id[p.id]["price"], by_id[p.id]["stock"])


def test_nothing_to_search_for(search):
    result = search.search("hello there")
    assert not result.query.has_constraints
    assert search.search("").query.has_constraints is False


def test_in_any_case_is_not_about_cases(search):
    assert search.search("in any case, thanks").query.categories == []


def test_feature_no_product_of_the_category_has_is_reported(search):
    result = search.search("waterproof yoga mat")
    assert result.query.ignored and result.products  # said what it could not apply
