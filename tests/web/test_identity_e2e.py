"""Signed shopper identity through the real servers (``rasa run`` as run.sh starts it, with
``SHOPBOT_DEMO=1``, and the real action server): a valid token over REST or socket.io puts
the customer's id into the stored user event's ``metadata.shopbot``; a bad token is an
anonymous shopper who is answered as usual; the token itself is stored nowhere (the tracker
API, the tracker database, the server's log). And the demo shop's "Sign in as" picker in
a real browser."""

import json
import re
import sqlite3
import time
import uuid

import pytest

from tests.conftest import rasa_api
from tests.web import chat

pytest.importorskip("rasa")

from bot.identity.tokens import mint  # noqa: E402

TIMEOUT = 90_000


def shop_customer_ids(server):
    """``{email: id}`` from the shop database the servers use (read with sqlite3)."""
    path = server["env"]["SHOPBOT_DATABASE_URL"].replace("sqlite:///", "", 1)
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT email, id FROM customers"))


def server_token(server, customer_id, **kwargs):
    """A token signed with the server's identity secret, as the shop's site would mint it."""
    with chat.server_secrets(server):
        return mint(customer_id, **kwargs)


def tracker_of(server, conversation):
    status, tracker = rasa_api(server, f"/conversations/{conversation}/tracker")
    assert status == 200, tracker
    return tracker


def user_events(tracker):
    return [event for event in tracker["events"] if event.get("event") == "user"]


def stored_rows(server, conversation):
    with sqlite3.connect(server["db"]) as db:
        return [data for (data,) in db.execute("SELECT data FROM events WHERE sender_id = ?", (conversation,))]


def assert_token_nowhere(server, conversation, token):
    """Neither the whole token nor its claims or signature: in the tracker, the database, the log."""
    pieces = [token] + [part for part in token.split(".")[1:] if part]
    tracker = json.dumps(tracker_of(server, conversation))
    rows = json.dumps(stored_rows(server, conversation))
    log = server["log"].read_text(errors="replace")
    for where, text in (("tracker", tracker), ("events table", rows), ("server log", log)):
        assert not any(piece in text for piece in pieces), f"the identity token is in the {where}"
    assert '"identity"' not in tracker


def test_a_rest_shopper_with_a_valid_token_is_known_and_the_token_is_not_stored(rasa_server):
    jane = shop_customer_ids(rasa_server)["jane.doe@example.com"]
    token = server_token(rasa_server, jane)
    sender = f"identity-{uuid.uuid4().hex[:8]}"
    replies = chat.say_rest(rasa_server, sender, "hi", metadata={"identity": token})
    assert replies and any(reply.get("text") for reply in replies)
    conversation = chat.rest_conversation_id(rasa_server, sender)
    tracker = tracker_of(rasa_server, conversation)
    stamp = user_events(tracker)[-1]["metadata"]["shopbot"]
    assert stamp["customer_id"] == jane and stamp["channel"] == "rest"
    assert any(f'"customer_id": {jane}' in row for row in stored_rows(rasa_server, conversation))
    # every message says who it is from: one without a token is anonymous
    chat.say_rest(rasa_server, sender, "thanks")
    assert "customer_id" not in user_events(tracker_of(rasa_server, conversation))[-1]["metadata"]["shopbot"]
    assert_token_nowhere(rasa_server, conversation, token)


@pytest.mark.parametrize("kind", ["expired", "forged", "unsigned"])
def test_a_bad_token_is_an_anonymous_shopper_answered_as_usual(rasa_server, kind):
    jane = shop_customer_ids(rasa_server)["jane.doe@example.com"]
    good = server_token(rasa_server, jane)
    header, claims, _ = good.split(".")
    token = {
        "expired": lambda: server_token(rasa_server, jane, ttl_seconds=60, now=time.time() - 3600),
        "forged": lambda: mint(jane, secret="an attacker's guess at the secret"),
        "unsigned": lambda: f"{header}.{claims}.",
    }[kind]()
    sender = f"anonymous-{uuid.uuid4().hex[:8]}"
    replies = chat.say_rest(rasa_server, sender, "do you ship to Canada?", metadata={"identity": token})
    assert replies and any(reply.get("text") for reply in replies)
    assert not any("error" in json.dumps(reply).lower() for reply in replies)
    conversation = chat.rest_conversation_id(rasa_server, sender)
    stamp = user_events(tracker_of(rasa_server, conversation))[-1]["metadata"]["shopbot"]
    assert "customer_id" not in stamp and stamp["channel"] == "rest"
    assert_token_nowhere(rasa_server, conversation, token)


