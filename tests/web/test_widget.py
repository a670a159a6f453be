"""The chat widget in a real browser (headless Chromium) against the real ``rasa run``:
the demo shop page, a shopper's conversation, quick replies, history after a reload,
feedback, escaping of hostile text, product cards, and a phone-sized screen. Recommendation
cards (reason, the source a click reports) are fed a recorded reply by a stand-in socket."""

import json
import re
import time
import urllib.request
from pathlib import Path

import pytest

from tests.web import chat

pytest.importorskip("rasa")
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import expect  # noqa: E402

XSS = '<img src=x onerror="window.__xss=1">'
# messages the trained assistant answers with quick replies (a comparison missing its second product)
ASKS_WITH_BUTTONS = ("compare the Pixel 8", "I want to compare the Galaxy S24", "compare the iPhone 15")
TIMEOUT = 90_000


def history(server, token):
    return chat.history(server, token)


def open_shop(browser, server, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server['url']}/shop/")
    page.get_by_role("button", name=re.compile("Open chat")).click()
    expect(page.get_by_label("Your message")).to_be_focused()
    return context, page, errors


def send(page, text):
    """Type and press Enter; wait until the bot has answered."""
    before = page.locator(".sb-bot, .sb-agent").count()
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".sb-bot, .sb-agent")).not_to_have_count(before, timeout=TIMEOUT)
    expect(page.locator(".sb-typing")).to_be_hidden(timeout=TIMEOUT)


def test_a_shopper_conversation_survives_a_reload(browser, rasa_server, screenshot):
    context, page, errors = open_shop(browser, rasa_server, viewport={"width": 1280, "height": 900})
    expect(page.locator(".product").first).to_be_visible()
    send(page, "hi")
    expect(page.locator(".sb-user .sb-text").first).to_have_text("hi")
    expect(page.locator(".sb-bot .sb-text").first).not_to_be_empty()

    for ask in ASKS_WITH_BUTTONS:
        send(page, ask)
        if page.locator(".sb-quick-reply").count():
            break
    quick = page.locator(".sb-quick-reply").first
    expect(quick).to_be_visible()
    title = quick.inner_text()
    bots = page.locator(".sb-bot").count()
    quick.click()
    expect(page.locator(".sb-user .sb-text").last).to_have_text(title)
    expect(page.locator(".sb-bot")).not_to_have_count(bots, timeout=TIMEOUT)
    expect(quick).to_be_visible()  # earlier quick replies stay and still work
    expect(quick).to_be_enabled()
    screenshot(page, "widget-quick-reply-answered")

    thumb = page.locator(".sb-bot").first.get_by_role("button", name="Helpful", exact=True)
    thumb.click()
    expect(thumb).to_have_attribute("aria-pressed", "true")
    session_id = page.evaluate("window.ShopbotWidget.sessionToken()")
    deadline = time.time() + 30
    while time.time() < deadline:
        first_bot = next(m for m in history(rasa_server, session_id) if m["from"] == "bot")
        if first_bot.get("feedback") == "up":
            break
        time.sleep(0.5)
    assert first_bot.get("feedback") == "up"
    screenshot(page, "widget-desktop-conversation")

    texts = page.locator(".sb-msg .sb-text").all_inner_texts()
    page.reload()
    expect(page.locator(".sb-panel")).to_be_visible()
    expect(page.locator(".sb-msg .sb-text")).to_have_text(texts, timeout=30_000)
    expect(page.locator(".sb-bot").first.get_by_role("button", name="Helpful", exact=True)) \
        .to_have_attribute("aria-pressed", "true")

    # the history comes from the server: another browser with the session token sees it
    other = browser.new_context()
    other.add_init_script(f"localStorage.setItem('shopbot.session_token', '{session_id}');"
                          "localStorage.setItem('shopbot.open', 'true');")
    other_page = other.new_page()
    other_page.goto(f"{rasa_server['url']}/shop/")
    expect(other_page.locator(".sb-msg .sb-text")).to_have_text(texts, timeout=30_000)
    other.close()

    page.get_by_role("button", name="Clear conversation").click()
    expect(page.locator(".sb-msg")).to_have_count(0)
    expect(page.locator(".sb-hint")).to_be_visible()
    deadline = time.time() + 30
    while time.time() < deadline and page.evaluate("window.ShopbotWidget.sessionToken()") in (None, session_id):
        time.sleep(0.2)  # the server issues a new session
    assert page.evaluate("window.ShopbotWidget.sessionToken()") not in (None, session_id)
    assert history(rasa_server, session_id) == []
    assert errors == []
    context.close()


