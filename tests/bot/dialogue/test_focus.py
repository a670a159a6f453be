"""Follow-ups about the products in focus, against the real demo catalog and a tea shop.

Every expectation is computed from the catalog in the test (which product is cheaper,
what colours it comes in), so the tests hold when the catalog's numbers change.
"""

import pytest

from bot.catalog.model import AttributeSpec, Brand, Catalog, Category, Product, empty_relations
from bot.dialogue.attributes import attribute_words, join_words, value_text
from bot.dialogue.focus import Focus, resolve
from bot.dialogue.products import compare_turn, compatibility_turn, not_found, product_info_turn
from bot.dialogue.replies import money


def cards(turn):
    return [c["id"] for r in turn.replies if r.custom for c in r.custom.get("products", [])]


def shown(catalog, key, value):
    """The value as the catalog's unit writes it ("187 g", "$699.00")."""
    return value_text(value, key, catalog)


@pytest.fixture(scope="module")
def catalog(shop_services):
    return shop_services.catalog


@pytest.fixture(scope="module")
def phones(catalog):
    category = catalog.product("SKU-10012").category  # the Pixel 8's category
    return [p for p in catalog.products if p.category == category]


def pair_differing(products, key):
    """Two products whose ``key`` values differ (the first such pair in catalog order)."""
    for i, a in enumerate(products):
        for b in products[i + 1:]:
            va, vb = a.attributes.get(key), b.attributes.get(key)
            if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va != vb:
                return a, b
    raise AssertionError(f"no two products differ on {key}")


def value_of(product, key):
    return product.price if key == "price" else product.attributes[key]


# ---------------------------------------------------------------------- the slot
def test_the_slot_keeps_the_set_and_the_product_talked_about():
    focus = Focus.from_slot(["A", "B", "C"])
    assert focus.shown == ["A", "B", "C"] and focus.subject is None and focus.about == ["A", "B", "C"]
    picked = focus.pick("B")
    assert picked.slot() == ["B", "A", "B", "C"]  # B first, the set as shown after it
    again = Focus.from_slot(picked.slot())
    assert again.shown == ["A", "B", "C"] and again.subject == "B" and again.about == ["B"]
    assert Focus(["A", "B"]).pick("A").slot() == ["A", "A", "B"]  # a pick of the first is still a pick
    assert Focus.from_slot(["A"]).about == ["A"] and Focus.from_slot(["A"]).slot() == ["A"]
    assert focus.pick("Z").slot() == ["Z"]  # a product from outside the set starts a new one
    assert Focus.from_slot(None).shown == [] and Focus.from_slot([None, 3]).shown == []


# ---------------------------------------------------------------------- positions
@pytest.mark.parametrize("text, index", [
    ("tell me more about the second", 1), ("the 2nd one", 1), ("what about number 2?", 1),
    ("the last one", 1), ("and the other one?", 1), ("the first one", 0), ("show me the first", 0),
])
def test_positions_pick_from_the_products_shown(shop_services, phones, text, index):
    a, b = phones[0], phones[1]
    picked = (a, b)[index]
    turn = product_info_turn(shop_services, text, focus=[a.id, b.id])
    text_out = turn.replies[0].text
    assert picked.display_name in text_out and money(picked.price) in text_out
    assert cards(turn) == [picked.id]
    # the picked product is what "it" means next; the set stays for "and the other one?"
    assert Focus.from_slot(turn.focus).subject == picked.id and Focus.from_slot(turn.focus).shown == [a.id, b.id]


def test_the_other_one_after_a_pick_is_the_rest(shop_services, phones):
    a, b = phones[0], phones[1]
    turn = product_info_turn(shop_services, "tell me more about the second", focus=[a.id, b.id])
    turn = product_info_turn(shop_services, "and the other one?", focus=turn.focus)
    assert cards(turn) == [a.id] and a.display_name in turn.replies[0].text
    # positions still count as the products were shown
    turn = product_info_turn(shop_services, "what about the second?", focus=turn.focus)
    assert cards(turn) == [b.id]


