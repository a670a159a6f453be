"""Profiles: decay, incremental updates, stated preferences, consent, anonymous sessions, privacy."""

import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.profiles.builder import DEFAULT_WEIGHTS
from bot.profiles.demo_behaviour import generate
from bot.profiles.events import BehaviourEvent, add_events, count_events
from bot.profiles.service import PreferenceError, ProfileService
from bot.profiles.shop_records import read_customers, read_orders
from bot.profiles.tables import (
    BehaviourEventRow, ConsentRow, ConversationSentimentRow, CustomerProfileRow, SessionProfileRow,
    StatedPreferenceRow,
)
from bot.shop.db import ShopDatabase
from bot.shop.schema import Order, ReturnRequest
from bot.shop.seed import DEMO_ORDERS
from tests.bot.conftest import NOW

T = NOW.replace(tzinfo=None)


def _id(db, email):
    return next(c.id for c in read_customers(db) if c.email == email)


def _rows(db, table, customer_id):
    with db.session() as session:
        return session.execute(select(func.count()).select_from(table).where(
            table.c.customer_id == customer_id)).scalar_one()


def _two_products(catalog):
    """Two products of different categories and brands."""
    first = catalog.products[0]
    second = next(p for p in catalog.products if p.category != first.category and p.brand != first.brand)
    return first, second


def test_affinities_decay_with_the_half_life(service, shop_db, catalog):
    tom = _id(shop_db, "tom.becker@example.com")
    with shop_db.session() as session:  # a customer with no orders, so only these events count
        session.query(Order).filter(Order.customer_id == tom).update({"customer_id": _id(shop_db, "jane.doe@example.com")})
    a, b = _two_products(catalog)
    half = service.config.half_life_days
    add_events(shop_db, [
        BehaviourEvent(tom, "view", a.id, T - timedelta(days=half)),   # one half-life old
        BehaviourEvent(tom, "view", a.id, T),
        BehaviourEvent(tom, "purchase", b.id, T - timedelta(days=2 * half)),
    ])
    profile = service.get(customer_id=tom, now=NOW)
    assert profile.category_affinity[a.category] == pytest.approx(1.0 + 0.5)
    assert profile.category_affinity[b.category] == pytest.approx(DEFAULT_WEIGHTS["purchase"] * 0.25)
    assert profile.brand_affinity[a.brand] == pytest.approx(1.5)
    # read one half-life later, everything has halved; nothing new was stored
    later = service.get(customer_id=tom, now=NOW + timedelta(days=half))
    assert later.category_affinity[a.category] == pytest.approx(0.75)
    assert later.category_affinity[b.category] == pytest.approx(DEFAULT_WEIGHTS["purchase"] * 0.125)
    assert list(later.category_affinity) == [a.category, b.category]  # highest first: 0.75 > 0.625
    assert later.owned_ids == [b.id] and later.price_band.count == 3
    assert later.price_band.median == a.price


def test_search_words_and_bad_reviews_move_affinities(service, shop_db, catalog):
    sam = _id(shop_db, "sam.lee@example.com")
    category = catalog.categories[0]
    brand = catalog.brands[0]
    add_events(shop_db, [BehaviourEvent(sam, "search", None, T, query=f"{brand.name} {category.singular} deals")])
    profile = service.get(customer_id=sam, now=NOW)
    assert profile.recent_searches[-1].startswith(brand.name)
    before = profile.category_affinity[category.id]
    product = next(p for p in catalog.products if p.category == category.id)
    add_events(shop_db, [BehaviourEvent(sam, "review", product.id, T, text="Terrible, it broke.", rating=1)])
    after = service.get(customer_id=sam, now=NOW).category_affinity[category.id]
    assert after == pytest.approx(before - 1.0)


