"""The import command: reports bad rows as ``file:line: reason``, keeps the good ones."""

import json
import os
import subprocess
import sys

import pytest

from bot import settings
from bot.catalog import load_catalog, load_faq
from bot.catalog.importer import main
from tests.bot.catalog.conftest import KNOWLEDGE, SAMPLES

BAD_CSV = str(SAMPLES / "catalog_bad_rows.csv")
EXPECTED_BAD_CSV = [
    f"{BAD_CSV}:3: price must be a number >= 0, got -799",
    f"{BAD_CSV}:4: unknown category 'sports watches' (known: ",
    f"{BAD_CSV}:5: missing name",
    f"{BAD_CSV}:6: duplicate id BAD-00001 (first on line 2)",
    f"{BAD_CSV}:7: relation accessory_of: unknown product id BAD-09999",
    f"{BAD_CSV}:8: stock must be a whole number >= 0, got 'many'",
    f"{BAD_CSV}:9: rating must be a number from 0 to 5, got 6.5",
    f"{BAD_CSV}:10: 15 cells but the header has 14 columns (an unquoted comma?",
    f"{BAD_CSV}:11: attribute weight_g: expected a number, got 'light'",
    f"{BAD_CSV}:12: warning: relation successor_of: BAD-00002 was rejected; link dropped",
    "imported 2 products (9 rejected)",
]


def run_cli(*args, var_dir):
    env = dict(os.environ, SHOPBOT_VAR_DIR=str(var_dir), PYTHONPATH=str(settings.PROJECT_ROOT))
    env.pop("SHOPBOT_KNOWLEDGE_DIR", None)
    return subprocess.run([sys.executable, "-m", "bot.catalog.importer", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=settings.PROJECT_ROOT, timeout=120)


def test_good_csv_files_import_into_the_target(tmp_path, capsys):
    into = tmp_path / "shop"
    code = main(["--catalog", str(SAMPLES / "catalog_good.csv"), "--faq", str(SAMPLES / "faq_good.csv"),
                 "--into", str(into)])
    out = capsys.readouterr().out
    assert code == 0
    assert "imported 5 products (0 rejected)" in out and "imported 3 FAQ entries (0 rejected)" in out
    assert f"catalog_good.csv:4: warning: unknown brand 'Shokz' added as a new brand" in out
    catalog = load_catalog(into / "catalog.json")
    assert [p.id for p in catalog.products] == ["TRL-00001", "TRL-00002", "TRL-00003", "TRL-00004", "TRL-00005"]
    case = catalog.product("TRL-00002")
    assert case.category == "cases" and case.relations["accessory_of"] == ["TRL-00001"]
    assert catalog.product("TRL-00003").display_name == "Shokz OpenRun Pro 2"
    assert catalog.attributes["weight_g"].better == "lower"  # the type came from the active catalog
    assert {c.id for c in catalog.categories} == {"phones", "cases", "headphones", "backpacks", "running_shoes"}
    assert [e.id for e in load_faq(into / "faq.yml")] == ["gift_wrapping", "bike_assembly", "student_discount"]


def test_bad_rows_are_reported_and_good_rows_kept(tmp_path, capsys):
    into = tmp_path / "shop"
    code = main(["--catalog", BAD_CSV, "--faq", str(SAMPLES / "faq_bad_rows.yml"), "--into", str(into)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    catalog_lines = lines[:len(EXPECTED_BAD_CSV)]
    for line, expected in zip(catalog_lines, EXPECTED_BAD_CSV):
        assert line.startswith(expected), (line, expected)
    faq_file = str(SAMPLES / "faq_bad_rows.yml")
    assert f"{faq_file}:18: missing answer" in lines
    assert f"{faq_file}:29: duplicate id price_match (first on line 4)" in lines
    assert "imported 1 FAQ entry (3 rejected)" in lines
    catalog = load_catalog(into / "catalog.json")
    assert [p.id for p in catalog.products] == ["BAD-00001", "BAD-00010"]
    assert catalog.product("BAD-00010").relations["successor_of"] == []
    assert [e.id for e in load_faq(into / "faq.yml")] == ["price_match"]


def test_json_catalog_with_bad_rows(tmp_path, capsys, demo_catalog):
    rows = [p.to_dict() for p in demo_catalog.products[:3]]
    for row in rows:
        row["relations"] = {}
    rows[1]["price"] = "free"
    path = tmp_path / "shop.json"
    path.write_text(json.dumps({"products": rows}, indent=2), encoding="utf-8")
    line = next(i + 1 for i, text in enumerate(path.read_text().splitlines())
                if text.strip() == f'"id": "{rows[1]["id"]}",') - 1
    code = main(["--catalog", str(path), "--into", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"{path}:{line}: price must be a number >= 0, got 'free'" in out
    assert "imported 2 products (1 rejected)" in out
    assert len(load_catalog(tmp_path / "out" / "catalog.json").products) == 2
    # the FAQ was not given: the one in use is copied so the pair stays complete
    assert load_faq(tmp_path / "out" / "faq.yml") == load_faq(KNOWLEDGE / "faq.yml")


def test_default_target_becomes_the_active_knowledge(isolated_settings):
    assert settings.catalog_path() == KNOWLEDGE / "catalog.json"
    assert main(["--catalog", str(SAMPLES / "catalog_good.csv")]) == 0
    assert settings.catalog_path() == isolated_settings / "knowledge" / "catalog.json"
    assert len(load_catalog().products) == 5
    assert len(load_faq()) == len(load_faq(KNOWLEDGE / "faq.yml"))


def test_dry_run_writes_nothing(tmp_path, capsys):
    assert main(["--catalog", BAD_CSV, "--into", str(tmp_path / "out"), "--dry-run"]) == 0
    assert "would import 2 products (9 rejected)" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


def test_cli_exit_codes(tmp_path):
    into = tmp_path / "out"
    good = run_cli("--catalog", SAMPLES / "catalog_good.csv", "--faq", SAMPLES / "faq_good.csv",
                   "--into", into, var_dir=tmp_path / "var")
    assert good.returncode == 0, good.stderr
    assert (into / "catalog.json").exists() and (into / "faq.yml").exists()

    all_bad = tmp_path / "all_bad.csv"
    all_bad.write_text("id,name,brand,category,price,stock\nX-1,Thing,Acme,drones,1,1\n", encoding="utf-8")
    nothing = run_cli("--catalog", all_bad, "--into", tmp_path / "none", var_dir=tmp_path / "var")
    assert nothing.returncode == 1
    assert f"{all_bad}:2: unknown category 'drones'" in nothing.stdout
    assert "nothing imported" in nothing.stderr
    assert not (tmp_path / "none").exists()

    no_columns = tmp_path / "cols.csv"
    no_columns.write_text("sku,title\nA,B\n", encoding="utf-8")
    broken = run_cli("--catalog", no_columns, "--into", tmp_path / "none", var_dir=tmp_path / "var")
    assert broken.returncode == 2
    assert "cols.csv:1: missing required column(s): id, name, brand, category, price, stock" in broken.stderr

    missing = run_cli("--faq", tmp_path / "missing.yml", var_dir=tmp_path / "var")
    assert missing.returncode == 2 and "cannot read file" in missing.stderr

    usage = run_cli(var_dir=tmp_path / "var")
    assert usage.returncode == 2 and "give --catalog FILE, --faq FILE or both" in usage.stderr


@pytest.mark.parametrize("name", ["catalog_good.csv", "faq_good.csv", "catalog_bad_rows.csv", "faq_bad_rows.yml"])
def test_samples_exist(name):
    assert (SAMPLES / name).is_file()
