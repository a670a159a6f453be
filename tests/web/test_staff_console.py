"""The staff console over real HTTP: a Sanic server on a free port with the console's routes,
a real Rasa ``SQLTrackerStore`` and lock store as the agent's, a real shop database with a
ticket. Auth (redirect/401/403, CSRF, roles), escaping, review actions, takeover, analytics."""

import asyncio
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("rasa")

from rasa.core.lock_store import InMemoryLockStore  # noqa: E402
from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from sanic import Sanic  # noqa: E402

from bot.shop.db import ShopDatabase  # noqa: E402
from bot.shop.tickets import create_ticket, get_ticket  # noqa: E402
from bot.web.conversations import ConversationReader  # noqa: E402
from bot.web.staff import add_staff_routes  # noqa: E402
from bot.web.staff.models import StaffDatabase  # noqa: E402
from bot.web.staff.routes import StaffConsole  # noqa: E402
from bot.web.staff.users import create_user  # noqa: E402
from tests.web.http_server import Browser, serve  # noqa: E402


ROOT = Path(__file__).resolve().parents[2]
XSS = '<img src=x onerror="alert(1)">'
ADMIN = ("boss@shop.example", "correct horse battery")
AGENT = ("ann@shop.example", "another long secret")


class FakeChannel:
    """Stands in for the socket.io channel: records what would be pushed to the shopper."""

    def __init__(self):
        self.pushed = []

    async def push_agent_message(self, sender_id, text, agent_name):
        self.pushed.append((sender_id, text, agent_name))
        return 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("console")
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(work / "conversations.db"))
    now = datetime.now(timezone.utc).timestamp() - 60
    parse = {"intent": {"name": "human_handoff", "confidence": 0.9}, "entities": [], "text": XSS,
             "sentiment": {"label": "negative", "score": 0.8}}
    events = [SessionStarted(timestamp=now), ActionExecuted("action_listen", timestamp=now),
              UserUttered(XSS, parse["intent"], [], parse_data=parse, timestamp=now + 1, input_channel="socketio"),
              ActionExecuted("action_human_handoff", timestamp=now + 2),
              BotUttered("A person will take over.", timestamp=now + 3),
              ActionExecuted("action_listen", timestamp=now + 4)]
    asyncio.run(store.save(DialogueStateTracker.from_events("conv-1", events, slots=domain.slots)))
    shop = ShopDatabase(f"sqlite:///{work / 'shop.db'}")
    ticket = create_ticket(shop, "conv-1", "human_handoff", [{"role": "user", "text": "help"}])
    staff = StaffDatabase(shop.url)
    create_user(staff, *ADMIN, role="admin")
    create_user(staff, *AGENT, role="agent", name="Ann")
    channel = FakeChannel()

    app = Sanic(f"staff_test_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = SimpleNamespace(tracker_store=store, lock_store=InMemoryLockStore())
    add_staff_routes(app, channel, StaffConsole(channel=channel, staff_db=staff, shop_db=shop,
                                                reader=ConversationReader(engine=store.engine)))
    port, stop = serve(app, host="127.0.0.1")
    yield SimpleNamespace(port=port, store=store, shop=shop, ticket=ticket, channel=channel)
    stop()


def test_anonymous_is_refused(server):
    anon = Browser(server.port)
    for path in ("/staff/", "/staff/conversations/conv-1", "/staff/tickets", "/staff/analytics", "/staff/users",
                 "/staff/corrections.yml"):
        resp = anon.get(path)
        assert resp.status == 302 and resp.getheader("Location").startswith("/staff/login?next="), path
    for path in ("/staff/api/conversations", "/staff/api/conversations/conv-1", "/staff/analytics/intents.png"):
        assert anon.get(path).status == 401, path
    assert anon.post("/staff/conversations/conv-1/takeover").status == 302
    anon.cookies["shopbot_staff"] = "made-up-token"
    assert anon.get("/staff/api/conversations").status == 401


def test_login_page_sets_no_session_and_wrong_password_fails(server):
    browser = Browser(server.port)
    resp = browser.login(ADMIN[0], "wrong password!")
    assert resp.status == 401 and "Wrong e-mail or password" in resp.text
    assert "shopbot_staff" not in browser.cookies
    assert browser.login("nobody@shop.example", ADMIN[1]).status == 401
    # no login CSRF token: refused even with the right password
    fresh = Browser(server.port)
    assert fresh.post("/staff/login", {"email": ADMIN[0], "password": ADMIN[1]}).status == 403


def test_login_cookie_flags_logout_and_csrf(server):
    browser = Browser(server.port)
    resp = browser.login(*ADMIN, next_url="/staff/tickets")
    assert resp.status == 303 and resp.getheader("Location") == "/staff/tickets"
    session_cookie = next(c for c in resp.set_cookies if c.startswith("shopbot_staff="))
    lowered = session_cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/staff" in lowered
    assert browser.get("/staff/").status == 200
    assert browser.get("/staff/api/conversations").status == 200
    # writes without the CSRF token, or with a wrong one, are refused
    assert browser.post("/staff/conversations/conv-1/review").status == 403
    assert browser.post("/staff/conversations/conv-1/review", {"csrf_token": "nope"}).status == 403
    token = browser.csrf()
    assert browser.post("/staff/conversations/conv-1/notes", {"text": "hello"},
                        headers={"X-CSRF-Token": token}).status == 303
    assert browser.post("/staff/logout", {"csrf_token": token}).status == 303
    assert browser.get("/staff/").status == 302


def test_open_redirect_is_not_followed(server):
    browser = Browser(server.port)
    page = browser.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = browser.post("/staff/login", {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": token,
                                         "next": "https://evil.example/"})
    assert resp.getheader("Location") == "/staff/"


def test_agents_cannot_manage_users_admins_can(server):
    agent = Browser(server.port)
    agent.login(*AGENT)
    assert agent.get("/staff/users").status == 403
    token = agent.csrf()
    assert agent.post("/staff/users", {"csrf_token": token, "email": "x@shop.example",
                                       "password": "long enough pw", "role": "admin"}).status == 403
    admin = Browser(server.port)
    admin.login(*ADMIN)
    assert admin.get("/staff/users").status == 200
    token = admin.csrf()
    assert admin.post("/staff/users", {"csrf_token": token, "email": "new@shop.example",
                                       "password": "short", "role": "agent"}).status == 400
    assert admin.post("/staff/users", {"csrf_token": token, "email": "new@shop.example",
                                       "password": "long enough pw", "role": "agent"}).status == 303
    assert "new@shop.example" in admin.get("/staff/users").text
    assert Browser(server.port).login("new@shop.example", "long enough pw").status == 303


def test_pages_escape_shopper_text_and_have_a_strict_csp(server):
    browser = Browser(server.port)
    browser.login(*AGENT)
    for path in ("/staff/", "/staff/conversations/conv-1", "/staff/?q=onerror"):
        resp = browser.get(path)
        assert resp.status == 200
        assert XSS not in resp.text and "<img src=x" not in resp.text
        assert "script-src 'self'" in resp.getheader("Content-Security-Policy")
        assert " onerror=" not in resp.text.replace("&#34;", '"').split("<body>")[0]
    assert "&lt;img src=x onerror=" in browser.get("/staff/conversations/conv-1").text
    assert "conv-1" in browser.get("/staff/?negative=yes&handoff=yes").text
    assert "conv-1" not in browser.get("/staff/?negative=no").text
    data = browser.get("/staff/api/conversations/conv-1").text
    assert '"kind":"user"' in data.replace(" ", "")


def test_review_correction_and_export(server):
    browser = Browser(server.port)
    browser.login(*AGENT)
    token = browser.csrf()
    base = "/staff/conversations/conv-1"
    messages = browser.get(f"{base}").text
    event_id = re.search(r'name="event_id" value="(\d+)"', messages).group(1)
    assert browser.post(f"{base}/corrections", {"csrf_token": token, "event_id": event_id,
                                                "intent": "complaint"}).status == 303
    assert browser.post(f"{base}/tags", {"csrf_token": token, "tags": "angry, xss"}).status == 303
    assert browser.post(f"{base}/review", {"csrf_token": token}).status == 303
    page = browser.get(base).text
    assert "corrected to complaint" in page and "angry, xss" in page and "reviewed by ann@shop.example" in page
    assert "conv-1" in browser.get("/staff/?reviewed=yes").text
    export = browser.get("/staff/corrections.yml")
    assert export.status == 200 and "intent: complaint" in export.text


def test_takeover_message_and_handback(server):
    browser = Browser(server.port)
    browser.login(*AGENT)
    token = browser.csrf()
    base = "/staff/conversations/conv-1"
    assert server.ticket.id in browser.get("/staff/tickets").text
    assert browser.post(f"{base}/takeover", {"csrf_token": token}).status == 303
    assert get_ticket(server.shop, server.ticket.id).assigned_to == AGENT[0]
    tracker = asyncio.run(server.store.retrieve("conv-1"))
    assert tracker.is_paused()
    assert browser.post(f"{base}/messages", {"csrf_token": token, "text": "Hi, Ann here <b>"}).status == 303
    assert server.channel.pushed[-1] == ("conv-1", "Hi, Ann here <b>", "Ann")
    polled = browser.get("/staff/api/conversations/conv-1?after=0").text
    assert '"paused":true' in polled.replace(" ", "") and "Hi, Ann here <b>" in polled
    assert browser.post(f"{base}/handback", {"csrf_token": token}).status == 303
    tracker = asyncio.run(server.store.retrieve("conv-1"))
    assert not tracker.is_paused()
    assert tracker.events[-2].metadata == {"from": "agent", "agent": "Ann"}
    assert get_ticket(server.shop, server.ticket.id).status == "closed"


def test_analytics_page_and_charts(server):
    browser = Browser(server.port)
    browser.login(*AGENT)
    page = browser.get("/staff/analytics")
    assert page.status == 200 and "recommendation clicks: 0" in page.text
    chart = browser.get("/staff/analytics/handoff.png")
    assert chart.status == 200 and chart.getheader("Content-Type") == "image/png" and chart.body[:4] == b"\x89PNG"
    assert browser.get("/staff/analytics/nope.png").status == 404
