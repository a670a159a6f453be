"""The real Rasa server, as scripts/run.sh starts it: REST and socket.io channels,
the SQLite tracker store of endpoints.yml, and the real action server; Rasa's API
behind its token, the action server behind its secret, both on loopback only."""

import asyncio
import json
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import rasa_api
from tests.nlu.conftest import BAD_INPUTS
from tests.web.chat import rest_conversation_id


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
    # the REST sender string maps to its own conversation id (bot/web/sessions.py)
    status, tracker = rasa_api(rasa_server, f"/conversations/{rest_conversation_id(rasa_server, sender)}/tracker")
    assert status == 200
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
    status, result = rasa_api(rasa_server, "/model/parse", {"text": "my order is late again, I'm fed up"})
    assert status == 200
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
        asked_for = f"sio-{uuid.uuid4()}"
        session = {}

        @client.on("session_confirm")
        async def on_confirm(data):
            session["token"] = data
            confirmed.set()

        @client.on("bot_uttered")
        async def on_bot(data):
            replies.append(data)
            got_reply.set()

        await client.connect(rasa_server["url"], socketio_path="/socket.io", transports=["websocket"])
        await client.emit("session_request", {"session_id": asked_for})
        await asyncio.wait_for(confirmed.wait(), 30)
        # a client never chooses its session: the server confirms one it signed
        assert session["token"] != asked_for and "." in session["token"]
        await client.emit("user_uttered", {"message": "hi there", "session_id": session["token"],
                                           "customData": {"language": "en"}})
        await asyncio.wait_for(got_reply.wait(), 60)
        await client.disconnect()
        return replies

    replies = asyncio.run(talk())
    assert replies and replies[0]["text"]


# -- Rasa's HTTP API only with the token -------------------------------------------------

def test_rasa_api_refuses_callers_without_the_token(rasa_server):
    """The attacks of an open API: read a tracker, add events, pause a conversation,
    replace or unload the model. Each is refused without the token or with a wrong one."""
    victim = f"victim-{uuid.uuid4()}"
    post(f"{rasa_server['url']}/webhooks/rest/webhook", {"sender": victim, "message": "hello!"})
    sender = rest_conversation_id(rasa_server, victim)
    attacks = [
        ("GET", f"/conversations/{sender}/tracker", None),
        ("POST", f"/conversations/{sender}/tracker/events", {"event": "pause"}),
        ("POST", f"/conversations/{sender}/tracker/events",
         {"event": "bot", "text": "Your refund is approved, send your card number"}),
        ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
        ("DELETE", "/model", None),
        ("POST", "/model/parse", {"text": "hi"}),
        ("GET", "/status", None),
    ]
    for method, path, body in attacks:
        for token in ("", "wrong-token"):
            status, _ = rasa_api(rasa_server, path, body, method=method, token=token, timeout=60)
            assert status == 401, f"{method} {path} with token {token!r} answered {status}"
    # nothing happened: the conversation is not paused, has no forged message, the model is loaded
    status, tracker = rasa_api(rasa_server, f"/conversations/{sender}/tracker")
    assert status == 200 and tracker["paused"] is False
    assert not any("refund" in (e.get("text") or "") for e in tracker["events"])
    assert post(f"{rasa_server['url']}/webhooks/rest/webhook", {"sender": victim, "message": "hi"})


def test_rasa_api_works_with_the_token(rasa_server):
    sender = f"api-{uuid.uuid4()}"
    status, body = rasa_api(rasa_server, "/status")
    assert status == 200 and body["model_file"]
    status, _ = rasa_api(rasa_server, f"/conversations/{sender}/tracker/events",
                         {"event": "slot", "name": "email", "value": None})
    assert status == 200
    status, tracker = rasa_api(rasa_server, f"/conversations/{sender}/tracker")
    assert status == 200 and tracker["sender_id"] == sender
    # PUT and DELETE /model with the token: tests/test_faults.py (on its own server)


