"""The shopper's rights through the real servers (``rasa run`` as run.sh starts it, and the
real action server over the seeded demo shop with its behaviour log).

A signed-in customer asks what is held and sees it after a yes; "delete my data", then
yes: their profile, behaviour events, review texts, stated preferences and conversation
moods are gone from the shop database and every conversation they had is gone from the
tracker store, this one included, while their orders and another customer's data stay
(all read from the tables directly). The export is a download link whose token is never
stored. Consent set in the chat is what the widget's API reads, and the other way round.
An anonymous shopper is told the truth and can clear the conversation.
"""

import json
import sqlite3
import time
import urllib.request
import uuid

import pytest

from tests.web import chat

pytest.importorskip("rasa")

from bot.identity.tokens import mint  # noqa: E402


def shop_path(server):
    return server["env"]["SHOPBOT_DATABASE_URL"].replace("sqlite:///", "", 1)


def shop_rows(server, sql, *args):
    with sqlite3.connect(shop_path(server)) as db:
        return db.execute(sql, args).fetchall()


def customer_id(server, email):
    return shop_rows(server, "SELECT id FROM customers WHERE email = ?", email)[0][0]


def identity(server, customer):
    with chat.server_secrets(server):
        return {"identity": mint(customer)}


def tracker_rows(server, conversation):
    with sqlite3.connect(server["db"]) as db:
        return [data for (data,) in db.execute("SELECT data FROM events WHERE sender_id = ?", (conversation,))]


def held(server, customer):
    """Rows of the customer in every table "delete my data" empties."""
    counts = {table: shop_rows(server, f"SELECT COUNT(*) FROM {table} WHERE customer_id = ?", customer)[0][0]
              for table in ("behaviour_events", "customer_profiles", "stated_preferences", "conversation_sentiment")}
    counts["review_texts"] = shop_rows(server, "SELECT COUNT(*) FROM behaviour_events WHERE customer_id = ? "
                                               "AND text IS NOT NULL", customer)[0][0]
    return counts


def reviewer(server):
    """A named demo customer (not used by the other tests here) who wrote reviews."""
    return shop_rows(server, "SELECT c.id FROM customers c JOIN behaviour_events e ON e.customer_id = c.id "
                             "WHERE e.kind = 'review' AND c.email IN (?, ?, ?) GROUP BY c.id "
                             "ORDER BY COUNT(*) DESC, c.id LIMIT 1",
                     "tom.becker@example.com", "ravi.sharma@example.com", "marcus.green@example.com")[0][0]


def texts(replies):
    return " ".join(r.get("text") or "" for r in replies)


def say(server, sender, text, who=None):
    return chat.say_rest(server, sender, text, metadata=identity(server, who) if who else None)


def new_sender(kind):
    return f"privacy-{kind}-{uuid.uuid4().hex[:8]}"


def test_a_signed_in_customer_sees_what_is_held_after_a_yes(rasa_server):
    maria = customer_id(rasa_server, "maria.garcia@example.com")
    sender = new_sender("see")
    asked = say(rasa_server, sender, "what do you know about me?", maria)
    assert "Shall I show it here?" in texts(asked)
    assert [b["payload"] for b in asked[-1]["buttons"]] == ["/affirm", "/deny"]
    summary = texts(say(rasa_server, sender, "/affirm", maria))
    assert summary.startswith("Here's what I hold about you:")
    assert "You shop most for" in summary and "Personalization is on" in summary


def test_delete_my_data_erases_the_customer_everywhere_but_orders(rasa_server):
    tom, sam = reviewer(rasa_server), customer_id(rasa_server, "sam.lee@example.com")
    # an earlier conversation of Tom's, and one of Sam's
    earlier, sams = new_sender("earlier"), new_sender("sam")
    say(rasa_server, earlier, "I like Brooks, under $150", tom)
    say(rasa_server, sams, "what do you know about me?", sam)
    earlier_id = chat.rest_conversation_id(rasa_server, earlier)
    sams_id = chat.rest_conversation_id(rasa_server, sams)
    assert tracker_rows(rasa_server, earlier_id) and tracker_rows(rasa_server, sams_id)
    before, sam_before = held(rasa_server, tom), held(rasa_server, sam)
    assert before["behaviour_events"] and before["review_texts"] and sam_before["behaviour_events"]
    orders = shop_rows(rasa_server, "SELECT COUNT(*) FROM orders WHERE customer_id = ?", tom)[0][0]

    sender = new_sender("delete")
    conversation = chat.rest_conversation_id(rasa_server, sender)
    asked = texts(say(rasa_server, sender, "delete my data", tom))
    assert "Delete it all?" in asked and "Your orders stay" in asked
    assert held(rasa_server, tom) == before  # nothing before the yes
    done = texts(say(rasa_server, sender, "yes", tom))
    assert done.startswith("Done. I've deleted:")
    assert f"{before['review_texts']} review" in done and "Your orders stay" in done

    # the shop database: nothing of Tom's but his orders; Sam untouched
    assert held(rasa_server, tom) == {name: 0 for name in before}
    assert shop_rows(rasa_server, "SELECT COUNT(*) FROM orders WHERE customer_id = ?", tom)[0][0] == orders
    assert held(rasa_server, sam) == sam_before
    # the tracker store: both of Tom's conversations are gone, this one included; Sam's stays
    assert tracker_rows(rasa_server, conversation) == [] and tracker_rows(rasa_server, earlier_id) == []
    assert tracker_rows(rasa_server, sams_id)
    [(done_at, result)] = shop_rows(rasa_server, "SELECT done_at, result FROM privacy_requests "
                                                 "WHERE conversation_id = ?", conversation)
    result = json.loads(result)
    assert done_at and result["conversations"] >= 2 and result["events"] > 0
    # the conversation carries on afresh
    assert say(rasa_server, sender, "hi", tom)