def test_hostile_text_is_shown_as_text(browser, rasa_server, screenshot):
    context, page, errors = open_shop(browser, rasa_server)
    send(page, XSS)
    expect(page.locator(".sb-user .sb-text").last).to_have_text(XSS)
    assert page.locator(".sb-log img[src='x']").count() == 0
    assert page.evaluate("window.__xss") is None
    page.reload()  # and again when it comes back from the history
    expect(page.locator(".sb-user .sb-text").first).to_have_text(XSS, timeout=30_000)
    assert page.evaluate("window.__xss") is None
    screenshot(page, "widget-hostile-text")
    assert errors == []
    context.close()


def test_a_product_question_shows_a_product_card(browser, rasa_server, screenshot):
    context, page, errors = open_shop(browser, rasa_server, viewport={"width": 1280, "height": 900})
    send(page, "tell me about the Galaxy S24")
    card = page.locator(".sb-card").first
    expect(card).to_be_visible(timeout=TIMEOUT)
    link = card.get_by_role("link")
    expect(link).to_contain_text("Galaxy S24")
    assert "noopener" in link.get_attribute("rel")
    assert card.locator("img").get_attribute("alt")
    expect(card.locator(".sb-card-price")).to_contain_text("$")
    screenshot(page, "widget-product-card")
    assert errors == []
    context.close()


def test_phone_screen_keyboard_and_handoff(browser, rasa_server, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{rasa_server['url']}/shop/")
    launcher = page.get_by_role("button", name=re.compile("Open chat"))
    launcher.focus()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Shop assistant")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box["width"] == 390 and box["height"] == 844  # full screen on a phone
    send(page, "hi")
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator(".sb-user .sb-text").last).to_have_text("Talk to a person")
    expect(page.locator(".sb-typing")).to_be_hidden(timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "widget-phone")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    context.close()


def test_consent_switch_is_stored(browser, rasa_server):
    context, page, _ = open_shop(browser, rasa_server)
    switch = page.get_by_role("switch", name="Personalize")
    expect(switch).not_to_be_checked()
    switch.check()
    shopper = page.evaluate("window.ShopbotWidget.shopperToken()")
    url = f"{rasa_server['url']}/web/api/consent"

    def stored():
        return chat.call("GET", url, headers={"X-Shopper-Token": shopper})[1]["personalization"]

    deadline = time.time() + 20
    while time.time() < deadline and not stored():
        time.sleep(0.3)
    assert stored() is True
    page.reload()
    expect(page.get_by_role("switch", name="Personalize")).to_be_checked()
    context.close()


def test_an_agents_message_in_the_history_is_labelled(browser, rasa_server):
    """A staff member's message (a bot event with agent metadata) shows as "Agent <name>", as text."""
    context, page, errors = open_shop(browser, rasa_server)
    send(page, "hi")
    session_id = page.evaluate("window.ShopbotWidget.sessionToken()")
    sender = chat.conversation_id(rasa_server, session_id)
    event = {"event": "bot", "text": "Hello, I'm Ann <b>from support</b>",
             "metadata": {"from": "agent", "agent": "Ann <script>window.__xss=1</script>"}}
    request = urllib.request.Request(f"{rasa_server['url']}/conversations/{sender}/tracker/events"
                                     f"?token={rasa_server['token']}",
                                     data=json.dumps(event).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=60).close()
    assert history(rasa_server, session_id)[-1]["from"] == "agent"
    page.reload()
    agent = page.locator(".sb-agent").last
    expect(agent.locator(".sb-agent-label")).to_have_text("Agent Ann <script>window.__xss=1</script>", timeout=30_000)
    expect(agent.locator(".sb-text")).to_have_text("Hello, I'm Ann <b>from support</b>")
    assert page.evaluate("window.__xss") is None
    assert errors == []
    context.close()


