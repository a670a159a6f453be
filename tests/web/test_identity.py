"""Signed shopper identity on the Rasa server's side: our tokens and PyJWT's are the same
thing; ``inbound.prepare`` turns a valid token into the server-set customer id and never
lets the token itself through; the demo sign-in endpoints (a real Sanic server over a real,
seeded SQLite shop database) exist only with ``SHOPBOT_DEMO=1``."""

import json
import time
import uuid
from datetime import datetime, timezone

import pytest

jwt = pytest.importorskip("jwt")  # PyJWT: in the Rasa environment
pytest.importorskip("sanic")

from sanic import Blueprint, Sanic  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bot.catalog import load_catalog  # noqa: E402
from bot.identity.tokens import mint, verify  # noqa: E402
from bot.shop.db import ShopDatabase  # noqa: E402
from bot.shop.schema import Customer  # noqa: E402
from bot.shop.seed import DEMO_CUSTOMERS  # noqa: E402
from bot.web import inbound  # noqa: E402
from bot.web.demo import add_demo_routes  # noqa: E402
from tests.web.chat import call  # noqa: E402
from tests.web.http_server import serve  # noqa: E402

SECRET = "web-identity-test-secret-" + "k" * 48  # 64+ bytes: PyJWT warns below that for HS512


@pytest.fixture(autouse=True)
def identity_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOPBOT_IDENTITY_SECRET", SECRET)
    monkeypatch.delenv("SHOPBOT_SESSION_SECRET", raising=False)
    monkeypatch.setenv("SHOPBOT_SECRETS_DIR", str(tmp_path / "secrets"))


# -- interoperability: any JWT library can mint and read these tokens -----------------------

def test_pyjwt_reads_our_tokens():
    token = mint(42, ttl_seconds=600)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "42" and claims["exp"] - claims["iat"] == 600
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another key entirely, long enough", algorithms=["HS256"])


def test_we_read_the_hs256_tokens_a_shop_makes_with_pyjwt():
    now = int(time.time())
    token = jwt.encode({"sub": "42", "iat": now, "exp": now + 600, "iss": "https://shop.example"}, SECRET,
                       algorithm="HS256")
    identity = verify(token)
    assert identity.customer_id == 42
    assert identity.expires_at == datetime.fromtimestamp(now + 600, tz=timezone.utc)
    # what PyJWT also refuses, we refuse
    assert verify(jwt.encode({"sub": "42", "exp": now - 3600}, SECRET, algorithm="HS256")) is None
    assert verify(jwt.encode({"sub": "42", "exp": now + 600}, SECRET, algorithm="HS512")) is None
    other_key = "not the shop's secret, though as long as one"
    assert verify(jwt.encode({"sub": "42", "exp": now + 600}, other_key, algorithm="HS256")) is None
    assert verify(jwt.encode({"sub": "42"}, SECRET, algorithm="HS256")) is None  # no exp: no end
    unsigned = jwt.encode({"sub": "42", "exp": now + 600}, None, algorithm="none")
    assert verify(unsigned) is None


# -- inbound.prepare: the customer id in, the token out ---------------------------------------

def test_a_valid_token_becomes_the_server_set_customer_id_and_goes_no_further():
    token = mint(42)
    for channel in ("rest", "socketio"):
        message = inbound.prepare("hi", {"identity": token, "language": "en"}, channel, "203.0.113.7")
        stamp = message.metadata["shopbot"]
        assert stamp["customer_id"] == 42 and stamp["channel"] == channel and stamp["client"]
        assert message.metadata["language"] == "en"  # the rest of the client's metadata stays
        assert "identity" not in message.metadata and token not in json.dumps(message.metadata)


def bad_identity(kind):
    """What a client might send as ``identity`` that vouches for nobody."""
    now = int(time.time())
    return {
        "expired": lambda: mint(42, ttl_seconds=60, now=now - 3600),
        "forged": lambda: mint(42, secret="someone else's key, long enough"),
        "alg none": lambda: jwt.encode({"sub": "42", "exp": now + 600}, None, algorithm="none"),
        "garbage": lambda: "not.a.token",
        "empty": lambda: "",
        "null": lambda: None,
        "number": lambda: 42,
        "object": lambda: {"sub": "42"},
        "list": lambda: [mint(42)],
        "huge": lambda: mint(42) + "x" * 100_000,
    }[kind]()


@pytest.mark.parametrize("kind", ["expired", "forged", "alg none", "garbage", "empty", "null", "number", "object",
                                  "list", "huge"])
