"""The socket.io channel's bookkeeping, in process: which sockets show which conversation,
what an agent's message looks like to each kind of client, and that nothing is kept for a
socket once it is gone (memory must not grow with every socket)."""

import asyncio

import pytest

pytest.importorskip("rasa")


class RecordingServer:
    def __init__(self):
        self.emitted = []

    async def emit(self, event, data=None, room=None, namespace=None):
        self.emitted.append((event, data, room))


@pytest.fixture()
def channel():
    from bot.web import registry
    from bot.web.channel import ShopSocketIOInput

    channel = ShopSocketIOInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})
    channel.blueprint(lambda message: None)
    assert registry.get_channel() is channel
    channel.sio = RecordingServer()
    return channel


def test_an_agent_message_reaches_every_socket_of_the_conversation_in_its_shape(channel):
    channel._track("sid-widget", "conversation-1", extras=True)
    channel._track("sid-webchat", "conversation-1", extras=False)
    channel._track("sid-other", "conversation-2", extras=True)
    assert channel.is_online("conversation-1")
    reached = asyncio.run(channel.push_agent_message("conversation-1", "I'm Ann, how can I help?", "Ann"))
    assert reached == 2
    assert sorted(channel.sio.emitted, key=lambda e: e[2]) == [
        ("bot_uttered", {"text": "Ann (support team): I'm Ann, how can I help?"}, "sid-webchat"),
        ("bot_uttered", {"text": "I'm Ann, how can I help?", "from": "agent", "agent": "Ann"}, "sid-widget"),
    ]


def test_sockets_are_forgotten_when_they_leave_or_switch_conversation(channel):
    for n in range(200):
        channel._track(f"sid-{n}", f"conversation-{n % 7}", extras=n % 2 == 0)
    channel._track("sid-0", "conversation-new")  # a new session on the same socket
    assert "sid-0" not in {sid for sid, _ in channel.sockets_of("conversation-0")}
    for n in range(200):
        channel._forget(f"sid-{n}")
    assert channel.sids_by_sender == {} and channel.sender_by_sid == {} and channel.extras_sids == set()
    assert not channel.is_online("conversation-1")


def test_output_sends_rasas_shapes_to_other_clients_and_extras_to_the_widget(channel):
    from bot.web.channel import ShopSocketIOOutput

    channel._track("sid-widget", "c", extras=True)
    channel._track("sid-webchat", "c", extras=False)
    output = ShopSocketIOOutput(channel.sio, "bot_uttered", channel=channel)
    message = {"text": "Pick one", "buttons": [{"title": "A", "payload": "/a"}], "timestamp": 12.5,
               "custom": {"type": "product_cards", "products": []}}
    asyncio.run(output.send_response("c", dict(message)))
    assert output.sent == 1
    to_webchat = [data for _, data, sid in channel.sio.emitted if sid == "sid-webchat"]
    to_widget = [data for _, data, sid in channel.sio.emitted if sid == "sid-widget"]
    assert to_webchat == [{"text": "Pick one", "quick_replies": [{"content_type": "text", "title": "A", "payload": "/a"}]},
                          {"custom": {"type": "product_cards", "products": []}}]
    assert len(to_widget) == 1 and to_widget[0]["timestamp"] == 12.5 and to_widget[0]["from"] == "bot"
    assert to_widget[0]["custom"]["type"] == "product_cards"
