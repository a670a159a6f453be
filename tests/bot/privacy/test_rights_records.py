"""The records of the shopper's rights both servers share (``bot.privacy.requests``,
``bot.privacy.consent``), on a real seeded SQLite shop. Runs in both environments: the
Rasa server's (SQLAlchemy 1.4) and the action server's (2.0)::

    .venv/bin/python -m pytest tests/bot/privacy/test_rights_records.py
    .venv-actions/bin/python -m pytest tests/bot/privacy/test_rights_records.py
"""

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.catalog import load_catalog
from bot.privacy import consent, requests
from bot.privacy.events import redact_event
from bot.shop.db import ShopDatabase

NOW = datetime(2025, 5, 14, 15, 0)


@pytest.fixture
def shop(tmp_path):
    db = ShopDatabase(f"sqlite:///{tmp_path / 'shop.db'}")
    assert db.seed_demo(load_catalog(), now=NOW.replace(tzinfo=timezone.utc))
    yield db
    db.dispose()


def epoch(moment):
    return moment.replace(tzinfo=timezone.utc).timestamp()


def test_an_export_is_served_by_its_link_until_it_expires(shop):
    token, expires = requests.save_export(shop, 1, {"customer": {"id": 1}, "note": "é"}, now=NOW)
    assert expires == NOW + timedelta(minutes=10)
    customer, payload, created = requests.read_export(shop, token, now=epoch(NOW) + 60)
    assert (customer, json.loads(payload), created) == (1, {"customer": {"id": 1}, "note": "é"}, NOW)
    with pytest.raises(requests.ExportUnavailable) as late:
        requests.read_export(shop, token, now=epoch(expires) + 1)
    assert late.value.expired
    value, _, mac = token.rpartition(".")
    export_id, _, expiry = value.rpartition(".")
    for forged in (f"{export_id}.{int(expiry) + 3600}.{mac}", token[:-2] + "xx", "", None, "a.b", 12):
        with pytest.raises(requests.ExportUnavailable) as bad:
            requests.read_export(shop, forged, now=epoch(NOW))
        assert not bad.value.expired


def test_deleting_a_customers_data_takes_their_prepared_exports(shop):
    token, _ = requests.save_export(shop, 1, {"x": 1}, now=NOW)
    other, _ = requests.save_export(shop, 2, {"x": 2}, now=NOW)
    assert requests.forget_exports(shop, 1) == 1
    with pytest.raises(requests.ExportUnavailable):
        requests.read_export(shop, token, now=epoch(NOW))
    assert requests.read_export(shop, other, now=epoch(NOW))[0] == 2


def test_erasure_requests_wait_until_done(shop):
    first = requests.request_erasure(shop, "w-one", 1, now=NOW)
    second = requests.request_erasure(shop, "w-two", None, now=NOW + timedelta(seconds=30))
    assert [e.id for e in requests.pending_erasures(shop)] == [first, second]
    assert [e.customer_id for e in requests.pending_erasures(shop, conversation_id="w-two")] == [None]
    assert [e.id for e in requests.pending_erasures(shop, requested_before=NOW + timedelta(seconds=10))] == [first]
    assert requests.erasure_result(shop, first) is None
    requests.finish_erasure(shop, first, {"conversations": 2, "events": 40}, now=NOW)
    assert requests.erasure_result(shop, first) == {"done_at": NOW, "result": {"conversations": 2, "events": 40}}
    assert [e.id for e in requests.pending_erasures(shop)] == [second]
    with pytest.raises(ValueError):
        requests.request_erasure(shop, "", 1)


def test_consent_from_the_web_side(shop, monkeypatch):
    monkeypatch.setenv("SHOPBOT_PERSONALIZATION_DEFAULT", "off")
    assert consent.read_consent(shop, 3) == consent.ConsentState(False, None, None)
    state = consent.write_consent(shop, 3, True, source="widget", now=NOW)
    assert consent.read_consent(shop, 3) == state == consent.ConsentState(True, NOW, "widget")
    consent.write_consent(shop, 3, False, source="widget", now=NOW + timedelta(hours=1))
    assert consent.read_consent(shop, 3).personalization is False
    assert consent.read_consent(shop, 4).personalization is False  # another customer: the default
    with pytest.raises(ValueError):
        consent.write_consent(shop, 987654, True)
    with pytest.raises(ValueError):
        consent.write_consent(shop, 3, True, source="a script")


def test_stored_events_keep_the_server_stamp_and_lose_download_tokens():
    token = "abcdefghijklmnopqrstuvwx.1747234800.MACmacMACmacMACmacMACm"
    link = f"https://bot.example.com/web/api/privacy/export?token={token}"
    bot = {"event": "bot", "text": f"Your data is ready: {link}", "data": {"custom": {"url": link}}}
    stored = json.dumps(redact_event(bot))
    assert token not in stored and stored.count("token=[expired]") == 2
    user = {"event": "user", "text": "call me on 555-123-4567",
            "metadata": {"shopbot": {"customer_id": 1234567890, "channel": "rest"}, "note": "555-123-4567"}}
    redacted = redact_event(user)
    assert redacted["metadata"]["shopbot"] == {"customer_id": 1234567890, "channel": "rest"}
    assert "555-123-4567" not in json.dumps(redacted)


def test_links_point_at_the_public_url(monkeypatch):
    monkeypatch.delenv("SHOPBOT_PUBLIC_URL", raising=False)
    monkeypatch.setenv("SHOPBOT_RASA_PORT", "5123")
    assert requests.public_url() == "http://localhost:5123"
    monkeypatch.setenv("SHOPBOT_PUBLIC_URL", "https://bot.example.com/")
    assert requests.public_url() == "https://bot.example.com"
    assert requests.export_path("t.1.m") == "/web/api/privacy/export?token=t.1.m"
