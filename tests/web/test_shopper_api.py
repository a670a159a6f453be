"""The widget's HTTP API against the real ``rasa run`` (credentials.yml's web channel):
history from the tracker store, clearing it (events deleted), feedback, consent and clicks,
each only with the token the server issued; input validation."""

import asyncio
import json
import sqlite3
import uuid

import pytest

from tests.web.chat import run_async, SocketShopper, call, conversation_id, history, say_rest, session_headers

pytest.importorskip("rasa")


def new_id(prefix):
    return f"{prefix}-{uuid.uuid4().hex}"


def socket_conversation(server, texts, widget=True):
    """A shopper's socket.io conversation: (token, bot messages per text)."""

    async def talk():
        shopper = SocketShopper(server, widget=widget)
        token = await shopper.connect()
        replies = [await shopper.say(text) for text in texts]
        await shopper.close()
        return token, replies

    return run_async(talk())


def stored_event_count(server, sender_id):
    with sqlite3.connect(server["db"]) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender_id,)).fetchone()[0]


def test_history_has_the_conversation_in_order_and_delete_removes_it(rasa_server):
    token, _ = socket_conversation(rasa_server, ["hi", "tell me about the Galaxy S24"])
    messages = history(rasa_server, token)
    assert [m["from"] for m in messages][:2] == ["user", "bot"]
    assert [m["text"] for m in messages if m["from"] == "user"] == ["hi", "tell me about the Galaxy S24"]
    assert all(isinstance(m["timestamp"], float) for m in messages)
    assert [m["timestamp"] for m in messages] == sorted(m["timestamp"] for m in messages)
    cards = [m["custom"] for m in messages if m.get("custom")]
    assert cards and cards[-1]["type"] == "product_cards"
    assert "Galaxy S24" in cards[-1]["products"][0]["name"]

    sender = conversation_id(rasa_server, token)
    assert stored_event_count(rasa_server, sender) > 0
    status, body = call("DELETE", f"{rasa_server['url']}/web/api/history", headers=session_headers(token))
    assert status == 200 and body["cleared"] is True
    assert history(rasa_server, token) == []
    # "Clear conversation" deletes what was stored, it does not just hide it behind a restart
    assert stored_event_count(rasa_server, sender) == 0


def test_the_api_refuses_ids_and_forged_tokens(rasa_server):
    """Attack replay: knowing a conversation id (logs, console, URLs) must give nothing."""
    token, _ = socket_conversation(rasa_server, ["my email is jane.doe@example.com"])
    sender = conversation_id(rasa_server, token)
    url = rasa_server["url"]
    # the old id-in-the-URL routes are gone
    assert call("GET", f"{url}/web/api/history/{sender}")[0] in (404, 405)
    assert call("DELETE", f"{url}/web/api/history/{sender}")[0] in (404, 405)
    value, _, mac = token.rpartition(".")
    forged = [sender, "", "x" * 300, f"{value}.{'A' * len(mac)}", f"{uuid.uuid4().hex}.{mac}", token + "x"]
    for bad in forged:
        for method, path, payload in (("GET", "/web/api/history", None), ("DELETE", "/web/api/history", None),
                                      ("POST", "/web/api/feedback", {"turn": 1.0, "value": "up"}),
                                      ("POST", "/web/api/click", {"product_id": "SKU-10001"})):
            status, body = call(method, url + path, payload, headers=session_headers(bad) if bad else {})
            assert status == 401 and set(body) == {"error"}, (method, path, bad)
    assert len(history(rasa_server, token)) >= 2  # the owner still has it all


def test_feedback_is_stored_changed_and_validated(rasa_server):
    token, _ = socket_conversation(rasa_server, ["hi"])
    turn = next(m["timestamp"] for m in history(rasa_server, token) if m["from"] == "bot")
    url = f"{rasa_server['url']}/web/api/feedback"
    headers = session_headers(token)
    assert call("POST", url, {"turn": turn, "value": "up"}, headers=headers)[0] == 200
    status, body = call("POST", url, {"turn": turn, "value": "down"}, headers=headers)
    assert status == 200 and body["value"] == "down" and "sender_id" not in body
    assert [m.get("feedback") for m in history(rasa_server, token) if m["from"] == "bot"][0] == "down"

    for payload in ({"turn": turn, "value": "meh"}, {"turn": "yesterday", "value": "up"}, {"value": "up"},
                    ["not", "an", "object"]):
        status, body = call("POST", url, payload, headers=headers)
        assert status == 400 and set(body) == {"error"}, payload
    status, body = call("POST", url, raw=b"{broken json", headers=headers)
    assert status == 400 and "Traceback" not in json.dumps(body)