def test_incremental_updates_equal_a_full_rebuild(service, shop_db, catalog):
    events = generate(catalog, read_customers(shop_db), read_orders(shop_db), now=NOW).events
    reviewers = Counter(e.customer_id for e in events if e.kind == "review")
    jane = max(reviewers, key=lambda cid: (reviewers[cid], -cid))  # the most reviews: every part is used
    mine = [e for e in events if e.customer_id == jane]
    assert len(mine) > 30 and reviewers[jane] >= 2
    for start in range(0, len(mine), 9):  # arrive in batches; the profile is read after each
        add_events(shop_db, mine[start:start + 9])
        service.get(customer_id=jane, now=NOW)
    incremental = service.get(customer_id=jane, now=NOW)
    with shop_db.session() as session:
        stored_incremental = session.get(CustomerProfileRow, jane).state
    assert service.rebuild(jane, now=NOW) == len(mine)
    with shop_db.session() as session:
        stored_full = session.get(CustomerProfileRow, jane).state
    assert stored_incremental == stored_full
    full = service.get(customer_id=jane, now=NOW)
    assert full == incremental
    assert full.event_count == len(mine) and full.review_count > 0


def test_review_texts_give_aspects_scored_by_the_sentiment_model(service, shop_db, catalog):
    alex = _id(shop_db, "alex.kim@example.com")
    product = next(p for p in catalog.products
                   if "battery_life_h" in p.attributes and "weight_g" in p.attributes)
    add_events(shop_db, [
        BehaviourEvent(alex, "review", product.id, T - timedelta(days=3),
                       text="I love it, the battery life is excellent and it works great.", rating=5),
        BehaviourEvent(alex, "review", product.id, T,
                       text="The weight is terrible and it broke after a week, I am really angry.", rating=1),
    ])
    profile = service.get(customer_id=alex, now=NOW)
    assert profile.review_count == 2
    assert profile.aspects["battery_life_h"].mentions == 1 and profile.aspects["weight_g"].mentions == 1
    assert profile.aspects["battery_life_h"].sentiment > profile.aspects["weight_g"].sentiment
    summary = service.summary(profile)
    assert {"Battery life", "Weight"} <= {a["name"] for a in summary["review_aspects"]}


def test_owned_products_are_purchases_minus_returns(service, shop_db):
    priya = _id(shop_db, DEMO_ORDERS["returned"].email)
    with shop_db.session() as session:
        refunded = session.execute(select(ReturnRequest.product_id).where(
            ReturnRequest.order_id == DEMO_ORDERS["returned"].id)).scalars().all()
        open_return = session.execute(select(ReturnRequest.product_id).where(
            ReturnRequest.order_id == DEMO_ORDERS["return_in_progress"].id)).scalars().all()
    profile = service.get(customer_id=priya, now=NOW)
    assert refunded and not set(refunded) & set(profile.owned_ids)
    assert open_return and set(open_return) <= set(profile.owned_ids)  # a label sent is not a return yet
    assert all(o.source == "order" for o in profile.owned)


def test_stated_preferences_dislikes_and_budget_survive_a_new_service(service, shop_db, catalog, sentiment_model):
    jane = _id(shop_db, "jane.doe@example.com")
    brand = catalog.brands[0]
    category = next(c for c in catalog.categories if c.synonyms)
    service.state_preference("brand", brand.name.upper(), customer_id=jane)
    service.state_preference("brand", brand.id, polarity="dislike", customer_id=jane)  # changes its mind
    disliked = service.state_preference("brand", catalog.brands[1].name, polarity="dislike", customer_id=jane)
    budget = service.state_preference("budget", amount_max=150, category=category.synonyms[0], customer_id=jane)
    with pytest.raises(PreferenceError, match="unknown brand"):
        service.state_preference("brand", "No Such Brand", customer_id=jane)
    with pytest.raises(PreferenceError, match="not a range"):
        service.state_preference("budget", amount_min=300, amount_max=100, customer_id=jane)
    assert budget.category == category.id and service.describe_preference(budget).startswith("budget under $150")
    assert service.describe_preference(disliked) == f"avoids {catalog.brands[1].name}"

    fresh = ProfileService(ShopDatabase(shop_db.url), catalog, sentiment=lambda: sentiment_model)
    profile = fresh.get(customer_id=jane, conversation_id="another-session", now=NOW)
    assert profile.disliked("brand") == [brand.id, catalog.brands[1].id] and profile.liked("brand") == []
    assert profile.budget(category.id) == (None, 150) and profile.budget() is None
    assert _rows(shop_db, StatedPreferenceRow.__table__, jane) == 3
    assert fresh.forget_preference("brand", brand.id, customer_id=jane)
    assert fresh.get(customer_id=jane, now=NOW).disliked("brand") == [catalog.brands[1].id]


