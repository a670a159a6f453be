"""The catalog graph: its shape and the shop questions it answers."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from bot.graph.knowledge_graph import KnowledgeGraph, attribute_node

ROOT = Path(__file__).resolve().parents[3]


def ids(products):
    return [p.id for p in products]


# ---------------------------------------------------------------- structure (mini shop)
def test_nodes_and_typed_edges(mini_kg, mini_catalog):
    g = mini_kg.graph
    assert g.nodes["product:PHN-00001"]["kind"] == "product"
    assert g.nodes["product:PHN-00001"]["product"] is mini_catalog.product("PHN-00001")
    assert g.nodes["brand:samsung"]["kind"] == "brand"
    assert g.nodes["category:phones"]["kind"] == "category"
    assert g.has_edge("product:PHN-00001", "brand:samsung", key="made_by")
    assert g.has_edge("product:PHN-00001", "category:phones", key="in_category")
    assert g.has_edge("product:PHN-00001", "attribute:water_resistance=IP68", key="has_attribute")
    assert g.has_edge("product:PHN-00001", "attribute:colours=violet", key="has_attribute")
    assert g.has_edge("product:PHN-00001", "attribute:wireless_charging=true", key="has_attribute")
    assert "attribute:battery_life_h=29" not in g  # numbers live in the sorted indexes
    assert g.has_edge("product:CAS-00001", "product:PHN-00001", key="accessory_of")
    assert g.has_edge("product:PHN-00001", "product:PHN-00004", key="successor_of")
    assert not g.has_edge("product:PHN-00004", "product:PHN-00001", key="successor_of")


def test_symmetric_relations_go_both_ways(mini_kg):
    g = mini_kg.graph
    # declared once (CAS-00001 -> PHN-00001), present in both directions
    assert g.has_edge("product:PHN-00001", "product:CAS-00001", key="frequently_bought_with")
    assert g.has_edge("product:CAS-00001", "product:PHN-00001", key="frequently_bought_with")
    # declared on both sides: still one edge per direction (the key makes it unique)
    assert g.number_of_edges("product:PHN-00001", "product:PHN-00003") == 1


def test_attribute_node_names():
    assert attribute_node("water_resistance", "IP68") == "attribute:water_resistance=IP68"
    assert attribute_node("wireless_charging", False) == "attribute:wireless_charging=false"


# ---------------------------------------------------------------- queries (mini shop)
def test_product_lookup(mini_kg):
    assert mini_kg.product("PHN-00001").name == "Galaxy S24"
    assert mini_kg.product("NOPE") is None
    assert mini_kg.category_id("smartphone") == "phones"
    assert mini_kg.category_id("PHONES") == "phones"
    assert mini_kg.brand_id("Samsung") == "samsung"


def test_accessories_of_a_phone_are_its_cases(mini_kg):
    assert set(ids(mini_kg.accessories("PHN-00001"))) == {"CAS-00001", "CAS-00002"}
    assert ids(mini_kg.accessories("PHN-00001", category="Cases"))[0] == "CAS-00001"  # best rated
    assert mini_kg.accessories("PHN-00001", category="chargers") == []
    assert mini_kg.accessories("NOPE") == []


def test_compatible_includes_both_directions_and_accessories(mini_kg):
    compatible = ids(mini_kg.compatible("PHN-00001"))
    assert set(compatible) == {"CAS-00001", "CAS-00002", "CHG-00001"}
    assert len(compatible) == len(set(compatible))
    # the camera declares nothing; lenses point at it
    lenses = mini_kg.compatible("CAM-00001", category="lenses")
    assert {p.attributes["mount"] for p in lenses} == {"Sony E"}
    # and the other way round: the lens is compatible with the camera
    assert ids(mini_kg.compatible("LNS-00001")) == ["CAM-00001"]


def test_related(mini_kg):
    assert ids(mini_kg.related("PHN-00001", "successor_of")) == ["PHN-00004"]
    assert ids(mini_kg.related("PHN-00004", "predecessor_of")) == ["PHN-00001"]
    assert ids(mini_kg.related("PHN-00003", "similar_to")) == ["PHN-00001"]
    assert ids(mini_kg.related("PHN-00001", "similar_to")) == ["PHN-00003"]
    assert ids(mini_kg.related("PHN-00001", "frequently_bought_with")) == ["CAS-00001"]
    with pytest.raises(ValueError):
        mini_kg.related("PHN-00001", "sibling_of")


def test_for_owned_is_multi_hop_and_deduplicated(mini_kg):
    owned = ["PHN-00001", "PHN-00003"]
    items = ids(mini_kg.for_owned(owned))
    assert len(items) == len(set(items))
    assert not set(items) & set(owned)
    assert items[0] == "CHG-00001"  # fits both phones: first
    assert set(items) == {"CHG-00001", "CAS-00001", "CAS-00002", "CAS-00003"}
    assert set(ids(mini_kg.for_owned(owned, category="case"))) == {"CAS-00001", "CAS-00002", "CAS-00003"}
    assert mini_kg.for_owned([]) == [] and mini_kg.for_owned(["NOPE"]) == []
    # owning the case too: it is not offered again
    assert "CAS-00001" not in ids(mini_kg.for_owned(["PHN-00001", "CAS-00001"]))


def test_find_with_category_price_and_threshold(mini_kg):
    found = mini_kg.find(category="phones", max_price=900, where={"battery_life_h": (">=", 24)})
    assert set(ids(found)) == {"PHN-00001", "PHN-00003"}
    assert ids(found) == ["PHN-00001", "PHN-00003"]  # by rating
    assert ids(mini_kg.find(category="Phones", min_price=700, max_price=1000, sort="price")) == [
        "PHN-00001", "PHN-00005"]
    assert ids(mini_kg.find(category="smartphone", sort="-price", limit=1)) == ["PHN-00002"]


def test_find_operators(mini_kg):
    def find(**kw):
        return set(ids(mini_kg.find(limit=None, **kw)))

    assert find(category="watches", where={"battery_life_h": (">", 312)}) == {"WCH-00002"}
    assert find(category="watches", where={"battery_life_h": ("<", 312)}) == {"WCH-00003"}
    assert find(category="watches", where={"battery_life_h": ("<=", 312)}) == {"WCH-00003", "WCH-00001"}
    assert find(where={"weight_g": ("==", 167)}) == {"PHN-00001"}
    assert find(where={"colours": ("contains", "Violet")}) == {"PHN-00001", "CAS-00002"}
    assert find(where={"colours": "violet"}) == {"PHN-00001", "CAS-00002"}
    assert find(where={"water_resistance": "ip68"}, in_stock=False) == {"PHN-00004"}
    assert find(where={"mount": ("==", "Sony E")}, category="lenses") == {"LNS-00001", "LNS-00002"}
    assert find(where={"mount": ("contains", "sony")}, category="lenses") == {"LNS-00001", "LNS-00002"}
    assert find(where={"wireless_charging": True}) == {"PHN-00001", "PHN-00002", "PHN-00003",
                                                       "PHN-00004", "PHN-00005"}
    assert find(where={"colours": ("in", ["aqua", "hazel"])}) == {"WCH-00001", "PHN-00003"}
    assert find(category="phones", where={"colours": ("!=", "black")}) == {"PHN-00002", "PHN-00003",
                                                                          "PHN-00005"}
    assert find(brand="Garmin", where={"battery_life_h": (">=", 500)}) == {"WCH-00002"}
    assert find(brand="google", category="phones") == {"PHN-00003", "PHN-00005"}
    assert find(where={"no_such_attribute": (">=", 1)}) == set()
    assert find(category="no such category") == set()
    assert find(brand="no such brand") == set()
    assert find(min_price=2000) == {"CAM-00001", "LNS-00002"}


def test_find_rejects_bad_queries(mini_kg):
    with pytest.raises(ValueError):
        mini_kg.find(where={"battery_life_h": ("~", 3)})
    with pytest.raises(ValueError):
        mini_kg.find(where={"battery_life_h": (">=", "lots")})
    with pytest.raises(ValueError):
        mini_kg.find(sort="name")


def test_find_in_stock_and_limit(mini_kg):
    assert "PHN-00004" not in ids(mini_kg.find(category="phones", in_stock=True, limit=None))
    assert len(mini_kg.find(limit=3)) == 3
    assert len(mini_kg.find(limit=None)) == len(mini_kg)


def test_compare_puts_differences_first_and_formats_units(mini_kg):
    table = mini_kg.compare(["PHN-00001", "PHN-00003", "PHN-00001"])
    assert ids(table.products) == ["PHN-00001", "PHN-00003"]
    rows = {row.key: row for row in table.rows}
    assert {"price", "rating", "stock", "battery_life_h", "weight_g", "colours",
            "water_resistance", "wireless_charging", "connectivity"} <= set(rows)
    differs = [row.differs for row in table.rows]
    assert differs == sorted(differs, reverse=True)  # all differing rows before the equal ones
    assert rows["battery_life_h"].values == ["29 h", "24 h"] and rows["battery_life_h"].best == [0]
    assert rows["weight_g"].values == ["167 g", "187 g"] and rows["weight_g"].best == [0]
    assert rows["price"].values == ["$799.00", "$699.00"] and rows["price"].best == [1]
    assert rows["colours"].values == ["black, violet", "obsidian, hazel"]
    assert rows["water_resistance"].values == ["IP68", "IP68"] and not rows["water_resistance"].differs
    assert rows["wireless_charging"].values == ["yes", "yes"]
    assert rows["connectivity"].values[1] == "\u2014"
    assert rows["colours"].best == []  # no better direction
    with pytest.raises(ValueError):
        mini_kg.compare(["PHN-00001", "NOPE"])


# ---------------------------------------------------------------- the bundled demo shop
def test_demo_graph_has_every_product_and_relation(demo_kg, demo_catalog):
    g = demo_kg.graph
    assert len(demo_kg) == len(demo_catalog.products)
    for product in demo_catalog.products:
        node = f"product:{product.id}"
        assert g.has_edge(node, f"brand:{product.brand}", key="made_by")
        assert g.has_edge(node, f"category:{product.category}", key="in_category")
        for relation, targets in product.relations.items():
            for target in targets:
                assert g.has_edge(node, f"product:{target}", key=relation)


def test_demo_accessories_of_a_phone_include_its_cases(demo_kg, demo_catalog):
    pairs = [(p, t) for p in demo_catalog.products for t in p.relations.get("accessory_of", [])]
    assert pairs, "the demo catalog should have accessories"
    for accessory, target in pairs:
        assert accessory.id in ids(demo_kg.accessories(target))
        assert accessory.id in ids(demo_kg.accessories(target, category=accessory.category))
        assert accessory.id in ids(demo_kg.compatible(target))
    phones = [c.id for c in demo_catalog.categories if c.id == "phones" or c.singular == "phone"]
    cases = [c.id for c in demo_catalog.categories if "case" in (c.singular or "").lower()]
    if phones and cases:
        with_cases = [a.relations["accessory_of"] for a in demo_catalog.products
                      if a.category == cases[0] and a.relations.get("accessory_of")]
        assert with_cases
        phone_id = with_cases[0][0]
        assert demo_kg.accessories(phone_id, category=cases[0])


def test_demo_compatible_lenses_share_the_mount(demo_kg, demo_catalog):
    lens_categories = [c.id for c in demo_catalog.categories if "lens" in (c.singular or "").lower()]
    if not lens_categories:
        pytest.skip("no lenses in this catalog")
    mount_key = next((k for k in demo_catalog.attributes if "mount" in k), None)
    if mount_key is None:
        pytest.skip("no mount attribute")
    checked = 0
    for product in demo_catalog.products:
        if product.category in lens_categories or mount_key not in product.attributes:
            continue
        for lens in demo_kg.compatible(product.id, category=lens_categories[0]):
            assert lens.attributes.get(mount_key) == product.attributes[mount_key]
            checked += 1
    assert checked


def test_demo_find_matches_a_linear_scan(demo_kg, demo_catalog):
    spec = next((s for s in demo_catalog.attributes.values() if s.type == "number"), None)
    assert spec is not None
    for category in demo_catalog.categories:
        values = sorted(p.attributes[spec.key] for p in demo_catalog.products
                        if p.category == category.id and spec.key in p.attributes)
        prices = sorted(p.price for p in demo_catalog.products if p.category == category.id)
        if not values:
            continue
        threshold, top_price = values[len(values) // 2], prices[-1]
        expected = {p.id for p in demo_catalog.products
                    if p.category == category.id and p.attributes.get(spec.key) is not None
                    and p.attributes[spec.key] >= threshold and p.price <= top_price}
        found = demo_kg.find(category=category.name, max_price=top_price,
                             where={spec.key: (">=", threshold)}, limit=None)
        assert set(ids(found)) == expected
        ratings = [p.rating for p in found]
        assert ratings == sorted(ratings, reverse=True)


def test_demo_for_owned_and_related(demo_kg, demo_catalog):
    owned = [p.id for p in demo_catalog.products if demo_kg.accessories(p.id)][:2]
    assert owned
    items = demo_kg.for_owned(owned)
    expected = set()
    for pid in owned:
        expected |= set(ids(demo_kg.compatible(pid)))
    assert set(ids(items)) == expected - set(owned)
    successors = [p for p in demo_catalog.products if p.relations.get("successor_of")]
    for product in successors:
        for older in product.relations["successor_of"]:
            assert older in ids(demo_kg.related(product.id, "successor_of"))
            assert product.id in ids(demo_kg.related(older, "predecessor_of"))
    for product in demo_catalog.products:
        for other in product.relations.get("similar_to", []):
            assert product.id in ids(demo_kg.related(other, "similar_to"))


def test_demo_compare(demo_kg, demo_catalog):
    by_category = {}
    for product in demo_catalog.products:
        by_category.setdefault(product.category, []).append(product.id)
    pids = max(by_category.values(), key=len)[:3]
    table = demo_kg.compare(pids)
    keys = {row.key for row in table.rows}
    for pid in pids:
        assert set(demo_catalog.product(pid).attributes) <= keys
    assert all(len(row.values) == len(pids) for row in table.rows)
    differs = [row.differs for row in table.rows]
    assert differs == sorted(differs, reverse=True)
    for row in table.rows:
        spec = demo_catalog.attributes.get(row.key)
        if spec is not None and spec.type == "number" and spec.unit:
            assert all(v == "\u2014" or v.endswith(spec.unit) for v in row.values)


# ---------------------------------------------------------------- scale and portability
def test_find_is_indexed_on_a_large_graph(mini_catalog):
    """A category query on 20k products must not scan them all: far below a linear pass."""
    from bot.graph.synthetic import synthetic_catalog

    catalog = synthetic_catalog(20_000, seed=3)
    kg = KnowledgeGraph.from_catalog(catalog)
    category = catalog.categories[0]
    start = time.perf_counter()
    for _ in range(20):
        found = kg.find(category=category.id, max_price=500, where={"battery_life_h": (">=", 20)})
    indexed = (time.perf_counter() - start) / 20
    start = time.perf_counter()
    for _ in range(3):
        [p for p in catalog.products if p.category == category.id and p.price <= 500
         and p.attributes.get("battery_life_h", -1) >= 20]
    linear = (time.perf_counter() - start) / 3
    assert found and indexed < linear


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="no Rasa env")
def test_builds_with_networkx_2_in_the_rasa_env():
    """The Rasa env pins networkx 2.6: the graph code must run there too."""
    code = (
        "import networkx, sys; sys.path.insert(0, 'tests/bot/graph');"
        "from conftest import build_mini_catalog;"
        "from bot.graph.knowledge_graph import KnowledgeGraph;"
        "from bot.graph.linking import MentionLinker;"
        "kg = KnowledgeGraph.from_catalog(build_mini_catalog());"
        "assert [p.id for p in kg.accessories('PHN-00001')];"
        "assert MentionLinker(kg).products_in('galxy s24')[0] == ['PHN-00001'];"
        "print(networkx.__version__)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().startswith("2.")
