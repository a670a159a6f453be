"""``python -m bot.campaigns`` end to end on a real database: create, write, list, report, export."""

import csv
import io
import json

from bot.campaigns.cli import main
from bot.privacy.marketing import marketing_of
from bot.services import ShopServices


def run(services, capsys, *argv):
    assert main(list(argv), services=services) == 0
    return capsys.readouterr().out


def test_the_commands(shop, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPBOT_GENERATION", "off")
    services = ShopServices(database_url=shop.url)
    assert "apple-chargers: saved (active)" in run(services, capsys, "create", "--demo", "--activate")
    out = run(services, capsys, "write", "apple-chargers", "--limit", "120")
    assert "in the segment" in out and "template" in out and "without marketing consent" in out
    listed = run(services, capsys, "list")
    assert "apple-chargers" in listed and "accept offers" in listed
    report = json.loads(run(services, capsys, "report", "apple-chargers", "--json"))
    assert [v["variant"] for v in report["variants"]] == ["control", "personal", "graph"]
    assert report["audience"] > 0 and report["paths"] == {"template": report["audience"]}
    # the demo's newsletter subscribers are reached; the others are counted, not mailed
    assert 0 < report["no_marketing"] < report["audience"]
    assert report["reachable"] == report["audience"] - report["no_marketing"]
    rows = list(csv.DictReader(io.StringIO(run(services, capsys, "export", "apple-chargers", "--format", "csv"))))
    assert len(rows) == report["reachable"] and rows[0]["click_url"].startswith("http")
    assert all(marketing_of(shop, [int(r["customer_id"])])[int(r["customer_id"])] for r in rows)
    assert all("/web/api/campaign/opt-out?t=" in r["opt_out_url"] for r in rows)
    target = tmp_path / "mail.json"
    run(services, capsys, "export", "apple-chargers", "--format", "json", "--out", str(target))
    assert json.loads(target.read_text()) == [{**r, "customer_id": int(r["customer_id"])} for r in rows]
    assert main(["report", "nope"], services=services) == 2


def test_the_bandit_demo_of_lapsed_runners(shop, capsys, monkeypatch):
    monkeypatch.setenv("SHOPBOT_GENERATION", "off")
    services = ShopServices(database_url=shop.url)
    run(services, capsys, "create", "--demo", "spring-runners", "--activate")
    out = run(services, capsys, "write", "spring-runners")
    members = int(out.split(":")[1].split()[0])
    assert members > 0
    report = json.loads(run(services, capsys, "report", "spring-runners", "--json"))
    assert report["mode"] == "bandit" and report["audience"] > 0
    assert all(v["bandit_share"] is not None for v in report["variants"])
    rows = list(csv.DictReader(io.StringIO(run(services, capsys, "export", "spring-runners"))))
    assert {r["variant"] for r in rows} <= {"control", "personal", "trail"} and len(rows) == report["reachable"] > 0
    assert any(r["product"] == "Nike Pegasus Trail 4" for r in rows if r["variant"] == "trail")
