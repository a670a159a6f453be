"""The bundled demo catalog: size, consistency of its relations, and reproducibility."""

import re
import subprocess
import sys
from collections import Counter

import pytest

from bot import settings
from bot.catalog import RELATIONS
from bot.catalog.demo_catalog import DEFAULT_SEED, catalog_text, generate_catalog, write_demo_catalog
from bot.catalog.validation import check_attribute_value

REQUIRED_CATEGORIES = {
    "phones": {"smartphone", "mobile phone", "cell phone"},
    "laptops": set(), "headphones": {"earbuds", "headset", "earphones"}, "speakers": set(),
    "smartwatches": set(), "running_watches": set(), "cameras": set(), "lenses": set(), "chargers": set(),
    "cables": set(), "cases": {"phone case", "cover"}, "watch_bands": {"watch strap"},
    "running_shoes": {"runners", "running trainers"}, "bikes": set(), "helmets": set(), "tents": set(),
    "backpacks": set(), "yoga_mats": set(), "home_gym": set(),
}
MUST_SELL = ["Galaxy S24", "Galaxy S24+", "Galaxy S24 Ultra", "Galaxy S23 FE", "Galaxy Z Flip5", "Pixel 8",
             "Pixel 8 Pro", "Pixel 8a", "Pixel 7", "iPhone 15", "iPhone 15 Pro", "iPhone 14", "OnePlus 12",
             "MacBook Air M3", "WH-1000XM5", "WH-1000XM4", "Charge 5", "Charge 6", "Flip 6", "Forerunner 265",
             "Forerunner 265S", "Forerunner 965", "Forerunner 955", "Fenix 7", "Instinct 2", "EOS R50",
             "EOS R6 Mark II", "X-T5", "Pegasus 40", "Clifton 9", "Marlin 5 Gen 3", "Copper Spur HV UL2",
             "Atmos AG 65", "Talon 22", "Futura 27", "SelectTech 552 Adjustable Dumbbells (pair)"]


def by_name(catalog, name):
    matches = [p for p in catalog.products if p.name == name]
    assert len(matches) == 1, f"expected one product named {name!r}, found {len(matches)}"
    return matches[0]


def test_counts(demo_catalog):
    assert len(demo_catalog.products) >= 300
    assert len(demo_catalog.categories) >= 12
    assert len({p.brand for p in demo_catalog.products}) >= 20
    per_category = Counter(p.category for p in demo_catalog.products)
    assert all(per_category[c.id] >= 5 for c in demo_catalog.categories), per_category


def test_required_categories_and_synonyms(demo_catalog):
    for cid, synonyms in REQUIRED_CATEGORIES.items():
        category = demo_catalog.category(cid)
        assert category is not None, cid
        assert category.group and category.singular
        assert synonyms <= set(category.synonyms), (cid, category.synonyms)


def test_ids_names_and_urls(demo_catalog):
    ids = [p.id for p in demo_catalog.products]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(re.match(r"^SKU-\d{5}$", pid) for pid in ids)
    assert demo_catalog.product("SKU-10001").display_name == "Samsung Galaxy S24"
    base = demo_catalog.shop["base_url"]
    for p in demo_catalog.products:
        assert p.url == f"{base}/p/{p.id}" and p.image.startswith(f"{base}/img/")
        assert p.brand_name and demo_catalog.brand(p.brand)
    for name in MUST_SELL:
        by_name(demo_catalog, name)


def test_numbers_are_plausible(demo_catalog):
    products = demo_catalog.products
    assert all(p.price > 0 for p in products)
    assert all(3.0 <= p.rating <= 5.0 and p.reviews > 0 for p in products)
    out_of_stock = [p for p in products if not p.in_stock]
    assert 5 <= len(out_of_stock) <= len(products) // 4
    assert by_name(demo_catalog, "Galaxy S24 Ultra").price > by_name(demo_catalog, "Galaxy S24").price


