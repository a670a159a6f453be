"""How each bot reply was served (generated, template, fallback and why) in the staff
console, from the bot message's metadata as Rasa stores it; and that metadata never
reaches a client (Rasa env only)."""

import asyncio
import json
import re
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from rasa.core.actions.action import create_bot_utterance  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from sanic import Sanic  # noqa: E402

from bot.shop.db import ShopDatabase  # noqa: E402
from bot.web.channel import rasa_messages, widget_message  # noqa: E402
from bot.web.conversations import ConversationReader, reply_record  # noqa: E402
from bot.web.staff import add_staff_routes  # noqa: E402
from bot.web.staff.models import StaffDatabase  # noqa: E402
from bot.web.staff.routes import StaffConsole  # noqa: E402
from bot.web.staff.users import create_user  # noqa: E402
from bot.web.store import WebStore  # noqa: E402
from bot.web.tracker_store import RedactingTrackerStore  # noqa: E402
from tests.web.http_server import Browser, serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STAFF = ("ann@shop.example", "another long secret")
T0 = 1_717_405_200.0
HOSTILE = 'invents "<b>Acme X</b>" <script>x()</script>'

GENERATED = {"path": "generated", "reason": "", "violations": [], "seconds": 0.8}
FALLBACK = {"path": "fallback", "reason": "guardrails", "violations": [f"unknown_product: {HOSTILE}"], "seconds": 0.9}
TEMPLATE = {"path": "template", "reason": "verbatim", "violations": []}


def dispatched(text, record):
    """A bot message as Rasa builds it from an action server's dispatched message (the
    kwargs ``bot.dialogue.replies.Reply.dispatch_kwargs`` gives ``utter_message``)."""
    return create_bot_utterance({"text": text, "buttons": None, "custom": None, "shopbot": {"reply": record}})


def events():
    parse = {"intent": {"name": "search_products", "confidence": 0.9}, "entities": [], "text": "yoga mats"}
    out = [SessionStarted(timestamp=T0), ActionExecuted("action_listen", timestamp=T0)]
    for i, (text, record) in enumerate([("Here is the Gaiam mat for $24.98.", GENERATED),
                                        ("Yoga mats under $30: Gaiam Essentials", FALLBACK),
                                        ("Our 30-day return window starts on delivery.", TEMPLATE)]):
        t = T0 + 10 * (i + 1)
        out += [UserUttered("yoga mats", parse["intent"], [], parse_data=parse, timestamp=t, input_channel="rest"),
                ActionExecuted("action_search_products", timestamp=t + 1)]
        bot = dispatched(text, record)
        bot.timestamp = t + 2
        out += [bot, ActionExecuted("action_listen", timestamp=t + 3)]
    out.append(BotUttered("An old message without a record.", timestamp=T0 + 50))
    return out


@pytest.fixture(scope="module")
def tracker_store(tmp_path_factory):
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = RedactingTrackerStore(domain, dialect="sqlite", db=str(tmp_path_factory.mktemp("paths") / "c.db"))
    asyncio.run(store.save(DialogueStateTracker.from_events("paths", events(), slots=domain.slots)))
    yield store
    store.engine.dispose()


def test_the_metadata_becomes_the_bot_messages_and_never_reaches_a_client():
    bot = dispatched("Here is the Gaiam mat for $24.98.", GENERATED)
    assert bot.metadata == {"shopbot": {"reply": GENERATED}}
    message = bot.message()  # what Rasa hands the output channel
    assert "shopbot" in message
    assert rasa_messages(message) == [{"text": "Here is the Gaiam mat for $24.98."}]
    assert "shopbot" not in widget_message(message)
    assert set(widget_message(message)) <= {"text", "timestamp", "from"}


def test_reply_records_are_read_defensively():
    assert reply_record({"shopbot": {"reply": GENERATED}})["path"] == "generated"
    assert reply_record({"shopbot": {"reply": {"path": "magic"}}}) is None
    assert reply_record({"shopbot": "x"}) is None and reply_record(None) is None
    odd = reply_record({"shopbot": {"reply": {"path": "fallback", "violations": "nope", "seconds": "1"}}})
    assert odd["violations"] == [] and odd["seconds"] is None and odd["reason"] == ""


def test_the_transcript_turns_carry_the_path(tracker_store):
    turns = ConversationReader(engine=tracker_store.engine).conversation("paths").turns
    bots = [t for t in turns if t.kind == "bot"]
    assert [t.reply_badge for t in bots] == ["generated", "fallback (guardrails)", "template", None]
    assert bots[0].source == "generator" and bots[1].source == "template"
    assert bots[1].reply["violations"] == [f"unknown_product: {HOSTILE}"]


@pytest.fixture(scope="module")
def console(tracker_store, tmp_path_factory):
    work = tmp_path_factory.mktemp("console")
    shop = ShopDatabase(f"sqlite:///{work / 'shop.db'}")
    staff = StaffDatabase(shop.url)
    create_user(staff, *STAFF, role="agent", name="Ann")
    app = Sanic("reply_paths_console")
    add_staff_routes(app, None, StaffConsole(staff_db=staff, shop_db=shop, web=WebStore(shop.url),
                                             reader=ConversationReader(engine=tracker_store.engine)))
    port, stop = serve(app, host="127.0.0.1")
    browser = Browser(port)
    assert browser.login(*STAFF).status == 303
    yield browser
    stop()


def test_the_console_shows_a_badge_per_bot_message(console):
    page = console.get("/staff/conversations/paths")
    assert page.status == 200
    html = page.text
    badges = re.findall(r'<span class="reply-path reply-(\w+)"[^>]*>([^<]*)</span>', html)
    assert badges == [("generated", "generated"), ("fallback", "fallback (guardrails)"), ("template", "template")]
    # the violations are a tooltip, escaped text
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html

    polled = json.loads(console.get("/staff/api/conversations/paths?after=0").text)["messages"]
    bots = [m for m in polled if m["kind"] == "bot"]
    assert [m["reply_badge"] for m in bots] == ["generated", "fallback (guardrails)", "template", None]
    assert bots[1]["reply"]["reason"] == "guardrails"


def test_the_summary_counts_how_replies_were_served(tracker_store):
    summary = ConversationReader(engine=tracker_store.engine).conversation("paths").summary
    assert summary.wording == {"generated": 1, "fallback:guardrails": 1, "template": 1}
    assert summary.worded_fallbacks == 1


def test_staff_find_the_conversations_whose_wording_fell_back(console):
    page = console.get("/staff/?wording_fallback=yes")
    assert page.status == 200 and "/staff/conversations/paths" in page.text
    assert "wording fell back ×1" in page.text
    assert "/staff/conversations/paths" not in console.get("/staff/?wording_fallback=no").text


def test_analytics_shows_the_generated_share_and_the_fallback_reasons(console):
    from bot.web.staff import charts

    page = console.get("/staff/analytics")
    assert page.status == 200
    text = re.sub(r"\s+", " ", page.text)
    # of the 2 replies the generator was asked for, 1 served; the template is not counted
    assert "worded by the generator: 50% of 2 replies it was asked for" in text, text[:2000]
    assert "guardrails 1" in text and "wording_fallback=yes" in text
    charts.clear_cache()
    png = console.get("/staff/analytics/wording.png")
    assert png.status == 200 and png.body[:8] == b"\x89PNG\r\n\x1a\n" and len(png.body) > 5000
