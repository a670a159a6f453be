"""Campaigns end to end: `rasa run` and the action server as run.sh starts them, over the
seeded demo shop with its behaviour log. The campaign is created and written with the
real command (segment from the customers' real profiles); then signed-in customers chat:
a member of the segment who accepts offers gets the card once, in the first reply of their
session; a customer outside it, a member who never opted in to offers (until they switch
Offers on in the widget) and a member who switched personalization off in the widget get
nothing; the card's signed link records the click and redirects to the product page, and
a forged link records nothing; its signed "No more offers" switches offers off for that
customer only, and a forged one changes nothing."""

import http.client
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.web import chat

pytest.importorskip("rasa")

from bot.identity.tokens import mint  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACTIONS_PYTHON = ROOT / ".venv-actions" / "bin" / "python"
SPEC = {"id": "e2e-chargers", "name": "Chargers (e2e)", "holdout": 0.2,
        "offer": {"product_ids": ["SKU-10196", "SKU-10195"], "discount": "15% off with code CHARGE15"},
        "variants": [{"name": "control", "template": "New: {product} for {price}, {discount}."},
                     {"name": "personal", "template": "Hi {first_name}! The {product} {reason}: {price}, {discount}."}],
        "segment": [{"rule": "owns_accessory_target"}]}


def db_path(server):
    return server["env"]["SHOPBOT_DATABASE_URL"].replace("sqlite:///", "", 1)