def test_delete_over_the_widget_socket_erases_after_the_reply(rasa_server):
    hannah = customer_id(rasa_server, "hannah.schmidt@example.com")
    token = identity(rasa_server, hannah)

    async def talk():
        shopper = chat.SocketShopper(rasa_server)
        session = await shopper.connect()
        asked = await shopper.say("erase everything about me", custom=token)
        done = await shopper.say("/affirm", custom=token)
        await shopper.close()
        return session, asked, done

    session, asked, done = chat.run_async(talk())
    assert "Delete it all?" in texts(asked) and texts(done).startswith("Done. I've deleted:")
    conversation = chat.conversation_id(rasa_server, session)
    deadline = time.time() + 15
    while tracker_rows(rasa_server, conversation) and time.time() < deadline:
        time.sleep(0.2)
    assert tracker_rows(rasa_server, conversation) == []
    assert chat.history(rasa_server, session) == []
    assert held(rasa_server, hannah)["behaviour_events"] == 0


def test_the_export_is_a_download_link_whose_token_is_never_stored(rasa_server):
    priya = customer_id(rasa_server, "priya.patel@example.com")
    sender = new_sender("export")
    assert "Shall I prepare it?" in texts(say(rasa_server, sender, "download my data", priya))
    replies = say(rasa_server, sender, "/affirm", priya)  # REST: the text, and the custom payload apart
    custom = next(r["custom"] for r in replies if r.get("custom"))
    assert custom["type"] == "download" and custom["path"] in texts(replies)
    status, data = chat.call("GET", rasa_server["url"] + custom["path"])
    assert status == 200 and data["customer"]["email"] == "priya.patel@example.com"
    assert data["behaviour_events"] and data["orders"] and "Orders are kept" in data["orders_note"]
    with urllib.request.urlopen(rasa_server["url"] + custom["path"], timeout=60) as answer:
        assert answer.headers["Content-Disposition"].startswith('attachment; filename="my-data-')
        assert answer.headers["Cache-Control"] == "no-store"
    token = custom["path"].split("token=", 1)[1]
    stored = json.dumps(tracker_rows(rasa_server, chat.rest_conversation_id(rasa_server, sender)))
    assert token not in stored and "token=[expired]" in stored
    assert "priya.patel@example.com" not in stored  # the JSON never went into a message
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert chat.call("GET", f"{rasa_server['url']}/web/api/privacy/export?token={forged}")[0] == 404


def test_the_export_link_reaches_the_widget_as_a_link_and_other_clients_as_text(rasa_server):
    alex = customer_id(rasa_server, "alex.kim@example.com")
    token = identity(rasa_server, alex)

    async def talk(widget):
        shopper = chat.SocketShopper(rasa_server, widget=widget)
        await shopper.connect()
        await shopper.say("send me a copy of my data", custom=token)
        replies = await shopper.say("/affirm", custom=token)
        await shopper.close()
        return replies

    widget = chat.run_async(talk(True))
    assert widget[0]["custom"]["type"] == "download" and "/web/api/privacy/export?token=" in widget[0]["text"]
    other = chat.run_async(talk(False))
    assert all("custom" not in message for message in other)  # Rasa's shapes: the text with the link
    assert "/web/api/privacy/export?token=" in texts(other)


def test_consent_in_the_chat_and_the_widget_switch_are_one_flag(rasa_server):
    olivia = customer_id(rasa_server, "olivia.brown@example.com")
    token = identity(rasa_server, olivia)["identity"]
    headers = {"X-Identity-Token": token}
    url = f"{rasa_server['url']}/web/api/consent"
    sender = new_sender("consent")
    assert "stopped personalizing" in texts(say(rasa_server, sender, "stop personalizing", olivia))
    status, body = chat.call("GET", url, headers=headers)
    assert status == 200 and body["personalization"] is False
    assert (body["source"], body["scope"]) == ("chat", "customer")
    # the switch, then the chat reads it
    status, body = chat.call("POST", url, {"personalization": True}, headers=headers)
    assert status == 200 and (body["personalization"], body["source"]) == (True, "widget")
    assert shop_rows(rasa_server, "SELECT personalization, source FROM customer_consent WHERE customer_id = ?",
                     olivia) == [(1, "widget")]
    say(rasa_server, sender, "what do you know about me?", olivia)
    assert "Personalization is on (as you chose on" in texts(say(rasa_server, sender, "/affirm", olivia))
    # a forged identity is an anonymous shopper: without a shopper token, 401
    forged = {"X-Identity-Token": mint(olivia, secret="someone else's key")}
    assert chat.call("GET", url, headers=forged)[0] == 401
    assert chat.call("POST", url, {"personalization": False}, headers=forged)[0] == 401
    assert chat.call("GET", url, headers=headers)[1]["personalization"] is True