def test_without_consent_a_customer_gets_exactly_the_anonymous_profile(service, shop_db, catalog):
    jane = _id(shop_db, "jane.doe@example.com")
    service.state_preference("brand", catalog.brands[0].id, customer_id=jane)
    assert service.get(customer_id=jane, now=NOW).personalized
    service.set_consent(jane, False, source="widget")
    with shop_db.session() as session:
        assert session.get(ConsentRow, jane).personalization is False
    service.state_preference("brand", catalog.brands[2].id, customer_id=jane, conversation_id="conv-1")
    service.record_conversation_sentiment("conv-1", -0.4, customer_id=jane)
    theirs = service.get(customer_id=jane, conversation_id="conv-1", now=NOW)
    anonymous = service.get(conversation_id="conv-1", now=NOW)
    assert theirs == anonymous and not theirs.personalized and theirs.customer_id is None
    assert theirs.liked("brand") == [catalog.brands[2].id] and not theirs.category_affinity
    assert _rows(shop_db, StatedPreferenceRow.__table__, jane) == 1  # nothing new was stored for her
    assert _rows(shop_db, ConversationSentimentRow.__table__, jane) == 0
    # the held data is still there for the privacy summary; consent back on uses it again
    assert service.stored(jane, now=NOW).liked("brand") == [catalog.brands[0].id]
    service.set_consent(jane, True)
    assert service.get(customer_id=jane, conversation_id="conv-1", now=NOW).liked("brand") == [catalog.brands[0].id]


def test_the_shop_default_decides_until_the_customer_chooses(service, shop_db, monkeypatch):
    sam = _id(shop_db, "sam.lee@example.com")
    assert service.consent(sam) is True
    monkeypatch.setenv("SHOPBOT_PERSONALIZATION_DEFAULT", "off")
    assert service.consent(sam) is False and not service.get(customer_id=sam, now=NOW).personalized
    service.set_consent(sam, True)
    assert service.get(customer_id=sam, now=NOW).personalized


def test_anonymous_session_profiles_stay_in_their_conversation_and_expire(service, shop_db, catalog):
    service.state_preference("category", catalog.categories[1].name, conversation_id="anon-1", now=NOW)
    service.state_preference("budget", amount_min=200, amount_max=400, conversation_id="anon-1", now=NOW)
    profile = service.get(conversation_id="anon-1", now=NOW)
    assert profile.liked("category") == [catalog.categories[1].id] and profile.budget() == (200, 400)
    assert service.get(conversation_id="anon-2", now=NOW).preferences == ()
    with pytest.raises(ValueError):
        service.state_preference("brand", catalog.brands[0].id)
    assert service.get(conversation_id="anon-1", now=NOW + timedelta(hours=25)).preferences == ()
    with shop_db.session() as session:
        assert session.get(SessionProfileRow, "anon-1") is None


def test_conversation_sentiment_trend(service, shop_db):
    maria = _id(shop_db, "maria.garcia@example.com")
    for day, scores in enumerate(([-0.8, -0.6], [0.0], [0.2, 0.4], [0.9])):
        for score in scores:
            service.record_conversation_sentiment("maria-chat", score, customer_id=maria, session_id=f"s{day}",
                                                  now=NOW + timedelta(days=day))
    profile = service.get(customer_id=maria, now=NOW + timedelta(days=5))
    assert [round(m.score, 2) for m in profile.conversations] == [-0.7, 0.0, 0.3, 0.9]
    assert profile.sentiment_trend > 0.3 and profile.mood == "improving"
    assert service.summary(profile)["conversation_mood"] == {"sessions": 4, "trend": "improving"}