def test_anything_else_is_an_anonymous_shopper_and_is_dropped(kind):
    message = inbound.prepare("hi", {"identity": bad_identity(kind), "language": "en"}, "rest")
    assert "customer_id" not in message.metadata["shopbot"]
    assert "identity" not in message.metadata
    assert message.text == "hi"


def test_a_client_cannot_name_its_own_customer_id():
    forged = {"shopbot": {"customer_id": 1}, "customer_id": 1, "language": "en"}
    message = inbound.prepare("hi", forged, "socketio")
    assert "customer_id" not in message.metadata["shopbot"]
    # a top-level customer_id is a client's word, never the server's stamp
    assert message.metadata.get("customer_id") == 1 and message.metadata["shopbot"] == {"channel": "socketio"}
    with_token = inbound.prepare("hi", {**forged, "identity": mint(7)}, "socketio")
    assert with_token.metadata["shopbot"]["customer_id"] == 7


# -- the demo sign-in endpoints ---------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory):
    """A seeded shop database with one customer more, who is no demo customer, and a Sanic
    server with the demo routes on a blueprint, as the socket.io channel mounts them."""
    work = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{work / 'shop.db'}"
    db = ShopDatabase(url)
    assert db.seed_demo(load_catalog(), now=datetime(2025, 5, 14, 15, 0, tzinfo=timezone.utc))
    with db.session() as session:
        session.add(Customer(name="Real Customer", email="real.customer@shop.example", created_at=datetime(2024, 1, 1)))
    with db.session() as session:
        ids = dict(session.execute(select(Customer.email, Customer.id)).all())
    db.dispose()
    app = Sanic(f"demo_test_{uuid.uuid4().hex[:8]}")
    web = Blueprint(f"demo_web_{uuid.uuid4().hex[:8]}")
    add_demo_routes(web)
    app.blueprint(web)
    port, stop = serve(app, host="127.0.0.1")
    yield {"url": f"http://127.0.0.1:{port}", "database_url": url, "ids": ids}
    stop()


@pytest.fixture
def demo_on(demo_shop, monkeypatch):
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", demo_shop["database_url"])
    monkeypatch.setenv("SHOPBOT_DEMO", "1")
    return demo_shop


def test_the_demo_lists_the_named_demo_customers(demo_on):
    status, body = call("GET", f"{demo_on['url']}/web/api/demo/customers")
    assert status == 200
    assert body["customers"] == [{"name": name, "email": email} for name, email in DEMO_CUSTOMERS]
    assert "real.customer@shop.example" not in json.dumps(body)


def test_signing_in_as_a_demo_customer_gives_their_token(demo_on):
    before = time.time()
    status, body = call("POST", f"{demo_on['url']}/web/api/demo/sign-in", {"email": "Jane.Doe@example.com "})
    assert status == 200 and body["name"] == "Jane Doe"
    identity = verify(body["identity"])
    assert identity.customer_id == demo_on["ids"]["jane.doe@example.com"]
    assert datetime.fromisoformat(body["expires_at"]) == identity.expires_at
    assert identity.expires_at.timestamp() > before + 600
    message = inbound.prepare("hi", {"identity": body["identity"]}, "socketio")
    assert message.metadata["shopbot"]["customer_id"] == demo_on["ids"]["jane.doe@example.com"]


def test_only_demo_customers_of_the_database_and_proper_requests(demo_on):
    url = f"{demo_on['url']}/web/api/demo/sign-in"
    for email in ("real.customer@shop.example", "nobody@example.com"):  # a real shop's customer, nobody
        status, body = call("POST", url, {"email": email})
        assert status == 404 and set(body) == {"error"}
    for payload in ({}, {"email": 42}, {"email": ""}, {"email": "x" * 300 + "@example.com"}, ["jane.doe@example.com"]):
        status, body = call("POST", url, payload)
        assert status == 400 and set(body) == {"error"}, payload
    assert call("POST", url, raw=b"{not json")[0] == 400


def test_the_demo_endpoints_are_absent_unless_switched_on(demo_shop, monkeypatch):
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", demo_shop["database_url"])
    for value in (None, "0", "", "no"):
        if value is None:
            monkeypatch.delenv("SHOPBOT_DEMO", raising=False)
        else:
            monkeypatch.setenv("SHOPBOT_DEMO", value)
        assert call("GET", f"{demo_shop['url']}/web/api/demo/customers") == (404, {"error": "not found"})
        status, body = call("POST", f"{demo_shop['url']}/web/api/demo/sign-in", {"email": "jane.doe@example.com"})
        assert (status, body) == (404, {"error": "not found"})
