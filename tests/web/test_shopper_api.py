"""The widget's HTTP API against the real ``rasa run`` (credentials.yml's web channel):
history from the tracker store, clearing it, feedback and consent, and input validation."""

import asyncio
import json
import urllib.error
import urllib.request
import uuid

import pytest

pytest.importorskip("rasa")


def call(method, url, payload=None, raw=None):
    """(status, JSON body) of one request; 4xx/5xx answers are returned, not raised."""
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as err:
        body = err.read()
        return err.code, json.loads(body) if body.startswith(b"{") else body.decode(errors="replace")


def new_id(prefix):
    return f"{prefix}-{uuid.uuid4().hex}"


def say(server, sender, text):
    return call("POST", f"{server['url']}/webhooks/rest/webhook", {"sender": sender, "message": text})[1]


def test_history_has_the_conversation_in_order_and_delete_clears_it(rasa_server):
    sender = new_id("api")
    say(rasa_server, sender, "hi")
    say(rasa_server, sender, "tell me about the Galaxy S24")
    status, body = call("GET", f"{rasa_server['url']}/web/api/history/{sender}")
    assert status == 200
    messages = body["messages"]
    assert [m["from"] for m in messages][:2] == ["user", "bot"]
    assert [m["text"] for m in messages if m["from"] == "user"] == ["hi", "tell me about the Galaxy S24"]
    assert all(isinstance(m["timestamp"], float) for m in messages)
    assert [m["timestamp"] for m in messages] == sorted(m["timestamp"] for m in messages)
    cards = [m["custom"] for m in messages if m.get("custom")]
    assert cards and cards[-1]["type"] == "product_cards"
    assert "Galaxy S24" in cards[-1]["products"][0]["name"]

    status, body = call("DELETE", f"{rasa_server['url']}/web/api/history/{sender}")
    assert status == 200 and body["cleared"] is True
    assert call("GET", f"{rasa_server['url']}/web/api/history/{sender}")[1]["messages"] == []


def test_history_of_an_unknown_conversation_is_empty_and_bad_ids_are_rejected(rasa_server):
    status, body = call("GET", f"{rasa_server['url']}/web/api/history/{new_id('nobody')}")
    assert status == 200 and body["messages"] == []
    for bad in ("short", "has%20space", "x" * 129, "semi%3Bcolon"):
        status, body = call("GET", f"{rasa_server['url']}/web/api/history/{bad}")
        assert status == 400 and body == {"error": "invalid sender_id"}


def test_feedback_is_stored_changed_and_validated(rasa_server):
    sender = new_id("fb")
    say(rasa_server, sender, "hi")
    history = call("GET", f"{rasa_server['url']}/web/api/history/{sender}")[1]["messages"]
    turn = next(m["timestamp"] for m in history if m["from"] == "bot")
    url = f"{rasa_server['url']}/web/api/feedback"
    assert call("POST", url, {"sender_id": sender, "turn": turn, "value": "up"})[0] == 200
    status, body = call("POST", url, {"sender_id": sender, "turn": turn, "value": "down"})
    assert status == 200 and body["value"] == "down"
    history = call("GET", f"{rasa_server['url']}/web/api/history/{sender}")[1]["messages"]
    assert [m.get("feedback") for m in history if m["from"] == "bot"][0] == "down"

    bad = [
        {"sender_id": sender, "turn": turn, "value": "meh"},
        {"sender_id": "no", "turn": turn, "value": "up"},
        {"sender_id": sender, "turn": "yesterday", "value": "up"},
        {"sender_id": sender, "value": "up"},
        ["not", "an", "object"],
    ]
    for payload in bad:
        status, body = call("POST", url, payload)
        assert status == 400 and set(body) == {"error"}, payload
    status, body = call("POST", url, raw=b"{broken json")
    assert status == 400 and "Traceback" not in json.dumps(body)


