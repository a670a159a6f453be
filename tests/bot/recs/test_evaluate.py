"""The evaluation's metrics on hand-computed cases, and a split that cannot leak."""

import math
from datetime import datetime

import pytest

from bot.profiles.events import BehaviourEvent
from bot.recs.evaluate import hit_rate, leave_last_purchase_out, ndcg, top_k


def test_hit_rate_by_hand():
    ranked = [["a", "b", "c"], ["x", "y", "z"], ["q", "t", "r"]]
    assert hit_rate(ranked, ["b", "w", "t"], k=3) == pytest.approx(2 / 3)
    assert hit_rate(ranked, ["c", "z", "r"], k=2) == 0.0


def test_ndcg_by_hand():
    ranked = [["a", "b", "c"], ["x", "y", "z"], ["q", "t", "r"]]
    # ranks 1, miss, 2 -> (1/log2(2) + 0 + 1/log2(3)) / 3
    expected = (1.0 + 0.0 + 1 / math.log2(3)) / 3
    assert ndcg(ranked, ["a", "w", "t"], k=10) == pytest.approx(expected)
    assert ndcg(ranked, ["c", "z", "r"], k=2) == 0.0  # rank 3 is outside k=2
    assert ndcg([], []) == 0.0


def test_top_k_skips_owned_items():
    import numpy as np

    scores = np.array([[0.9, 0.8, 0.1, 0.5]])
    owned = np.array([[True, False, False, False]])
    assert top_k(scores, owned, ["a", "b", "c", "d"], k=2) == [["b", "d"]]


def test_leave_last_purchase_out_never_trains_on_the_cut_or_after():
    d = lambda day, hour=0: datetime(2025, 3, day, hour)  # noqa: E731
    events = [
        BehaviourEvent(1, "view", "p1", d(1)), BehaviourEvent(1, "purchase", "p1", d(2)),
        BehaviourEvent(1, "view", "p2", d(3)), BehaviourEvent(1, "cart_add", "p2", d(4)),
        BehaviourEvent(1, "purchase", "p2", d(4)),  # the test purchase (same time as its cart add)
        BehaviourEvent(1, "view", "p3", d(6)),  # after the cut
        BehaviourEvent(2, "view", "p5", d(1)),  # no purchase: all of it trains
        BehaviourEvent(3, "purchase", "p4", d(2)),  # a purchase with nothing before: no test case
    ]
    split = leave_last_purchase_out(events)
    assert [(c.customer, c.target) for c in split.cases] == [(1, "p2")]
    cut = split.cases[0].cut
    mine = [e for e in split.train if e.customer_id == 1]
    assert mine and all(e.at < cut for e in mine)
    assert not any(e.product_id == "p3" for e in split.train)
    assert any(e.customer_id == 2 for e in split.train)
