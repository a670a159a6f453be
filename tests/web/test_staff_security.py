"""Attacks on the staff console, replayed over real HTTP against Rasa's own Sanic app.

The app is ``rasa.server.create_app(cors_origins="*")`` (what ``rasa run --enable-api
--cors "*"`` builds, sanic-cors included); the console is mounted on a blueprint as the
web channel does it, with a real shop database, real staff accounts and scrypt hashes.
The server trusts 127.0.0.1 as a proxy, so each test signs in "from" its own client
address through ``X-Forwarded-For``; one peer, 127.0.0.2, is not trusted.
"""

import http.client
import re
import threading
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

pytest.importorskip("rasa")

from sanic import Blueprint, Sanic, response  # noqa: E402

from bot.web import cli  # noqa: E402
from bot.web.conversations import ConversationReader  # noqa: E402
from bot.web.staff import add_staff_routes, users  # noqa: E402
from bot.web.staff.console import StaffConsole  # noqa: E402
from bot.web.staff.models import StaffDatabase  # noqa: E402
from bot.web.staff.throttle import ThrottlePolicy  # noqa: E402
from bot.web.store import ShopTables  # noqa: E402
from tests.web.http_server import Browser, serve  # noqa: E402


ADMIN = ("boss@shop.example", "correct horse battery")
AGENT = ("ann@shop.example", "another long secret")
POLICY = ThrottlePolicy(account_failures=3, address_failures=5, window=timedelta(minutes=15),
                        lockout=timedelta(minutes=15))
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("security")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SHOPBOT_TRUSTED_PROXIES", "127.0.0.1")
        env.delenv("SHOPBOT_SECURE_COOKIES", raising=False)
        env.setenv("SHOPBOT_SESSION_SECRET", "test-session-secret-for-keyed-hashes")
        import rasa.server

        Sanic._app_registry.pop("rasa_server", None)
        app = rasa.server.create_app(cors_origins="*")
        url = f"sqlite:///{work / 'shop.db'}"
        staff = StaffDatabase(url)
        users.create_user(staff, *ADMIN, role="admin")
        users.create_user(staff, *AGENT, role="agent", name="Ann")
        web = Blueprint(f"shop_web_{uuid.uuid4().hex[:6]}")  # mounted the way the web channel does it

        @web.route("/web/api/ping", methods=["GET"])
        async def ping(_):
            return response.json({"ok": True})

        console = StaffConsole(staff_db=staff, shop_db=ShopTables(url), throttle=POLICY,
                               reader=ConversationReader(path=work / "conversations.db"))
        add_staff_routes(web, None, console)
        app.blueprint(web)
        port, stop = serve(app, before_start=True)
        yield SimpleNamespace(port=port, staff=staff, url=url)
        stop()
        Sanic._app_registry.pop("rasa_server", None)


def error_of(resp):
    return re.search(r'<p class="error">(.*?)</p>', resp.text).group(1)


@pytest.fixture()
def hashes(monkeypatch):
    """Counts the scrypt verifications the server runs (the real function still does the work)."""
    calls = []
    real = users.verify_password

    def counting(password, stored):
        calls.append(time.monotonic())
        return real(password, stored)

    monkeypatch.setattr(users, "verify_password", counting)
    return calls


def test_brute_force_locks_the_account_and_a_locked_account_costs_no_hashing(server, hashes):
    attacker = Browser(server.port, client="203.0.113.10")
    for guess in ("password1", "letmein123", "hunter2hunter2"):
        assert attacker.login(AGENT[0], guess).status == 401
    assert len(hashes) == 3
    refused = attacker.login(AGENT[0], AGENT[1])  # even the right password, now
    assert refused.status == 429 and "Too many sign-in attempts" in refused.text
    assert int(refused.getheader("Retry-After")) > 0
    assert "shopbot_staff" not in attacker.cookies
    assert len(hashes) == 3, "a locked account must be refused before any hashing"
    # the lock is the account's: another address is refused too, still without hashing
    assert Browser(server.port, client="203.0.113.11").login(AGENT[0], AGENT[1]).status == 429
    assert len(hashes) == 3
    # an e-mail without an account locks the same way, with the same answer
    for guess in ("a1234567890", "b1234567890", "c1234567890"):
        assert Browser(server.port, client="203.0.113.12").login("ghost@shop.example", guess).status == 401
    ghost = Browser(server.port, client="203.0.113.12").login("ghost@shop.example", "d1234567890")
    assert ghost.status == 429 and error_of(ghost) == error_of(refused)
    # an operator lifts it early
    assert cli.main(["--database-url", server.url, "unlock-login", "--email", AGENT[0]]) == 0
    assert Browser(server.port, client="203.0.113.13").login(*AGENT).status == 303


