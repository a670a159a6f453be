"""Client addresses and https behind proxies (``bot.web.proxy``), over real HTTP: a Sanic app
answers what it makes of each request, from a trusted peer (127.0.0.1) and an untrusted
one (127.0.0.2), with the headers an attacker would send."""

import http.client
import json
import uuid

import pytest

from sanic import Sanic, response

from bot.web import proxy
from tests.web.http_server import serve



@pytest.fixture(scope="module")
def port():
    app = Sanic(f"proxy_test_{uuid.uuid4().hex[:8]}")

    @app.route("/who", methods=["GET"])
    async def who(request):
        return response.json({"client": proxy.client_address(request), "secure": proxy.is_secure(request),
                              "secure_cookies": proxy.secure_cookies(request)})

    number, stop = serve(app)
    yield number
    stop()


def ask(port, headers=None, source="127.0.0.1"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    connection.request("GET", "/who", headers=headers or {})
    return json.loads(connection.getresponse().read())


SPOOF = {"X-Forwarded-For": "203.0.113.66", "X-Forwarded-Proto": "https"}


def test_without_trusted_proxies_the_headers_are_ignored(port, monkeypatch):
    monkeypatch.delenv(proxy.TRUSTED_PROXIES_ENV, raising=False)
    monkeypatch.delenv(proxy.SECURE_COOKIES_ENV, raising=False)
    assert ask(port, SPOOF) == {"client": "127.0.0.1", "secure": False, "secure_cookies": False}


def test_a_trusted_proxy_is_believed(port, monkeypatch):
    monkeypatch.setenv(proxy.TRUSTED_PROXIES_ENV, "127.0.0.1, 10.0.0.0/8")
    assert ask(port, SPOOF) == {"client": "203.0.113.66", "secure": True, "secure_cookies": True}
    # the client wrote the left part; our proxies (127.0.0.1 and a 10.x hop) appended the rest
    chain = {"X-Forwarded-For": "6.6.6.6, 198.51.100.4, 10.1.2.3", "X-Forwarded-Proto": "http"}
    assert ask(port, chain) == {"client": "198.51.100.4", "secure": False, "secure_cookies": False}
    # several headers are one list; ports and brackets are understood
    assert ask(port, {"X-Forwarded-For": "[2001:db8::7]:4711"})["client"] == "2001:db8::7"
    assert ask(port, {"X-Forwarded-For": "198.51.100.9:5000"})["client"] == "198.51.100.9"
    # garbage between our hops and the client: stop at the last hop we trust
    assert ask(port, {"X-Forwarded-For": "198.51.100.4, <script>, 10.9.9.9"})["client"] == "10.9.9.9"
    # no header at all: the proxy itself
    assert ask(port)["client"] == "127.0.0.1"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_spoof(port, monkeypatch):
    monkeypatch.setenv(proxy.TRUSTED_PROXIES_ENV, "127.0.0.1")
    assert ask(port, SPOOF, source="127.0.0.2") == {"client": "127.0.0.2", "secure": False,
                                                    "secure_cookies": False}


def test_secure_cookies_can_be_forced(port, monkeypatch):
    monkeypatch.delenv(proxy.TRUSTED_PROXIES_ENV, raising=False)
    monkeypatch.setenv(proxy.SECURE_COOKIES_ENV, "1")
    assert ask(port) == {"client": "127.0.0.1", "secure": False, "secure_cookies": True}


def test_a_bad_setting_trusts_only_what_it_can_read(caplog):
    assert proxy.parse_networks("127.0.0.1, not-an-ip, 10.0.0.0/8") == (
        proxy.parse_networks("127.0.0.1") + proxy.parse_networks("10.0.0.0/8"))
    assert "not-an-ip" in caplog.text
    assert str(proxy.parse_address("::ffff:192.0.2.1")) == "192.0.2.1"
    assert proxy.parse_address("nonsense") is None and proxy.parse_address("") is None
