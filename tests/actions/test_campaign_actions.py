"""The campaign card at the session start through rasa-sdk over the seeded demo shop: a
signed-in customer of the campaign's audience gets it once, as a ``BotUttered`` after
``SessionStarted`` with the product-card payload and the signed click link; an anonymous
shopper, a customer outside the audience and one who withdrew consent get nothing."""

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from actions.session_actions import ActionSessionStart
from bot.campaigns.delivery import read_click_token
from bot.campaigns.model import Campaign
from bot.campaigns.segments import Member
from bot.campaigns.store import CampaignStore
from bot.campaigns.writer import rephraser, write_campaign
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
    yield store, ids, people
    store.set_status(campaign.id, "stopped")
    for customer in ids:
        store.forget_customer(customer)
        services.profiles.set_consent(customer, True)


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
