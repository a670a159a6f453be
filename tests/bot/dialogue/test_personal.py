"""Recommendations, product search and stated preferences as the shopper reads them, over the
demo shop with its behaviour log (real catalog, graph, FAISS index, SQLite database)."""

import os

import pytest

from bot.dialogue.personal import profile_used, recommend_turn, search_turn
from bot.dialogue.preferences import read_statements, state_preferences
from bot.dialogue.replies import money
from bot.shop.seed import DEMO_ORDERS
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """The shop with 500 customers' behaviour; the recommender without the learned model
    (trained and evaluated in tests/bot/recs; here it would only add a minute)."""
    from bot.profiles.demo_behaviour import seed_behaviour
    from bot.services import ShopServices

    work = tmp_path_factory.mktemp("personal")
    services = ShopServices(
        catalog_path=str(ROOT / "knowledge" / "catalog.json"),
        faq_path=str(ROOT / "knowledge" / "faq.yml"),
        database_url=f"sqlite:///{work / 'shop.db'}",
        index_dir=os.environ.get("SHOPBOT_INDEX_DIR") or str(ROOT / "var" / "index"),
    )
    services.db.seed_demo(services.catalog)
    assert seed_behaviour(services.db, services.catalog)
    previous = os.environ.get("SHOPBOT_RECS_LEARNED")
    os.environ["SHOPBOT_RECS_LEARNED"] = "off"
    try:
        services.recommender  # built now, with the setting above
    finally:
        if previous is None:
            os.environ.pop("SHOPBOT_RECS_LEARNED", None)
        else:
            os.environ["SHOPBOT_RECS_LEARNED"] = previous
    return services


def customer(services, email):
    from sqlalchemy import select

    from bot.shop.schema import Customer

    with services.db.session() as session:
        return session.execute(select(Customer.id).where(Customer.email == email)).scalar_one()


def recommended(turn):
    return [r["product_id"] for reply in turn.replies if reply.custom for r in reply.custom.get("recommendations", [])]


def cards(turn):
    return [c for reply in turn.replies if reply.custom for c in reply.custom.get("products", [])]


JANE = DEMO_ORDERS["shipped"].email
LIAM = DEMO_ORDERS["shipped_canada"].email


def test_two_customers_with_different_histories_get_different_picks_with_reasons(services):
    picks = {}
    for email in (JANE, LIAM):
        profile = services.profiles.get(customer_id=customer(services, email), conversation_id=f"c-{email}")
        assert profile.personalized and profile.owned
        turn = recommend_turn(services, profile, "what would you recommend for me?")
        picks[email] = recommended(turn)
        assert len(picks[email]) >= 3
        assert turn.focus == picks[email]
        for card in cards(turn):  # every card says why, and where the pick came from
            assert card["reason"] and card["source"] in {"graph", "co_purchase", "embedding", "learned", "popular"}
            assert card["reason"] in turn.replies[0].text
        owned = {o.product_id for o in profile.owned}
        assert not owned & set(picks[email])  # nothing they already have
    assert picks[JANE] != picks[LIAM]


def test_without_consent_a_customer_gets_what_an_anonymous_shopper_gets(services):
    liam = customer(services, LIAM)
    services.profiles.set_consent(liam, False)
    try:
        opted_out = services.profiles.get(customer_id=liam, conversation_id="liam-opted-out")
        anonymous = services.profiles.get(customer_id=None, conversation_id="someone-anonymous")
        assert not opted_out.personalized and opted_out.customer_id is None
        asked = "can you recommend some headphones"
        assert recommended(recommend_turn(services, opted_out, asked)) == \
            recommended(recommend_turn(services, anonymous, asked))
        assert profile_used(opted_out, services.catalog, signed_in=True)["source"] == "session"
    finally:
        services.profiles.set_consent(liam, True)


