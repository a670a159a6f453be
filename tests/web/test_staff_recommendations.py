"""Recommendations in the staff console: the profile each turn used and every recommended
product with its source and reason in the transcript, click-through per source in the
analytics, and the click log that records the source (Rasa env only).

The conversations are real Rasa events (``BotUttered`` with the recommendation payload,
``SlotSet("profile_used", ...)``) saved by the project's own ``RedactingTrackerStore``;
clicks go through the real shopper API or ``WebStore`` into a real database, SQLite and,
where a server is reachable, PostgreSQL.
"""

import asyncio
import json
import os
import re
import sqlite3
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("rasa")

from rasa.core.lock_store import InMemoryLockStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.slots import AnySlot  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from sanic import Blueprint, Sanic  # noqa: E402
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, inspect  # noqa: E402

from bot.shop.db import ShopDatabase  # noqa: E402
from bot.web import store as web_store  # noqa: E402
from bot.web.conversations import ConversationReader  # noqa: E402
from bot.web.recommendations import click_through, profile_used, recommendations_in  # noqa: E402
from bot.web.shopper_api import add_shopper_routes  # noqa: E402
from bot.web.staff import add_staff_routes, charts  # noqa: E402
from bot.web.staff.models import StaffDatabase  # noqa: E402
from bot.web.staff.routes import StaffConsole  # noqa: E402
from bot.web.staff.users import create_user  # noqa: E402
from bot.web.store import RECOMMENDATION_SOURCES, TrackerEvents, WebStore, engine_for  # noqa: E402
from bot.web.tracker_store import RedactingTrackerStore  # noqa: E402
from tests.web.chat import call  # noqa: E402
from tests.web.http_server import Browser, serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("SHOPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
STAFF = ("ann@shop.example", "another long secret")
T0 = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc).timestamp()
HOSTILE_REASON = 'goes with your "Trail <b>pack</b>" & the <script>x()</script> tent'

SIGNED_IN_PROFILE = {"personalized": True, "consent": True, "signed_in": True,
                     "top_categories": ["Running shoes", "Smartwatches"], "top_brands": ["Brooks", "Garmin"],
                     "price_band": "$90–$160", "owned": 3, "preferences": ["likes Brooks", "budget under $150"],
                     "source": "profile"}
LOADED_AT_START = {**SIGNED_IN_PROFILE, "preferences": ["likes Brooks"], "owned": 2}
ANONYMOUS_PROFILE = {"personalized": False, "consent": False, "signed_in": False, "top_categories": [],
                     "top_brands": [], "price_band": None, "owned": 0, "preferences": [], "source": "session"}


def card(product_id, name, source=None, reason=None):
    out = {"id": product_id, "name": name, "brand": "Brand", "category": "Category", "price": 99.0,
           "currency": "USD", "price_text": "$99.00", "rating": 4.5, "reviews": 12, "stock": 9,
           "stock_text": "in stock", "url": f"https://shop.example/p/{product_id}", "image": None}
    if source:
        out.update(source=source, reason=reason)
    return out


def recommendation_payload(items):
    """The contract's recommendation reply: cards with source and reason, and the list."""
    return {"type": "product_cards",
            "products": [card(pid, name, source, reason) for pid, name, source, reason in items],
            "recommendations": [{"product_id": pid, "source": source, "reason": reason}
                                for pid, _, source, reason in items]}


RECS_A = [("SKU-20001", "Garmin HRM-Pro Plus", "graph", "fits the Garmin Forerunner 265 you bought in May"),
          ("SKU-20002", "Brooks Ghost 16", "co_purchase", "often bought with the Brooks Glycerin 21"),
          ("SKU-20003", "Trail Pack 12L", "popular", HOSTILE_REASON)]
RECS_B = [("SKU-30001", "Pixel Buds Pro", "embedding", "like the earbuds you looked at"),
          ("SKU-30002", "Pixel 8 Case", "graph", "fits the Pixel 8"),
          ("SKU-30003", "USB-C Charger 30W", "learned", "shoppers like you bought it next")]