def test_both_and_all_of_them(shop_services, phones):
    a, b, c = phones[:3]
    turn = product_info_turn(shop_services, "tell me about both", focus=[a.id, b.id])
    assert cards(turn) == [a.id, b.id] and turn.focus == [a.id, b.id]
    turn = compare_turn(shop_services, "compare all of them", focus=[a.id, b.id, c.id])
    table = turn.replies[0].custom["comparison"]
    price_row = next(row for row in table if row["label"] == "Price")
    assert price_row["values"] == [money(p.price) for p in (a, b, c)]


@pytest.mark.parametrize("text", ["the fifth", "tell me about the 5th one", "number 5"])
def test_a_position_beyond_the_products_shown_gets_a_question(shop_services, phones, text):
    a, b = phones[0], phones[1]
    [reply] = product_info_turn(shop_services, text, focus=[a.id, b.id]).replies
    assert "2 products" in reply.text and a.display_name in reply.text and b.display_name in reply.text
    assert reply.text.endswith("Which one do you mean?")
    assert [btn["payload"] for btn in reply.buttons] == [f'/product_info{{"product_id":"{p.id}"}}' for p in (a, b)]


# ---------------------------------------------------------------------- comparatives
@pytest.mark.parametrize("text, key, direction", [
    ("the cheaper one", "price", "min"),
    ("which is more expensive?", "price", "max"),
    ("which is lighter?", "weight_g", "min"),
    ("the one with longer battery", "battery_life_h", "max"),
    ("which has more storage", "storage_gb", "max"),
    ("which one has the better camera?", "sensor_mp", None),  # the spec says which way is better
])
def test_comparatives_rank_the_products_in_focus(shop_services, catalog, phones, text, key, direction):
    if direction is None:
        direction = "max" if catalog.attributes[key].better == "higher" else "min"
    a, b = pair_differing(phones, key) if key != "price" else (phones[0], next(p for p in phones if p.price != phones[0].price))
    pick = min if direction == "min" else max
    winner = pick((a, b), key=lambda p: value_of(p, key))
    loser = b if winner is a else a
    for turn_of in (product_info_turn, compare_turn):  # whichever intent the NLU picks
        turn = turn_of(shop_services, text, focus=[a.id, b.id])
        text_out = turn.replies[0].text
        assert text_out.startswith(f"The {winner.display_name} has the")
        assert f"{shown(catalog, key, value_of(winner, key))} vs {shown(catalog, key, value_of(loser, key))}" in text_out
        assert cards(turn)[0] == winner.id
        focus = Focus.from_slot(turn.focus)
        assert focus.subject == winner.id and focus.shown == [a.id, b.id]


def test_a_superlative_over_several_lists_them_all(shop_services, catalog, phones):
    group = phones[:4]
    turn = product_info_turn(shop_services, "which is the cheapest?", focus=[p.id for p in group])
    ranked = sorted(group, key=lambda p: p.price)
    text_out = turn.replies[0].text
    assert text_out.startswith(f"The {ranked[0].display_name} has the lowest price: {money(ranked[0].price)}")
    assert all(money(p.price) in text_out for p in group)
    assert cards(turn) == [p.id for p in ranked]


def test_a_tie_is_said_honestly(shop_services, catalog, phones):
    a, b = next((a, b) for i, a in enumerate(phones) for b in phones[i + 1:]
                if a.attributes.get("sensor_mp") and a.attributes.get("sensor_mp") == b.attributes.get("sensor_mp"))
    turn = product_info_turn(shop_services, "which one has the better camera?", focus=[a.id, b.id])
    label = catalog.attributes["sensor_mp"].label.lower()
    assert turn.replies[0].text.startswith(f"They're equal on {label}: {shown(catalog, 'sensor_mp', a.attributes['sensor_mp'])} each")
    assert Focus.from_slot(turn.focus).subject is None  # no winner: still both


