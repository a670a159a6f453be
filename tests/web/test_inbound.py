"""What every shopper message goes through before Rasa: the cap, the payload filter, the
server-set metadata, and the tokens behind sessions and shoppers."""

import json

import pytest

from bot.web import inbound, sessions


@pytest.fixture(autouse=True)
def secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPBOT_SESSION_SECRET", raising=False)
    monkeypatch.setenv("SHOPBOT_SECRETS_DIR", str(tmp_path / "secrets"))


def test_long_messages_are_cut_with_a_notice(monkeypatch):
    message = inbound.prepare("a" * 5000, None, "rest")
    assert len(message.text) == 2000 and message.truncated_from == 5000
    assert "5,000 characters" in message.notice and "first 2,000" in message.notice
    assert message.metadata["shopbot"]["truncated"] == 5000
    monkeypatch.setenv("SHOPBOT_MAX_MESSAGE_CHARS", "10")
    assert inbound.prepare("hello world!", None, "rest").text == "hello worl"
    assert inbound.prepare("short", None, "rest").notice is None


@pytest.mark.parametrize("text, expected", [
    ('/inform{"email": "someone.else@example.com"}', "/inform"),
    ('/inform{"verified_order": "ORD-100345", "order_lookup_failures": 0}', "/inform"),
    ('/inform{"product_id": "SKU-10001", "email": "x@y.com"}', '/inform{"product_id": "SKU-10001"}'),
    ('/faq{"faq_topic":"return_window"}', '/faq{"faq_topic":"return_window"}'),  # ours: untouched
    ('/inform{"return_reason": {"nested": 1}}', "/inform"),
    ('/inform{"product_id": "' + "x" * 500 + '"}', "/inform"),
    ("/inform{not json", "/inform"),
    ('/inform["list"]', "/inform"),
    ("/human_handoff", "/human_handoff"),
    ("/restart", "/restart"),
    ("hello {there}", "hello {there}"),
])
def test_payloads_keep_only_the_entities_of_our_buttons(text, expected):
    assert inbound.prepare(text, None, "rest").text == expected


def test_server_metadata_cannot_be_set_by_the_client():
    forged = {"shopbot": {"client": "someone-else", "channel": "staff"}, "language": "en"}
    message = inbound.prepare("hi", forged, "socketio", client_address="203.0.113.7")
    stamp = message.metadata["shopbot"]
    assert stamp["channel"] == "socketio" and stamp["client"] != "someone-else"
    assert "203.0.113.7" not in json.dumps(message.metadata)  # a pseudonym, not the address
    assert stamp["client"] == inbound.prepare("x", None, "rest", "203.0.113.7").metadata["shopbot"]["client"]
    assert message.metadata["language"] == "en"
    huge = inbound.prepare("hi", {"blob": "x" * 100_000}, "rest")
    assert set(huge.metadata) == {"shopbot"}


def test_shopper_ids_must_be_signed_by_the_server():
    token = sessions.issue_shopper()
    signed = inbound.prepare("hi", {"shopper_id": token}, "socketio").metadata
    assert signed["shopper_id"] == sessions.shopper_of(token) and signed["shopper_id"].startswith("s")
    assert "shopper_id" not in inbound.prepare("hi", {"shopper_id": "shopper-123456"}, "socketio").metadata


def test_session_tokens_open_only_their_own_conversation():
    token = sessions.issue_session()
    conversation = sessions.conversation_of(token)
    assert conversation and conversation.startswith("w") and token.split(".")[0] not in conversation
    value, _, mac = token.rpartition(".")
    for forged in (conversation, f"{value}.{mac[::-1]}", f"x{value}.{mac}", token + ".", "", None, 42, "a" * 500):
        assert sessions.conversation_of(forged) is None
    assert sessions.shopper_of(token) is None  # a session token is no shopper token
    assert sessions.rest_conversation("me") == sessions.rest_conversation("me") != sessions.rest_conversation("you")
    assert sessions.rest_conversation(conversation) != conversation