def test_a_successful_login_clears_the_accounts_counter(server):
    browser = Browser(server.port, client="203.0.113.20")
    assert browser.login(ADMIN[0], "wrong one 1").status == 401
    assert browser.login(ADMIN[0], "wrong one 2").status == 401
    assert browser.login(*ADMIN).status == 303
    other = Browser(server.port, client="203.0.113.21")
    assert other.login(ADMIN[0], "wrong one 3").status == 401
    assert other.login(ADMIN[0], "wrong one 4").status == 401
    assert other.login(*ADMIN).status == 303  # 4 failures in all, but never 3 since the last success


def test_one_address_guessing_across_accounts_is_locked(server, hashes):
    sprayer = Browser(server.port, client="198.51.100.7")
    for n in range(POLICY.address_failures):
        assert sprayer.login(f"user{n}@shop.example", "Winter2024!!").status == 401
    hashed = len(hashes)
    assert sprayer.login(*ADMIN).status == 429  # the address is locked, whichever account
    assert len(hashes) == hashed
    assert Browser(server.port, client="198.51.100.8").login(*ADMIN).status == 303  # elsewhere: fine


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(server):
    """127.0.0.2 is not a trusted proxy: its X-Forwarded-For cannot dodge the address lock."""
    for n in range(POLICY.address_failures):
        spoofing = Browser(server.port, client=f"192.0.2.{n + 1}", source="127.0.0.2")
        assert spoofing.login(f"spray{n}@shop.example", "Spring2024!!").status == 401
    fresh_lie = Browser(server.port, client="192.0.2.99", source="127.0.0.2")
    assert fresh_lie.login(*AGENT).status == 429


def test_the_login_token_is_single_use_and_bound_to_its_browser(server):
    browser = Browser(server.port, client="203.0.113.30")
    token = browser.form_token()
    assert browser.login(ADMIN[0], "not the password", token=token).status == 401
    replay = browser.login(*ADMIN, token=token)
    assert replay.status == 403 and "shopbot_staff" not in browser.cookies
    # a token issued to one browser (pre-session cookie) is refused with another's cookie
    victim, attacker = Browser(server.port, client="203.0.113.31"), Browser(server.port, client="203.0.113.32")
    victim.form_token()
    stolen = attacker.form_token()
    assert victim.login(*ADMIN, token=stolen).status == 403
    # and with no pre-session cookie at all
    assert Browser(server.port, client="203.0.113.33").login(*ADMIN, token=attacker.form_token()).status == 403
    assert attacker.login(*ADMIN).status == 303  # a fresh token of one's own works


def test_session_csrf_tokens_rotate_at_login_and_are_bound_to_their_session(server):
    one, two = Browser(server.port, client="203.0.113.40"), Browser(server.port, client="203.0.113.41")
    assert one.login(*AGENT).status == 303 and two.login(*AGENT).status == 303
    token_one, token_two = one.csrf(), two.csrf()
    assert token_one != token_two
    target = "/staff/conversations/conv-x/notes"
    assert two.post(target, {"csrf_token": token_one, "text": "from session one"}).status == 403
    assert two.post(target, {"text": "header too"}, headers={"X-CSRF-Token": token_one}).status == 403
    assert two.post(target, {"csrf_token": token_two, "text": "mine"}).status == 303
    old_cookie = one.cookies["shopbot_staff"]
    assert one.login(*AGENT).status == 303  # signing in again: a new session and token
    assert one.cookies["shopbot_staff"] != old_cookie
    assert one.csrf() != token_one
    assert one.post(target, {"csrf_token": token_one, "text": "stale"}).status == 403
    stale = Browser(server.port, client="203.0.113.40")
    stale.cookies["shopbot_staff"] = old_cookie
    assert stale.get("/staff/api/conversations").status == 401  # the old session is gone


def cors_headers(resp):
    return {h.lower(): v for h, v in resp.getheaders() if h.lower().startswith("access-control-")}