def test_a_tie_at_the_top_names_both_winners(shop_services, catalog, phones):
    key = "storage_gb"
    values = sorted({p.attributes[key] for p in phones if key in p.attributes}, reverse=True)
    best = next(v for v in values[:-1] if sum(1 for p in phones if p.attributes.get(key) == v) >= 2)
    top = [p for p in phones if p.attributes.get(key) == best][:2]
    low = next(p for p in phones if key in p.attributes and p.attributes[key] < best)
    turn = product_info_turn(shop_services, "which has the most storage?", focus=[low.id] + [p.id for p in top])
    text_out = turn.replies[0].text
    assert text_out.startswith(f"The {join_words([p.display_name for p in top])} share the highest storage")
    assert f"the {low.display_name} has {shown(catalog, key, low.attributes[key])}" in text_out


def test_a_comparative_between_named_products(shop_services, catalog):
    a, b = catalog.product("SKU-10012"), catalog.product("SKU-10013")
    lighter = min((a, b), key=lambda p: p.attributes["weight_g"])
    turn = product_info_turn(shop_services, f"which is lighter, the {a.display_name} or the {b.display_name}?")
    assert turn.replies[0].text.startswith(f"The {lighter.display_name} has the lower weight")


# ---------------------------------------------------------------------- attribute questions
def colours_with(products, word, present=True):
    return next(p for p in products if p.attributes.get("colours") and
                any(word in c.split() for c in p.attributes["colours"]) == present)


def test_does_it_come_in_a_colour_answers_yes_or_no_with_the_colours(shop_services, catalog, phones):
    everything = [p for p in catalog.products if p.attributes.get("colours")]
    without = colours_with(phones, "blue", present=False)
    turn = product_info_turn(shop_services, "does it come in blue?", focus=[without.id])
    assert turn.replies[0].text == f"No — the {without.display_name} comes in {join_words(without.attributes['colours'])}."
    with_blue = colours_with(everything, "blue")
    turn = product_info_turn(shop_services, "is it available in blue?", focus=[with_blue.id])
    assert turn.replies[0].text.startswith("Yes — ") and all(c in turn.replies[0].text for c in with_blue.attributes["colours"])


def test_a_colour_question_about_several_says_which(shop_services, catalog):
    everything = [p for p in catalog.products if p.attributes.get("colours")]
    yes, no = colours_with(everything, "blue"), colours_with(everything, "blue", present=False)
    text_out = product_info_turn(shop_services, "do they come in blue?", focus=[yes.id, no.id]).replies[0].text
    assert text_out.startswith(f"Only the {yes.display_name} comes in blue")
    assert join_words(no.attributes["colours"]) in text_out


def test_what_colours_does_the_second_one_come_in(shop_services, catalog, phones):
    a, b = next((a, b) for a, b in zip(phones, phones[1:]) if set(a.attributes["colours"]) != set(b.attributes["colours"]))
    turn = product_info_turn(shop_services, "what colours does the second one come in?", focus=[a.id, b.id])
    assert turn.replies[0].text == f"{catalog.attributes['colours'].label} of the {b.display_name}: {join_words(b.attributes['colours'])}."
    assert Focus.from_slot(turn.focus).subject == b.id


@pytest.mark.parametrize("text, key", [("is it waterproof?", "water_resistance"), ("how heavy is it?", "weight_g"),
                                       ("how much does it weigh?", "weight_g"), ("what's its battery life?", "battery_life_h"),
                                       ("how much space does it have", "storage_gb"), ("how many megapixels?", "sensor_mp"),
                                       ("can I swim with it?", "water_resistance"), ("what's the connectivity?", "connectivity"),
                                       ("what colors does it come in?", "colours")])
def test_questions_about_the_product_in_focus_quote_the_catalog(shop_services, catalog, phones, text, key):
    phone = phones[0]
    before = Focus([p.id for p in phones[:3]]).pick(phone.id).slot()
    turn = product_info_turn(shop_services, text, focus=before)
    assert shown(catalog, key, phone.attributes[key]) in turn.replies[0].text
    assert phone.display_name in turn.replies[0].text and turn.focus == before  # the focus is kept