# --- a recommendation reply, fed to the widget by a stand-in socket (no server needed) ------------
SHOP = "http://shop.test"
STATIC = Path(__file__).resolve().parents[2] / "bot" / "web" / "static"
FAKE_SOCKET = """
window.__recorded = [];
window.io = function () {
  var handlers = {};
  var socket = {
    connected: true,
    on: function (name, fn) { handlers[name] = fn; if (name === "connect") setTimeout(fn, 0); },
    emit: function (name, data) {
      if (name === "session_request") handlers.session_confirm("s".repeat(24) + ".mac0123456789");
    },
  };
  window.__botSays = function (message) { handlers.bot_uttered(message); };
  return socket;
};
"""
RECOMMENDATION_MESSAGE = {
    "from": "bot", "timestamp": 1717405204.5, "text": "Here are two picks for you.",
    "custom": {
        "type": "product_cards",
        "products": [
            {"id": "SKU-20001", "name": "Garmin HRM-Pro Plus", "price_text": "$129.99", "url": f"{SHOP}/p/SKU-20001",
             "source": "graph", "reason": "fits the Garmin Forerunner 265 you bought in May"},
            {"id": "SKU-20002", "name": "Brooks Ghost 16", "price_text": "$139.95", "url": f"{SHOP}/p/SKU-20002"},
        ],
        "recommendations": [
            {"product_id": "SKU-20001", "source": "graph",
             "reason": "fits the Garmin Forerunner 265 you bought in May"},
            {"product_id": "SKU-20002", "source": "co_purchase", "reason": XSS + " bought with your Glycerin"},
        ],
    },
}
PLAIN_CARD = {"from": "bot", "timestamp": 1717405300.0, "text": "The Galaxy S24.",
              "custom": {"type": "product_cards", "products": [
                  {"id": "SKU-10001", "name": "Galaxy S24", "url": f"{SHOP}/p/SKU-10001", "source": "bogus"}]}}


def test_a_recommendation_card_shows_its_reason_and_its_click_reports_the_source(browser, screenshot):
    """The widget as a shop embeds it; a stand-in socket delivers a recorded recommendation
    reply in the contract's shape, the shopper API is answered by the test."""
    context = browser.new_context()
    clicks = []

    def serve(route):
        url = route.request.url
        if url.endswith("/web/static/widget.js") or url.endswith("/web/static/widget.css"):
            name = url.rsplit("/", 1)[1]
            kind = "text/javascript" if name.endswith(".js") else "text/css"
            route.fulfill(body=(STATIC / name).read_text(), content_type=f"{kind}; charset=utf-8")
        elif url.endswith("/web/api/click"):
            clicks.append(json.loads(route.request.post_data))
            route.fulfill(json={"product_id": clicks[-1]["product_id"]})
        elif url.endswith("/web/api/shopper"):
            route.fulfill(json={"shopper_token": "p" * 24 + ".mac0123456789"})
        elif "/web/api/" in url:
            route.fulfill(json={"messages": [], "personalization": False, "updated_at": None})
        elif "/p/" in url:
            route.fulfill(body="<!doctype html><title>product</title>", content_type="text/html")
        else:
            route.fulfill(body=f"<!doctype html><html><head><link rel='stylesheet' href='/web/static/widget.css'>"
                               f"<script>{FAKE_SOCKET}</script></head><body>"
                               f"<script src='/web/static/widget.js' data-socket-url='{SHOP}'></script></body></html>",
                          content_type="text/html; charset=utf-8")

    context.route(f"{SHOP}/**", serve)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{SHOP}/")
    page.get_by_role("button", name=re.compile("Open chat")).click()
    page.wait_for_function("typeof window.__botSays === 'function'")
    page.evaluate("message => window.__botSays(message)", RECOMMENDATION_MESSAGE)
    page.evaluate("message => window.__botSays(message)", PLAIN_CARD)

    cards = page.locator(".sb-card")
    expect(cards).to_have_count(3)
    expect(cards.nth(0).locator(".sb-card-reason")).to_have_text("fits the Garmin Forerunner 265 you bought in May")
    # the reason comes from the payload's list when the card lacks it, and stays text
    expect(cards.nth(1).locator(".sb-card-reason")).to_have_text(XSS + " bought with your Glycerin")
    assert page.locator(".sb-log img[src='x']").count() == 0 and page.evaluate("window.__xss") is None
    expect(cards.nth(2).locator(".sb-card-reason")).to_have_count(0)  # not a recommendation
    screenshot(page, "widget-recommendation-cards")

    for index in range(3):
        with context.expect_page() as opened:
            cards.nth(index).get_by_role("link").click()
        opened.value.close()
    deadline = time.time() + 10
    while len(clicks) < 3 and time.time() < deadline:
        page.wait_for_timeout(100)
    assert clicks == [{"product_id": "SKU-20001", "source": "graph"},
                      {"product_id": "SKU-20002", "source": "co_purchase"},
                      {"product_id": "SKU-10001"}]  # an unknown source is not reported
    assert errors == []
    context.close()


# --- offers: the signed-in shopper's Offers switch and a campaign card's "No more offers" ----------
CAMPAIGN_CARD = {"from": "bot", "timestamp": 1717405400.0, "text": "Hi Sam! 15% off the USB-C charger.",
                 "custom": {"type": "product_cards", "campaign": "apple-chargers",
                            "products": [{"id": "SKU-10196", "name": "USB-C charger", "price_text": "$19.00",
                                          "url": f"{SHOP}/web/api/campaign/click?t=c.mac"}],
                            "opt_out": {"label": "No more offers", "path": "/web/api/campaign/opt-out?t=apple%3A7%3Achat.mac-_1",
                                        "url": f"{SHOP}/web/api/campaign/opt-out?t=apple%3A7%3Achat.mac-_1"}}}