def test_no_cors_under_staff_while_rasa_runs_with_cors_star(server):
    evil = {"Origin": EVIL}
    preflight = {**evil, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "X-CSRF-Token, Content-Type"}
    anon = Browser(server.port, client="203.0.113.50")
    # the control: Rasa's own routes (and the rest of the web app) do reflect any origin
    version = anon.get("/version", headers=evil)
    assert cors_headers(version).get("access-control-allow-origin") == EVIL
    assert cors_headers(anon.get("/web/api/ping", headers=evil)).get("access-control-allow-credentials") == "true"
    staff = Browser(server.port, client="203.0.113.51")
    assert staff.login(*ADMIN).status == 303
    checks = [
        anon.get("/staff/login", headers=evil),
        anon.get("/staff/api/conversations", headers=evil),  # 401
        anon.get("/staff/no-such-page", headers=evil),  # 404 from the router
        anon.request("OPTIONS", "/staff/login", headers=preflight),
        anon.request("OPTIONS", "/staff/api/conversations", headers=preflight),
        anon.request("OPTIONS", "/staff/conversations/x/notes", headers=preflight),
        staff.get("/staff/api/conversations", headers=evil),  # signed in, with cookies
        staff.post("/staff/conversations/x/notes", {"text": "x"}, headers=evil),  # 403: no CSRF
        staff.get("/staff/static/console.js", headers=evil),
    ]
    assert checks[6].status == 200
    for resp in checks:
        assert cors_headers(resp) == {}, (resp.status, cors_headers(resp))


def test_cookies_are_secure_only_when_https_is_vouched_for(server):
    proxied = Browser(server.port, client="203.0.113.60")
    page = proxied.get("/staff/login", headers={"X-Forwarded-Proto": "https"})
    assert page.set_cookies and all("; secure" in c.lower() for c in page.set_cookies)
    login = proxied.login(*ADMIN, headers={"X-Forwarded-Proto": "https"})
    session = next(c for c in login.set_cookies if c.startswith("shopbot_staff="))
    assert "; secure" in session.lower()
    # the same header from a peer that is not a trusted proxy is ignored
    liar = Browser(server.port, source="127.0.0.2")
    page = liar.get("/staff/login", headers={"X-Forwarded-Proto": "https"})
    assert page.set_cookies and not any("; secure" in c.lower() for c in page.set_cookies)
    plain = Browser(server.port, client="203.0.113.61").get("/staff/login")
    assert plain.set_cookies and not any("; secure" in c.lower() for c in plain.set_cookies)


def test_cookies_can_be_forced_secure(server, monkeypatch):
    monkeypatch.setenv("SHOPBOT_SECURE_COOKIES", "1")
    page = Browser(server.port, client="203.0.113.62").get("/staff/login")
    assert page.set_cookies and all("; secure" in c.lower() for c in page.set_cookies)


def test_the_event_loop_keeps_serving_while_logins_hash(server, monkeypatch):
    """Many sign-ins at once, their password checks held at a gate the test opens: a static
    file is served meanwhile, because scrypt runs in the hashing pool. With scrypt on the
    event loop, the first held check would stop the whole server (the request times out)."""
    count, gate, started = 12, threading.Event(), []
    real = users.verify_password

    def held(password, stored):
        started.append(threading.current_thread().name)
        gate.wait(60)
        return real(password, stored)

    monkeypatch.setattr(users, "verify_password", held)
    browsers = [Browser(server.port, client=f"203.0.113.{100 + n}") for n in range(count)]
    tokens = [b.form_token() for b in browsers]
    statuses = []
    try:
        connections = [browser.request("POST", "/staff/login", send_only=True, form={
            "email": f"nobody{n}@shop.example", "password": f"guess number {n}", "csrf_token": token})
            for n, (browser, token) in enumerate(zip(browsers, tokens))]
        readers = [threading.Thread(target=lambda b=b, c=c: statuses.append(b.receive(c).status))
                   for b, c in zip(browsers, connections)]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + 60
        while not started and time.monotonic() < deadline:  # the server is checking a password now
            time.sleep(0.01)
        assert started, "the server never started checking a password"
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
        connection.request("GET", "/staff/static/console.css")
        cheap = connection.getresponse()  # raises a timeout if the event loop is stuck in a hash
        assert cheap.status == 200 and cheap.read()
        assert statuses == [], "no sign-in can have finished: their hashing is held"
        assert len(started) <= users.hash_threads()
        assert all(name.startswith("staff-scrypt") for name in started)
    finally:
        gate.set()
    for reader in readers:
        reader.join(120)
    assert sorted(statuses) == [401] * count
