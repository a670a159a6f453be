"""Messages per customer through the grounded generator: the filled template is the
fallback, a scripted generator that invents a price is caught, a faithful one is served,
and the path that served each message is stored."""

from bot.campaigns.model import HOLDOUT
from bot.campaigns.segments import Member
from bot.campaigns.writer import draft, rephraser, write_campaign, write_message
from tests.bot.campaigns.conftest import NOW
from tests.bot.generation.conftest import ScriptedGenerator


def member(graph):
    fits = [p.id for p in graph.related("SKU-10196", "accessory_of")]
    return Member(17, {"SKU-10196": fits[0]})


def test_the_template_is_filled_with_facts(demo, catalog, graph):
    made = draft(demo, "personal", member(graph), "Omar Haddad", catalog, graph)
    product = catalog.product("SKU-10196")
    owned = catalog.product(member(graph).matched["SKU-10196"])
    assert made.template == (f"Hi Omar! The {product.display_name} goes with your {owned.display_name}: $59.00, "
                             "15% off with code CHARGE15 this week.")
    assert made.facts.products[0].price == 59.0 and made.facts.shopper_name == "Omar"
    assert made.products[0]["id"] == "SKU-10196" and made.products[0]["url"] == product.url


def test_a_hallucinated_price_falls_back_to_the_template(demo, catalog, graph, store):
    liar = ScriptedGenerator("Hi Omar! The Apple 70W USB-C Power Adapter is only $9.99 for you today.")
    rephrase = rephraser(catalog, people=["Omar Haddad"], enabled=True, generator=liar)
    served = write_message(store, demo, "personal", member(graph), "Omar Haddad", catalog, graph, rephrase, now=NOW)
    assert liar.prompts, "the generator was asked"
    assert served.path == "fallback" and served.reason == "guardrails"
    stored = store.message(demo.id, 17, "personal")
    assert stored.text == draft(demo, "personal", member(graph), "Omar Haddad", catalog, graph).template
    assert "$9.99" not in stored.text and stored.path == "fallback" and "guardrails" in stored.detail


def test_another_customers_name_falls_back(demo, catalog, graph, store):
    gossip = ScriptedGenerator("Omar, Maria Garcia loved the Apple 70W USB-C Power Adapter, $59.00.")
    rephrase = rephraser(catalog, people=["Omar Haddad", "Maria Garcia"], enabled=True, generator=gossip)
    served = write_message(store, demo, "control", member(graph), "Omar Haddad", catalog, graph, rephrase, now=NOW)
    assert served.path == "fallback" and "Maria" not in served.text


def test_a_faithful_wording_is_served(demo, catalog, graph, store):
    faithful = ScriptedGenerator("Omar, the Apple 70W USB-C Power Adapter is waiting for you: $59.00, "
                                 "15% off with code CHARGE15 this week.")
    rephrase = rephraser(catalog, people=["Omar Haddad"], enabled=True, generator=faithful)
    served = write_message(store, demo, "control", member(graph), "Omar Haddad", catalog, graph, rephrase, now=NOW)
    assert served.path == "generated", served.detail
    assert store.message(demo.id, 17, "control").text == faithful.reply


def test_calling_the_promoted_product_the_shoppers_own_falls_back(demo, catalog, graph, store):
    # "your <the product on offer>": true name, true price, a false statement about what Omar owns
    # (he owns what it fits); this exact wording was the suite's own "faithful" example until the
    # guardrails learnt ownership claims
    owner = ScriptedGenerator("Omar, your Apple 70W USB-C Power Adapter is waiting: $59.00, "
                              "15% off with code CHARGE15 this week.")
    rephrase = rephraser(catalog, people=["Omar Haddad"], enabled=True, generator=owner)
    served = write_message(store, demo, "control", member(graph), "Omar Haddad", catalog, graph, rephrase, now=NOW)
    assert served.path == "fallback" and "unsupported_claim" in served.detail, served.detail


def test_write_campaign_places_everyone_and_skips_the_holdout(demo, catalog, graph, store):
    store.save(demo)
    members = [Member(cid, {"SKU-10196": member(graph).matched["SKU-10196"]}) for cid in range(1, 201)]
    result = write_campaign(store, demo, members, {m.customer_id: "Test Shopper" for m in members}, catalog, graph,
                            rephraser(catalog, enabled=False), now=NOW)
    placed = store.assignments(demo.id)
    assert result.members == 200 and result.holdout == sum(1 for v in placed.values() if v == HOLDOUT)
    assert 5 <= result.holdout <= 40 and result.paths == {"template": result.written}
    for m in store.messages(demo.id):
        assert placed[m.customer_id] == m.variant
    assert set(store.audience(demo.id)) == {c for c, v in placed.items() if v != HOLDOUT}


def test_a_message_cut_off_mid_sentence_falls_back(demo, catalog, graph, store):
    cut = ScriptedGenerator("Omar, the Apple 70W USB-C Power Adapter is $59.00 and it includes code CHARGE15, which is")
    rephrase = rephraser(catalog, people=["Omar Haddad"], enabled=True, generator=cut)
    served = write_message(store, demo, "control", member(graph), "Omar Haddad", catalog, graph, rephrase, now=NOW)
    assert served.path == "fallback" and served.reason == "truncated"
    assert store.message(demo.id, 17, "control").text.startswith("New this week: Apple 70W USB-C Power Adapter")
