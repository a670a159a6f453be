"""Thompson sampling: posterior updates, traffic shifting to the better arm, and the
persisted counts in the store moving once per customer."""

import numpy as np

from bot.campaigns.bandit import Arm, ThompsonBandit
from bot.campaigns.model import HOLDOUT, Campaign
from bot.campaigns.store import CLICK, IMPRESSION


def test_updates_move_the_posterior():
    bandit = ThompsonBandit.of(["a", "b"])
    assert bandit.mean("a") == 0.5
    bandit.update("a", True)
    bandit.update("a", False)
    bandit.update("a", True)
    assert bandit.arms["a"] == Arm(3, 2)
    assert bandit.mean("a") == (1 + 2) / (2 + 3)
    bandit.update("b", False)
    assert bandit.mean("b") == 1 / 3


def test_traffic_shifts_toward_the_better_arm():
    rng = np.random.default_rng(7)
    truth = {"a": 0.03, "b": 0.05, "c": 0.12}
    bandit = ThompsonBandit.of(truth)
    chosen = []
    for _ in range(4000):
        arm = bandit.choose(rng)
        bandit.update(arm, rng.random() < truth[arm])
        chosen.append(arm)
    late = chosen[-1000:]
    assert late.count("c") / len(late) > 0.7
    assert bandit.shares()["c"] > 0.7
    assert all(chosen[:200].count(arm) >= 3 for arm in truth)  # every arm was explored


def test_persisted_counts_and_bandit_placement(store):
    spec = {"id": "band-test", "name": "t", "mode": "bandit", "holdout": 0.1,
            "offer": {"product_ids": ["SKU-10196"]},
            "variants": [{"name": "plain", "template": "{product}"}, {"name": "warm", "template": "Hi! {product}"}]}
    campaign = store.save(Campaign.from_dict(spec))
    # 60 customers saw "plain" and none clicked, 60 saw "warm" and 30 clicked
    for customer in range(1000, 1060):
        assert store.record(campaign.id, customer, "plain", IMPRESSION)
    for customer in range(2000, 2060):
        store.record(campaign.id, customer, "warm", IMPRESSION)
        if customer % 2:
            store.record(campaign.id, customer, "warm", CLICK)
    assert not store.record(campaign.id, 1000, "plain", IMPRESSION)  # a second impression: counted once
    arms = store.arms(campaign.id)
    assert arms["plain"] == Arm(60, 0) and arms["warm"] == Arm(60, 30)
    rng = np.random.default_rng(3)
    placed = [store.assign(campaign, customer, rng=rng) for customer in range(5000, 5200)]
    assert placed == [store.assign(campaign, c) for c in range(5000, 5200)]  # kept once made
    shown = [p for p in placed if p != HOLDOUT]
    assert shown.count("warm") / len(shown) > 0.95