def test_yes_no_features(shop_services, catalog):
    headphones = [p for p in catalog.products if "noise_cancelling" in p.attributes]
    yes = next(p for p in headphones if p.attributes["noise_cancelling"] is True)
    no = next(p for p in headphones if p.attributes["noise_cancelling"] is False)
    assert product_info_turn(shop_services, "does the first one have noise cancelling?", focus=[yes.id, no.id]).replies[0].text \
        == f"Yes — the {yes.display_name} has noise cancelling."
    assert product_info_turn(shop_services, "does the second one have noise cancelling?", focus=[yes.id, no.id]).replies[0].text \
        == f"No — the {no.display_name} doesn't have noise cancelling."


def test_a_value_is_looked_up_in_the_products_values(shop_services, phones):
    phone = next(p for p in phones if any(c.startswith("Wi-Fi") for c in p.attributes.get("connectivity", [])))
    assert product_info_turn(shop_services, "does it have wifi?", focus=[phone.id]).replies[0].text.startswith("Yes — ")
    # "how much space" is a quantity, even in a shop with a colour called "space"
    assert "Storage" in product_info_turn(shop_services, "how much space does it have?", focus=[phone.id]).replies[0].text


def test_an_attribute_the_product_does_not_have_is_said_so(shop_services, phones):
    phone = next(p for p in phones if "sizes" not in p.attributes)
    text_out = product_info_turn(shop_services, "what sizes does it come in?", focus=[phone.id]).replies[0].text
    assert text_out == f"The catalog doesn't list sizes for the {phone.display_name}."


def test_a_comparative_then_a_question(shop_services, phones):
    a, b = phones[0], next(p for p in phones if p.price != phones[0].price)
    cheaper = min((a, b), key=lambda p: p.price)
    colour = cheaper.attributes["colours"][-1]
    turn = product_info_turn(shop_services, f"does the cheaper one come in {colour}?", focus=[a.id, b.id])
    assert turn.replies[0].text.startswith(f"Yes — the {cheaper.display_name} comes in")
    assert Focus.from_slot(turn.focus).subject == cheaper.id


def test_focus_in_compare_and_compatibility(shop_services, catalog, phones):
    a, b, c = phones[:3]
    turn = compare_turn(shop_services, f"compare the second one with the {c.display_name}", focus=[a.id, b.id])
    assert turn.replies[0].text.startswith(f"{b.display_name} vs {c.display_name}")
    fits = {p.id for p in shop_services.graph.compatible(b.id)}
    turn = compatibility_turn(shop_services, "what fits the second one?", focus=[a.id, b.id])
    assert fits and set(cards(turn)) <= fits and b.display_name in turn.replies[0].text


def test_without_focus_nothing_changes(shop_services):
    text = "the cheaper one"
    assert product_info_turn(shop_services, text).replies[0].text == not_found(shop_services, None, text)[0].text
    assert resolve(shop_services.catalog, "the second one", Focus()).how == ""


@pytest.mark.parametrize("text", ["", None, "/product_info", "the", "'; DROP TABLE products;--", "number", "the 0th one",
                                  "number 0", "the -1st", "日本語のテキスト", "a" * 20000, "second " * 500])
def test_bad_follow_ups_never_raise(shop_services, phones, text):
    for turn_of in (product_info_turn, compare_turn, compatibility_turn):
        turn = turn_of(shop_services, text, focus=[phones[0].id, phones[1].id, "SKU-NOPE"])
        assert turn.replies and turn.replies[0].text