def test_a_stated_dislike_changes_the_next_recommendation_and_survives_a_new_session(services):
    from bot.profiles.service import ProfileService

    jane = customer(services, JANE)
    before = recommend_turn(services, services.profiles.get(customer_id=jane, conversation_id="j1"),
                            "can you recommend some headphones")
    first = services.catalog.product(recommended(before)[0])
    brand = services.catalog.brand(first.brand).name
    reply = state_preferences(services.profiles, services.graph, f"I don't like {brand}", [],
                              customer_id=jane, conversation_id="j1", remembered=True)
    assert brand in reply.text and "next time" in reply.text

    fresh = ProfileService(services.db, services.catalog)  # another process, another session
    profile = fresh.get(customer_id=jane, conversation_id="j2")
    assert first.brand in profile.disliked("brand")
    after = recommend_turn(services, profile, "can you recommend some headphones")
    assert recommended(after)
    assert all(services.catalog.product(pid).brand != first.brand for pid in recommended(after))
    used = profile_used(profile, services.catalog, signed_in=True)
    assert f"dislikes {brand}" in used["preferences"]
    fresh.forget_preference("brand", first.brand, customer_id=jane)


def test_an_anonymous_shoppers_preference_lasts_for_the_conversation(services):
    reply = state_preferences(services.profiles, services.graph, "I like Brooks, under $150", [],
                              customer_id=None, conversation_id="anon-1", remembered=False)
    assert "Brooks" in reply.text and "$150" in reply.text and "this conversation" in reply.text
    profile = services.profiles.get(conversation_id="anon-1")
    assert "brooks" in profile.liked("brand") and profile.budget() == (None, 150.0)
    assert services.profiles.get(conversation_id="anon-2").preferences == ()


@pytest.mark.parametrize("text, expected", [
    ("I like Brooks, under $150", [("brand", "brooks", "like"), ("budget", "", "like")]),
    ("I don't like Apple products", [("brand", "apple", "dislike")]),
    ("no Lenovo please", [("brand", "lenovo", "dislike")]),
    ("I like Sony but not Apple", [("brand", "apple", "dislike"), ("brand", "sony", "like")]),
    ("I prefer Hoka over Brooks", [("brand", "hoka", "like")]),
    ("I'm not interested in smartwatches", [("category", "smartwatches", "dislike")]),
])
def test_statements_and_their_polarity(services, text, expected):
    got = [(s.kind, s.value, s.polarity) for s in read_statements(text, [], services.graph)]
    assert sorted(got) == sorted(expected)


def test_nothing_to_remember_gets_examples_not_a_false_confirmation(services):
    reply = state_preferences(services.profiles, services.graph, "I have a wide foot", [],
                              customer_id=None, conversation_id="anon-3", remembered=False)
    assert "didn't catch" in reply.text and not reply.text.startswith("Got it")


def test_the_cheapest_laptop_is_the_catalogs_cheapest(services):
    laptops = [p for p in services.catalog.products if p.category == "laptops"]
    cheapest = min(laptops, key=lambda p: p.price)
    turn = search_turn(services, "how much is the cheapest laptop?")
    assert turn is not None
    text = turn.replies[0].text
    assert text.startswith(f"The cheapest laptop is the {cheapest.display_name}")
    assert money(cheapest.price) in text and cards(turn)[0]["id"] == cheapest.id


def test_a_price_range_lists_only_products_in_it(services):
    turn = search_turn(services, "headphones between 200 and 400 dollars")
    assert turn is not None
    shown = [services.catalog.product(c["id"]) for c in cards(turn)]
    expected = [p for p in services.catalog.products if p.category == "headphones" and 200 <= p.price <= 400]
    assert shown and all(p.category == "headphones" and 200 <= p.price <= 400 for p in shown)
    assert len(shown) == min(5, len(expected))


def test_a_message_without_constraints_is_not_a_search(services):
    assert search_turn(services, "what would you recommend for me?") is None


def test_recommendations_and_search_results_opt_in_to_wording_with_their_facts(services):
    """Each recommended product is a fact with its reason; a search result with its price."""
    turn = recommend_turn(services, services.profiles.get(conversation_id="w1"), "what would you recommend for me?")
    [reply] = turn.replies
    assert reply.rephrase
    listed = reply.custom["recommendations"]
    assert [(f.product_id, f.reason) for f in reply.facts.products] == [(r["product_id"], r["reason"]) for r in listed]
    [found] = search_turn(services, "how much is the cheapest laptop?").replies
    assert found.rephrase and found.facts.products[0].price == min(
        p.price for p in services.catalog.products if p.category == "laptops")