def campaigns_cli(server, *argv):
    python = str(ACTIONS_PYTHON) if ACTIONS_PYTHON.exists() else sys.executable
    done = subprocess.run([python, "-m", "bot.campaigns", *argv], cwd=ROOT, env={**os.environ, **server["env"]},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rows(server, query, *args):
    with sqlite3.connect(db_path(server)) as db:
        return db.execute(query, args).fetchall()


def identity(server, customer_id):
    with chat.server_secrets(server):
        return {"identity": mint(customer_id)}


def campaign_cards(replies):
    """The campaign's cards among the replies, each with its text: Rasa's REST channel sends a
    message's text and its custom payload as two replies, the text first."""
    found = []
    for i, reply in enumerate(replies):
        if (reply.get("custom") or {}).get("campaign") == SPEC["id"]:
            text = reply.get("text") or (replies[i - 1].get("text") if i and "custom" not in replies[i - 1] else "")
            found.append({**reply, "text": text})
    return found


def get(server, path):
    """(status, Location) of a GET, redirects not followed."""
    url = urlparse(server["url"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.status, answer.getheader("Location")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def written(rasa_server, tmp_path_factory):
    spec = tmp_path_factory.mktemp("campaign") / "spec.json"
    spec.write_text(json.dumps(SPEC))
    campaigns_cli(rasa_server, "create", "--file", str(spec), "--activate")
    out = campaigns_cli(rasa_server, "write", SPEC["id"], "--no-generate")
    assert "in the segment" in out
    placed = dict(rows(rasa_server, "SELECT customer_id, variant FROM campaign_assignments WHERE campaign_id = ?",
                       SPEC["id"]))
    audience = [c for c, v in placed.items() if v != "holdout"]
    outsiders = [c for (c,) in rows(rasa_server, "SELECT id FROM customers ORDER BY id") if c not in placed]
    holdout = [c for c, v in placed.items() if v == "holdout"]
    assert len(audience) >= 3 and outsiders and holdout
    return placed, audience, outsiders, holdout


def offers(server, customer_id, value):
    """The widget's Offers switch of a signed-in customer."""
    status, body = chat.call("POST", f"{server['url']}/web/api/consent", {"marketing": value},
                             headers={"X-Identity-Token": identity(server, customer_id)["identity"]})
    assert status == 200 and body["marketing"] is value
    return body


def subscribed(server):
    return {c for (c,) in rows(server, "SELECT customer_id FROM customer_marketing_consent WHERE marketing")}


def test_the_card_reaches_the_segment_only_with_consent(rasa_server, written):
    placed, audience, outsiders, holdout = written
    opted_in = subscribed(rasa_server)  # the demo seed's newsletter subscribers
    member = next(c for c in audience if c in opted_in)
    others = [c for c in audience if c != member]
    quitter, never = others[0], [c for c in others[1:] if c not in opted_in]
    assert never  # some members never opted in to offers
    replies = chat.say_rest(rasa_server, f"camp-{uuid.uuid4()}", "hi", identity(rasa_server, member))
    [card] = campaign_cards(replies)
    assert card["custom"]["type"] == "product_cards" and card["custom"]["products"][0]["id"] in SPEC["offer"]["product_ids"]
    assert "CHARGE15" in card["text"]
    assert len(replies) > 1  # the answer to "hi" still comes
    # once (frequency cap): a new conversation of the same customer shows no card
    again = chat.say_rest(rasa_server, f"camp-{uuid.uuid4()}", "hi", identity(rasa_server, member))
    assert campaign_cards(again) == []
    # outside the segment, held out, or anonymous: nothing
    for customer in (outsiders[0], holdout[0], None):
        metadata = identity(rasa_server, customer) if customer else None
        replies = chat.say_rest(rasa_server, f"camp-{uuid.uuid4()}", "hi", metadata)
        assert campaign_cards(replies) == [], customer
    # a member who never opted in to offers gets nothing, until they switch Offers on
    late = never[0]
    replies = chat.say_rest(rasa_server, f"camp-{uuid.uuid4()}", "hi", identity(rasa_server, late))
    assert campaign_cards(replies) == []
    offers(rasa_server, late, True)
    [late_card] = campaign_cards(chat.say_rest(rasa_server, f"camp-{uuid.uuid4()}", "hi", identity(rasa_server, late)))
    # a member who switches personalization off in the widget gets nothing, offers or not
    offers(rasa_server, quitter, True)
    status, body = chat.call("POST", f"{rasa_server['url']}/web/api/consent", {"personalization": False},
                             headers={"X-Identity-Token": identity(rasa_server, quitter)["identity"]})
    assert status == 200 and body["personalization"] is False
    replies = chat.say_rest(rasa_server, f"camp-{uuid.uuid4()}", "hi", identity(rasa_server, quitter))
    assert campaign_cards(replies) == []
    shown = rows(rasa_server, "SELECT customer_id, variant FROM campaign_events WHERE campaign_id = ? AND "
                              "kind = 'impression' ORDER BY id", SPEC["id"])
    assert shown == [(member, placed[member]), (late, placed[late])]

    # the late one's card says "No more offers": signed for them; a replay for another changes nothing
    opt_out = urlparse(late_card["custom"]["opt_out"]["url"])
    assert opt_out.path == "/web/api/campaign/opt-out"
    forged = opt_out.query.replace(f"%3A{late}%3A", f"%3A{member}%3A")
    assert chat.call("POST", f"{rasa_server['url']}{opt_out.path}?{forged}")[0] == 404
    status, body = chat.call("POST", f"{rasa_server['url']}{opt_out.path}?{opt_out.query}")
    assert status == 200 and body == {"marketing": False, "source": "card"}
    assert rows(rasa_server, "SELECT marketing, source FROM customer_marketing_consent WHERE customer_id = ?",
                late) == [(0, "card")]
    assert member in subscribed(rasa_server)

    # the card's link: signed, recorded, redirected to the product page
    link = urlparse(card["custom"]["products"][0]["url"])
    status, location = get(rasa_server, f"{link.path}?{link.query}")
    assert status == 303 and location.startswith("http")
    clicks = rows(rasa_server, "SELECT customer_id, variant FROM campaign_events WHERE campaign_id = ? AND "
                               "kind = 'click'", SPEC["id"])
    assert clicks == [(member, placed[member])]
    forged = link.query.replace(f"%3A{member}%3A", f"%3A{audience[2]}%3A")
    assert get(rasa_server, f"{link.path}?{forged}")[0] == 404
    assert len(rows(rasa_server, "SELECT id FROM campaign_events WHERE kind = 'click'")) == 1
    report = json.loads(campaigns_cli(rasa_server, "report", SPEC["id"], "--json"))
    clicked = {v["variant"]: v["clicks"] for v in report["variants"]}
    assert clicked[placed[member]] == 1 and sum(clicked.values()) == 1
