"""The trained assistant, through Rasa's Agent: understanding, sentiment, replies to anything."""

import asyncio
import uuid

import pytest

from tests.nlu.conftest import BAD_INPUTS

CLEAR_MESSAGES = {
    "hey there, good afternoon": "greet",
    "ok bye, have a nice day": "goodbye",
    "what's the status of order ORD-552310?": "order_status",
    "I need to send back the running shoes I bought, they don't fit": "return_request",
    "can I speak to a real person please": "human_handoff",
    "are you a robot or a human?": "bot_challenge",
    "how much does the Garmin Forerunner 265 cost": "product_info",
    "which is better, the Sony WH-1000XM5 or the Bose QuietComfort Ultra?": "compare_products",
    "will this case fit my Galaxy S24": "product_compatibility",
    "can you suggest a good tent for a family of four": "recommend",
    "delete all the data you have about me": "privacy_request",
    "do you ship to Canada?": "faq",
}


def parse(agent, text):
    return asyncio.run(agent.parse_message(text))


def test_understands_clear_messages(agent):
    wrong = {
        text: parse(agent, text)["intent"]["name"]
        for text, intent in CLEAR_MESSAGES.items()
        if parse(agent, text)["intent"]["name"] != intent
    }
    assert len(wrong) <= 1, f"misunderstood: {wrong}"


# offers (marketing consent) are asked for in privacy_request; which way, the words say
OFFERS_MESSAGES = {
    "please stop sending me promotional offers": "offers_out",
    "I don't want your newsletter anymore": "offers_out",
    "unsubscribe me from the promotions": "offers_out",
    "can you send me offers again": "offers_in",
}


def test_understands_requests_about_offers(agent):
    from bot.dialogue.privacy import requested_right

    wrong = {text: parse(agent, text)["intent"]["name"] for text in OFFERS_MESSAGES
             if parse(agent, text)["intent"]["name"] != "privacy_request"}
    assert len(wrong) <= 1, f"misunderstood: {wrong}"
    assert {text: requested_right(text) for text in OFFERS_MESSAGES} == OFFERS_MESSAGES


def test_every_parse_carries_sentiment(agent):
    angry = parse(agent, "this is ridiculous, my laptop arrived smashed and nobody helps me")
    happy = parse(agent, "thank you so much, the headphones are amazing!")
    assert angry["sentiment"]["label"] == "negative"
    assert happy["sentiment"]["label"] == "positive"
    for result in (angry, happy):
        assert 0.0 <= result["sentiment"]["score"] <= 1.0


def test_entities_order_id_budget_brand(agent):
    result = parse(agent, "any Sony headphones under $300? also where is ord-123456")
    entities = {e["entity"]: e for e in result["entities"]}
    assert entities["order_id"]["value"].lower() == "ord-123456"
    assert entities["budget"]["value"] == {"min": None, "max": 300.0, "currency": "USD"}
    assert entities["brand"]["value"] == "Sony"


def test_gibberish_falls_back(agent):
    result = parse(agent, "qwzx blorp fnarg")
    assert result["intent"]["name"] == "nlu_fallback"
    assert len(result["intent_ranking"]) > 3


@pytest.mark.parametrize("text", BAD_INPUTS, ids=lambda t: repr(t[:20]))
def test_bad_input_parses_sanely(agent, text):
    result = parse(agent, text)
    if text.startswith("/"):
        # A button payload: Rasa takes the intent from it and skips the NLU pipeline.
        assert result["intent"]["name"] == text[1:].split("{")[0]
        return
    assert result["intent"]["name"]
    assert result["sentiment"]["label"] in {"negative", "neutral", "positive"}


def test_every_message_gets_a_reply(trained_model, action_server):
    """Through the real action server: junk, hostile and huge input all get an answer."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    agent = Agent.load(str(trained_model), action_endpoint=EndpointConfig(f"{action_server}/webhook",
                                                                        headers=action_server.headers))
    for text in BAD_INPUTS + ["qwzx blorp fnarg", "hi"]:
        replies = asyncio.run(agent.handle_text(text, sender_id=str(uuid.uuid4())))
        assert replies, f"no reply to {text[:40]!r}"
        assert all(r.get("text") or r.get("buttons") or r.get("custom") for r in replies)
        assert not any("Traceback" in (r.get("text") or "") for r in replies)
