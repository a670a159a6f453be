"""Campaigns in the staff console (Rasa env, the console's own Sanic routes on a real
SQLite database): the per-variant table with rates, intervals and P(beats control), the
chart, the admin-only e-mail export and status change (CSRF checked), the nav link."""

import csv
import io
import re
import uuid
from datetime import datetime, timedelta

import pytest

pytest.importorskip("rasa")

from sanic import Sanic  # noqa: E402

from bot.campaigns.model import Campaign  # noqa: E402
from bot.campaigns.stats import wilson  # noqa: E402
from bot.campaigns.store import CLICK, IMPRESSION, CampaignStore  # noqa: E402
from bot.campaigns.tables import ASSIGNMENTS  # noqa: E402
from bot.privacy.marketing import write_marketing  # noqa: E402
from bot.shop.db import ShopDatabase  # noqa: E402
from bot.shop.schema import Customer  # noqa: E402
from bot.web.staff import add_staff_routes  # noqa: E402
from bot.web.staff.models import StaffDatabase  # noqa: E402
from bot.web.staff.routes import StaffConsole  # noqa: E402
from bot.web.staff.users import create_user  # noqa: E402
from tests.web.http_server import Browser, serve  # noqa: E402

AGENT = ("ann@shop.example", "another long secret")
ADMIN = ("bob@shop.example", "a long admin secret")
T0 = datetime(2025, 5, 14, 15, 0)
SPEC = {"id": "bands", "name": "Watch bands <b>sale</b>", "holdout": 0.1,
        "offer": {"product_ids": ["SKU-10196"], "discount": "15% off"},
        "variants": [{"name": "control", "template": "{product} for {price}"},
                     {"name": "warm", "template": "Hi {first_name}! {product} for {price}"}]}
SHOWN = {"control": (40, 2), "warm": (40, 10)}  # customers shown, clicks
NO_OFFERS = (3, 17, 44, 58, 79)  # customers of the audience who never opted in to offers


