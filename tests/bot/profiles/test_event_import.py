"""The behaviour log importer: every bad row reported with its line and reason, good rows kept."""

from pathlib import Path

import pytest

from bot.profiles.__main__ import main
from bot.profiles.event_import import EventFileError, import_events
from bot.profiles.events import count_events, load_events
from bot.shop.schema import Customer
from tests.bot.conftest import NOW

SAMPLES = Path(__file__).resolve().parents[3] / "knowledge" / "samples"


def _reasons(result):
    return {(p.line, p.reason.split(" (")[0]) for p in result.errors}


def _id(db, email):
    with db.session() as session:
        return session.query(Customer.id).filter(Customer.email == email).scalar()


def test_csv_bad_rows_are_reported_with_their_line_and_reason(shop_db, catalog):
    result = import_events(shop_db, catalog, SAMPLES / "events_bad_rows.csv", now=NOW)
    assert _reasons(result) == {
        (5, "unknown customer 'nobody@example.com'"),
        (6, "unknown event kind 'like'"),
        (7, "unknown product 'SKU-99999'"),
        (8, "bad timestamp 'yesterday'"),
        (9, "rating '7' is not a whole number from 1 to 5"),
    }
    assert str(result.errors[0]).endswith("events_bad_rows.csv:5: unknown customer 'nobody@example.com'")
    assert result.rows == 9 and result.written == 4
    jane = load_events(shop_db, _id(shop_db, "jane.doe@example.com"))
    assert [(e.kind, e.product_id) for e in jane] == [("search", None), ("view", "SKU-10001"),
                                                      ("review", "SKU-10001")]
    assert jane[0].query == "galaxy phone" and jane[2].rating == 4 and "battery" in jane[2].text
    (sam,) = load_events(shop_db, _id(shop_db, "sam.lee@example.com"))
    assert sam.kind == "favourite" and sam.at.isoformat() == "2025-03-02T06:00:00"  # +02:00 -> UTC


def test_jsonl_bad_rows_unreadable_lines_and_numeric_customer_ids(shop_db, catalog):
    result = import_events(shop_db, catalog, SAMPLES / "events_bad_rows.jsonl", now=NOW)
    reasons = {p.line: p.reason for p in result.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3].startswith("product is missing")
    assert reasons[4].endswith("is in the future")
    assert reasons[5].startswith("rating '0'")
    assert reasons[6].startswith("not valid JSON")
    assert reasons[7] == "must be a JSON object"
    sam = _id(shop_db, "sam.lee@example.com")
    assert [e.kind for e in load_events(shop_db, sam)] == ["cart_add", "purchase", "review"]
    assert result.written == 3


def test_importing_twice_skips_what_is_there_and_strict_imports_nothing(shop_db, catalog):
    path = SAMPLES / "events_bad_rows.csv"
    assert import_events(shop_db, catalog, path, now=NOW).written == 4
    again = import_events(shop_db, catalog, path, now=NOW)
    assert again.written == 0 and len(again.skipped) == 4 and count_events(shop_db) == 4
    strict = import_events(shop_db, catalog, SAMPLES / "events_bad_rows.jsonl", strict=True, now=NOW)
    assert strict.errors and strict.written == 0 and count_events(shop_db) == 4


def test_a_file_without_a_required_column_is_refused(shop_db, catalog, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("customer,event,timestamp\n1,view,2025-01-01\n", encoding="utf-8")
    with pytest.raises(EventFileError, match="missing required column.*product"):
        import_events(shop_db, catalog, path)


def test_command_line_exit_codes_follow_the_catalog_importer(shop_db, tmp_path, capsys):
    url = shop_db.url
    assert main(["import-events", str(SAMPLES / "events_bad_rows.csv"), "--url", url, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "events_bad_rows.csv:6: unknown event kind 'like'" in out and "would import 4 events of 9 rows" in out
    assert count_events(shop_db) == 0
    assert main(["import-events", str(SAMPLES / "events_bad_rows.jsonl"), "--url", url, "--strict"]) == 1
    assert count_events(shop_db) == 0
    assert main(["import-events", str(SAMPLES / "events_bad_rows.jsonl"), "--url", url]) == 0
    assert count_events(shop_db) == 3
    bad = tmp_path / "all_bad.jsonl"
    bad.write_text('{"customer": "x@y.z", "event": "view", "product": "SKU-10001", "timestamp": "2025-01-01"}\n')
    assert main(["import-events", str(bad), "--url", url]) == 1
    assert main(["import-events", str(tmp_path / "missing.csv"), "--url", url]) == 2
