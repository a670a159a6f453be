"""Which slots a shopper's message can set, decided by Rasa's own slot extraction.

Shoppers can send ``/intent{"entity": "value"}`` payloads as well as text, so every
entity a message carries reaches Rasa's ``action_extract_slots``. These tests run that
real action over the project's domain: the proof of a matched order and the lookup
lock are never set by a message, and the order number and email only inside the forms.
(Rasa environment; no model needed.)
"""

import asyncio

import pytest

from tests.conftest import ROOT, in_rasa_env

pytestmark = pytest.mark.skipif(not in_rasa_env(), reason="needs the Rasa environment (.venv)")

PROTECTED = ("verified_order", "order_lookup_locked", "privacy_pending")
FORGED = "ORD-100456:0123456789abcdef0123456789abcdef"
OTHER = "someone.else@example.com"


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain.yml"))


def parse(text, domain):
    """What Rasa's RegexMessageHandler makes of a payload (unknown entity names dropped)."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.message import Message

    message = YAMLStoryReader.unpack_regex_message(Message(data={"text": text}), domain,
                                                   entity_extractor_name="RegexMessageHandler")
    return message.data.get("intent"), message.data.get("entities") or []


def extract(domain, text, entities=None, active_loop=None, requested_slot=None, slots=None):
    """Run action_extract_slots after one user message; the slots it sets."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    intent, parsed = parse(text, domain)
    if entities is not None:  # entities as a (hypothetical) extractor might return them
        parsed = entities
    tracker = DialogueStateTracker.from_events("shopper", [], slots=domain.slots)
    for name, value in (slots or {}).items():
        tracker.update(SlotSet(name, value))
    if active_loop:
        tracker.update(ActiveLoop(active_loop))
        tracker.update(SlotSet("requested_slot", requested_slot))
    tracker.update(UserUttered(text, intent, parsed))
    events = asyncio.run(ActionExtractSlots(None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain))
    return {event.key: event.value for event in events if isinstance(event, SlotSet)}


def payload(intent, **entities):
    import json

    return f"/{intent}{json.dumps(entities)}"


def test_protected_slots_have_no_mapping_a_message_can_fill(domain):
    for name in PROTECTED:
        slot = next(s for s in domain.slots if s.name == name)
        assert slot.mappings == [{"type": "custom"}], name  # no entity, no text, no action


def test_a_payload_outside_the_forms_sets_neither_protected_slots_nor_order_or_email(domain):
    """The reported swap: /inform{"email": someone else's} after verifying your own order."""
    text = payload("inform", email=OTHER, order_id="ORD-100456", verified_order=FORGED, order_lookup_locked=False)
    slots = {"order_id": "ORD-100234", "email": "j***@example.com", "verified_order": "ORD-100234:" + "a" * 32}
    assert extract(domain, text, slots=slots) == {}
    # even when an extractor did report entities with the protected names
    forged = [{"entity": name, "value": FORGED, "start": 0, "end": 1} for name in PROTECTED]
    assert extract(domain, text, entities=forged + [{"entity": "email", "value": OTHER}], slots=slots) == {}


@pytest.mark.parametrize("intent", ["inform", "order_status", "return_request", "human_handoff", "faq", "greet"])
def test_no_intent_carries_a_protected_slot(domain, intent):
    forged = [{"entity": name, "value": FORGED, "start": 0, "end": 1} for name in PROTECTED]
    for loop, requested in ((None, None), ("order_status_form", "email"), ("return_form", "return_item")):
        set_ = extract(domain, payload(intent, verified_order=FORGED), entities=forged,
                       active_loop=loop, requested_slot=requested)
        assert not set(set_) & set(PROTECTED), (intent, loop)


def test_inside_the_order_form_the_answers_are_taken_for_the_form_to_check(domain):
    text = payload("inform", email="jane.doe@example.com", verified_order=FORGED)
    assert extract(domain, text, active_loop="order_status_form", requested_slot="email") == {"email": "jane.doe@example.com"}
    # the number and the email in one message, whichever was asked
    both = payload("inform", order_id="ORD-100234", email="jane.doe@example.com")
    assert extract(domain, both, active_loop="return_form", requested_slot="order_id") == {
        "order_id": "ORD-100234", "email": "jane.doe@example.com"}


def test_the_message_that_starts_a_form_still_gives_its_order_number(domain):
    """"check order ORD-100345 for me": nothing is set before the form runs; the form
    extracts again once active (Rasa's FormAction.activate), and then it counts."""
    text = payload("order_status", order_id="ORD-100345")
    assert extract(domain, text) == {}
    assert extract(domain, text, active_loop="order_status_form") == {"order_id": "ORD-100345"}


def test_the_allowed_button_entities_still_fill_their_slots(domain):
    """What the assistant's own buttons send (faq_topic, product_id, return_reason)."""
    assert extract(domain, payload("inform", product_id="SKU-10001"), active_loop="return_form",
                   requested_slot="return_item") == {"return_item": "SKU-10001"}
    assert extract(domain, payload("inform", return_reason="Changed my mind"), active_loop="return_form",
                   requested_slot="return_reason") == {"return_reason": "Changed my mind"}