def test_a_socket_shopper_with_a_valid_token_is_known(rasa_server):
    sam = shop_customer_ids(rasa_server)["sam.lee@example.com"]
    token = server_token(rasa_server, sam)

    async def talk():
        shopper = chat.SocketShopper(rasa_server)
        session = await shopper.connect()
        replies = await shopper.say("hi", custom={"identity": token})
        await shopper.close()
        return session, replies

    session, replies = chat.run_async(talk())
    assert replies
    conversation = chat.conversation_id(rasa_server, session)
    stamp = user_events(tracker_of(rasa_server, conversation))[-1]["metadata"]["shopbot"]
    assert stamp["customer_id"] == sam and stamp["channel"] == "socketio"
    assert_token_nowhere(rasa_server, conversation, token)


def test_the_demo_sign_in_mints_tokens_the_server_accepts(rasa_server):
    url = rasa_server["url"]
    status, body = chat.call("GET", f"{url}/web/api/demo/customers")
    assert status == 200 and len(body["customers"]) == 25
    assert {"name": "Jane Doe", "email": "jane.doe@example.com"} in body["customers"]
    status, signed = chat.call("POST", f"{url}/web/api/demo/sign-in", {"email": "maria.garcia@example.com"})
    assert status == 200 and signed["name"] == "Maria Garcia"
    sender = f"demo-{uuid.uuid4().hex[:8]}"
    chat.say_rest(rasa_server, sender, "hi", metadata={"identity": signed["identity"]})
    conversation = chat.rest_conversation_id(rasa_server, sender)
    stamp = user_events(tracker_of(rasa_server, conversation))[-1]["metadata"]["shopbot"]
    assert stamp["customer_id"] == shop_customer_ids(rasa_server)["maria.garcia@example.com"]
    assert_token_nowhere(rasa_server, conversation, signed["identity"])


# -- the demo shop page in a real browser -------------------------------------------------------

def wait_for(condition, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


def test_the_demo_shop_signs_in_and_out_with_the_picker(browser, rasa_server, screenshot):
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import expect

    ids = shop_customer_ids(rasa_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{rasa_server['url']}/shop/")
    picker = page.get_by_label("Sign in as")
    expect(picker).to_be_visible()
    assert picker.locator("option").count() == 25
    screenshot(page, "demo-sign-in-picker")
    picker.select_option("jane.doe@example.com")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Signed in as Jane Doe")).to_be_visible()
    token = page.evaluate("window.ShopbotWidget.identity()")
    assert token and page.evaluate("window.sessionStorage.getItem('shopbot.identity')") == token
    assert page.evaluate("window.localStorage.getItem('shopbot.identity')") is None  # gone with the tab

    page.get_by_role("button", name=re.compile("Open chat")).click()
    box = page.get_by_label("Your message")
    box.fill("hi")
    box.press("Enter")
    expect(page.locator(".sb-bot .sb-text").first).not_to_be_empty(timeout=TIMEOUT)
    session = page.evaluate("window.ShopbotWidget.sessionToken()")
    conversation = chat.conversation_id(rasa_server, session)
    stamp = wait_for(lambda: (user_events(tracker_of(rasa_server, conversation)) or [{}])[-1].get("metadata"))
    assert stamp["shopbot"]["customer_id"] == ids["jane.doe@example.com"]
    screenshot(page, "demo-signed-in")

    # a reload keeps the shopper signed in (this tab)
    page.reload()
    expect(page.get_by_text("Signed in as Jane Doe")).to_be_visible()
    assert page.evaluate("window.ShopbotWidget.identity()") == token

    # signing out drops the token and starts a conversation of its own
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Sign in as")).to_be_visible()
    assert page.evaluate("window.ShopbotWidget.identity()") is None
    assert page.evaluate("window.sessionStorage.getItem('shopbot.identity')") is None
    assert wait_for(lambda: page.evaluate("window.ShopbotWidget.sessionToken()") not in (None, session))
    if not page.get_by_label("Your message").is_visible():
        page.get_by_role("button", name=re.compile("Open chat")).click()
    box = page.get_by_label("Your message")
    box.fill("hello again")
    box.press("Enter")
    expect(page.locator(".sb-bot .sb-text").first).not_to_be_empty(timeout=TIMEOUT)
    anonymous = chat.conversation_id(rasa_server, page.evaluate("window.ShopbotWidget.sessionToken()"))
    assert anonymous != conversation
    last = wait_for(lambda: (user_events(tracker_of(rasa_server, anonymous)) or [{}])[-1].get("metadata"))
    assert "customer_id" not in last["shopbot"]
    assert errors == []
    context.close()


def test_the_picker_fits_a_phone_screen(browser, rasa_server, screenshot):
    pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{rasa_server['url']}/shop/")
    expect(page.get_by_label("Sign in as")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "demo-sign-in-phone")
    context.close()
