"""The campaign card at the bot/ level on the real database: the right segment only,
with both consents (personalization and marketing, which is opt-in), never the holdout,
under the frequency cap, with a signed click link and a signed "No more offers" link."""

from urllib.parse import parse_qs, urlparse

import pytest

from bot.campaigns.delivery import (OptOut, click_token, may_send, next_card, read_click_token, read_opt_out_token,
                                    record_click, record_opt_out)
from bot.campaigns.export import export_rows
from bot.campaigns.model import HOLDOUT
from bot.campaigns.store import CLICK
from bot.campaigns.writer import rephraser
from bot.campaigns.cli import write
from bot.privacy.marketing import marketing_of, read_marketing, write_marketing
from tests.bot.campaigns.conftest import NOW

BASE = "https://bot.example.com"


def opt_in(shop, *customers, source="widget"):
    for customer in customers:
        write_marketing(shop, customer, True, source, now=NOW)


@pytest.fixture
def written(store, demo, profiles, catalog, graph):
    store.save(demo)
    store.set_status(demo.id, "active")
    write(store, demo, profiles, catalog, graph, rephraser(catalog, enabled=False), now=NOW, limit=160)
    return store.require(demo.id)


def token_of(card):
    url = card.custom["products"][0]["url"]
    assert url.startswith(BASE + "/web/api/campaign/click?t=")
    return parse_qs(urlparse(url).query)["t"][0]


def test_the_card_reaches_the_segment_only_with_consent(written, store, profiles, shop):
    audience = set(store.audience(written.id))
    placements = store.assignments(written.id)
    assert audience and any(v == HOLDOUT for v in placements.values())
    offers = marketing_of(shop, audience)
    # the demo seed's newsletter subscribers accept offers, the others never chose (default off)
    reachable = {c for c in audience if offers[c]}
    assert reachable and reachable != audience
    shown = {}
    for customer in range(1, 161):
        card = next_card(store, customer, profiles.consent(customer), now=NOW, base=BASE)
        if card is not None:
            shown[customer] = card
    assert set(shown) == reachable  # members placed in a variant who accept offers, and nobody else
    for customer, card in shown.items():
        assert placements[customer] == card.variant != HOLDOUT
        assert card.custom["type"] == "product_cards" and card.custom["campaign"] == written.id
        assert card.custom["opt_out"]["label"] == "No more offers"
        assert read_opt_out_token(parse_qs(urlparse(card.custom["opt_out"]["url"]).query)["t"][0]) == OptOut(
            written.id, customer, "chat")
        assert card.text == store.message(written.id, customer, card.variant).text
        click = read_click_token(token_of(card))
        assert (click.campaign_id, click.customer_id, click.variant, click.channel) == (
            written.id, customer, card.variant, "chat")
    # frequency cap: once per customer
    assert all(next_card(store, c, True, now=NOW, base=BASE) is None for c in shown)
    assert sum(r.impressions for r in store.counts(written).values()) == len(shown)
    # one who had not opted in does so in the widget: the card comes at their next chat
    late = min(audience - reachable)
    opt_in(shop, late)
    card = next_card(store, late, profiles.consent(late), now=NOW, base=BASE)
    assert card is not None and card.variant == placements[late]


def test_no_marketing_consent_no_card_and_no_email(written, store, profiles, shop):
    audience = store.audience(written.id)
    never = [c for c in audience if not read_marketing(shop, c).marketing]
    assert never and all(read_marketing(shop, c).updated_at is None for c in never)  # the default: off
    assert all(next_card(store, c, profiles.consent(c), now=NOW, base=BASE) is None for c in never)
    assert all(profiles.consent(c) for c in never)  # personalization alone is not enough
    exported = {row["customer_id"] for row in export_rows(store, written, now=NOW, base=BASE)}
    assert exported and not exported & set(never)
    # one who had opted in withdraws it: nothing from then on
    quitter = next(c for c in audience if c in exported)
    write_marketing(shop, quitter, False, "chat", now=NOW)
    assert next_card(store, quitter, True, now=NOW, base=BASE) is None
    assert quitter not in {row["customer_id"] for row in export_rows(store, written, now=NOW, base=BASE)}
    assert all(store.impressions_of(written.id, c) == 0 for c in never + [quitter])


def test_the_default_can_be_on_for_a_shop_that_has_consent_elsewhere(written, store, profiles, monkeypatch):
    customer = next(c for c in store.audience(written.id) if read_marketing(store.db, c).updated_at is None)
    assert next_card(store, customer, True, now=NOW, base=BASE) is None
    monkeypatch.setenv("SHOPBOT_MARKETING_DEFAULT", "on")
    assert next_card(store, customer, True, now=NOW, base=BASE) is not None


