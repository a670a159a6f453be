"""Segments on real profiles of the demo shop: the rules, and consent before any rule."""

from datetime import timedelta

from bot.campaigns.model import Campaign
from bot.campaigns.segments import accessory_targets, select_members
from tests.bot.campaigns.conftest import NOW

IDS = range(1, 151)


def members_of(campaign, profiles, catalog, graph, ids=IDS):
    return select_members(campaign, ids, lambda cid: profiles.get(customer_id=cid, now=NOW), catalog, graph, NOW)


def test_owners_of_a_product_whose_accessory_is_on_offer(demo, profiles, catalog, graph):
    members = members_of(demo, profiles, catalog, graph)
    assert len(members) >= 10
    targets = accessory_targets(graph, demo.all_product_ids())
    chosen = {m.customer_id for m in members}
    for cid in IDS:
        owned = set(profiles.get(customer_id=cid, now=NOW).owned_ids)
        eligible = any(set(fits) & owned and offer not in owned for offer, fits in targets.items())
        assert (cid in chosen) == eligible, cid
    for member in members:
        owned = set(profiles.get(customer_id=member.customer_id, now=NOW).owned_ids)
        for offer, fits in member.matched.items():
            assert fits in owned and fits in targets[offer] and offer not in owned


def test_consent_comes_before_every_rule(demo, profiles, catalog, graph, monkeypatch):
    members = [m.customer_id for m in members_of(demo, profiles, catalog, graph)]
    said_no, kept = members[0], members[1]
    profiles.set_consent(said_no, False, now=NOW)
    again = [m.customer_id for m in members_of(demo, profiles, catalog, graph)]
    assert said_no not in again and kept in again
    # a shop whose default is off: only customers who said yes
    monkeypatch.setenv("SHOPBOT_PERSONALIZATION_DEFAULT", "off")
    profiles.set_consent(kept, True, now=NOW)
    assert [m.customer_id for m in members_of(demo, profiles, catalog, graph)] == [kept]


def test_lapsed_buyers_of_a_category(profiles, catalog, graph):
    rule = {"rule": "lapsed", "category": "running_shoes", "days": 90}
    campaign = Campaign.from_dict({"id": "spring", "name": "s", "offer": {"product_ids": ["SKU-10001"]},
                                  "variants": [{"name": "a", "template": "{product}"}], "segment": [rule]})
    members = {m.customer_id for m in members_of(campaign, profiles, catalog, graph, range(1, 501))}
    assert members
    for cid in range(1, 501):
        profile = profiles.get(customer_id=cid, now=NOW)
        shoes = [o.since for o in profile.owned if catalog.product(o.product_id).category == "running_shoes"]
        assert (cid in members) == bool(shoes and max(shoes) <= NOW - timedelta(days=90)), cid


def test_price_band_and_stated_preference(profiles, catalog, graph):
    band = Campaign.from_dict({"id": "mid", "name": "m", "offer": {"product_ids": ["SKU-10001"]},
                              "variants": [{"name": "a", "template": "{product}"}],
                              "segment": [{"rule": "price_band", "min": 100, "max": 400}]})
    members = {m.customer_id for m in members_of(band, profiles, catalog, graph, range(1, 80))}
    for cid in range(1, 80):
        pb = profiles.get(customer_id=cid, now=NOW).price_band
        assert (cid in members) == (pb is not None and 100 <= pb.median <= 400)
    brand = catalog.product("SKU-10001").brand
    profiles.state_preference("brand", brand, customer_id=7, now=NOW)
    likes = Campaign.from_dict({"id": "fans", "name": "f", "offer": {"product_ids": ["SKU-10001"]},
                               "variants": [{"name": "a", "template": "{product}"}],
                               "segment": [{"rule": "preference", "kind": "brand", "value": brand}]})
    fans = [m.customer_id for m in members_of(likes, profiles, catalog, graph, range(1, 30))]
    assert 7 in fans
    assert all(brand in profiles.get(customer_id=cid, now=NOW).liked("brand") for cid in fans)