def test_consent_needs_a_shopper_token_the_server_issued(rasa_server):
    url = f"{rasa_server['url']}/web/api"
    status, body = call("POST", f"{url}/shopper")
    assert status == 200
    shopper = {"X-Shopper-Token": body["shopper_token"]}
    status, body = call("GET", f"{url}/consent", headers=shopper)
    assert status == 200 and body["personalization"] is False and body["updated_at"] is None
    assert call("POST", f"{url}/consent", {"personalization": True}, headers=shopper)[0] == 200
    assert call("GET", f"{url}/consent", headers=shopper)[1]["personalization"] is True
    assert call("POST", f"{url}/consent", {"personalization": False}, headers=shopper)[0] == 200
    assert call("GET", f"{url}/consent", headers=shopper)[1]["personalization"] is False
    assert call("POST", f"{url}/consent", {"personalization": "yes"}, headers=shopper)[0] == 400
    # attack replay: writing someone's consent with a made-up or missing id
    for bad in ({"X-Shopper-Token": "shopper-12345678"}, {}, {"X-Shopper-Token": new_id("x") + ".abc"}):
        assert call("POST", f"{url}/consent", {"personalization": True}, headers=bad)[0] == 401
        assert call("GET", f"{url}/consent", headers=bad)[0] == 401
    # a chat session token is not a shopper token (purposes are separate)
    token, _ = socket_conversation(rasa_server, ["hi"])
    assert call("GET", f"{url}/consent", headers={"X-Shopper-Token": token})[0] == 401


def test_product_card_clicks_are_counted_for_the_analytics(rasa_server):
    from bot.web.store import WebStore

    store = WebStore(rasa_server["env"]["SHOPBOT_DATABASE_URL"])
    before = store.click_count()
    token, _ = socket_conversation(rasa_server, ["hi"])
    url = f"{rasa_server['url']}/web/api/click"
    assert call("POST", url, {"product_id": "SKU-10001"}, headers=session_headers(token))[0] == 200
    assert call("POST", url, {"product_id": "<script>"}, headers=session_headers(token))[0] == 400
    assert call("POST", url, {"product_id": "SKU-10001"})[0] == 401
    assert store.click_count() == before + 1


def test_widget_sockets_get_one_event_per_message_with_cards_and_turn_id(rasa_server):
    """Our widget announces itself and gets the custom payload intact, with the turn id."""
    token, (replies,) = socket_conversation(rasa_server, ["tell me about the Galaxy S24"])
    card_message = next(r for r in replies if r.get("custom"))
    assert card_message["text"] and card_message["custom"]["type"] == "product_cards"
    assert card_message["from"] == "bot" and isinstance(card_message["timestamp"], float)
    assert card_message["timestamp"] in [m["timestamp"] for m in history(rasa_server, token)]


def test_other_socket_clients_get_exactly_rasas_shapes(rasa_server):
    """rasa-webchat renders a message only when its keys are exactly Rasa's."""
    _, (greeting, product) = socket_conversation(rasa_server, ["hi", "tell me about the Galaxy S24"], widget=False)
    allowed = [{"text"}, {"text", "quick_replies"}, {"text", "buttons"}, {"attachment"}, {"custom"}]
    for message in greeting + product:
        assert set(message) in allowed, message
    assert any(set(m) == {"text"} for m in greeting)
    assert any(set(m) == {"custom"} and m["custom"]["type"] == "product_cards" for m in product)
    assert any("Galaxy S24" in m.get("text", "") for m in product)


def test_a_session_cannot_be_joined_or_written_by_id(rasa_server):
    """Attack replay: a second client names the victim's conversation id (or a forged token)
    in session_request and user_uttered; it gets its own session and never sees or writes
    the victim's conversation. A REST caller using the id as sender cannot write into it."""

    async def attack():
        victim = SocketShopper(rasa_server)
        token = await victim.connect()
        await victim.say("hi")
        sender = conversation_id(rasa_server, token)
        value, _, mac = token.rpartition(".")

        attacker = SocketShopper(rasa_server, widget=False)
        attacker_token = await attacker.connect(token=sender)
        assert attacker_token != token and conversation_id(rasa_server, attacker_token) != sender
        before = len(attacker.received)
        await victim.say("tell me about the Galaxy S24")
        await asyncio.sleep(1)
        assert len(attacker.received) == before  # nothing of the victim's conversation reached it
        await attacker.say("I want to talk to a person", session_id=sender)
        await attacker.say("hello", session_id=f"{value}.{'B' * len(mac)}")
        await victim.close()
        await attacker.close()
        return token, sender

    token, sender = run_async(attack())
    say_rest(rasa_server, sender, "my card is 4111 1111 1111 1111")
    user_texts = [m["text"] for m in history(rasa_server, token) if m["from"] == "user"]
    assert user_texts == ["hi", "tell me about the Galaxy S24"]


def test_socket_io_refuses_pages_of_other_origins(rasa_server):
    """Attack replay: a page on another site opening the socket (Origin checks were off)."""
    import socketio

    async def try_origin(origin):
        shopper = SocketShopper(rasa_server, origin=origin)
        try:
            await shopper.connect()
        except socketio.exceptions.ConnectionError:
            return False
        await shopper.close()
        return True

    own = rasa_server["url"]
    assert run_async(try_origin(own)) is True
    assert run_async(try_origin("http://evil.example")) is False
