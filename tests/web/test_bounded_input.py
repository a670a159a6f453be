"""Bounded input: however long a message, it is cut before NLU, the shopper is told, and
nobody else waits for it (a regex that was quadratic once stalled every shopper)."""

import statistics
import threading
import time
import uuid

import pytest

from tests.web.chat import run_async, SocketShopper, call, say_rest

pytest.importorskip("rasa")

MB = 1_000_000


def timed_reply(server, sender, text="hi"):
    start = time.perf_counter()
    replies = say_rest(server, sender, text)
    return time.perf_counter() - start, replies


def test_a_huge_rest_message_is_cut_and_the_shopper_is_told(rasa_server):
    replies = say_rest(rasa_server, f"huge-{uuid.uuid4().hex}", "where is my order " + "a" * MB)
    texts = [r.get("text", "") for r in replies]
    assert "read only the first 2,000" in texts[0]
    assert len(texts) >= 2 and all("Traceback" not in t for t in texts)


def test_a_body_over_the_request_limit_is_refused_before_it_is_read(rasa_server):
    status, _ = call("POST", f"{rasa_server['url']}/webhooks/rest/webhook",
                     raw=b'{"sender": "big", "message": "' + b"a" * (3 * 1024 * 1024) + b'"}')
    assert status == 413


def test_a_huge_socket_message_is_cut_and_the_shopper_is_told(rasa_server):
    async def talk():
        shopper = SocketShopper(rasa_server)
        await shopper.connect()
        replies = await shopper.say("x" * MB)
        await shopper.close()
        return replies

    replies = run_async(talk())
    assert "read only the first 2,000" in replies[0]["text"]


def test_a_one_megabyte_message_does_not_delay_another_shopper(rasa_server):
    """Another shopper's reply is not delayed by more than 200 ms while a 1 MB message
    (the pathological kind: one long word, where an unbounded e-mail regex went quadratic)
    is being handled. Medians of several rounds, each side by side with a baseline."""
    other = f"other-{uuid.uuid4().hex}"
    timed_reply(rasa_server, other)  # warm
    baseline, loaded = [], []
    for round_ in range(5):
        baseline.append(timed_reply(rasa_server, other)[0])
        attacker = threading.Thread(target=say_rest, args=(rasa_server, f"atk-{round_}-{uuid.uuid4().hex}",
                                                           "a" * MB))
        attacker.start()
        time.sleep(0.05)  # the huge message is in flight
        loaded.append(timed_reply(rasa_server, other)[0])
        attacker.join(60)
    delay = statistics.median(loaded) - statistics.median(baseline)
    assert delay < 0.2, f"median {statistics.median(loaded):.3f}s under a 1 MB message vs {statistics.median(baseline):.3f}s"


def test_payloads_may_set_only_the_entities_of_our_buttons(rasa_server):
    """Attack replay: /inform{"email": ...} used to set the email slot of a conversation."""
    from tests.web.chat import rest_conversation_id

    sender = f"payload-{uuid.uuid4().hex}"
    say_rest(rasa_server, sender, '/inform{"email": "someone.else@example.com", "verified_order": "ORD-100345"}')
    token = rasa_server.get("token")
    url = f"{rasa_server['url']}/conversations/{rest_conversation_id(rasa_server, sender)}/tracker"
    status, tracker = call("GET", url + (f"?token={token}" if token else ""))
    assert status == 200
    entities = tracker["latest_message"]["entities"]
    assert entities == []
    assert tracker["slots"].get("email") is None and tracker["slots"].get("verified_order") is None
