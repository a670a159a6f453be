"""Product naming and the fingerprints caches rely on."""

import copy

from bot.catalog.model import Brand, Catalog, Category, FaqEntry, Product, faq_fingerprint


def _catalog(name="Galaxy S24", brand=Brand("samsung", "Samsung")):
    product = Product(id="SKU-1", name=name, brand=brand.id, category="phones", price=799.0, stock=0)
    return Catalog(shop={"name": "t"}, categories=[Category("phones", "Phones", "phone")], brands=[brand],
                   attributes={}, products=[product])


def test_display_name_prefixes_the_brand_once():
    assert _catalog().product("SKU-1").display_name == "Samsung Galaxy S24"
    assert _catalog("OnePlus 12", Brand("oneplus", "OnePlus")).product("SKU-1").display_name == "OnePlus 12"
    watch = _catalog("Apple Watch Series 9 (41 mm)", Brand("apple", "Apple")).product("SKU-1")
    assert watch.display_name == "Apple Watch Series 9 (41 mm)"
    # only a whole-word brand prefix counts
    assert _catalog("Ontario", Brand("on", "On")).product("SKU-1").display_name == "On Ontario"


def test_in_stock_and_lookups():
    catalog = _catalog()
    product = catalog.product("SKU-1")
    assert not product.in_stock
    assert catalog.brand("samsung").name == "Samsung"
    assert catalog.category("phones").singular == "phone"
    assert catalog.product("nope") is None


def test_fingerprint_changes_with_content_only():
    a, b = _catalog(), _catalog()
    assert a.fingerprint() == b.fingerprint()
    b.products[0].price = 749.0
    assert a.fingerprint() != b.fingerprint()


def test_faq_fingerprint():
    entry = FaqEntry("a", "A", "Q?", ["p1", "p2", "p3", "p4", "p5"], "Answer.", ["t"])
    changed = copy.deepcopy(entry)
    changed.answer = "Another answer."
    assert faq_fingerprint([entry]) == faq_fingerprint([copy.deepcopy(entry)])
    assert faq_fingerprint([entry]) != faq_fingerprint([changed])
