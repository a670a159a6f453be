"""Marketing consent on the shopper API (Rasa env, the real Sanic routes and a real seeded
SQLite shop): the campaign card's "No more offers" link switches offers off for exactly
the customer its signed token names, and a forged, unsigned or foreign token (replayed
here) writes nothing; the widget's Offers switch reads and writes the same flag with the
shopper's signed identity, apart from personalization; anonymous shoppers have none."""

import uuid
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import quote

import pytest

pytest.importorskip("rasa")

from sanic import Blueprint, Sanic  # noqa: E402

from bot.campaigns.delivery import OPT_OUT_PATH, click_token, opt_out_path, opt_out_token  # noqa: E402
from bot.catalog import load_catalog  # noqa: E402
from bot.identity.tokens import mint  # noqa: E402
from bot.privacy.consent import read_consent  # noqa: E402
from bot.privacy.marketing import read_marketing, write_marketing  # noqa: E402
from bot.shop.db import ShopDatabase  # noqa: E402
from bot.web import erasure, shopper_api  # noqa: E402
from tests.web import chat  # noqa: E402
from tests.web.http_server import Browser, serve  # noqa: E402

T0 = datetime(2025, 5, 14, 15, 0)
JANE, SAM = 1, 2  # the demo seed: Jane subscribed to the newsletter (import), Sam did not


@pytest.fixture
def api(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPBOT_SESSION_SECRET", "marketing-" + uuid.uuid4().hex)
    monkeypatch.setenv("SHOPBOT_IDENTITY_SECRET", "marketing-identity-" + uuid.uuid4().hex)
    monkeypatch.delenv("SHOPBOT_MARKETING_DEFAULT", raising=False)
    db = ShopDatabase(f"sqlite:///{tmp_path / 'shop.db'}")
    assert db.seed_demo(load_catalog(), now=T0)
    monkeypatch.setattr(erasure, "shop_db", lambda: db)
    app = Sanic(f"marketing_{uuid.uuid4().hex[:8]}")
    blueprint = Blueprint(f"web_{uuid.uuid4().hex[:8]}")
    shopper_api.add_shopper_routes(blueprint)
    app.blueprint(blueprint)
    port, stop = serve(app, host="127.0.0.1")
    yield SimpleNamespace(browser=Browser(port), db=db, url=f"http://127.0.0.1:{port}")
    stop()
    db.dispose()


def test_the_demo_seed_opts_in_its_newsletter_subscribers_only(api):
    jane, sam = read_marketing(api.db, JANE), read_marketing(api.db, SAM)
    assert (jane.marketing, jane.source) == (True, "import")
    assert (sam.marketing, sam.updated_at) == (False, None)  # never chose: the default, off


def test_the_cards_no_more_offers_switches_offers_off_for_that_customer_only(api):
    write_marketing(api.db, SAM, True, "widget")
    assert OPT_OUT_PATH == shopper_api.OPT_OUT_ROUTE
    status, body = chat.call("POST", api.url + opt_out_path("apple-chargers", JANE, "chat"), None)
    assert status == 200 and body == {"marketing": False, "source": "card"}
    jane = read_marketing(api.db, JANE)
    assert (jane.marketing, jane.source) == (False, "card")
    assert read_marketing(api.db, SAM).marketing  # Sam's choice is untouched
    assert read_consent(api.db, JANE).personalization  # personalization is another flag


def test_forged_unsigned_and_foreign_opt_out_tokens_write_nothing(api):
    write_marketing(api.db, SAM, True, "widget")
    good = opt_out_token("apple-chargers", JANE, "chat")
    value, _, mac = good.rpartition(".")
    replays = [value.replace(f":{JANE}:", f":{SAM}:") + "." + mac,   # Jane's signature on Sam's id
               f"apple-chargers:{SAM}:chat",                          # unsigned
               f"apple-chargers:{SAM}:chat.",                         # empty signature
               click_token("apple-chargers", SAM, "control", "chat"),  # signed, but for a click
               opt_out_token("apple-chargers", 987654, "chat"),        # signed, no such customer
               ""]
    for token in replays:
        status, body = chat.call("POST", f"{api.url}{OPT_OUT_PATH}?t={quote(token, safe='')}", None)
        assert status == 404 and "error" in body, token
    assert chat.call("POST", api.url + OPT_OUT_PATH, None)[0] == 404
    assert read_marketing(api.db, SAM).marketing and read_marketing(api.db, JANE).marketing


def test_an_email_link_opens_a_page_whose_button_does_it(api):
    path = opt_out_path("apple-chargers", JANE, "email")
    page = api.browser.get(path)
    assert page.status == 200 and 'method="post"' in page.text and "Stop sending me offers" in page.text
    assert read_marketing(api.db, JANE).marketing  # opening the link (a mail scanner) changes nothing
    assert api.browser.get(f"{OPT_OUT_PATH}?t=forged.token").status == 404
    assert chat.call("POST", api.url + path, None)[0] == 200
    assert read_marketing(api.db, JANE).source == "card"


def test_the_offers_switch_is_the_signed_in_customers_own_flag(api):
    sam = {"X-Identity-Token": mint(SAM)}
    status, body = chat.call("GET", api.url + "/web/api/consent", headers=sam)
    assert status == 200 and body["scope"] == "customer" and body["marketing"] is False
    assert body["personalization"] is True  # the shop's default for personalization: on
    status, body = chat.call("POST", api.url + "/web/api/consent", {"marketing": True}, headers=sam)
    assert status == 200 and body["marketing"] is True and body["personalization"] is True
    state = read_marketing(api.db, SAM)
    assert (state.marketing, state.source) == (True, "widget")
    assert read_consent(api.db, SAM).updated_at is None  # the Personalize flag was not written
    # both at once, and each apart
    status, body = chat.call("POST", api.url + "/web/api/consent", {"personalization": False, "marketing": False},
                             headers=sam)
    assert status == 200 and (body["personalization"], body["marketing"]) == (False, False)
    assert chat.call("POST", api.url + "/web/api/consent", {"marketing": "yes"}, headers=sam)[0] == 400
    assert chat.call("GET", api.url + "/web/api/consent", headers=sam)[1]["marketing"] is False


def test_offers_need_a_signed_identity(api):
    forged = {"X-Identity-Token": mint(SAM, secret="someone else's key, long enough")}
    status, _ = chat.call("POST", api.url + "/web/api/consent", {"marketing": True}, headers=forged)
    assert status == 401
    shopper = chat.call("POST", api.url + "/web/api/shopper", None)[1]["shopper_token"]
    anonymous = {"X-Shopper-Token": shopper}
    assert chat.call("POST", api.url + "/web/api/consent", {"marketing": True}, headers=anonymous)[0] == 401
    assert read_marketing(api.db, SAM).updated_at is None
