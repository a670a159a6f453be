"""The campaign click link on the shopper API (Rasa env, the real Sanic routes and SQLite):
a signed link records the click for its campaign, customer and variant and redirects to
the product page stored with that customer's message; a forged, unsigned or foreign link
records nothing. And the Rasa server's campaign code loads no generator."""

import subprocess
import sys
import uuid
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import quote

import pytest

pytest.importorskip("rasa")

from sanic import Blueprint, Sanic  # noqa: E402

from bot.campaigns.delivery import click_token  # noqa: E402
from bot.campaigns.model import Campaign  # noqa: E402
from bot.campaigns.store import CLICK, CampaignStore  # noqa: E402
from bot.campaigns.tables import ASSIGNMENTS  # noqa: E402
from bot.shop.db import ShopDatabase  # noqa: E402
from bot.web import shopper_api  # noqa: E402
from tests.web.http_server import Browser, serve  # noqa: E402

T0 = datetime(2025, 5, 14, 15, 0)
PRODUCT_URL = "https://shop.example/p/SKU-10196"
SPEC = {"id": "click-test", "name": "c", "offer": {"product_ids": ["SKU-10196"]},
        "variants": [{"name": "a", "template": "{product}"}, {"name": "b", "template": "Hi {product}"}]}


@pytest.fixture
def api(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPBOT_SESSION_SECRET", "campaign-click-" + uuid.uuid4().hex)
    store = CampaignStore(ShopDatabase(f"sqlite:///{tmp_path / 'shop.db'}"))
    campaign = store.save(Campaign.from_dict(SPEC))
    for customer, variant in ((5, "a"), (6, "b")):
        with store.db.session() as session:
            session.execute(ASSIGNMENTS.insert().values(campaign_id=campaign.id, customer_id=customer,
                                                        variant=variant, method="hash", assigned_at=T0))
        store.save_message(campaign.id, customer, variant, "text", "template", "",
                           [{"id": "SKU-10196", "url": PRODUCT_URL}], now=T0)
    monkeypatch.setattr(shopper_api, "_campaigns", store)
    app = Sanic(f"campaign_click_{uuid.uuid4().hex[:8]}")
    blueprint = Blueprint(f"web_{uuid.uuid4().hex[:8]}")
    shopper_api.add_shopper_routes(blueprint)
    app.blueprint(blueprint)
    port, stop = serve(app, host="127.0.0.1")
    yield SimpleNamespace(browser=Browser(port), store=store)
    stop()


def link(token):
    return f"/web/api/campaign/click?t={quote(token, safe='')}"


def test_a_signed_link_records_the_click_and_redirects(api):
    answer = api.browser.get(link(click_token("click-test", 5, "a", "email")))
    assert answer.status == 303 and answer.getheader("Location") == PRODUCT_URL
    assert api.store.first_events("click-test", CLICK)[5][0] == "a"
    assert api.store.arms("click-test")["a"].successes == 1


def test_forged_and_foreign_links_record_nothing(api):
    good = click_token("click-test", 5, "a")
    value, _, mac = good.rpartition(".")
    for token in (f"click-test:6:b:chat.{mac}",           # another placement, borrowed signature
                  "click-test:5:a:chat",                    # unsigned
                  click_token("click-test", 5, "b"),        # signed, but not this customer's variant
                  click_token("click-test", 7, "a"),        # signed, but never placed
                  click_token("other", 5, "a")):            # no such campaign
        assert api.browser.get(link(token)).status == 404, token
    assert api.browser.get("/web/api/campaign/click").status == 404
    assert api.store.first_events("click-test", CLICK) == {}


def test_the_rasa_servers_campaign_code_loads_no_generator():
    code = ("import sys; import bot.web.shopper_api, bot.web.staff.routes.campaigns, bot.campaigns.store, "
            "bot.campaigns.delivery, bot.campaigns.reporting, bot.campaigns.export; "
            "print(sorted(m for m in sys.modules if m.startswith(('bot.generation', 'torch', 'actions'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