# ---------------------------------------------------------------------- another shop
class TeaShop:
    """The services a product turn reads, over a four-tea catalog (no retrieval index)."""

    def __init__(self):
        from bot.graph.knowledge_graph import KnowledgeGraph
        from bot.graph.linking import MentionLinker

        def tea(pid, name, brand, price, caffeine, weight, steep, organic, origin):
            return Product(id=pid, name=name, brand=brand, category="teas", price=price, stock=9, rating=4.5,
                           reviews=10, attributes={"caffeine_mg": caffeine, "pack_weight_g": weight, "steep_min": steep,
                                                   "organic": organic, "origin": origin}, relations=empty_relations())

        self.catalog = Catalog(
            shop={"name": "Tea", "currency": "EUR"},
            categories=[Category("teas", "Teas", "tea", ["loose leaf"], "drinks")],
            brands=[Brand("leafco", "LeafCo"), Brand("kyoto", "Kyoto Leaf")],
            attributes={a.key: a for a in [
                AttributeSpec("caffeine_mg", "Caffeine", "number", "mg", "lower"),
                AttributeSpec("pack_weight_g", "Pack weight", "number", "g", "higher"),
                AttributeSpec("steep_min", "Steeping time", "number", "min", "lower"),
                AttributeSpec("organic", "Organic", "bool"),
                AttributeSpec("origin", "Origin", "text")]},
            products=[tea("T1", "Sencha", "kyoto", 12.0, 30, 100, 2, True, "Shizuoka, Japan"),
                      tea("T2", "Assam Breakfast", "leafco", 8.0, 70, 250, 4, False, "Assam, India"),
                      tea("T3", "Rooibos", "leafco", 9.5, 0, 200, 6, True, "South Africa")])
        self.graph = KnowledgeGraph.from_catalog(self.catalog)
        self.linker = MentionLinker(self.graph)
        self.index = None  # "closest products" are skipped, the honest "not found" stays


@pytest.fixture(scope="module")
def tea():
    return TeaShop()


def test_the_same_follow_ups_in_a_tea_shop(tea):
    teas = tea.catalog.products
    ids = [p.id for p in teas]
    least = min(teas, key=lambda p: p.attributes["caffeine_mg"])
    turn = product_info_turn(tea, "which one has the least caffeine?", focus=ids)
    assert turn.replies[0].text.startswith(f"The {least.display_name} has the lowest caffeine: {least.attributes['caffeine_mg']} mg")
    heaviest = max(teas, key=lambda p: p.attributes["pack_weight_g"])
    assert cards(product_info_turn(tea, "which is the heaviest?", focus=ids))[0] == heaviest.id
    # "better" follows the shop's own spec: a shorter steeping time is better here
    quickest = min(teas, key=lambda p: p.attributes["steep_min"])
    assert cards(product_info_turn(tea, "which one has the better steeping time?", focus=ids))[0] == quickest.id
    cheaper = min(teas[:2], key=lambda p: p.price)
    turn = product_info_turn(tea, "the cheaper one", focus=ids[:2])
    assert turn.replies[0].text.startswith(f"The {cheaper.display_name} has the lower price: {money(cheaper.price, 'EUR')}")
    second = teas[1]
    text_out = product_info_turn(tea, "is the second one organic?", focus=ids).replies[0].text
    expected = "Yes — the {} is organic." if second.attributes["organic"] else "No — the {} isn't organic."
    assert text_out == expected.format(second.display_name)
    assert product_info_turn(tea, "where is the third one from? what's its origin", focus=ids).replies[0].text \
        == f"Origin of the {teas[2].display_name}: {teas[2].attributes['origin']}."
    assert cards(product_info_turn(tea, "tell me more about the last one", focus=ids)) == [teas[-1].id]
    assert "3 products" in product_info_turn(tea, "the fifth", focus=ids).replies[0].text


def test_the_vocabulary_is_the_shops_own(tea, shop_services):
    words = attribute_words(tea.catalog)
    assert words is attribute_words(tea.catalog)  # built once per catalog
    assert not ({"weight_g", "colours", "battery_life_h"} & set(words.terms))
    assert attribute_words(shop_services.catalog) is not words


def test_words_that_only_look_like_references(catalog, phones):
    focus = Focus([phones[0].id, phones[1].id])
    assert resolve(catalog, "does it come in other colours?", focus).how != "other"
    assert resolve(catalog, "how long does the battery last?", focus).how != "position"
    assert resolve(catalog, "I have a second question: is it waterproof?", focus).how == "it"
    assert resolve(catalog, "tell me more about it", focus).ordering is None  # "more" is not "most"
