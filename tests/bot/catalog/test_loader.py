"""Loading catalog and FAQ files strictly, with ``file:line: reason`` errors."""

import json

import pytest

from bot.catalog import CatalogError, load_catalog, load_faq
from bot.catalog.loader import read_document
from tests.bot.catalog.conftest import KNOWLEDGE, SAMPLES

CATEGORY = {"id": "phones", "name": "Phones", "singular": "phone", "synonyms": ["smartphone"], "group": "x"}
BRAND = {"id": "google", "name": "Google", "aliases": []}
SPEC = {"key": "weight_g", "label": "Weight", "type": "number", "unit": "g", "better": "lower"}


def product(pid, **extra):
    row = {"id": pid, "name": f"Phone {pid}", "brand": "google", "category": "phones", "price": 499, "stock": 3}
    row.update(extra)
    return row


def write_catalog(path, products):
    data = {"version": 1, "shop": {"name": "T", "currency": "USD", "base_url": "https://t.example"},
            "categories": [CATEGORY], "brands": [BRAND], "attributes": [SPEC], "products": products}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_default_paths_load_the_bundled_knowledge():
    catalog = load_catalog()
    assert len(catalog.products) >= 300
    faq = load_faq()
    assert faq == load_faq(KNOWLEDGE / "faq.yml")


def test_bundled_faq_is_valid():
    entries = load_faq(KNOWLEDGE / "faq.yml")
    assert len(entries) >= 20
    assert len({e.id for e in entries}) == len(entries)
    assert all(len(e.paraphrases) >= 5 and e.answer and e.title for e in entries)


def test_imported_knowledge_wins_over_the_bundled(isolated_settings, tmp_path):
    target = isolated_settings / "knowledge"
    target.mkdir(parents=True)
    write_catalog(target / "catalog.json", [product("P-1")])
    assert [p.id for p in load_catalog().products] == ["P-1"]


def test_good_json_catalog_fills_defaults(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path / "c.json", [product("P-1", attributes={"weight_g": 180}),
                                                               product("P-2", relations={"similar_to": ["P-1"]})]))
    p1, p2 = catalog.product("P-1"), catalog.product("P-2")
    assert p1.display_name == "Google Phone P-1" and p1.url == "https://t.example/p/P-1"
    assert p1.rating == 0.0 and p1.reviews == 0 and p1.relations["accessory_of"] == []
    assert p2.relations["similar_to"] == ["P-1"]


def test_errors_name_the_line_of_each_bad_product(tmp_path):
    path = write_catalog(tmp_path / "c.json", [
        product("P-1"),
        product("P-2", price=-1),
        product("P-3", category="drones"),
        product("P-1"),
        product("P-4", relations={"similar_to": ["P-404"]}),
        product("P-5", attributes={"weight_g": "heavy"}),
    ])
    lines = path.read_text().splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line.strip().startswith('"id": "P-')]
    row_lines = [s - 1 for s in starts]  # the '{' line before each id
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    message = str(info.value)
    assert "5 problem(s)" in message
    assert f"{path}:{row_lines[1]}: price must be a number >= 0, got -1" in message
    assert f"{path}:{row_lines[2]}: unknown category 'drones'" in message
    assert f"{path}:{row_lines[3]}: duplicate id P-1 (first on line {row_lines[0]})" in message
    assert f"{path}:{row_lines[4]}: relation similar_to: unknown product id P-404" in message
    assert f"{path}:{row_lines[5]}: attribute weight_g: expected a number, got 'heavy'" in message


def test_unreadable_files_raise_clear_errors(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"products": [\n  {"id": 1,}\n]}')
    with pytest.raises(CatalogError, match=r"broken.json:2: invalid JSON"):
        load_catalog(broken)
    with pytest.raises(CatalogError, match="cannot read file"):
        load_catalog(tmp_path / "missing.json")
    with pytest.raises(CatalogError, match="unsupported file type"):
        load_catalog(SAMPLES / "catalog_good.csv")
    empty = write_catalog(tmp_path / "empty.json", [])
    with pytest.raises(CatalogError, match="no products"):
        load_catalog(empty)


def test_yaml_rows_know_their_lines():
    doc = read_document(SAMPLES / "faq_bad_rows.yml", ["entries"])
    assert [line for line, _ in doc.rows["entries"]] == [4, 18, 29, 40]


def test_faq_csv_loads():
    entries = load_faq(SAMPLES / "faq_good.csv")
    assert [e.id for e in entries] == ["gift_wrapping", "bike_assembly", "student_discount"]
    assert len(entries[0].paraphrases) == 5 and entries[0].tags == ["orders", "gifts"]


def test_faq_errors_are_clear(tmp_path):
    with pytest.raises(CatalogError) as info:
        load_faq(SAMPLES / "faq_bad_rows.yml")
    message = str(info.value)
    assert "faq_bad_rows.yml:18: missing answer" in message
    assert "faq_bad_rows.yml:29: duplicate id price_match (first on line 4)" in message
    assert "faq_bad_rows.yml:40: invalid id 'Night-Delivery'" in message
    assert "needs at least 5 different paraphrases, has 1" in message