def user(text, intent, ts):
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.95},
             "intent_ranking": [{"name": intent, "confidence": 0.95}], "entities": []}
    return UserUttered(text, parse["intent"], [], parse_data=parse, timestamp=ts, input_channel="socketio")


def conversations():
    signed_in = [
        ActionExecuted("action_session_start", timestamp=T0),
        SessionStarted(timestamp=T0),
        SlotSet("profile_used", LOADED_AT_START, timestamp=T0),  # loaded; that action says nothing
        ActionExecuted("action_listen", timestamp=T0 + 1),
        user("what would you recommend for me?", "recommend", T0 + 2),
        ActionExecuted("action_recommend", timestamp=T0 + 3),
        BotUttered("Here are three picks for you.", data={"custom": recommendation_payload(RECS_A)},
                   timestamp=T0 + 4),
        SlotSet("profile_used", SIGNED_IN_PROFILE, timestamp=T0 + 4),
        ActionExecuted("action_listen", timestamp=T0 + 5),
    ]
    anonymous = [
        ActionExecuted("action_listen", timestamp=T0 + 100),
        user("something for my new Pixel 8", "recommend", T0 + 101),
        ActionExecuted("action_recommend", timestamp=T0 + 102),
        BotUttered("These go with a Pixel 8.", data={"custom": recommendation_payload(RECS_B)}, timestamp=T0 + 103),
        SlotSet("profile_used", ANONYMOUS_PROFILE, timestamp=T0 + 103),
        ActionExecuted("action_listen", timestamp=T0 + 104),
        user("tell me about the Galaxy S24", "product_info", T0 + 105),
        ActionExecuted("action_product_info", timestamp=T0 + 106),
        BotUttered("The Galaxy S24 costs $799.", data={"custom": {"type": "product_cards",
                                                                  "products": [card("SKU-10001", "Galaxy S24")]}},
                   timestamp=T0 + 107),
        ActionExecuted("action_listen", timestamp=T0 + 108),
    ]
    return {"rec-signed-in": signed_in, "rec-anonymous": anonymous}


def save_conversations(path: Path) -> RedactingTrackerStore:
    domain = Domain.load(str(ROOT / "domain.yml"))
    slots = list(domain.slots)
    if not any(slot.name == "profile_used" for slot in slots):  # until the domain declares it
        slots.append(AnySlot("profile_used", mappings=[{"type": "custom"}], influence_conversation=False))
    store = RedactingTrackerStore(domain, dialect="sqlite", db=str(path))
    for sender, events in conversations().items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, slots=slots)))
    return store


@pytest.fixture(scope="module")
def tracker_store(tmp_path_factory):
    store = save_conversations(tmp_path_factory.mktemp("recs") / "conversations.db")
    yield store
    store.engine.dispose()


@pytest.fixture()
def web(tmp_path):
    return WebStore(f"sqlite:///{tmp_path / 'shop.db'}")


# --- reading the payloads ------------------------------------------------------------------
def test_recommendations_and_profiles_are_read_defensively():
    payload = recommendation_payload(RECS_A)
    found = recommendations_in(payload)
    assert [(r.product_id, r.source, r.name) for r in found] == [
        ("SKU-20001", "graph", "Garmin HRM-Pro Plus"), ("SKU-20002", "co_purchase", "Brooks Ghost 16"),
        ("SKU-20003", "popular", "Trail Pack 12L")]
    assert found[0].reason == "fits the Garmin Forerunner 265 you bought in May"
    assert found[1].as_dict()["source_label"] == "co-purchase"
    # cards alone (no list) still read; unknown sources and junk entries never crash
    cards_only = {"products": [card("SKU-1", "One", "graph", "why"), card("SKU-2", "Two")]}
    assert [(r.product_id, r.source) for r in recommendations_in(cards_only)] == [("SKU-1", "graph")]
    odd = {"products": "nope", "recommendations": [None, {"product_id": "SKU-9", "source": "magic"}, {"x": 1}]}
    assert [(r.product_id, r.source, r.reason) for r in recommendations_in(odd)] == [("SKU-9", "unknown", "")]
    assert recommendations_in(None) == [] and recommendations_in({"type": "product_cards", "products": []}) == []

    profile = profile_used(SIGNED_IN_PROFILE)
    assert profile.why == "Personalized: signed in, consent given, saved profile"
    assert profile.top_brands == ["Brooks", "Garmin"] and profile.owned == 3
    assert profile_used('{"personalized": false, "source": "session"}').why == \
        "Not personalized: anonymous, no consent, this session only"
    assert profile_used(None) is None and profile_used("not json") is None and profile_used([1]) is None
    assert profile_used({"owned": "many", "top_brands": "Brooks", "source": "<b>"}).owned == 0


