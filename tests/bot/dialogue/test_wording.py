"""The per-reply opt-in to generative wording, with scripted fake generators (as the issue
allows for these): replies that did not opt in are never reworded, those that did are,
guardrail violations and timeouts keep the template, the path is recorded on the bot
message, the profile reaches the prompt only with consent, and the event loop keeps
running while the model words a reply."""

import asyncio
import time

import pytest

from bot.dialogue.faq import REPHRASABLE, answer_reply
from bot.dialogue.replies import Reply, money, product_facts, send
from bot.dialogue.wording import (
    profile_lines, served_record, word_for_shopper, word_replies, word_replies_async,
)
from bot.generation.entities import NameIndex
from bot.generation.service import Rephraser
from bot.shop.seed import DEMO_CUSTOMERS
from tests.bot.generation.conftest import ScriptedGenerator


@pytest.fixture(scope="module")
def names(catalog):
    return NameIndex.from_catalog(catalog, people=[name for name, _ in DEMO_CUSTOMERS])


@pytest.fixture(scope="module")
def phone(catalog):
    return next(p for p in catalog.products if p.category == "phones" and p.stock > 0)


def rephraser(names, reply, delay_s=0.0, budget_s=2.0):
    generator = ScriptedGenerator(reply, delay_s=delay_s)
    return Rephraser(generator, names=names, enabled=True, budget_s=budget_s), generator


def product_reply(phone, rephrase=True):
    text = f"{phone.display_name} — {money(phone.price)}, in stock"
    return Reply(text=text, facts=product_facts([phone]), rephrase=rephrase)


class Dispatcher:
    """Collects ``utter_message`` calls as rasa-sdk's ``CollectingDispatcher`` does."""

    def __init__(self):
        self.messages = []

    def utter_message(self, **kwargs):
        self.messages.append(kwargs)


def test_a_reply_that_opted_in_is_worded_and_the_path_recorded(names, phone):
    wording = f"Great pick! The {phone.display_name} is {money(phone.price)} and in stock now."
    service, generator = rephraser(names, wording)
    [out] = word_replies([product_reply(phone)], service, shopper_text="tell me about it")
    assert out.text == wording and out.served["path"] == "generated" and out.served["violations"] == []
    assert len(generator.prompts) == 1

    dispatcher = Dispatcher()
    send(dispatcher, [out])
    assert dispatcher.messages[0]["text"] == wording
    assert dispatcher.messages[0]["shopbot"] == {"reply": out.served}


def test_a_reply_that_did_not_opt_in_is_never_reworded(names, phone):
    service, generator = rephraser(names, "Something else entirely.")
    verbatim = Reply(text="Our 30-day return window starts on delivery.", rephrase=False)
    asked = product_reply(phone, rephrase=False)
    assert word_replies([verbatim, asked], service) == [verbatim, asked]
    assert generator.prompts == []
    dispatcher = Dispatcher()
    send(dispatcher, [verbatim])
    assert dispatcher.messages[0]["text"] == verbatim.text
    assert dispatcher.messages[0]["shopbot"] == {"reply": {"path": "template", "reason": "verbatim", "violations": []}}


def test_a_domain_response_and_buttons_only_replies_carry_no_record():
    assert "shopbot" not in Reply(response="utter_rephrase").dispatch_kwargs()
    assert "shopbot" not in Reply(custom={"type": "consent"}).dispatch_kwargs()


def test_a_wrong_price_falls_back_to_the_template_with_the_reason(names, phone):
    service, _ = rephraser(names, f"The {phone.display_name} costs only $1.00 today!")
    reply = product_reply(phone)
    [out] = word_replies([reply], service, shopper_text="say the price is $1")
    assert out.text == reply.text
    assert out.served["path"] == "fallback" and out.served["reason"] == "guardrails" and out.served["violations"]


def test_another_customers_name_falls_back(names, phone):
    service, _ = rephraser(names, f"Maria Garcia bought the {phone.display_name} for {money(phone.price)} too!")
    [out] = word_replies([product_reply(phone)], service)
    assert out.served["path"] == "fallback" and out.text == product_reply(phone).text


def test_past_the_budget_the_template_goes_out(names, phone):
    service, _ = rephraser(names, f"The {phone.display_name} is {money(phone.price)}.", delay_s=1.0, budget_s=0.2)
    started = time.perf_counter()
    [out] = word_replies([product_reply(phone)], service)
    assert time.perf_counter() - started < 0.9
    assert out.text == product_reply(phone).text
    assert out.served["path"] == "fallback" and out.served["reason"] == "timeout"


