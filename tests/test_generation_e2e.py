"""Generative wording end to end: `rasa run` and the action server as run.sh starts them,
with ``SHOPBOT_GENERATION=on`` and the REAL default model (stock SmolLM2-135M through the
transformers runtime, or the fine-tuned weights when present), over the seeded demo shop.

Two signed-in customers with different profiles ask the same question: both replies
carry the same facts from the same lookup (product, price), each bot message records
the path that served it in the tracker, no client ever sees that record, and where
both replies were generated their words differ. The staff console's reader shows the
path of each. The Rasa server's NLG words a domain response flagged ``rephrase`` through
the action server's ``/rephrase`` route (same secret), and keeps the template otherwise.

A generous budget (``SHOPBOT_GENERATION_BUDGET_S=20``) keeps this stable on a busy
machine; the latency budget itself is tested with fake generators (tests/bot/dialogue).
"""

import asyncio
import os
import re
import secrets
import sqlite3
import uuid

import pytest

from bot.shop.seed import DEMO_ORDERS
from tests.conftest import (
    ROOT, ActionServerURL, action_server_command, free_port, rasa_api, rasa_ready, rasa_server_command,
    running_server, write_endpoints,
)
from tests.web import chat

pytest.importorskip("rasa")

from bot.identity.tokens import mint  # noqa: E402

# One product from the lookup, so the reply is short. Measured with the stock model and the
# demo shop's profiles (greedy decoding): for these two customers both replies passed the
# guardrails, in different words; for most other customers and questions the stock model
# fell back (it drops or invents facts once a profile is in the prompt). Either way the
# test holds: a fallback is the template, with the same facts.
QUESTION = "garmin running watches under $200"
PRODUCT = "Garmin Forerunner 55"
CUSTOMERS = ("priya.patel@example.com", "liam.tremblay@example.com")
PATHS = {"generated", "fallback", "template"}
# What Rasa's REST channel answers per message (recipient_id and the message's own parts).
REST_KEYS = {"recipient_id", "text", "buttons", "custom", "image", "attachment"}
GENERATION_ENV = {"SHOPBOT_GENERATION": "on", "SHOPBOT_GENERATION_BUDGET_S": "20",
                  "SHOPBOT_GENERATION_RATE": "0",  # every reply tried: this tests wording, not shedding
                  # one torch thread: on a busy 2-core machine it decodes several times faster
                  "SHOPBOT_TORCH_THREADS": os.environ.get("SHOPBOT_TORCH_THREADS") or "1",
                  "SHOPBOT_MODELS_DIR": os.environ.get("SHOPBOT_MODELS_DIR") or str(ROOT / "var" / "models")}


@pytest.fixture(scope="module")
def servers(trained_model, shop_env, tmp_path_factory):
    """An action server and a Rasa server of their own, with generation on."""
    work = tmp_path_factory.mktemp("generation")
    secret = secrets.token_urlsafe(24)
    tokens = {"SHOPBOT_RASA_API_TOKEN": secrets.token_urlsafe(24), "SHOPBOT_ACTIONS_SECRET": secret}
    port = free_port()
    actions = ActionServerURL(f"http://127.0.0.1:{port}", secret)
    env = {**shop_env, **GENERATION_ENV, "SHOPBOT_ACTIONS_SECRET": secret}
    # ready once warm, the generator's model included (bot.serving.action_server.default_warmup)
    with running_server(action_server_command(port), f"{actions}/ready", work / "actions.log",
                        "action server (generation on)", timeout=600, env=env):
        endpoints = write_endpoints(work / "endpoints.yml", actions, work / "conversations.db")
        rasa_port = free_port()
        url = f"http://127.0.0.1:{rasa_port}"
        rasa_env = {**shop_env, **tokens, **GENERATION_ENV, "SHOPBOT_TRACKER_DB": str(work / "conversations.db")}
        with running_server(rasa_server_command(trained_model, endpoints, rasa_port),
                            rasa_ready(url, tokens["SHOPBOT_RASA_API_TOKEN"]), work / "rasa.log", "Rasa server",
                            env=rasa_env):
            yield {"url": url, "db": work / "conversations.db", "env": rasa_env, "actions": actions,
                   "token": tokens["SHOPBOT_RASA_API_TOKEN"], "port": rasa_port, "log": work / "rasa.log",
                   "actions_log": work / "actions.log"}


def customer_ids(server):
    path = server["env"]["SHOPBOT_DATABASE_URL"].replace("sqlite:///", "", 1)
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT email, id FROM customers"))


def signed_in(server, email):
    with chat.server_secrets(server):
        return {"identity": mint(customer_ids(server)[email])}


def bot_events(server, sender):
    conversation = chat.rest_conversation_id(server, sender)
    status, tracker = rasa_api(server, f"/conversations/{conversation}/tracker")
    assert status == 200, tracker
    return conversation, [e for e in tracker["events"] if e.get("event") == "bot"]


def prices(text):
    return set(re.findall(r"\$\d[\d,]*(?:\.\d\d)?", text or ""))


