"""The real Rasa server, as scripts/run.sh starts it: REST and socket.io channels,
the SQLite tracker store of endpoints.yml, and the real action server."""

import asyncio
import json
import urllib.request
import uuid

import pytest

from tests.nlu.conftest import BAD_INPUTS


def post(url, payload):
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    return json.load(urllib.request.urlopen(request, timeout=120))


def test_rest_channel_talks_and_keeps_the_conversation(rasa_server):
    sender = f"rest-{uuid.uuid4()}"
    replies = post(f"{rasa_server['url']}/webhooks/rest/webhook", {"sender": sender, "message": "hello!"})
    assert replies and "assistant" in replies[0]["text"].lower()
    replies = post(f"{rasa_server['url']}/webhooks/rest/webhook",
                   {"sender": sender, "message": "are you a real person?"})
    assert any("automated" in (r.get("text") or "").lower() for r in replies)
    tracker = json.load(urllib.request.urlopen(
        f"{rasa_server['url']}/conversations/{sender}/tracker", timeout=30))
    user_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert [e["parse_data"]["intent"]["name"] for e in user_events] == ["greet", "bot_challenge"]
    assert user_events[0]["parse_data"]["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert rasa_server["db"].exists()


@pytest.mark.parametrize("text", BAD_INPUTS, ids=lambda t: repr(t[:20]))
def test_rest_channel_answers_bad_input(rasa_server, text):
    replies = post(f"{rasa_server['url']}/webhooks/rest/webhook",
                   {"sender": f"bad-{uuid.uuid4()}", "message": text})
    assert replies, f"no reply to {text[:30]!r}"
    for reply in replies:
        assert reply.get("text") or reply.get("buttons") or reply.get("custom")
        assert "Traceback" not in json.dumps(reply)


def test_parse_api_reports_sentiment(rasa_server):
    result = post(f"{rasa_server['url']}/model/parse", {"text": "my order is late again, I'm fed up"})
    assert result["sentiment"]["label"] == "negative"
    assert result["intent"]["name"] in {"complaint", "order_status"}


def test_socketio_channel_with_session_persistence(rasa_server):
    """The widget's protocol: session_request/confirm, then user_uttered -> bot_uttered."""
    import socketio

    async def talk():
        client = socketio.AsyncClient()
        confirmed = asyncio.Event()
        replies = []
        got_reply = asyncio.Event()
        session_id = f"sio-{uuid.uuid4()}"

        @client.on("session_confirm")
        async def on_confirm(data):
            confirmed.set()

        @client.on("bot_uttered")
        async def on_bot(data):
            replies.append(data)
            got_reply.set()

        await client.connect(rasa_server["url"], socketio_path="/socket.io", transports=["websocket"])
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        await client.emit("user_uttered", {"message": "hi there", "session_id": session_id,
                                           "customData": {"language": "en"}})
        await asyncio.wait_for(got_reply.wait(), 60)
        await client.disconnect()
        return replies

    replies = asyncio.run(talk())
    assert replies and replies[0]["text"]