def test_descriptions_are_unique_and_two_or_three_sentences(demo_catalog):
    descriptions = [p.description for p in demo_catalog.products]
    assert len(set(descriptions)) == len(descriptions)
    for p in demo_catalog.products:
        sentences = re.findall(r"[.!?](?:\s|$)", p.description)
        assert 2 <= len(sentences) <= 4, (p.id, p.description)
    # not one template with the name swapped: first sentences differ too
    firsts = [d.split(". ")[0] for d in descriptions if "; this version" not in d]
    assert len(set(firsts)) == len(firsts)


def test_attributes_match_their_specs(demo_catalog):
    used = set()
    for p in demo_catalog.products:
        for key, value in p.attributes.items():
            spec = demo_catalog.attributes[key]
            assert check_attribute_value(spec, value) is None, (p.id, key, value)
            used.add(key)
    assert used == set(demo_catalog.attributes)
    for spec in demo_catalog.attributes.values():
        assert spec.label and spec.type in ("number", "text", "list", "bool")
        assert spec.better in ("higher", "lower", None)


def test_every_relation_type_is_used_and_targets_exist(demo_catalog):
    counts = Counter()
    for p in demo_catalog.products:
        for rel in RELATIONS:
            for target in p.relations[rel]:
                assert demo_catalog.product(target) is not None, (p.id, rel, target)
                assert target != p.id
                counts[rel] += 1
    assert all(counts[rel] >= 20 for rel in RELATIONS), counts


def test_cases_fit_their_phones(demo_catalog):
    cases = demo_catalog.products_in("cases")
    assert len(cases) >= 20
    for case in cases:
        targets = [demo_catalog.product(t) for t in case.relations["accessory_of"]]
        assert targets and all(t.category == "phones" for t in targets)
        assert set(case.relations["compatible_with"]) >= set(case.relations["accessory_of"])
        assert all(" ".join(t.name.split()[:2]) in case.name for t in targets), case.name
    s24 = by_name(demo_catalog, "Galaxy S24")
    s24_cases = [c for c in cases if s24.id in c.relations["accessory_of"]]
    assert {c.brand for c in s24_cases} >= {"spigen", "otterbox"}
    ultra = by_name(demo_catalog, "Galaxy S24 Ultra")
    assert not any(ultra.id in c.relations["accessory_of"] for c in s24_cases)


def test_bands_fit_watches_of_their_width(demo_catalog):
    for band in demo_catalog.products_in("watch_bands"):
        watches = [demo_catalog.product(t) for t in band.relations["accessory_of"]]
        assert watches, band.name
        for watch in watches:
            assert watch.category in ("smartwatches", "running_watches")
            assert watch.attributes.get("band_width_mm") == band.attributes.get("band_width_mm")
    fr265, fr265s = by_name(demo_catalog, "Forerunner 265"), by_name(demo_catalog, "Forerunner 265S")
    bands_265 = {b.id for b in demo_catalog.products_in("watch_bands") if fr265.id in b.relations["accessory_of"]}
    bands_265s = {b.id for b in demo_catalog.products_in("watch_bands") if fr265s.id in b.relations["accessory_of"]}
    assert bands_265 and bands_265s and not bands_265 & bands_265s


def test_lenses_fit_bodies_of_the_same_mount(demo_catalog):
    sigma = [p for p in demo_catalog.products_in("lenses") if p.brand == "sigma" and "35mm f/1.4" in p.name]
    assert {p.attributes["mount"] for p in sigma} == {"Sony E", "L-Mount"}
    for lens in demo_catalog.products_in("lenses"):
        bodies = [demo_catalog.product(t) for t in lens.relations["compatible_with"]]
        assert bodies, lens.name
        assert all(b.category == "cameras" and b.attributes["mount"] == lens.attributes["mount"] for b in bodies)