@pytest.fixture(scope="module")
def console(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("SHOPBOT_SESSION_SECRET", "campaign-console-" + uuid.uuid4().hex)
    work = tmp_path_factory.mktemp("campaign-console")
    shop = ShopDatabase(f"sqlite:///{work / 'shop.db'}")
    staff = StaffDatabase(shop.url)
    create_user(staff, *AGENT, role="agent", name="Ann")
    create_user(staff, *ADMIN, role="admin", name="Bob")
    store = CampaignStore(shop)
    campaign = store.save(Campaign.from_dict(SPEC))
    store.set_status(campaign.id, "active")
    customer = 1
    with shop.session() as session:
        for cid in range(1, 81):
            session.add(Customer(id=cid, name=f"Shopper{cid} Test", email=f"shopper{cid}@example.com", created_at=T0))
    for cid in range(1, 81):  # offers are opt-in: all but NO_OFFERS subscribed to them
        if cid not in NO_OFFERS:
            write_marketing(shop, cid, True, "import", now=T0)
    for variant, (n, clicks) in SHOWN.items():
        for i in range(n):
            with shop.session() as session:
                session.execute(ASSIGNMENTS.insert().values(campaign_id=campaign.id, customer_id=customer,
                                                            variant=variant, method="hash", assigned_at=T0))
            store.save_message(campaign.id, customer, variant, f"Message for shopper {customer}", "template", "",
                               [{"id": "SKU-10196", "name": "Adapter", "price_text": "$59.00",
                                 "url": "https://shop.example/p/SKU-10196"}], now=T0)
            store.record(campaign.id, customer, variant, IMPRESSION, now=T0)
            if i < clicks:
                store.record(campaign.id, customer, variant, CLICK, now=T0 + timedelta(hours=1))
            customer += 1
    app = Sanic(f"staff_campaigns_{uuid.uuid4().hex[:8]}")
    add_staff_routes(app, None, StaffConsole(staff_db=staff, shop_db=shop))
    port, stop = serve(app, host="127.0.0.1")
    yield port, store
    stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def signed_in(port, who):
    browser = Browser(port)
    assert browser.login(*who).status == 303
    return browser


def test_anonymous_staff_are_sent_to_the_login(console):
    port, _ = console
    assert Browser(port).get("/staff/campaigns").status in (302, 303)
    assert Browser(port).get("/staff/campaigns/bands/chart.png").status == 401


def test_the_page_shows_rates_intervals_and_p_beats_control(console):
    port, _ = console
    agent = signed_in(port, AGENT)
    page = agent.get("/staff/campaigns")
    assert page.status == 200
    assert 'href="/staff/campaigns">Campaigns</a>' in page.text
    assert "Watch bands &lt;b&gt;sale&lt;/b&gt;" in page.text and "<b>sale</b>" not in page.text
    assert "Audience 80 customers" in page.text
    assert '<span class="no-marketing">5 of them without\n    marketing consent</span>' in page.text
    rows = dict(re.findall(r'<tr data-variant="(\w+)">(.*?)</tr>', page.text, flags=re.S))
    assert set(rows) == {"control", "warm"}
    cells = {k: [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td>(.*?)</td>", v, flags=re.S)]
             for k, v in rows.items()}
    low, high = wilson(10, 40)
    assert cells["warm"][:3] == ["40", "10", f"25.0% ({100 * low:.1f}–{100 * high:.1f}%)"]
    assert cells["control"][3] == "–"                  # control does not beat itself
    assert int(cells["warm"][3].rstrip("%")) >= 98      # 10/40 against 2/40
    assert "export.csv" not in page.text                # agents see no export
    chart = agent.get("/staff/campaigns/bands/chart.png")
    assert chart.status == 200 and chart.body[:4] == b"\x89PNG"
    assert agent.get("/staff/campaigns/nope/chart.png").status == 404
    assert agent.get("/staff/campaigns/bands/export.csv").status == 403


def test_admins_export_and_change_the_status(console):
    port, store = console
    admin = signed_in(port, ADMIN)
    assert "export.csv" in admin.get("/staff/campaigns").text
    download = admin.get("/staff/campaigns/bands/export.csv")
    assert download.status == 200 and "attachment" in download.getheader("Content-Disposition")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == 80 - len(NO_OFFERS)  # those who never opted in to offers get no e-mail
    assert not {int(row["customer_id"]) for row in rows} & set(NO_OFFERS)
    for row in rows:
        assert "/web/api/campaign/opt-out?t=" in row["opt_out_url"]
        assert row["email"] == f"shopper{row['customer_id']}@example.com"
        assert row["message"] == f"Message for shopper {row['customer_id']}"
        assert "/web/api/campaign/click?t=" in row["click_url"]
    assert admin.post("/staff/campaigns/bands/status", {"status": "stopped", "csrf_token": "forged"}).status == 403
    assert store.get("bands").status == "active"
    moved = admin.post("/staff/campaigns/bands/status", {"status": "stopped", "csrf_token": admin.csrf()})
    assert moved.status == 303 and store.get("bands").status == "stopped"


def test_admins_create_a_campaign_from_its_description(console):
    import json

    port, store = console
    admin = signed_in(port, ADMIN)
    spec = {**SPEC, "id": "new-one", "name": "New one"}
    bad = admin.post("/staff/campaigns", {"spec": json.dumps({**spec, "holdout": 2}), "csrf_token": admin.csrf()})
    assert bad.status == 400 and "Not saved: the holdout share" in bad.text and store.get("new-one") is None
    rule = admin.post("/staff/campaigns", {"spec": json.dumps({**spec, "segment": [{"rule": "everyone"}]}),
                                           "csrf_token": admin.csrf()})
    assert rule.status == 400 and "unknown segment rule" in rule.text
    made = admin.post("/staff/campaigns", {"spec": json.dumps(spec), "csrf_token": admin.csrf()})
    assert made.status == 303 and store.get("new-one").status == "draft"
    assert "New one" in admin.get("/staff/campaigns").text
    agent = signed_in(port, AGENT)
    assert agent.post("/staff/campaigns", {"spec": json.dumps(spec), "csrf_token": agent.csrf()}).status == 403