# --- the data layer over a tracker store the project's store wrote -----------------------------
def test_click_through_per_source_from_the_tracker_store_and_the_click_log(tracker_store, web):
    events = TrackerEvents(engine=tracker_store.engine)
    empty = click_through(events, web)
    shown = {s.source: s.impressions for s in empty.sources}
    assert shown == {"graph": 2, "co_purchase": 1, "embedding": 1, "learned": 1, "popular": 1}
    assert empty.clicks == 0 and empty.ctr == 0.0 and [s.source for s in empty.sources] == list(RECOMMENDATION_SOURCES)

    web.add_click("rec-signed-in", "SKU-20001", "graph")
    web.add_click("rec-signed-in", "SKU-20002", "co_purchase")
    web.add_click("rec-signed-in", "SKU-20002", "co_purchase")  # opened twice
    web.add_click("rec-anonymous", "SKU-30001")  # an older widget: attributed from what was shown
    web.add_click("rec-anonymous", "SKU-10001")  # a product question's card: no recommendation
    stats = click_through(events, web)
    by = stats.by_source()
    assert (by["graph"].impressions, by["graph"].clicks, by["graph"].ctr) == (2, 1, 0.5)
    assert (by["co_purchase"].clicks, by["co_purchase"].ctr) == (2, 2.0)
    assert (by["embedding"].clicks, by["embedding"].ctr) == (1, 1.0)
    assert (by["learned"].clicks, by["learned"].ctr, by["popular"].ctr) == (0, 0.0, 0.0)
    assert stats.other_clicks == 1 and stats.impressions == 6 and stats.clicks == 4
    assert web.clicks_by_source() == {"graph": 1, "co_purchase": 2, None: 2}

    charts.clear_cache()
    assert charts.render("clicks", [], {}, 5, stats).startswith(b"\x89PNG")
    charts.clear_cache()
    assert charts.render("clicks", [], {}, 0, None).startswith(b"\x89PNG")  # nothing shown yet


def test_the_transcript_carries_the_profile_of_each_turn_and_the_reasons(tracker_store):
    reader = ConversationReader(engine=tracker_store.engine)
    shopper, reply = reader.conversation("rec-signed-in").turns
    # the session start loaded the profile without a word: shown at the turn that followed
    assert shopper.kind == "user" and shopper.profile["set_by"] == "action_session_start"
    assert shopper.profile["preferences"] == ["likes Brooks"] and shopper.profile["owned"] == 2
    # the recommendation's own profile sits on its reply (Rasa stores it after the message)
    assert reply.kind == "bot" and reply.profile["set_by"] == "action_recommend"
    assert reply.profile["why"] == "Personalized: signed in, consent given, saved profile"
    assert reply.profile["price_band"] == "$90–$160" and reply.profile["top_categories"][0] == "Running shoes"
    assert [(r["product_id"], r["source"], r["reason"]) for r in reply.recommendations] == \
        [(pid, source, reason) for pid, _, source, reason in RECS_A]

    asked, recommended, _, answered = reader.conversation("rec-anonymous").turns
    assert asked.profile is None and recommended.profile["personalized"] is False
    assert recommended.profile["why"] == "Not personalized: anonymous, no consent, this session only"
    assert answered.recommendations == [] and answered.profile is None  # a plain product card


