"""Impressions, clicks and conversions per variant on the real database: a purchase of the
offered product after the click and inside the window converts; before the click, after
the window, of another product or without a click, it does not."""

from datetime import timedelta

from bot.campaigns.store import CLICK, IMPRESSION
from bot.profiles.tables import BehaviourEventRow
from tests.bot.campaigns.conftest import NOW


def buy(shop, customer_id, product_id, at):
    with shop.session() as session:
        session.add(BehaviourEventRow(customer_id=customer_id, kind="purchase", product_id=product_id, at=at))


def placed(store, campaign, customer_id, variant):
    """Give a customer a variant and a message, as writing the campaign does."""
    from bot.campaigns.tables import ASSIGNMENTS
    from sqlalchemy import insert

    with store.db.session() as session:
        session.execute(insert(ASSIGNMENTS).values(campaign_id=campaign.id, customer_id=customer_id,
                                                   variant=variant, method="hash", assigned_at=NOW))
    store.save_message(campaign.id, customer_id, variant, "text", "template", "",
                       [{"id": "SKU-10196", "url": "https://shop.example/p/SKU-10196"}], now=NOW)


def test_conversion_attribution(store, shop, demo):
    store.save(demo)
    clicked = NOW + timedelta(days=1)
    cases = {  # customer: (variant, purchase time or None, product, converts?)
        401: ("control", clicked + timedelta(hours=3), "SKU-10196", True),      # after the click
        402: ("control", clicked - timedelta(hours=3), "SKU-10196", False),     # before the click
        403: ("personal", clicked + timedelta(days=20), "SKU-10196", False),    # past the 14-day window
        404: ("personal", clicked + timedelta(days=2), "SKU-10001", False),     # another product
        405: ("personal", clicked + timedelta(days=13), "SKU-10195", True),     # the offer's other product
        406: ("graph", clicked + timedelta(days=1), "SKU-10196", None),         # bought, never clicked
    }
    for customer, (variant, at, product, converts) in cases.items():
        placed(store, demo, customer, variant)
        store.record(demo.id, customer, variant, IMPRESSION, now=NOW)
        if converts is not None:
            store.record(demo.id, customer, variant, CLICK, now=clicked)
            store.record(demo.id, customer, variant, CLICK, now=clicked + timedelta(days=30))  # a later click
        buy(shop, customer, product, at)
    assert store.conversions(demo) == {401: "control", 405: "personal"}
    counts = store.counts(demo)
    assert (counts["control"].impressions, counts["control"].clicks, counts["control"].conversions) == (2, 2, 1)
    assert (counts["personal"].impressions, counts["personal"].clicks, counts["personal"].conversions) == (3, 3, 1)
    assert (counts["graph"].impressions, counts["graph"].clicks, counts["graph"].conversions) == (1, 0, 0)


def test_forgetting_a_customer_removes_their_rows(store, demo):
    store.save(demo)
    placed(store, demo, 77, "control")
    store.record(demo.id, 77, "control", IMPRESSION, now=NOW)
    assert store.forget_customer(77) == 3
    assert store.assignment(demo.id, 77) is None and store.message(demo.id, 77, "control") is None


def test_the_holdout_baseline(store, shop, demo):
    from sqlalchemy import insert

    from bot.campaigns.reporting import report
    from bot.campaigns.tables import ASSIGNMENTS
    from bot.privacy.marketing import write_marketing

    store.save(demo)
    with store.db.session() as session:
        for customer in (301, 302, 303, 304, 305):
            session.execute(insert(ASSIGNMENTS).values(campaign_id=demo.id, customer_id=customer, variant="holdout",
                                                       method="hash", assigned_at=NOW))
    # only held-out customers who accept offers compare with those shown the card (who all do)
    for customer in (301, 302, 303, 304):
        write_marketing(shop, customer, True, "import", now=NOW)
    write_marketing(shop, 305, False, "chat", now=NOW)
    buy(shop, 305, "SKU-10196", NOW + timedelta(days=2))      # held out but no offers: not in the baseline
    buy(shop, 301, "SKU-10196", NOW + timedelta(days=3))      # held out, bought anyway: counts
    buy(shop, 302, "SKU-10196", NOW - timedelta(days=3))      # before being held out: does not
    for customer in (311, 312):
        placed(store, demo, customer, "control")
        store.record(demo.id, customer, "control", IMPRESSION, now=NOW)
    buy(shop, 311, "SKU-10195", NOW + timedelta(days=1))      # shown, bought without clicking
    b = report(store, demo).baseline
    assert (b.holdout, b.holdout_bought, b.shown, b.shown_bought) == (4, 1, 2, 1)
    assert b.holdout_rate == 0.25 and b.shown_rate == 0.5 and 0.5 < b.p_shown_beats_holdout < 1.0
