"""Row rules shared by the strict loader and the lenient importer."""

from bot.catalog.model import AttributeSpec
from bot.catalog.validation import (
    Definitions, check_attribute_value, check_faq_entry, check_product, infer_attribute_type, validate_faq,
    validate_products,
)
from bot.catalog.model import Brand, Category


def defs():
    return Definitions(brands={"google": Brand("google", "Google", ["Alphabet"])},
                       categories={"phones": Category("phones", "Phones", "phone", ["smartphone"])},
                       attributes={"weight_g": AttributeSpec("weight_g", "Weight", "number", "g", "lower")},
                       base_url="https://t.example")


def row(**extra):
    data = {"id": "P-1", "name": "Pixel", "brand": "Google", "category": "smartphone", "price": 1, "stock": 1}
    data.update(extra)
    return data


def test_names_resolve_case_insensitively():
    product, errors, warnings = check_product(row(brand="alphabet"), defs(), lenient=False)
    assert not errors and not warnings
    assert product.brand == "google" and product.category == "phones" and product.brand_name == "Google"


def test_lenient_mode_adds_brands_and_attributes_but_not_categories():
    d = defs()
    product, errors, warnings = check_product(row(brand="Nothing", attributes={"glyphs": True}), d, lenient=True)
    assert not errors and product.brand == "nothing"
    assert any("unknown brand 'Nothing'" in w for w in warnings)
    assert d.attributes["glyphs"].type == "bool"
    _, errors, _ = check_product(row(category="drones"), d, lenient=True)
    assert errors == ["unknown category 'drones' (known: phones)"]
    _, errors, _ = check_product(row(brand="Nothing"), defs(), lenient=False)
    assert errors == ["unknown brand 'Nothing'"]


def test_bad_values_are_all_reported():
    _, errors, _ = check_product(row(price="cheap", stock=-2, rating=7, reviews=1.5, aliases="x"), defs(), False)
    assert errors == ["price must be a number >= 0, got 'cheap'", "stock must be a whole number >= 0, got -2",
                      "rating must be a number from 0 to 5, got 7", "reviews must be a whole number >= 0, got 1.5",
                      "aliases must be a list of text, got 'x'"]
    _, errors, _ = check_product({"id": "P-1"}, defs(), False)
    assert errors == ["missing name", "missing brand", "missing category", "missing price", "missing stock"]


def test_relations_to_rejected_rows_are_dropped_not_fatal():
    rows = [(2, row(id="A")), (3, row(id="B", price=-1)), (4, row(id="C", relations={"similar_to": ["B", "A"]}))]
    good, problems = validate_products("f.json", rows, defs(), lenient=True)
    assert [p.id for p in good] == ["A", "C"]
    assert good[1].relations["similar_to"] == ["A"]
    assert [str(p) for p in problems] == [
        "f.json:3: price must be a number >= 0, got -1",
        "f.json:4: warning: relation similar_to: B was rejected; link dropped",
    ]


def test_attribute_checks_and_inference():
    spec = AttributeSpec("colours", "Colours", "list")
    assert check_attribute_value(spec, ["black"]) is None
    assert check_attribute_value(spec, "black") == "attribute colours: expected a list of text, got 'black'"
    assert infer_attribute_type([1, 2.5]) == "number"
    assert infer_attribute_type([True]) == "bool"
    assert infer_attribute_type([["a"], "b"]) == "list"
    assert infer_attribute_type(["IP68"]) == "text"


def test_faq_entry_rules():
    good = {"id": "a", "title": "A", "question": "Q?", "answer": "Yes.", "paraphrases": [f"p{i}" for i in range(5)]}
    entry, reasons = check_faq_entry(good)
    assert entry is not None and not reasons
    _, reasons = check_faq_entry({**good, "answer": ""})
    assert reasons == ["missing answer"]
    _, reasons = check_faq_entry({**good, "paraphrases": ["same"] * 6})
    assert reasons == ["needs at least 5 different paraphrases, has 1"]
    _, problems = validate_faq("faq.yml", [(3, good), (9, {**good, "title": "Again"})])
    assert [str(p) for p in problems][0].startswith("faq.yml:9: duplicate id a (first on line 3)")


def test_shared_paraphrases_between_entries_are_rejected():
    a = {"id": "a", "title": "A", "question": "Q1?", "answer": "A.", "paraphrases": [f"a{i}" for i in range(5)]}
    b = {"id": "b", "title": "B", "question": "Q2?", "answer": "B.", "paraphrases": ["A3", *[f"b{i}" for i in range(5)]]}
    entries, problems = validate_faq("faq.yml", [(1, a), (20, b)])
    assert [e.id for e in entries] == ["a"]
    assert str(problems[0]) == "faq.yml:20: 'A3' is also in entry a (line 1)"
