"""The spreadsheet formats: typed cells, record lines, and a round trip."""

import pytest

from bot.catalog import CatalogError, load_catalog
from bot.catalog.csv_format import (
    parse_bool, parse_number, read_catalog_csv, read_faq_csv, split_list, write_catalog_csv, write_faq_csv,
)
from bot.catalog.loader import load_faq
from bot.catalog.validation import build_catalog
from tests.bot.catalog.conftest import SAMPLES


def test_cell_parsing():
    assert parse_number("12") == 12 and parse_number("4.50") == 4.5 and parse_number("1e3") == 1000.0
    assert parse_number("-799") == -799 and parse_number("12 GB") == "12 GB"
    assert parse_bool("Yes") is True and parse_bool("0") is False and parse_bool("maybe") == "maybe"
    assert split_list(" a; b ;;c ") == ["a", "b", "c"]


def test_catalog_csv_rows_are_typed_by_the_declared_specs(demo_catalog):
    file, rows, new_specs, problems = read_catalog_csv(SAMPLES / "catalog_good.csv", demo_catalog.attributes)
    assert not new_specs and not problems
    assert [line for line, _ in rows] == [2, 3, 4, 5, 6]
    pixel = rows[0][1]
    assert pixel["price"] == 799 and pixel["aliases"] == ["Google Pixel 9", "Pixel9"]
    assert pixel["attributes"]["colours"] == ["obsidian", "porcelain", "wintergreen", "peony"]
    assert pixel["relations"]["frequently_bought_with"] == ["TRL-00002"]
    assert rows[2][1]["attributes"]["noise_cancelling"] is False


def test_undeclared_attribute_columns_get_an_inferred_type(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,name,brand,category,price,stock,attr:lumens,attr:modes,attr:usb\n"
                    "L-1,Lamp,Acme,phones,10,1,300,low;high,yes\n", encoding="utf-8")
    _, rows, new_specs, problems = read_catalog_csv(path, {})
    kinds = {spec["key"]: spec["type"] for _, spec in new_specs}
    assert kinds == {"lumens": "number", "modes": "list", "usb": "bool"}
    assert rows[0][1]["attributes"] == {"lumens": 300, "modes": ["low", "high"], "usb": True}
    assert all(p.warning and p.line == 1 for p in problems)


def test_quoted_multiline_cells_keep_the_start_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('id,name,brand,category,price,stock,description\n'
                    'A,One,Acme,phones,1,1,"two\nlines"\n'
                    '\n'
                    'B,Two,Acme,phones,1,1,plain\n', encoding="utf-8")
    _, rows, _, _ = read_catalog_csv(path, {})
    assert [line for line, _ in rows] == [2, 5]
    assert rows[0][1]["description"] == "two\nlines"


def test_shifted_rows_and_bad_headers(tmp_path):
    _, rows, _, problems = read_catalog_csv(SAMPLES / "catalog_bad_rows.csv", {})
    shifted = [p for p in problems if not p.warning]
    assert [(p.line, p.reason) for p in shifted] == [
        (10, "15 cells but the header has 14 columns (an unquoted comma? quote cells that contain commas)")]
    assert 10 not in [line for line, _ in rows]
    missing = tmp_path / "m.csv"
    missing.write_text("id,name,price\nA,B,1\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"m.csv:1: missing required column\(s\): brand, category, stock"):
        read_catalog_csv(missing, {})
    empty = tmp_path / "e.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match="missing header row"):
        read_faq_csv(empty)


def test_round_trip_through_csv(tmp_path, demo_catalog):
    path = tmp_path / "export.csv"
    write_catalog_csv(demo_catalog, path)
    file, rows, new_specs, problems = read_catalog_csv(path, demo_catalog.attributes)
    assert not new_specs and not problems
    catalog, problems = build_catalog(file, demo_catalog.shop, [], [], [], rows, base=demo_catalog, lenient=True)
    errors = [p for p in problems if not p.warning]
    assert not errors
    assert [p.to_dict() for p in catalog.products] == [p.to_dict() for p in demo_catalog.products]
    assert catalog.fingerprint() == demo_catalog.fingerprint()


def test_faq_round_trip(tmp_path):
    entries = load_faq()
    path = tmp_path / "faq.csv"
    write_faq_csv(entries, path)
    assert load_faq(path) == entries