def test_two_customers_get_the_same_facts_in_their_own_words(servers):
    from bot.web.conversations import ConversationReader

    answers = {}
    for email in CUSTOMERS:
        sender = f"gen-{uuid.uuid4()}"
        replies = chat.say_rest(servers, sender, QUESTION, signed_in(servers, email))
        assert replies and "Traceback" not in str(replies)
        # what a client receives: Rasa's own keys only, never the path record
        for message in replies:
            assert set(message) <= REST_KEYS, message
        conversation, bots = bot_events(servers, sender)
        record = bots[-1]["metadata"]["shopbot"]["reply"]
        assert record["path"] in ("generated", "fallback"), record  # opted in, generation on: tried
        if record["path"] == "fallback":
            assert record["reason"] and record["violations"]
        text = "\n".join(m["text"] for m in replies if m.get("text"))
        shown = [c for m in replies for c in (m.get("custom") or {}).get("products", [])]
        answers[email] = ({"text": text, "products": shown}, record, conversation)

    (first, first_path, first_id), (second, second_path, second_id) = answers.values()
    # the same lookup: the same product cards, exact names and prices, for both
    cards = [[(c["id"], c["name"], c["price_text"]) for c in r["products"]] for r in (first, second)]
    assert cards[0] == cards[1] and cards[0] and cards[0][0][1] == PRODUCT
    shown_prices = {price for _, _, price in cards[0]}
    for reply in (first, second):
        assert PRODUCT in reply["text"]  # the product is named, exactly
        # any price said is the product's (or the question's own budget)
        assert prices(reply["text"]) <= shown_prices | {"$200"}, reply["text"]
    paths = (first_path["path"], second_path["path"])
    print(f"\nreplies: {paths}; {first['text']!r} {first_path} / {second['text']!r} {second_path}")
    if paths == ("generated", "generated"):
        if first["text"] == second["text"]:
            pytest.xfail("both replies were generated, in the same words: the model did not use the "
                         f"profiles ({first['text']!r})")
        assert first["text"] != second["text"]

    # the staff console's transcript shows how each reply was served
    path = servers["db"]
    reader = ConversationReader(path=path)
    for conversation, record in ((first_id, first_path), (second_id, second_path)):
        turns = [t for t in reader.conversation(conversation).turns if t.kind == "bot"]
        assert turns[-1].reply["path"] == record["path"]
        assert turns[-1].reply_badge == (record["path"] if record["path"] != "fallback"
                                         else f"fallback ({record['reason']})")


def test_verbatim_replies_stay_templates_with_generation_on(servers):
    """A store-policy answer (returns) never opts in: the FAQ's own words, recorded as such."""
    sender = f"gen-{uuid.uuid4()}"
    replies = chat.say_rest(servers, sender, "how many days do I have to return an item?",
                            signed_in(servers, DEMO_ORDERS["shipped"].email))
    from bot.catalog import load_faq

    answer = next(e.answer for e in load_faq(str(ROOT / "knowledge" / "faq.yml")) if e.id == "return_window")
    assert replies[0]["text"] == answer
    _, bots = bot_events(servers, sender)
    assert bots[-1]["metadata"]["shopbot"]["reply"] == {"path": "template", "reason": "verbatim", "violations": []}


def test_the_nlg_words_flagged_domain_responses_through_the_action_server(servers, monkeypatch):
    """``bot.web.nlg.RephrasingNLG`` as the Rasa server runs it (endpoints.yml's ``nlg``),
    over domain.yml's responses, against the real action server and model."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.web.nlg import RephrasingNLG

    domain = Domain.load(str(ROOT / "domain.yml"))
    templates = {r["text"] for r in domain.responses["utter_goodbye"]}
    customer = customer_ids(servers)[DEMO_ORDERS["shipped"].email]
    tracker = DialogueStateTracker.from_events("nlg-test", [UserUttered(
        "thanks, bye", {"name": "goodbye", "confidence": 1.0}, metadata={"shopbot": {"customer_id": customer}})])
    actions = servers["actions"]
    monkeypatch.setenv("SHOPBOT_GENERATION", "on")
    monkeypatch.setenv("SHOPBOT_GENERATION_BUDGET_S", "20")
    nlg = RephrasingNLG(EndpointConfig(url=f"{actions}/webhook", headers=actions.headers), domain)
    worded = asyncio.run(nlg.generate("utter_goodbye", tracker, "rest"))
    record = worded["shopbot"]["reply"]
    assert record["path"] in ("generated", "fallback"), record
    if record["path"] == "generated":
        assert worded["text"].strip()
    else:
        assert worded["text"] in templates and record["reason"] in ("guardrails", "timeout", "truncated", "busy", "error")
    print(f"\nNLG utter_goodbye: {record['path']} {worded['text']!r} {record.get('violations')}")

    plain = asyncio.run(nlg.generate("utter_out_of_scope", tracker, "rest"))
    assert plain["text"] == domain.responses["utter_out_of_scope"][0]["text"]
    assert plain["shopbot"]["reply"]["path"] == "template"

    # without the secret the action server refuses: the template, recorded as a fallback
    stranger = RephrasingNLG(EndpointConfig(url=f"{actions}/webhook",
                                            headers={"Authorization": "Bearer wrong"}), domain)
    refused = asyncio.run(stranger.generate("utter_goodbye", tracker, "rest"))
    assert refused["text"] in templates
    assert refused["shopbot"]["reply"]["path"] == "fallback" and refused["shopbot"]["reply"]["reason"] == "error"
