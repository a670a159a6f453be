"""Deterministic assignment: the same bucket in every process, the holdout share and the
A/B split within tolerance, the bandit's customers left to the bandit."""

import subprocess
import sys
from collections import Counter

import pytest

from bot.campaigns.assignment import assign, bucket, in_holdout
from bot.campaigns.model import HOLDOUT, Campaign, CampaignError

N = 20_000


def campaign(**changes):
    spec = {"id": "spring-run", "name": "Spring", "holdout": 0.2, "offer": {"product_ids": ["SKU-1"]},
            "variants": [{"name": "a", "template": "A {product}"}, {"name": "b", "template": "B {product}"},
                         {"name": "c", "template": "C {product}", "weight": 2}]}
    spec.update(changes)
    return Campaign.from_dict(spec)


def test_bucket_is_stable_across_processes():
    here = [bucket("spring-run", i) for i in (1, 2, 500)]
    code = "from bot.campaigns.assignment import bucket; print([bucket('spring-run', i) for i in (1, 2, 500)])"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""}, cwd=".").stdout
    assert repr(here) == there.strip()
    assert all(0.0 <= u < 1.0 for u in here)
    assert bucket("spring-run", 1) != bucket("other", 1)


def test_assignment_is_deterministic_and_the_holdout_share_holds():
    spring = campaign()
    first = [assign(spring, i) for i in range(1, N + 1)]
    assert first == [assign(campaign(), i) for i in range(1, N + 1)]
    counts = Counter(first)
    assert abs(counts[HOLDOUT] / N - 0.2) < 0.012
    rest = N - counts[HOLDOUT]
    # weights 1:1:2 of the non-holdout traffic
    assert abs(counts["a"] / rest - 0.25) < 0.015
    assert abs(counts["b"] / rest - 0.25) < 0.015
    assert abs(counts["c"] / rest - 0.5) < 0.015
    assert all((v == HOLDOUT) == in_holdout(spring, i) for i, v in enumerate(first, start=1))


def test_another_campaign_splits_independently():
    a = [assign(campaign(), i) == HOLDOUT for i in range(1, N + 1)]
    b = [assign(campaign(id="autumn"), i) == HOLDOUT for i in range(1, N + 1)]
    both = sum(x and y for x, y in zip(a, b)) / N
    assert abs(both - 0.04) < 0.01  # independent: 0.2 * 0.2


def test_no_holdout_and_bandit_mode():
    assert HOLDOUT not in {assign(campaign(holdout=0.0), i) for i in range(1, 2000)}
    bandit = campaign(mode="bandit")
    placed = {assign(bandit, i) for i in range(1, 2000)}
    assert placed == {HOLDOUT, ""}


@pytest.mark.parametrize("change", [{"holdout": 0.95}, {"mode": "greedy"}, {"variants": []}, {"id": "Bad Id"},
                                    {"variants": [{"name": "a", "template": "{price_of_gold}"}]},
                                    {"control": "nope"}, {"segment": [{"rule": "everyone"}]}])
def test_invalid_campaigns_are_refused(change):
    with pytest.raises(CampaignError):
        campaign(**change)
