"""Recommendations with reasons: truthful reasons, cold start, personal differences, and
what the message asks for."""

from datetime import datetime

import pytest

from bot.profiles.events import BehaviourEvent
from bot.recs.profile import Interaction, ProfileView, profile_from_events
from bot.recs.recommender import Recommender

NOW = datetime(2025, 6, 1)


def ev(customer, kind, pid, day):
    return BehaviourEvent(customer, kind, pid, datetime(2025, 5, day))


@pytest.fixture(scope="module")
def products(demo_kg):
    def first(category, **kw):
        return demo_kg.find(category=category, limit=None, **kw)
    return first


@pytest.fixture(scope="module")
def log_and_recommender(demo_kg, products):
    """A tiny event log: runners buy a watch then a band; hikers a tent then a backpack."""
    watch = next(p for p in products("running_watches") if demo_kg.for_owned([p.id]))
    band = next(p for p in demo_kg.for_owned([watch.id]) if p.stock > 0)
    tent, pack = products("tents")[0], products("backpacks")[0]
    events = []
    for c in range(1, 9):
        events += [ev(c, "view", watch.id, 1), ev(c, "purchase", watch.id, 2), ev(c, "purchase", band.id, 5)]
    for c in range(9, 17):
        events += [ev(c, "view", tent.id, 1), ev(c, "purchase", tent.id, 2), ev(c, "purchase", pack.id, 6)]
    rec = Recommender.build(demo_kg, events, now=NOW)
    return events, rec, {"watch": watch, "band": band, "tent": tent, "pack": pack}


def test_cold_start_gives_popular_items(log_and_recommender):
    events, rec, items = log_and_recommender
    recs = rec.recommend(ProfileView(), k=5, now=NOW)
    assert recs.cold
    assert all(i.source == "popular" for i in recs.items)
    assert all("popular" in i.reason for i in recs.items)
    ids = [i.product.id for i in recs.items]
    assert items["band"].id in ids or items["pack"].id in ids  # what was bought most lately


def test_cold_start_in_an_asked_category(log_and_recommender, demo_kg):
    _, rec, _ = log_and_recommender
    recs = rec.recommend(ProfileView(), "recommend me a tent", k=3, now=NOW)
    assert recs.items and all(i.product.category == "tents" for i in recs.items)
    assert all(i.reason.startswith("popular in tents") for i in recs.items)


def test_graph_reason_is_truthful(log_and_recommender, demo_kg, demo_catalog):
    _, rec, items = log_and_recommender
    watch = items["watch"]
    profile = ProfileView(customer_id=99, owned=[Interaction(watch.id, datetime(2025, 5, 2))])
    recs = rec.recommend(profile, k=5, now=NOW)
    graph_items = [i for i in recs.items if i.source == "graph"]
    assert graph_items
    fits = {p.id for p in demo_kg.for_owned([watch.id])}
    for item in graph_items:
        assert item.anchor.product_id == watch.id  # the reason's product is really owned
        assert item.product.id in fits  # and the relation really exists in the graph
        assert item.reason == f"fits the {watch.display_name} you bought in May"


def test_co_purchase_reason_names_a_product_from_the_history(log_and_recommender):
    events, rec, items = log_and_recommender
    profile = ProfileView(customer_id=50, recent=[Interaction(items["tent"].id, datetime(2025, 5, 20), "view")])
    recs = rec.recommend(profile, k=5, now=NOW)
    pack = next(i for i in recs.items if i.product.id == items["pack"].id)
    assert pack.source in ("co_purchase", "embedding")
    assert pack.anchor.product_id == items["tent"].id
    assert items["tent"].display_name in pack.reason


def test_every_item_has_a_source_and_a_reason(log_and_recommender):
    _, rec, items = log_and_recommender
    profile = profile_from_events([ev(1, "purchase", items["watch"].id, 2)], rec.catalog, 1, now=NOW)
    for item in rec.recommend(profile, k=6, now=NOW).items:
        assert item.source in ("graph", "co_purchase", "embedding", "learned", "popular")
        assert item.reason and "\n" not in item.reason


def test_two_profiles_get_different_recommendations(log_and_recommender):
    _, rec, items = log_and_recommender
    runner = ProfileView(customer_id=1, owned=[Interaction(items["watch"].id, datetime(2025, 5, 2))],
                         category_affinity={"running_watches": 3.0})
    hiker = ProfileView(customer_id=2, owned=[Interaction(items["tent"].id, datetime(2025, 5, 2))],
                        category_affinity={"tents": 3.0})
    a = [i.product.id for i in rec.recommend(runner, k=5, now=NOW).items]
    b = [i.product.id for i in rec.recommend(hiker, k=5, now=NOW).items]
    assert a != b
    assert items["band"].id in a and items["pack"].id in b


def test_something_for_my_new_product(log_and_recommender, demo_kg, demo_catalog):
    _, rec, _ = log_and_recommender
    pixel = next(p for p in demo_catalog.products if p.name == "Pixel 8")
    recs = rec.recommend(ProfileView(), "something for my new Pixel 8", k=5, now=NOW)
    fits = {p.id for p in demo_kg.for_owned([pixel.id])}
    assert recs.request.owned_now == [pixel.id]
    assert recs.items and all(i.product.id in fits for i in recs.items)
    assert all(i.product.id != pixel.id for i in recs.items)
    assert all("Pixel 8" in i.reason for i in recs.items)


def test_gift_for_someone_who_hikes_uses_catalog_words(log_and_recommender, raw_catalog):
    _, rec, items = log_and_recommender
    # the categories whose own words share the stem of "hikes" (e.g. "hiking pack")
    hinted = {c["id"] for c in raw_catalog["categories"]
              if any("hik" in s.lower() for s in [c["name"], c["singular"], *c["synonyms"]])}
    assert hinted
    runner = ProfileView(customer_id=1, owned=[Interaction(items["watch"].id, datetime(2025, 5, 2))])
    recs = rec.recommend(runner, "a present for my dad who hikes", k=4, now=NOW)
    assert recs.request.gift and recs.request.recipient == "dad"
    assert set(recs.request.categories) == hinted
    assert recs.items[0].product.category in hinted
    assert all("dad" in i.reason for i in recs.items if i.source == "popular")
    # the gift ignores the shopper's own watch: no band "because you bought"
    assert all(i.source != "graph" for i in recs.items)