def test_the_opt_out_link_is_signed_and_switches_offers_off(written, store, shop):
    member, other = store.audience(written.id)[:2]
    opt_in(shop, member, other)
    card = next_card(store, member, True, now=NOW, base=BASE)
    token = parse_qs(urlparse(card.custom["opt_out"]["url"]).query)["t"][0]
    value, _, mac = token.rpartition(".")
    forged = [value.replace(f":{member}:", f":{other}:") + "." + mac,   # another customer, same signature
              value + ".",                                               # no signature
              f"{written.id}:{other}:chat",                              # unsigned
              click_token(written.id, other, card.variant, "chat"),      # a click token: another purpose
              None, ""]
    for bad in forged:
        assert record_opt_out(shop, bad, now=NOW) is None
    assert read_marketing(shop, other).marketing and read_marketing(shop, member).marketing
    assert record_opt_out(shop, token, now=NOW) == member
    state = read_marketing(shop, member)
    assert (state.marketing, state.source) == (False, "card")
    assert read_marketing(shop, other).marketing  # nobody else
    assert not may_send(store, member, True) and may_send(store, other, True)
    assert next_card(store, other, True, now=NOW, base=BASE) is not None


def test_no_consent_no_card(written, store, profiles, shop):
    customer = store.audience(written.id)[0]
    opt_in(shop, customer)  # offers yes, personalization no: nothing either
    profiles.set_consent(customer, False, now=NOW)
    assert next_card(store, customer, profiles.consent(customer), now=NOW, base=BASE) is None
    assert next_card(store, None, True, now=NOW, base=BASE) is None
    assert store.impressions_of(written.id, customer) == 0
    assert customer not in {row["customer_id"] for row in export_rows(store, written, now=NOW, base=BASE)}


def test_a_stopped_campaign_shows_nothing(written, store, shop):
    opt_in(shop, store.audience(written.id)[0])
    store.set_status(written.id, "stopped")
    assert next_card(store, store.audience(written.id)[0], True, now=NOW, base=BASE) is None


def test_the_click_link_is_signed_and_records_the_click(written, store, catalog, shop):
    customer = store.audience(written.id)[0]
    opt_in(shop, customer)
    card = next_card(store, customer, True, now=NOW, base=BASE)
    token = token_of(card)
    recorded, landing = record_click(store, token, now=NOW)
    assert recorded and landing == catalog.product(card.custom["products"][0]["id"]).url
    assert store.first_events(written.id, CLICK)[customer][0] == card.variant
    value, _, mac = token.rpartition(".")
    other = store.audience(written.id)[1]
    forged = [value.replace(f":{customer}:", f":{other}:") + "." + mac,   # another customer, same signature
              value + ".",                                                 # no signature
              f"{written.id}:{other}:{card.variant}:chat"]                  # unsigned
    for bad in forged:
        assert record_click(store, bad, now=NOW) == (False, None)
    assert other not in store.first_events(written.id, CLICK)


def test_the_export_has_each_recipients_own_data_only(written, store, shop):
    from sqlalchemy import select

    from bot.campaigns.tables import CUSTOMERS

    opt_in(shop, *store.audience(written.id), source="import")
    rows = export_rows(store, written, now=NOW, base=BASE, sent=True)
    with shop.session() as session:
        people = {r.id: (r.name, r.email) for r in session.execute(select(CUSTOMERS)).all()}
    assert len(rows) == len(store.audience(written.id))
    for row in rows:
        name, email = people[row["customer_id"]]
        assert row["email"] == email and row["first_name"] == name.split()[0]
        assert row["message"] == store.message(written.id, row["customer_id"], row["variant"]).text
        others = [e for cid, (_, e) in people.items() if cid != row["customer_id"]]
        assert not any(e in " ".join(map(str, row.values())) for e in others)
        assert read_click_token(parse_qs(urlparse(row["click_url"]).query)["t"][0]).channel == "email"
        assert read_opt_out_token(parse_qs(urlparse(row["opt_out_url"]).query)["t"][0]) == OptOut(
            written.id, row["customer_id"], "email")
    assert sum(c.impressions for c in store.counts(written).values()) == len(rows)


def test_bandit_mode_places_customers_at_delivery_and_follows_the_clicks(store, demo, profiles, catalog, graph):
    import numpy as np

    from bot.campaigns.model import Campaign
    from bot.campaigns.store import IMPRESSION

    bandit = Campaign.from_dict({**demo.to_dict(), "id": "chargers-bandit", "mode": "bandit"})
    store.save(bandit)
    store.set_status(bandit.id, "active")
    write(store, bandit, profiles, catalog, graph, rephraser(catalog, enabled=False), now=NOW, limit=300)
    audience = store.audience(bandit.id)
    opt_in(store.db, *audience, source="import")
    # written for every variant, placed nobody yet but the holdout
    assert {m.variant for m in store.messages(bandit.id)} == set(bandit.variant_names)
    assert set(store.assignments(bandit.id).values()) == {HOLDOUT}
    # earlier customers: "graph" was clicked by half of those shown, the others by nobody
    for i in range(90):
        variant = bandit.variant_names[i % 3]
        store.record(bandit.id, 100_000 + i, variant, IMPRESSION, now=NOW)
        if variant == "graph" and i % 2:
            store.record(bandit.id, 100_000 + i, variant, CLICK, now=NOW)
    rng = np.random.default_rng(11)
    cards = [next_card(store, c, True, now=NOW, rng=rng, base=BASE) for c in audience]
    placed = [card.variant for card in cards if card is not None]
    assert len(placed) == len(audience)
    assert placed.count("graph") / len(placed) > 0.8
    assert {c: v for c, v in store.assignments(bandit.id).items() if v != HOLDOUT} == dict(zip(audience, placed))
