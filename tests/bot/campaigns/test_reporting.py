"""The report: per-variant rates, Wilson intervals and P(beats control) from the store's counts."""

import pytest

from bot.campaigns.model import Campaign
from bot.campaigns.reporting import report, text_table
from bot.campaigns.stats import wilson
from bot.campaigns.store import CLICK, IMPRESSION


def test_report_from_recorded_events(store, demo):
    store.save(demo)
    shown = {"control": (100, 3), "personal": (100, 9), "graph": (50, 0)}
    customer = 1
    for variant, (n, clicks) in shown.items():
        for i in range(n):
            store.record(demo.id, customer, variant, IMPRESSION)
            if i < clicks:
                store.record(demo.id, customer, variant, CLICK)
            customer += 1
    rep = report(store, demo)
    rows = {r.variant: r for r in rep.variants}
    assert rows["control"].control and rows["control"].p_beats_control_ctr is None
    assert rows["personal"].ctr == pytest.approx(0.09) and rows["personal"].ctr_ci == wilson(9, 100)
    assert rows["personal"].p_beats_control_ctr > 0.95
    assert rows["graph"].p_beats_control_ctr < 0.2
    table = text_table(rep)
    assert "personal" in table and "9.0%" in table


def test_bandit_report_has_traffic_shares(store):
    spec = {"id": "b", "name": "b", "mode": "bandit", "offer": {"product_ids": ["SKU-10196"]},
            "variants": [{"name": "x", "template": "{product}"}, {"name": "y", "template": "{product}!"}]}
    campaign = store.save(Campaign.from_dict(spec))
    for c in range(40):
        store.record(campaign.id, c, "y", IMPRESSION)
        store.record(campaign.id, c, "y", CLICK)
    shares = {r.variant: r.bandit_share for r in report(store, campaign).variants}
    assert shares["y"] > 0.9 and shares["x"] + shares["y"] == pytest.approx(1.0)
