"""Business rules, one test each, and the diversity of the ranked list."""

from datetime import datetime

import numpy as np
import pytest

from bot.recs.profile import Interaction, ProfileView
from bot.recs.ranking import RULES, diversify
from bot.recs.recommender import Recommender

NOW = datetime(2025, 6, 1)


@pytest.fixture(scope="module")
def recommender(demo_kg):
    return Recommender.build(demo_kg, [])


def owner_of(demo_catalog, category):
    """A profile owning the best-rated product of ``category`` that has accessories."""
    from bot.graph.knowledge_graph import KnowledgeGraph

    kg = KnowledgeGraph.from_catalog(demo_catalog)
    owned = next(p for p in kg.find(category=category, limit=None) if kg.for_owned([p.id]))
    return owned, ProfileView(customer_id=1, owned=[Interaction(owned.id, datetime(2025, 5, 3))],
                              category_affinity={category: 1.0})


def test_rule_in_stock(demo_catalog, recommender):
    out_of_stock = [p for p in demo_catalog.products if p.stock == 0]
    assert out_of_stock
    assert not RULES["in_stock"](out_of_stock[0], ProfileView(), None)
    # the graph would suggest these accessories, the rule keeps them out
    for owner in demo_catalog.products:
        fits = [p for p in recommender.kg.for_owned([owner.id]) if p.stock == 0]
        if fits:
            profile = ProfileView(owned=[Interaction(owner.id, NOW)])
            recs = recommender.recommend(profile, k=10, now=NOW)
            assert all(item.product.stock > 0 for item in recs.items)
            break
    else:
        pytest.skip("no out-of-stock accessory in this catalog")


def test_rule_not_owned(demo_catalog, recommender):
    owned, profile = owner_of(demo_catalog, "running_watches")
    assert not RULES["not_owned"](owned, profile, None)
    # owning the accessory too: it is not suggested again
    accessory = recommender.kg.for_owned([owned.id])[0]
    profile.owned.append(Interaction(accessory.id, NOW))
    ids = [i.product.id for i in recommender.recommend(profile, k=10, now=NOW).items]
    assert owned.id not in ids and accessory.id not in ids


def test_rule_within_budget(demo_catalog, recommender):
    _, profile = owner_of(demo_catalog, "phones")
    profile.budget = (None, 30.0)
    recs = recommender.recommend(profile, k=8, now=NOW)
    assert recs.items and all(item.product.price <= 30.0 for item in recs.items)
    # the message's budget applies the same way
    recs = recommender.recommend(ProfileView(), "something under $50", k=8, now=NOW)
    assert recs.items and all(item.product.price <= 50 for item in recs.items)


def test_rule_no_disliked_brand(demo_catalog, recommender):
    owned, profile = owner_of(demo_catalog, "running_watches")
    first = recommender.recommend(profile, k=5, now=NOW).items
    disliked = first[0].product.brand
    profile.disliked_brands = [demo_catalog.brand(disliked).name]  # by name, as a shopper says it
    again = recommender.recommend(profile, k=5, now=NOW).items
    assert again and all(item.product.brand != disliked for item in again)


def test_rules_are_all_applied_by_default(demo_catalog):
    from bot.recs.ranking import allowed_mask

    p = next(p for p in demo_catalog.products if p.stock > 0)
    assert allowed_mask([p], ProfileView(), None).all()
    assert not allowed_mask([p], ProfileView(owned=[Interaction(p.id)]), None).any()
    assert not allowed_mask([p], ProfileView(), (p.price + 1, None)).any()
    assert not allowed_mask([p], ProfileView(disliked_brands=[p.brand]), None).any()


def test_diversify_caps_each_category():
    scores = np.array([1.0, 0.99, 0.98, 0.97, 0.5, 0.4])
    categories = np.array(["a", "a", "a", "a", "b", "c"])
    chosen = diversify(list(range(6)), scores, categories, k=4, per_category=2)
    assert [categories[i] for i in chosen].count("a") == 2
    assert set(chosen) == {0, 1, 4, 5}