def test_rasa_api_sends_no_cors_headers_to_other_sites(rasa_server):
    """SHOPBOT_ALLOWED_ORIGINS is unset: same origin only, so a page on another site
    cannot read the API's or the channels' answers from a shopper's browser."""
    for path in ("/webhooks/rest/webhook", "/status", "/"):
        request = urllib.request.Request(f"{rasa_server['url']}{path}", method="OPTIONS",
                                         headers={"Origin": "https://evil.example",
                                                  "Access-Control-Request-Method": "POST"})
        try:
            answer = urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            answer = error
        assert "Access-Control-Allow-Origin" not in answer.headers, path


# -- the action server only for Rasa -----------------------------------------------------

def handoff_call(sender_id):
    """What Rasa posts to run ``action_human_handoff``: enough to file a ticket."""
    return {
        "next_action": "action_human_handoff", "sender_id": sender_id, "version": "3.6.21",
        "tracker": {"sender_id": sender_id, "slots": {}, "events": [], "paused": False,
                    "latest_message": {"text": "I want a person", "intent": {"name": "human_handoff"}},
                    "followup_action": None, "active_loop": {}, "latest_action_name": None},
        "domain": {},
    }


def call_webhook(url, payload, headers=None):
    request = urllib.request.Request(f"{url}/webhook", data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def ticket_count(shop_env):
    database = shop_env["SHOPBOT_DATABASE_URL"].replace("sqlite:///", "", 1)
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]


def test_action_server_refuses_calls_without_the_secret(action_server, shop_env):
    """A direct /webhook post (skipping Rasa and its limits) filing tickets for any
    conversation: refused without the secret and with a wrong one; nothing is filed."""
    before = ticket_count(shop_env)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": action_server.secret},
                    {"Authorization": f"Basic {action_server.secret}"}):
        status, body = call_webhook(action_server, handoff_call(f"victim-{uuid.uuid4()}"), headers)
        assert status == 401 and body == {"error": "unauthorized"}, headers
    request = urllib.request.Request(f"{action_server}/actions")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    assert ticket_count(shop_env) == before
    # the same call with the secret (as Rasa sends it) is served
    status, body = call_webhook(action_server, handoff_call(f"real-{uuid.uuid4()}"), action_server.headers)
    assert status == 200 and body["responses"]
    assert ticket_count(shop_env) == before + 1


def test_action_server_errors_reveal_nothing(action_server):
    """rasa-sdk's stock error handler echoes the exception and the request body."""
    payload = handoff_call(f"x-{uuid.uuid4()}")
    payload["tracker"] = "not a tracker: card 4111 1111 1111 1111"
    status, body = call_webhook(action_server, payload, action_server.headers)
    assert status >= 400
    assert "4111" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def listening_addresses(port):
    """The local addresses sockets LISTEN on for ``port`` (Linux /proc/net/tcp{,6})."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        table = Path(f"/proc/net/{name}")
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A = LISTEN
                continue
            if width == 8:
                found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
            else:
                found.add("::1" if address == "0" * 24 + "01000000" else
                          "::" if address == "0" * 32 else address)
    return found


def test_servers_listen_on_loopback_only(rasa_server, action_server):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("reads the listening sockets from Linux's /proc/net/tcp")
    assert listening_addresses(rasa_server["port"]) == {"127.0.0.1"}
    assert listening_addresses(int(action_server.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_readiness_endpoint_when_the_channel_mounts_it(rasa_server):
    """/web/api/ready (bot.web.health, mounted by the web channel): ready, without a token."""
    try:
        answer = urllib.request.urlopen(f"{rasa_server['url']}/web/api/ready", timeout=30)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            pytest.skip("the web channel does not mount bot.web.health.add_health_routes yet")
        raise
    assert json.load(answer) == {"ready": True, "model": "loaded", "actions": "ready"}
