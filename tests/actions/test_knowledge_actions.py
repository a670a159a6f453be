"""FAQ and product actions through rasa-sdk, over the real catalog, graph and FAISS index."""

from actions.handoff_actions import ActionHumanHandoff
from actions.knowledge_actions import ActionCompareProducts, ActionFaq, ActionProductCompatibility, ActionProductInfo
from bot.dialogue.replies import money
from tests.actions.conftest import make_tracker, run_action, slots_of


def cards_in(messages):
    return [card for m in messages if m.get("custom") for card in m["custom"].get("products", [])]


def a_case_and_its_phone(catalog):
    for product in catalog.products:
        targets = product.relations.get("accessory_of") or []
        if targets and catalog.product(targets[0]).category == "phones":
            return product, catalog.product(targets[0])
    raise AssertionError("the demo catalog has phone cases")


def test_faq_answers_a_policy_question(services):
    messages, events = run_action(ActionFaq(), make_tracker("do you deliver to canada?", "faq"))
    answer = next(e.answer for e in services.faq if e.id == "shipping_countries")
    assert messages[0]["text"] == answer and events == []


def test_faq_topic_button(services):
    messages, _ = run_action(ActionFaq(), make_tracker('/faq{"faq_topic":"price_match"}', "faq", [{"entity": "faq_topic", "value": "price_match"}]))
    assert "14 days" in messages[0]["text"]


def test_product_info_shows_exact_price_and_a_card(services):
    phone = services.catalog.products_in("phones")[0]
    messages, events = run_action(ActionProductInfo(), make_tracker(f"tell me about the {phone.display_name}", "product_info"))
    assert money(phone.price) in messages[0]["text"]
    [card] = cards_in(messages)
    assert card["id"] == phone.id and card["price"] == round(phone.price, 2) and card["stock"] == phone.stock
    assert card["url"] == phone.url
    assert slots_of(events) == {"products_in_focus": [phone.id]}


def test_rasa_shell_gets_the_text_without_the_card_json(services):
    """`rasa shell` prints a custom payload as raw JSON (over 100 lines per answer); the
    text already says the same, so the cmdline channel gets the text only."""
    phone = services.catalog.products_in("phones")[0]
    text = f"tell me about the {phone.display_name}"
    messages, _ = run_action(ActionProductInfo(), make_tracker(text, "product_info", input_channel="cmdline"))
    assert money(phone.price) in messages[0]["text"]
    assert not any(m.get("custom") for m in messages)
    for channel in ("socketio", "rest", None):
        messages, _ = run_action(ActionProductInfo(), make_tracker(text, "product_info", input_channel=channel))
        assert cards_in(messages), channel


def test_unknown_product_is_said_plainly(services):
    messages, _ = run_action(ActionProductInfo(), make_tracker("tell me about the Zorblax Q9000 Turbo", "product_info"))
    assert "couldn't" in messages[0]["text"]


def test_compare_two_phones(services):
    a, b = services.catalog.products_in("phones")[:2]
    messages, events = run_action(ActionCompareProducts(), make_tracker(f"compare the {a.display_name} and the {b.display_name}", "compare_products"))
    text = messages[0]["text"]
    assert a.display_name in text and b.display_name in text
    assert money(a.price) in text and money(b.price) in text
    assert set(slots_of(events)["products_in_focus"]) == {a.id, b.id}
    comparison = next(m["custom"]["comparison"] for m in messages if m.get("custom"))
    differs = [row["differs"] for row in comparison]
    assert differs == sorted(differs, reverse=True)  # differences first


def test_compare_with_one_product_asks_what_to_compare_with(services):
    phone = services.catalog.products_in("phones")[0]
    messages, events = run_action(ActionCompareProducts(), make_tracker(f"compare the {phone.display_name}", "compare_products"))
    assert "compare" in messages[0]["text"].lower()
    assert all(b["payload"].startswith("/compare_products{") for b in messages[0]["buttons"])
    # the button completes the comparison with the product in focus
    other = messages[0]["buttons"][0]["payload"].split('"product_id":"')[1].rstrip('"}')
    tracker = make_tracker(messages[0]["buttons"][0]["payload"], "compare_products", [{"entity": "product_id", "value": other}],
                           slots=slots_of(events))
    messages, events = run_action(ActionCompareProducts(), tracker)
    assert set(slots_of(events)["products_in_focus"]) == {phone.id, other}


def test_a_case_fits_its_phone(services):
    case, phone = a_case_and_its_phone(services.catalog)
    messages, _ = run_action(ActionProductCompatibility(), make_tracker(f"does the {case.display_name} fit the {phone.display_name}?", "product_compatibility"))
    assert messages[0]["text"].startswith("Yes")


def test_what_fits_a_phone(services):
    case, phone = a_case_and_its_phone(services.catalog)
    messages, _ = run_action(ActionProductCompatibility(), make_tracker(f"what works with the {phone.display_name}?", "product_compatibility"))
    assert messages[0]["text"].startswith("These") and phone.display_name in messages[0]["text"]
    fitting = {p.id for p in services.graph.compatible(phone.id)}
    assert cards_in(messages) and {card["id"] for card in cards_in(messages)} <= fitting


def test_handoff_creates_a_ticket(services):
    events = [{"event": "user", "text": "my parcel never came", "parse_data": {"intent": {"name": "order_status"}}},
              {"event": "bot", "text": "Sorry to hear that."}]
    messages, _ = run_action(ActionHumanHandoff(), make_tracker("/human_handoff", "human_handoff", events=events, sender="conv-7"))
    assert "ticket T-" in messages[0]["text"]


def test_a_failing_service_gets_an_apology_not_a_trace(services, monkeypatch):
    def broken():
        raise RuntimeError("database on fire")

    monkeypatch.setattr(ActionFaq, "services", lambda self: broken())
    messages, events = run_action(ActionFaq(), make_tracker("do you ship to canada", "faq"))
    assert "Sorry" in messages[0]["text"] and "fire" not in messages[0]["text"]
    assert events == []


def test_the_action_server_registers_every_domain_action():
    """What `python -m rasa_sdk --actions actions` does at start-up, and the domain's list."""
    import yaml
    from rasa_sdk.executor import ActionExecutor

    from tests.conftest import ROOT

    executor = ActionExecutor()
    executor.register_package("actions")
    domain_actions = set(yaml.safe_load((ROOT / "domain.yml").read_text())["actions"])
    assert domain_actions <= set(executor.actions)


def test_a_follow_up_resolves_against_the_products_in_focus(services):
    """After a comparison, "the cheaper one" (whichever product intent it gets) names the
    cheaper product, and the focus keeps both with the cheaper one first."""
    a, b = services.catalog.products_in("phones")[:2]
    cheaper = min((a, b), key=lambda p: p.price)
    for action, intent in ((ActionCompareProducts(), "compare_products"), (ActionProductInfo(), "product_info")):
        tracker = make_tracker("the cheaper one", intent, slots={"products_in_focus": [a.id, b.id]})
        messages, events = run_action(action, tracker)
        assert messages[0]["text"].startswith(f"The {cheaper.display_name} has the lower price: {money(cheaper.price)}")
        assert slots_of(events) == {"products_in_focus": [cheaper.id, a.id, b.id]}
        # and "tell me more about it" is now about the cheaper one
        tracker = make_tracker("tell me more about it", intent, slots=slots_of(events))
        messages, _ = run_action(ActionProductInfo(), tracker)
        assert [card["id"] for card in cards_in(messages)] == [cheaper.id]