FOREIGN_OPT_OUT = {**CAMPAIGN_CARD, "timestamp": 1717405401.0,
                   "custom": {**CAMPAIGN_CARD["custom"], "opt_out": {"label": "No more offers",
                                                                     "path": "https://evil.test/steal?t=x"}}}


def fake_identity(subject):
    import base64

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': str(subject), 'exp': int(time.time()) + 3600})}.sig"


def test_offers_switch_and_no_more_offers_on_a_campaign_card(browser):
    """Stand-in socket and API: a signed-in shopper sees an Offers switch apart from Personalize,
    which posts {marketing}; a campaign card's "No more offers" posts its signed path (only
    our own path) and turns the switch off; signed out, the switch goes away."""
    context = browser.new_context()
    posted = []
    marketing = {"value": False}

    def serve(route):
        url, request = route.request.url, route.request
        if url.endswith("/web/static/widget.js") or url.endswith("/web/static/widget.css"):
            name = url.rsplit("/", 1)[1]
            kind = "text/javascript" if name.endswith(".js") else "text/css"
            route.fulfill(body=(STATIC / name).read_text(), content_type=f"{kind}; charset=utf-8")
        elif "/web/api/campaign/opt-out" in url:
            posted.append((request.method, url.split(SHOP, 1)[1], None))
            marketing["value"] = False
            route.fulfill(json={"marketing": False, "source": "card"})
        elif url.endswith("/web/api/consent"):
            signed_in = "x-identity-token" in {k.lower() for k in request.headers}
            if request.method == "POST":
                body = json.loads(request.post_data)
                posted.append(("POST", "/web/api/consent", body))
                marketing["value"] = body.get("marketing", marketing["value"])
            answer = {"personalization": True, "updated_at": None, "source": None,
                      "scope": "customer" if signed_in else "session"}
            if signed_in:
                answer["marketing"] = marketing["value"]
            route.fulfill(json=answer)
        elif url.endswith("/web/api/shopper"):
            route.fulfill(json={"shopper_token": "p" * 24 + ".mac0123456789"})
        elif "/web/api/" in url:
            route.fulfill(json={"messages": []})
        else:
            route.fulfill(body=f"<!doctype html><html><head><link rel='stylesheet' href='/web/static/widget.css'>"
                               f"<script>{FAKE_SOCKET}</script></head><body>"
                               f"<script src='/web/static/widget.js' data-socket-url='{SHOP}'></script></body></html>",
                          content_type="text/html; charset=utf-8")

    context.route(f"{SHOP}/**", serve)
    context.route("https://evil.test/**", lambda route: (posted.append(("EVIL", route.request.url, None)),
                                                         route.fulfill(json={})))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{SHOP}/")
    page.get_by_role("button", name=re.compile("Open chat")).click()
    page.wait_for_function("typeof window.__botSays === 'function'")
    offers = page.get_by_role("switch", name="Offers")
    expect(offers).to_have_count(0)  # anonymous: no offers to switch
    assert page.evaluate("(t) => window.ShopbotWidget.signIn(t)", fake_identity(7))
    expect(offers).to_be_visible()
    expect(offers).not_to_be_checked()
    expect(page.get_by_role("switch", name="Personalize")).to_be_checked()  # apart from personalization
    offers.check()
    deadline = time.time() + 10
    while not any(p[2] == {"marketing": True} for p in posted) and time.time() < deadline:
        page.wait_for_timeout(100)
    assert ("POST", "/web/api/consent", {"marketing": True}) in posted
    assert not any(p[2] and "personalization" in p[2] for p in posted)

    page.evaluate("message => window.__botSays(message)", CAMPAIGN_CARD)
    page.evaluate("message => window.__botSays(message)", FOREIGN_OPT_OUT)
    stops = page.get_by_role("button", name="No more offers")
    expect(stops).to_have_count(1)  # the card whose path is not ours gets no button
    stops.click()
    expect(page.locator(".sb-opt-out")).to_have_text(re.compile("^Done: no more offers"))
    expect(offers).not_to_be_checked()
    assert ("POST", "/web/api/campaign/opt-out?t=apple%3A7%3Achat.mac-_1", None) in posted
    assert not any(p[0] == "EVIL" for p in posted)
    page.evaluate("() => window.ShopbotWidget.signOut()")
    expect(offers).to_have_count(0)
    assert errors == []
    context.close()