def test_consent_round_trip(rasa_server):
    shopper = new_id("shopper")
    url = f"{rasa_server['url']}/web/api/consent"
    status, body = call("GET", f"{url}/{shopper}")
    assert status == 200 and body["personalization"] is False and body["updated_at"] is None
    assert call("POST", url, {"shopper_id": shopper, "personalization": True})[0] == 200
    assert call("GET", f"{url}/{shopper}")[1]["personalization"] is True
    assert call("POST", url, {"shopper_id": shopper, "personalization": False})[0] == 200
    assert call("GET", f"{url}/{shopper}")[1]["personalization"] is False
    assert call("POST", url, {"shopper_id": shopper, "personalization": "yes"})[0] == 400
    assert call("POST", url, {"shopper_id": "bad id!", "personalization": True})[0] == 400


def test_product_card_clicks_are_counted_for_the_analytics(rasa_server):
    from bot.web.store import WebStore

    store = WebStore(rasa_server["env"]["SHOPBOT_DATABASE_URL"])
    before = store.click_count()
    url = f"{rasa_server['url']}/web/api/click"
    assert call("POST", url, {"sender_id": new_id("clicker"), "product_id": "SKU-10001"})[0] == 200
    assert call("POST", url, {"sender_id": new_id("clicker"), "product_id": "<script>"})[0] == 400
    assert call("POST", url, {"sender_id": "bad id!", "product_id": "SKU-10001"})[0] == 400
    assert store.click_count() == before + 1


def test_socketio_sends_one_event_per_bot_message_with_cards_and_turn_id(rasa_server):
    """The web channel keeps Rasa's protocol but sends the custom payload intact."""
    import socketio

    async def talk():
        client = socketio.AsyncClient()
        replies, got = [], asyncio.Event()
        session_id = new_id("sio")

        @client.on("bot_uttered")
        async def on_bot(data):
            replies.append(data)
            if data.get("custom"):
                got.set()

        await client.connect(rasa_server["url"], socketio_path="/socket.io", transports=["websocket"])
        await client.emit("session_request", {"session_id": session_id})
        await client.emit("user_uttered", {"message": "tell me about the Galaxy S24", "session_id": session_id,
                                           "customData": {"shopper_id": "shopper-test-1"}})
        await asyncio.wait_for(got.wait(), 90)
        await client.disconnect()
        return session_id, replies

    session_id, replies = asyncio.run(talk())
    card_message = next(r for r in replies if r.get("custom"))
    assert card_message["text"] and card_message["custom"]["type"] == "product_cards"
    assert card_message["from"] == "bot" and isinstance(card_message["timestamp"], float)
    history = call("GET", f"{rasa_server['url']}/web/api/history/{session_id}")[1]["messages"]
    assert card_message["timestamp"] in [m["timestamp"] for m in history]


def test_demo_shop_page_and_widget_files_are_served(rasa_server):
    with urllib.request.urlopen(f"{rasa_server['url']}/shop/", timeout=30) as page:
        html = page.read().decode()
    assert "/web/static/widget.js" in html and "/web/static/vendor/socket.io.min.js" in html
    for path in ("widget.js", "widget.css", "vendor/socket.io.min.js"):
        with urllib.request.urlopen(f"{rasa_server['url']}/web/static/{path}", timeout=30) as answer:
            assert answer.status == 200


def test_channel_pushes_an_agent_message_to_the_conversation_sockets():
    """What the staff console relies on: the channel knows which sockets show a conversation."""
    from bot.web import registry
    from bot.web.channel import ShopSocketIOInput

    class RecordingServer:
        def __init__(self):
            self.emitted = []

        async def emit(self, event, data=None, room=None, namespace=None):
            self.emitted.append((event, data, room))

    channel = ShopSocketIOInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})
    channel.blueprint(lambda message: None)
    assert registry.get_channel() is channel
    channel.sio = RecordingServer()
    channel._track("sid-1", "conversation-1")
    assert channel.is_online("conversation-1")
    reached = asyncio.run(channel.push_agent_message("conversation-1", "I'm Ann, how can I help?", "Ann"))
    assert reached == 1
    assert channel.sio.emitted == [("bot_uttered", {"text": "I'm Ann, how can I help?", "from": "agent", "agent": "Ann"},
                                    "conversation-1")]
    channel._forget("sid-1")
    assert not channel.is_online("conversation-1")