def test_offers_in_the_chat_and_the_widget_switch_are_one_flag_apart_from_personalization(rasa_server):
    sam = customer_id(rasa_server, "sam.lee@example.com")  # not one of the demo's newsletter subscribers
    headers = {"X-Identity-Token": identity(rasa_server, sam)["identity"]}
    url = f"{rasa_server['url']}/web/api/consent"
    status, body = chat.call("GET", url, headers=headers)
    assert status == 200 and body["marketing"] is False  # never chose: offers are opt-in
    status, body = chat.call("POST", url, {"marketing": True}, headers=headers)  # the Offers switch
    assert status == 200 and (body["marketing"], body["marketing_detail"]["source"]) == (True, "widget")
    sender = new_sender("offers")
    said = texts(say(rasa_server, sender, "stop sending me offers", sam))
    assert "no more offers" in said and "Personalization stays" in said
    assert shop_rows(rasa_server, "SELECT marketing, source FROM customer_marketing_consent WHERE customer_id = ?",
                     sam) == [(0, "chat")]
    status, body = chat.call("GET", url, headers=headers)
    assert body["marketing"] is False and body["marketing_detail"]["source"] == "chat"
    say(rasa_server, sender, "what do you know about me?", sam)
    assert "Offers (promotions in the chat and by e-mail) are off (as you chose on" in texts(
        say(rasa_server, sender, "/affirm", sam))
    # anonymous: nothing to stop, nothing written
    assert "nothing to stop" in texts(say(rasa_server, new_sender("offers-anon"), "stop sending me offers"))


def test_an_anonymous_shopper_is_told_the_truth_and_can_clear_the_conversation(rasa_server):
    sender = new_sender("anonymous")
    conversation = chat.rest_conversation_id(rasa_server, sender)
    asked = texts(say(rasa_server, sender, "what do you know about me?"))
    assert "You're not signed in" in asked and "Shall I clear this conversation now?" in asked
    assert tracker_rows(rasa_server, conversation)
    done = texts(say(rasa_server, sender, "yes"))
    assert done.startswith("Done: this conversation is deleted")
    assert tracker_rows(rasa_server, conversation) == []


# -- the widget in a real browser ----------------------------------------------------------------

def test_the_widget_follows_the_chat_and_downloads_the_export(browser, rasa_server, screenshot):
    """Signed in: the switch shows the account's flag, follows "stop personalizing" said in the
    chat, writes the same flag when clicked; the export is a download button, and after a
    reload the stored message's link is expired, not a live token."""
    pytest.importorskip("playwright.sync_api")
    import re

    from playwright.sync_api import expect

    grace = customer_id(rasa_server, "grace.oneill@example.com")
    token = identity(rasa_server, grace)["identity"]
    timeout = 90_000
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{rasa_server['url']}/shop/")
    page.get_by_role("button", name=re.compile("Open chat")).click()
    assert page.evaluate("(t) => window.ShopbotWidget.signIn(t)", token)
    switch = page.get_by_role("switch", name="Personalize")
    expect(switch).to_be_checked(timeout=timeout)  # the shop's default for her account: on

    def send(text):
        before = page.locator(".sb-bot").count()
        page.get_by_label("Your message").fill(text)
        page.get_by_label("Your message").press("Enter")
        expect(page.locator(".sb-bot")).not_to_have_count(before, timeout=timeout)
        expect(page.locator(".sb-typing")).to_be_hidden(timeout=timeout)

    send("stop personalizing")
    expect(switch).not_to_be_checked(timeout=timeout)
    switch.check()
    url = f"{rasa_server['url']}/web/api/consent"
    deadline = time.time() + 20
    while time.time() < deadline and not chat.call("GET", url, headers={"X-Identity-Token": token})[1]["personalization"]:
        time.sleep(0.3)
    assert chat.call("GET", url, headers={"X-Identity-Token": token})[1]["source"] == "widget"

    send("download my data")
    page.get_by_role("button", name="Yes, prepare it").click()
    link = page.locator("a.sb-download")
    expect(link).to_be_visible(timeout=timeout)
    assert "/web/api/privacy/export?token=" in link.get_attribute("href")
    assert "token=" not in page.locator(".sb-bot .sb-text").last.inner_text()  # the button, not a raw URL
    screenshot(page, "privacy-export-link")
    with page.expect_download() as download:
        link.click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["customer"]["email"] == "grace.oneill@example.com"
    page.reload()
    if page.locator("#sb-panel").is_hidden():  # the widget reopens the panel it left open
        page.get_by_role("button", name=re.compile("Open chat")).click()
    expect(page.locator(".sb-expired").last).to_have_text("This download link has expired.", timeout=timeout)
    expect(page.get_by_role("switch", name="Personalize")).to_be_checked(timeout=timeout)
    context.close()