def test_summary_export_and_delete(service, shop_db, catalog):
    events = generate(catalog, read_customers(shop_db), read_orders(shop_db), now=NOW).events
    add_events(shop_db, events)
    jane, sam = _id(shop_db, "jane.doe@example.com"), _id(shop_db, "sam.lee@example.com")
    service.state_preference("brand", catalog.brands[0].id, polarity="dislike", customer_id=jane)
    service.record_conversation_sentiment("jane-chat", 0.5, customer_id=jane)
    service.state_preference("brand", catalog.brands[1].id, conversation_id="jane-chat")  # in her session too

    summary = service.summary(service.get(customer_id=jane, now=NOW))
    assert summary["consent"]["personalization"] is True
    assert summary["top_categories"][0]["name"] == catalog.category(summary["top_categories"][0]["id"]).name
    owned_names = {o["name"] for o in summary["owned_products"]}
    assert owned_names and owned_names <= {p.display_name for p in catalog.products}
    assert summary["stated_preferences"][0]["text"] == f"avoids {catalog.brands[0].name}"
    assert any("Personalization is on" in line for line in summary["lines"])

    exported = service.export(jane, now=NOW)
    json.dumps(exported)  # JSON-able as is
    assert exported["customer"]["email"] == "jane.doe@example.com"
    assert len(exported["behaviour_events"]) == len([e for e in events if e.customer_id == jane])
    assert exported["stated_preferences"][0]["polarity"] == "dislike"
    assert exported["orders"] and exported["conversation_sentiment"][0]["turns"] == 1

    sam_events = count_events(shop_db, sam)
    removed = service.delete(jane, conversation_ids=["jane-chat"])
    assert removed["behaviour_events"] == len(exported["behaviour_events"])
    assert removed["stated_preferences"] == 1 and removed["session_profiles"] == 1
    for table in (BehaviourEventRow, CustomerProfileRow, StatedPreferenceRow, ConversationSentimentRow):
        assert _rows(shop_db, table.__table__, jane) == 0
    with shop_db.session() as session:
        assert session.execute(select(func.count(Order.id)).where(Order.customer_id == jane)).scalar_one() > 0
        assert session.get(SessionProfileRow, "jane-chat") is None
    assert count_events(shop_db, sam) == sam_events  # others keep theirs
    after = service.get(customer_id=jane, now=NOW)
    assert not after.category_affinity and after.review_count == 0 and after.preferences == ()
    assert after.owned  # from the orders, which stay


def test_an_unknown_customer_id_is_an_anonymous_shopper(service, shop_db):
    profile = service.get(customer_id=987654, conversation_id="ghost", now=NOW)
    assert profile == service.get(conversation_id="ghost", now=NOW) and not profile.personalized
    service.record_conversation_sentiment("ghost", 0.2, customer_id=987654)
    with shop_db.session() as session:
        assert session.get(CustomerProfileRow, 987654) is None
        assert session.get(SessionProfileRow, "ghost") is not None


def test_reviews_get_their_aspects_once_the_sentiment_model_exists(shop_db, catalog, sentiment_model):
    omar = _id(shop_db, "omar.haddad@example.com")
    product = next(p for p in catalog.products if "battery_life_h" in p.attributes)
    add_events(shop_db, [BehaviourEvent(omar, "review", product.id, T, text="The battery life is excellent.",
                                        rating=5)])
    without = ProfileService(shop_db, catalog, sentiment=lambda: None)  # not trained yet: never waits
    assert without.get(customer_id=omar, now=NOW).aspects == {}
    assert without.get(customer_id=omar, now=NOW).category_affinity[product.category] == pytest.approx(1.0)
    with_model = ProfileService(shop_db, catalog, sentiment=lambda: sentiment_model)
    profile = with_model.get(customer_id=omar, now=NOW)  # another version: rebuilt in full
    assert profile.aspects["battery_life_h"].mentions == 1 and profile.review_count == 1