# --- the console over HTTP --------------------------------------------------------------------
@pytest.fixture(scope="module")
def console(tracker_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("console")
    shop = ShopDatabase(f"sqlite:///{work / 'shop.db'}")
    staff = StaffDatabase(shop.url)
    create_user(staff, *STAFF, role="agent", name="Ann")
    web = WebStore(shop.url)
    web.add_click("rec-signed-in", "SKU-20001", "graph")
    web.add_click("rec-anonymous", "SKU-30003", "learned")
    app = Sanic(f"staff_recs_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = SimpleNamespace(tracker_store=tracker_store, lock_store=InMemoryLockStore())
    add_staff_routes(app, None, StaffConsole(staff_db=staff, shop_db=shop, web=web,
                                             reader=ConversationReader(engine=tracker_store.engine)))
    port, stop = serve(app, host="127.0.0.1")
    browser = Browser(port)
    assert browser.login(*STAFF).status == 303
    yield browser
    stop()


def test_the_transcript_page_shows_the_profile_used_and_each_reason(console):
    page = console.get("/staff/conversations/rec-signed-in")
    assert page.status == 200 and "script-src 'self'" in page.getheader("Content-Security-Policy")
    html = page.text
    assert html.count("Profile used") == 2
    assert "Personalized: signed in, consent given, saved profile" in html
    for shown in ("Running shoes, Smartwatches", "Brooks, Garmin", "$90–$160", "likes Brooks; budget under $150",
                  "fits the Garmin Forerunner 265 you bought in May", "Garmin HRM-Pro Plus", "SKU-20002"):
        assert shown in html, shown
    assert re.search(r'class="source source-co_purchase">co-purchase<', html)
    assert re.search(r'class="source source-graph">graph<', html)
    # a reason is text: escaped, never markup
    assert "&lt;b&gt;pack&lt;/b&gt;" in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<b>pack</b>" not in html and "<script>x()" not in html
    assert "style=" not in html and "<script>" not in html.split("<script src=")[0]

    anonymous = console.get("/staff/conversations/rec-anonymous").text
    assert "Not personalized: anonymous, no consent, this session only" in anonymous
    assert "like the earbuds you looked at" in anonymous and ">embedding<" in anonymous

    polled = console.get("/staff/api/conversations/rec-signed-in?after=0")
    messages = json.loads(polled.text)["messages"]
    assert messages[1]["profile"]["top_brands"] == ["Brooks", "Garmin"]
    assert [r["source"] for r in messages[1]["recommendations"]] == ["graph", "co_purchase", "popular"]


def test_the_analytics_show_click_through_by_source(console):
    page = console.get("/staff/analytics")
    assert page.status == 200
    rows = dict(re.findall(r'<tr data-source="(\w+)">(.*?)</tr>', page.text, flags=re.S))
    assert set(rows) == set(RECOMMENDATION_SOURCES)

    def cells(source):
        return re.findall(r"<td>([^<]*)</td>", rows[source])

    assert cells("graph") == ["2", "1", "50.0%"]
    assert cells("learned") == ["1", "1", "100.0%"]
    assert cells("co_purchase") == ["1", "0", "0.0%"] and cells("popular") == ["1", "0", "0.0%"]
    assert "recommendation clicks: 2" in page.text
    charts.clear_cache()
    chart = console.get("/staff/analytics/clicks.png")
    assert chart.status == 200 and chart.getheader("Content-Type") == "image/png" and chart.body[:4] == b"\x89PNG"


# --- the click API and the click log ------------------------------------------------------------
@pytest.fixture()
def shopper_api(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPBOT_SESSION_SECRET", "test-session-secret-" + uuid.uuid4().hex)
    web = WebStore(f"sqlite:///{tmp_path / 'shop.db'}")
    monkeypatch.setattr(web_store, "_store", web)
    app = Sanic(f"shopper_api_{uuid.uuid4().hex[:8]}")
    blueprint = Blueprint(f"web_{uuid.uuid4().hex[:8]}")
    add_shopper_routes(blueprint)
    app.blueprint(blueprint)
    port, stop = serve(app, host="127.0.0.1")
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/web/api/click", web=web, path=tmp_path / "shop.db")
    stop()


def test_the_click_api_stores_the_source_and_drops_unknown_ones(shopper_api):
    from bot.web.sessions import conversation_of, issue_session

    token = issue_session()
    headers = {"X-Session-Token": token}
    status, body = call("POST", shopper_api.url, {"product_id": "SKU-20001", "source": "co_purchase"}, headers=headers)
    assert status == 200 and body == {"product_id": "SKU-20001", "source": "co_purchase"}
    for unknown in ("magic", "GRAPH", "<script>", 7, None, ["graph"]):
        status, body = call("POST", shopper_api.url, {"product_id": "SKU-20002", "source": unknown}, headers=headers)
        assert status == 200 and body["source"] is None, unknown
    assert call("POST", shopper_api.url, {"product_id": "SKU-20003"}, headers=headers)[1]["source"] is None
    assert call("POST", shopper_api.url, {"product_id": "<b>", "source": "graph"}, headers=headers)[0] == 400
    assert call("POST", shopper_api.url, {"product_id": "SKU-20001", "source": "graph"})[0] == 401
    with sqlite3.connect(shopper_api.path) as db:
        rows = db.execute("SELECT sender_id, product_id, source FROM product_clicks ORDER BY id").fetchall()
    sender = conversation_of(token)
    assert rows[0] == (sender, "SKU-20001", "co_purchase")
    assert {row[2] for row in rows[1:]} == {None} and len(rows) == 8


# --- an older database without the source column -------------------------------------------------
def old_click_table() -> Table:
    """``product_clicks`` as the first release created it, before ``source``."""
    return Table("product_clicks", MetaData(),
                 Column("id", Integer, primary_key=True),
                 Column("sender_id", String(128), nullable=False, index=True),
                 Column("product_id", String(64), nullable=False),
                 Column("created_at", DateTime, nullable=False))


def _uses_an_old_table(url):
    old = old_click_table()
    old.metadata.create_all(engine_for(url))
    with engine_for(url).begin() as connection:
        connection.execute(old.insert().values(sender_id="old-conversation", product_id="SKU-1",
                                               created_at=datetime(2024, 1, 2, 3, 4, 5)))
    store = WebStore(url)
    assert store.click_count() == 1  # the first use adds the column
    columns = {c["name"]: c for c in inspect(engine_for(url)).get_columns("product_clicks")}
    assert columns["source"]["nullable"]
    stored = store.add_click("new-conversation", "SKU-2", "learned")
    assert stored["source"] == "learned"
    assert store.clicks_by_source() == {None: 1, "learned": 1}
    assert [c.product_id for c in store.clicks_without_source()] == ["SKU-1"]
    # once there, the column is not added again (another process starting later)
    assert web_store.add_missing_columns(engine_for(url), web_store.Base.metadata) == []


def test_an_older_sqlite_click_table_gets_the_source_column(tmp_path):
    _uses_an_old_table(f"sqlite:///{tmp_path / 'old-shop.db'}")


def test_an_older_postgresql_click_table_gets_the_source_column():
    psycopg2 = pytest.importorskip("psycopg2", reason="no PostgreSQL driver (psycopg2) in this environment")
    from sqlalchemy.engine import make_url

    admin = make_url(POSTGRES_URL)
    params = dict(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username or "postgres",
                  password=admin.password, dbname=admin.database or "postgres", connect_timeout=5)
    try:
        connection = psycopg2.connect(**params)
    except psycopg2.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {admin.render_as_string(hide_password=True)}: {error}")
    connection.autocommit = True
    name = f"shopbot_clicks_{uuid.uuid4().hex[:12]}"  # generated, not user input
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        _uses_an_old_table(url)
    finally:
        engine_for(url).dispose()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{name}"')
        connection.close()