def test_chargers_and_cables_follow_connectors(demo_catalog):
    iphone14, iphone15 = by_name(demo_catalog, "iPhone 14"), by_name(demo_catalog, "iPhone 15")
    lightning = by_name(demo_catalog, "USB-C to Lightning Cable (1 m)")
    assert iphone14.id in lightning.relations["compatible_with"]
    assert iphone15.id not in lightning.relations["compatible_with"]
    magsafe = by_name(demo_catalog, "MagSafe Charger (1 m)")
    assert iphone15.id in magsafe.relations["compatible_with"]
    assert by_name(demo_catalog, "Galaxy S24").id not in magsafe.relations["compatible_with"]
    small = by_name(demo_catalog, "20W USB-C Power Adapter")
    mbp16 = by_name(demo_catalog, "MacBook Pro 16 (M3 Max)")
    assert mbp16.id not in small.relations["compatible_with"]
    assert mbp16.id in by_name(demo_catalog, "Prime 100W GaN Charger").relations["compatible_with"]
    garmin_cable = by_name(demo_catalog, "Charging/Data Cable (USB-C)")
    assert by_name(demo_catalog, "Forerunner 265").id in garmin_cable.relations["accessory_of"]


def test_successor_chains(demo_catalog):
    def succ(new, old):
        return by_name(demo_catalog, old).id in by_name(demo_catalog, new).relations["successor_of"]

    assert succ("Pixel 8", "Pixel 7") and succ("Forerunner 965", "Forerunner 955")
    assert succ("Charge 6", "Charge 5") and succ("WH-1000XM5", "WH-1000XM4")
    assert not succ("Galaxy S24", "Galaxy S23 FE")
    for p in demo_catalog.products:
        for old in p.relations["successor_of"]:
            assert demo_catalog.product(old).category == p.category


def test_similar_and_bought_together(demo_catalog):
    for p in demo_catalog.products:
        for other in p.relations["similar_to"]:
            q = demo_catalog.product(other)
            assert q.category == p.category and 0.6 <= q.price / p.price <= 1.6
        for other in p.relations["frequently_bought_with"]:
            assert demo_catalog.product(other).category != p.category or p.category == "home_gym"
    for bike in demo_catalog.products_in("bikes"):
        partners = [demo_catalog.product(t) for t in bike.relations["frequently_bought_with"]]
        assert any(t.category == "helmets" for t in partners), bike.name
    s24 = by_name(demo_catalog, "Galaxy S24")
    partner_categories = {demo_catalog.product(t).category for t in s24.relations["frequently_bought_with"]}
    assert {"cases", "chargers"} <= partner_categories


def test_near_ambiguous_names_and_aliases(demo_catalog):
    names = {p.name for p in demo_catalog.products}
    assert {"Galaxy S24", "Galaxy S24+", "Galaxy S24 Ultra", "Pixel 8", "Pixel 8 Pro", "Pixel 8a",
            "Forerunner 265", "Forerunner 265S"} <= names
    assert "S24 Ultra" in by_name(demo_catalog, "Galaxy S24 Ultra").aliases
    assert "XM5" in by_name(demo_catalog, "WH-1000XM5").aliases
    assert "AirPods" in by_name(demo_catalog, "AirPods Pro 2 (USB-C)").aliases
    owners = Counter(alias for p in demo_catalog.products for alias in {a.lower() for a in p.aliases})
    assert not [a for a, n in owners.items() if n > 1], "an alias must name one product"


def test_generator_is_deterministic_and_matches_the_committed_file(tmp_path):
    first = write_demo_catalog(tmp_path / "a.json")
    second = write_demo_catalog(tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()
    committed = settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE
    assert first.read_bytes() == committed.read_bytes(), \
        "knowledge/catalog.json is stale: run python -m bot.catalog.demo_catalog"


def test_another_seed_changes_numbers_not_facts():
    a, b = generate_catalog(DEFAULT_SEED), generate_catalog(DEFAULT_SEED + 1)
    assert [p.id for p in a.products] == [p.id for p in b.products]
    assert [p.name for p in a.products] == [p.name for p in b.products]
    assert [p.rating for p in a.products] != [p.rating for p in b.products]


def test_cli_writes_the_file(tmp_path):
    out = tmp_path / "catalog.json"
    result = subprocess.run([sys.executable, "-m", "bot.catalog.demo_catalog", "--out", str(out)],
                            capture_output=True, text=True, cwd=settings.PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "products" in result.stdout
    assert out.read_text(encoding="utf-8") == catalog_text()


@pytest.mark.parametrize("path", [settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE])
def test_bundled_file_is_pretty_and_stable(path):
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "version": 1,')
