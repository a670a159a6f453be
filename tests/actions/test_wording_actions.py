"""Actions word the replies that opted in, with the process's rephraser (here on a scripted
fake generator, as the issue allows for these), and record the path on every message."""

import pytest

from actions.knowledge_actions import ActionFaq, ActionProductInfo
from bot.dialogue.replies import money
from bot.generation.service import Rephraser
from tests.actions.conftest import make_tracker, run_action
from tests.bot.generation.conftest import ScriptedGenerator


@pytest.fixture
def phone(services):
    return next(p for p in services.catalog.products if p.category == "phones" and p.stock > 0)


@pytest.fixture
def generator(services, monkeypatch, phone):
    """The shared services' rephraser, on a generator that words the phone's facts."""
    fake = ScriptedGenerator(f"Sure! The {phone.display_name} is {money(phone.price)}.")
    rephraser = Rephraser(fake, names=None, enabled=True, budget_s=5.0)
    monkeypatch.setitem(services._built, "rephraser", rephraser)
    monkeypatch.setenv("SHOPBOT_GENERATION", "on")
    return fake


def test_a_product_answer_is_worded_and_its_path_recorded(services, generator, phone):
    messages, _ = run_action(ActionProductInfo(), make_tracker(f"tell me about the {phone.display_name}", "product_info"))
    assert messages[0]["text"] == f"Sure! The {phone.display_name} is {money(phone.price)}."
    assert messages[0]["shopbot"]["reply"]["path"] == "generated"
    assert messages[0]["custom"]["products"][0]["price"] == round(float(phone.price), 2)  # cards: exact, as ever
    assert len(generator.prompts) == 1


def test_a_returns_policy_answer_is_never_reworded(services, generator):
    messages, _ = run_action(ActionFaq(), make_tracker("how long do I have to return something?", "faq"))
    answer = next(e.answer for e in services.faq if e.id == "return_window")
    assert messages[0]["text"] == answer
    assert messages[0]["shopbot"]["reply"] == {"path": "template", "reason": "verbatim", "violations": []}
    assert generator.prompts == []


def test_with_generation_off_nothing_is_loaded_and_templates_go_out(services, monkeypatch, phone):
    monkeypatch.setenv("SHOPBOT_GENERATION", "off")
    monkeypatch.setitem(services._built, "rephraser", None)  # would fail if it were used
    messages, _ = run_action(ActionProductInfo(), make_tracker(f"tell me about the {phone.display_name}", "product_info"))
    assert messages[0]["text"].startswith(phone.display_name)
    assert messages[0]["shopbot"]["reply"]["path"] == "template"


def test_a_signed_in_customer_with_consent_gets_their_profile_in_the_prompt(services, generator, phone):
    from bot.shop.customers import find_customer
    from bot.shop.seed import DEMO_CUSTOMERS

    customer = find_customer(services.db, DEMO_CUSTOMERS[1][1])
    services.profiles.state_preference("brand", phone.brand, "like", customer_id=customer.id)
    services.profiles.set_consent(customer.id, True)
    tracker = make_tracker(f"tell me about the {phone.display_name}", "product_info",
                           metadata={"shopbot": {"customer_id": customer.id}})
    run_action(ActionProductInfo(), tracker)
    assert "About the customer:" in generator.prompts[-1].user and customer.name in generator.prompts[-1].user
    services.profiles.set_consent(customer.id, False)
    try:
        run_action(ActionProductInfo(), tracker)
        assert "About the customer:" not in generator.prompts[-1].user
        assert customer.name not in generator.prompts[-1].user
    finally:
        services.profiles.set_consent(customer.id, True)
    # an anonymous shopper: no profile, no name
    run_action(ActionProductInfo(), make_tracker(f"tell me about the {phone.display_name}", "product_info"))
    assert "About the customer:" not in generator.prompts[-1].user


def test_a_text_only_channel_gets_the_whole_list_not_a_sentence(services, generator, phone):
    """``rasa shell`` shows no cards: the text is the only list of the products, kept whole."""
    tracker = make_tracker(f"tell me about the {phone.display_name}", "product_info", input_channel="cmdline")
    messages, _ = run_action(ActionProductInfo(), tracker)
    assert messages[0]["text"].startswith(phone.display_name) and not messages[0]["custom"]
    assert messages[0]["shopbot"]["reply"] == {"path": "template", "reason": "verbatim", "violations": []}
    assert generator.prompts == []
