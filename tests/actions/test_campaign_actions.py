"""The campaign card at the session start through rasa-sdk over the seeded demo shop: a
signed-in customer of the campaign's audience who accepts offers gets it once, as a
``BotUttered`` after ``SessionStarted`` with the product-card payload, the signed click
link and the signed "No more offers" link; an anonymous shopper, a customer outside the
audience, one who withdrew personalization and one without marketing consent get nothing."""

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from actions.session_actions import ActionSessionStart
from bot.campaigns.delivery import read_click_token, read_opt_out_token
from bot.campaigns.model import Campaign
from bot.campaigns.segments import Member
from bot.campaigns.store import CampaignStore
from bot.campaigns.writer import rephraser, write_campaign
from bot.privacy.marketing import forget_marketing, read_marketing, write_marketing
from tests.actions.conftest import make_tracker, run_action

SPEC = {"id": "action-test", "name": "t", "holdout": 0.0, "offer": {"product_ids": ["SKU-10196"],
                                                                   "discount": "15% off this week"},
        "variants": [{"name": "only", "template": "Hi {first_name}! {product} for {price}, {discount}."}]}


@pytest.fixture
def campaign(services):
    from bot.shop.schema import Customer

    with services.db.session() as session:
        people = {r.id: r.name for r in session.execute(select(Customer.id, Customer.name)
                                                        .order_by(Customer.id).limit(3)).all()}
    store = CampaignStore(services.db)
    campaign = store.save(Campaign.from_dict(SPEC))
    store.set_status(campaign.id, "active")
    ids = list(people)
    write_campaign(store, campaign, [Member(ids[0]), Member(ids[1])], people, services.catalog, services.graph,
                   rephraser(services.catalog, enabled=False))
    before = {customer: read_marketing(services.db, customer) for customer in ids}
    for customer in ids[:2]:  # both members accept offers (opt-in)
        services.profiles.set_marketing(customer, True, source="import")
    yield store, ids, people
    store.set_status(campaign.id, "stopped")
    for customer in ids:
        store.forget_customer(customer)
        services.profiles.set_consent(customer, True)
        forget_marketing(services.db, customer)  # as the session's shop had it
        if before[customer].updated_at is not None:
            write_marketing(services.db, customer, before[customer].marketing, before[customer].source,
                            now=before[customer].updated_at)


def session_start(customer, sender):
    slots = {"session_started_metadata": {"shopbot": {"customer_id": customer}}} if customer else {}
    return run_action(ActionSessionStart(), make_tracker(slots=slots, sender=sender), {})


def test_the_card_reaches_an_audience_member_once(campaign):
    store, (member, _, outsider), people = campaign
    _, events = session_start(member, "campaign-member")
    kinds = [e["event"] for e in events]
    assert kinds[0] == "session_started" and kinds[-1] == "action" and kinds.count("bot") == 1
    [card] = [e for e in events if e["event"] == "bot"]
    first = people[member].split()[0]
    assert card["text"].startswith(f"Hi {first}!") and "15% off this week" in card["text"]
    custom = card["data"]["custom"]
    assert custom["type"] == "product_cards" and custom["products"][0]["id"] == "SKU-10196"
    click = read_click_token(parse_qs(urlparse(custom["products"][0]["url"]).query)["t"][0])
    assert (click.customer_id, click.variant, click.channel) == (member, "only", "chat")
    opt_out = read_opt_out_token(parse_qs(urlparse(custom["opt_out"]["url"]).query)["t"][0])
    assert custom["opt_out"]["label"] == "No more offers" and (opt_out.customer_id, opt_out.channel) == (member, "chat")
    assert card["metadata"]["campaign"] == {"id": "action-test", "variant": "only", "generation": "template"}
    assert store.impressions_of("action-test", member) == 1
    # once: the next session shows nothing
    _, again = session_start(member, "campaign-member")
    assert [e for e in again if e["event"] == "bot"] == []
    # outside the audience, or anonymous: nothing
    for customer in (outsider, None):
        _, events = session_start(customer, "campaign-other")
        assert [e for e in events if e["event"] == "bot"] == []


def test_no_card_without_consent(campaign, services):
    store, (_, member, _), _ = campaign
    services.profiles.set_consent(member, False)
    _, events = session_start(member, "campaign-no-consent")
    assert [e for e in events if e["event"] == "bot"] == []
    assert store.impressions_of("action-test", member) == 0


def test_no_card_without_marketing_consent(campaign, services):
    from actions.campaign_actions import campaign_card_events

    store, (member, _, _), _ = campaign
    services.profiles.set_marketing(member, False, source="chat")
    assert services.profiles.consent(member)  # personalization alone is not enough
    _, events = session_start(member, "campaign-no-offers")
    assert [e for e in events if e["event"] == "bot"] == []
    assert store.impressions_of("action-test", member) == 0
    # opted in again (the widget's Offers switch): the card comes, in text channels with both links
    services.profiles.set_marketing(member, True, source="widget")
    [card] = campaign_card_events(member, rich=False, services=services)
    assert "/web/api/campaign/click?t=" in card["text"] and "No more offers: " in card["text"]
    assert "/web/api/campaign/opt-out?t=" in card["text"]
