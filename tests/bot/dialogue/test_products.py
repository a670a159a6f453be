"""Product answers from the real catalog's knowledge graph (and FAISS for closest matches)."""

import pytest

from bot.dialogue.products import compare_turn, compatibility_turn, product_info_turn
from bot.dialogue.replies import money


def find(services, name):
    [product] = [p for p in services.catalog.products if p.display_name == name]
    return product


def cards(turn):
    return [c for r in turn.replies if r.custom for c in r.custom.get("products", [])]


def test_details_carry_the_catalog_numbers(shop_services):
    phone = find(shop_services, "Samsung Galaxy S24")
    turn = product_info_turn(shop_services, "tell me about the galaxy s24")
    assert money(phone.price) in turn.replies[0].text
    assert cards(turn)[0]["stock"] == phone.stock and turn.focus == [phone.id]


def test_an_attribute_question_is_answered_directly(shop_services):
    phone = find(shop_services, "Google Pixel 8")
    turn = product_info_turn(shop_services, "how much does the pixel 8 weigh?")
    assert f"{phone.attributes['weight_g']} g" in turn.replies[0].text


def test_a_follow_up_about_it_uses_the_product_in_focus(shop_services):
    phone = find(shop_services, "Google Pixel 8")
    turn = product_info_turn(shop_services, "and what's its battery life?", focus=[phone.id])
    assert "Battery life" in turn.replies[0].text and phone.display_name in turn.replies[0].text


def test_a_typo_still_finds_the_product(shop_services):
    ultra = find(shop_services, "Samsung Galaxy S24 Ultra")
    assert product_info_turn(shop_services, "tell me about the galxy s24 ultra").focus == [ultra.id]


def test_an_ambiguous_name_gets_a_clarifying_question(shop_services):
    turn = product_info_turn(shop_services, "is the forerunner in stock")
    [reply] = turn.replies
    assert reply.text.startswith("Which one do you mean")
    assert len(reply.buttons) >= 2
    assert all(b["payload"].startswith('/product_info{"product_id":') for b in reply.buttons)
    # the chosen button answers about exactly that product
    chosen = reply.buttons[0]["payload"].split('"product_id":"')[1].rstrip('"}')
    assert product_info_turn(shop_services, reply.buttons[0]["payload"], chosen=[chosen]).focus == [chosen]


def test_an_unknown_name_is_said_plainly(shop_services):
    [reply] = product_info_turn(shop_services, "tell me about the Zorblax Q9000 Turbo").replies
    assert reply.text.startswith("I couldn't find")


def test_comparison_lists_differences_first(shop_services):
    turn = compare_turn(shop_services, "compare the Pixel 8 and the Galaxy S24")
    rows = turn.replies[0].custom["comparison"]
    flags = [row["differs"] for row in rows]
    assert flags == sorted(flags, reverse=True) and flags[0]
    assert "Google Pixel 8 vs Samsung Galaxy S24" in turn.replies[0].text


def test_brand_and_device_compatibility(shop_services):
    phone = find(shop_services, "Samsung Galaxy S24")
    turn = compatibility_turn(shop_services, "does the spigen case fit the galaxy s24?")
    text = turn.replies[0].text
    assert text.startswith("Yes") and "Spigen" in text
    fitting = {p.id for p in shop_services.graph.compatible(phone.id)} | {p.id for p in shop_services.graph.accessories(phone.id)}
    assert {c["id"] for c in cards(turn)} <= fitting


def test_a_case_for_another_phone_does_not_fit(shop_services):
    turn = compatibility_turn(shop_services, "does the Spigen Ultra Hybrid for Galaxy S24 fit the Galaxy S24 Ultra?")
    text = turn.replies[0].text
    assert text.startswith("No") and "These do fit it" in text


def test_lenses_for_a_camera_share_its_mount(shop_services):
    camera = find(shop_services, "Sony Alpha 7 IV")
    turn = compatibility_turn(shop_services, "which lenses fit the Sony A7 IV")
    lenses = [shop_services.catalog.product(c["id"]) for c in cards(turn)]
    assert lenses and all(lens.attributes.get("mount") == camera.attributes.get("mount") for lens in lenses)


def test_what_fits_a_bought_product(shop_services):
    phone = find(shop_services, "Samsung Galaxy S24")
    turn = compatibility_turn(shop_services, "which cases fit the phone I bought?", owned=[phone.id])
    assert turn.replies[0].text.startswith("These fit what you bought")
    assert all(shop_services.catalog.product(c["id"]).category == "cases" for c in cards(turn))


@pytest.mark.parametrize("text", ["", None, "/product_info", "'; DROP TABLE products;--", "{{7*7}} ${x}", "日本語のテキスト", "a" * 20000])
def test_bad_input_never_raises(shop_services, text):
    for turn_of in (product_info_turn, compare_turn, compatibility_turn):
        turn = turn_of(shop_services, text)
        assert turn.replies and turn.replies[0].text


def test_details_opt_in_to_wording_with_the_catalog_facts(shop_services):
    phone = next(p for p in shop_services.catalog.products if p.category == "phones")
    [reply] = product_info_turn(shop_services, f"tell me about the {phone.display_name}").replies
    assert reply.rephrase
    [fact] = reply.facts.products
    assert (fact.name, fact.price, fact.stock, fact.product_id) == (phone.display_name, float(phone.price),
                                                                    int(phone.stock), phone.id)
    assert fact.details  # the specs the text lists
    # a comparison table and a "which one?" question are sent verbatim
    assert not any(r.rephrase for r in compare_turn(shop_services, "compare phones").replies)