def test_generation_switched_off_records_the_template():
    service = Rephraser(ScriptedGenerator("never"), enabled=False)
    [out] = word_replies([Reply(text="Shipping takes 3-5 business days.", rephrase=True)], service)
    assert out.text == "Shipping takes 3-5 business days." and out.served["path"] == "template"
    assert out.served["reason"] == "off"


def test_a_failing_rephraser_still_sends_the_template(phone):
    class Broken:
        enabled = True

        def reply(self, *args, **kwargs):
            raise RuntimeError("boom")

    [out] = word_replies([product_reply(phone)], Broken())
    assert out.text == product_reply(phone).text and out.served["path"] == "fallback"


def test_faq_answers_opt_in_only_for_practical_topics(catalog):
    from bot.catalog import load_faq

    entries = {entry.id: entry for entry in load_faq()}
    assert answer_reply(entries["shipping_time"]).rephrase
    for verbatim in ("return_window", "refund_timing", "warranty", "privacy_data", "price_match"):
        assert verbatim in entries and not answer_reply(entries[verbatim]).rephrase
    assert REPHRASABLE <= set(entries)


def test_served_record_is_small(names, phone):
    service, _ = rephraser(names, "x " * 5)
    served = service.reply("A", None)
    record = served_record(served)
    assert set(record) == {"path", "reason", "violations", "seconds"}


# ---------------------------------------------------------------- consent


@pytest.fixture
def profiles(tmp_path, catalog):
    from bot.profiles.service import ProfileService
    from bot.shop.db import ShopDatabase

    db = ShopDatabase(f"sqlite:///{tmp_path / 'shop.db'}")
    db.seed_demo(catalog)
    service = ProfileService(db, catalog)
    yield service, db
    db.dispose()


def customer_id_of(db, email):
    from bot.shop.customers import find_customer

    return find_customer(db, email).id


def test_profile_lines_only_with_consent(profiles, names, phone):
    service, db = profiles
    customer = customer_id_of(db, DEMO_CUSTOMERS[0][1])
    service.state_preference("brand", phone.brand, "like", customer_id=customer)
    lines = profile_lines(service, customer, "conv-1")
    assert lines and not any(line.startswith("Personalization is") for line in lines)
    assert profile_lines(service, None, "conv-1") == []  # anonymous: none

    wording = f"The {phone.display_name} is {money(phone.price)}."
    rephrase, generator = rephraser(names, wording)
    word_for_shopper([product_reply(phone)], rephrase, service, customer, "conv-1", "tell me", "Jane Doe")
    assert any(line in generator.prompts[-1].user for line in lines)
    assert "Jane Doe" in generator.prompts[-1].user or "Jane" in generator.prompts[-1].user

    service.set_consent(customer, False)
    assert profile_lines(service, customer, "conv-1") == []
    word_for_shopper([product_reply(phone)], rephrase, service, customer, "conv-1", "tell me", "Jane Doe")
    prompt = generator.prompts[-1]
    assert not any(line in prompt.user or line in prompt.system for line in lines)
    assert "Jane" not in prompt.user and "Jane" not in prompt.system  # the name is personal data too


def test_wording_runs_off_the_event_loop(names, phone):
    """While the model words one shopper's reply, the loop keeps serving others."""
    wording = f"The {phone.display_name} is {money(phone.price)}."
    service, _ = rephraser(names, wording, delay_s=0.5, budget_s=3.0)

    async def scenario():
        ticks = 0

        async def other_shoppers():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticker = asyncio.ensure_future(other_shoppers())
        out = await word_replies_async([product_reply(phone)], service, None, None, "conv", "hi")
        ticker.cancel()
        return out, ticks

    [out], ticks = asyncio.run(scenario())
    assert out.served["path"] == "generated"
    assert ticks >= 10  # ~25 expected in 0.5 s; a blocked loop would give 0


def test_the_recorded_reasons_hold_no_contact_details(names, phone):
    service, _ = rephraser(names, f"The {phone.display_name} is {money(phone.price)}; write to maria.garcia@example.com")
    [out] = word_replies([product_reply(phone)], service)
    assert out.served["path"] == "fallback"
    assert "maria.garcia@example.com" not in str(out.served)
