import copy
import json
import os
import time

import pytest

from bot.catalog import load_catalog, load_faq
from bot.retrieval.index import (
    FAQ_FILE, META_FILE, PRODUCTS_FILE, KnowledgeIndex, faq_rows, product_document, prune,
)
from tests.bot.retrieval.conftest import FIXTURE_FAQ, write_fixture

HOSTILE = [
    None, "", "   \n\t ", "x" * 200_000, "où est ma commande ? 我的订单在哪里", "'; DROP TABLE orders; --",
    "<script>alert(1)</script>", "\x00\x01\x02", "🙂🙂🙂", "{{ 7*7 }} ${jndi:ldap://x}",
]


def build(tmp_path, embedder, faq=None, catalog=None, **kwargs):
    catalog_path, faq_path = write_fixture(tmp_path / "shop", faq=faq, catalog=catalog)
    return KnowledgeIndex.load_or_build(load_catalog(catalog_path), load_faq(faq_path),
                                        cache_dir=tmp_path / "cache", progress=False, embedder=embedder, **kwargs)


def cache_dirs(root):
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_builds_into_the_cache_dir_and_loads_without_encoding(tmp_path, embedder):
    first = build(tmp_path, embedder)
    assert first.built and first.path.parent == tmp_path / "cache"
    assert {p.name for p in first.path.iterdir()} == {FAQ_FILE, PRODUCTS_FILE, META_FILE}
    meta = json.loads((first.path / META_FILE).read_text())
    assert meta["encoder"] == embedder.model_name and len(meta["product_ids"]) == 4
    mtime = first.path.stat().st_mtime_ns
    encoded = embedder.texts_encoded

    second = build(tmp_path, embedder)
    assert not second.built and second.path == first.path
    assert embedder.texts_encoded == encoded  # nothing re-encoded
    assert first.path.stat().st_mtime_ns == mtime  # nothing rewritten
    query = "how many days can I send things back"
    assert [(h.entry.id, round(h.score, 5)) for h in first.search_faq(query)] == \
           [(h.entry.id, round(h.score, 5)) for h in second.search_faq(query)]


def test_changed_input_rebuilds_and_prunes_the_old_cache(tmp_path, embedder):
    old = build(tmp_path, embedder)
    faq = copy.deepcopy(FIXTURE_FAQ)
    faq["entries"][0]["paraphrases"].append("Can I return stuff after a month?")
    new = build(tmp_path, embedder, faq=faq)
    assert new.built and new.path != old.path
    assert cache_dirs(tmp_path / "cache") == [new.path.name]
    assert new.faq_index.ntotal == old.faq_index.ntotal + 1


def test_force_rebuilds_in_place(tmp_path, embedder):
    old = build(tmp_path, embedder)
    encoded = embedder.texts_encoded
    forced = build(tmp_path, embedder, force=True)
    assert forced.built and forced.path == old.path and embedder.texts_encoded > encoded
    assert cache_dirs(tmp_path / "cache") == [old.path.name]


def test_damaged_cache_is_rebuilt(tmp_path, embedder):
    old = build(tmp_path, embedder)
    (old.path / FAQ_FILE).write_bytes(b"not a faiss index")
    again = build(tmp_path, embedder)
    assert again.built and again.search_faq("what's your return period?")[0].entry.id == "return_window"
    assert not build(tmp_path, embedder).built  # the repaired cache is used from now on


def test_losing_a_concurrent_build_race_is_harmless(tmp_path, small_index):
    """Two processes finishing the same build: the second rename fails, its files are dropped."""
    meta = {"format": 1}
    KnowledgeIndex._write(tmp_path, "a" * 64, small_index.faq_index, small_index.product_index, meta, False)
    KnowledgeIndex._write(tmp_path, "a" * 64, small_index.faq_index, small_index.product_index, meta, False)
    assert cache_dirs(tmp_path) == ["a" * 64]  # no temporary directory left behind


def test_prune_keeps_current_and_young_temporaries(tmp_path):
    for name in ["a" * 64, "b" * 64, ".tmp-young", ".tmp-old", "not-a-cache"]:
        (tmp_path / name).mkdir()
    old = time.time() - 7200
    os.utime(tmp_path / ".tmp-old", (old, old))
    prune(tmp_path, keep="a" * 64)
    assert cache_dirs(tmp_path) == [".tmp-young", "a" * 64, "not-a-cache"]


def test_default_cache_dir_comes_from_settings(tmp_path, monkeypatch, small_shop, embedder):
    monkeypatch.setenv("SHOPBOT_INDEX_DIR", str(tmp_path / "configured"))
    index = KnowledgeIndex.load_or_build(*small_shop, progress=False, embedder=embedder)
    assert index.path.parent == tmp_path / "configured"


def test_faq_rows_cover_question_and_paraphrases(small_shop):
    texts, ids = faq_rows(small_shop[1])
    assert len(texts) == 4 * 6 and ids.count("return_window") == 6
    assert "How long do I have to return something?" in texts


def test_product_document_reads_like_a_listing(small_shop):
    catalog = small_shop[0]
    doc = product_document(catalog.product("HPH-00001"), catalog)
    for part in ["Sony WH-1000XM5", "XM5", "Headphones", "noise cancelling", "Battery life: 30 h",
                 "Noise cancelling: yes"]:
        assert part in doc


def test_search_faq_best_entry_first(small_index):
    hits = small_index.search_faq("do you accept paypal or visa", k=3)
    assert hits[0].entry.id == "payment_methods"
    assert len(hits) == 3 and len({h.entry.id for h in hits}) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert small_index.search_faq("anything", k=0) == []
    assert len(small_index.search_faq("anything", k=10)) == 4


def test_best_row_scoring_is_available(small_index):
    small_index.faq_scoring = "max"
    try:
        hits = small_index.search_faq("What's your return period?", k=2)
        assert hits[0].entry.id == "return_window" and hits[0].score == pytest.approx(1.0, abs=1e-4)
    finally:
        small_index.faq_scoring = "prototype"


def test_search_products_by_description(small_index):
    assert small_index.search_products("tent for a family of six to stand up in", k=2)[0].product.id == "TNT-00002"
    assert small_index.search_products("earbuds to wear at the gym", k=1)[0].product.id == "HPH-00002"
    assert small_index.search_products("headphones that block plane noise", k=1)[0].product.id == "HPH-00001"
    assert len(small_index.search_products("tent", k=10)) == 4


@pytest.mark.parametrize("text", HOSTILE)
def test_bad_input_never_raises(small_index, text):
    faq_hits = small_index.search_faq(text)
    product_hits = small_index.search_products(text)
    if not (text or "").strip() or text == "\x00\x01\x02":
        return
    assert len(faq_hits) == 3 and len(product_hits) == 4


def test_empty_text_matches_nothing(small_index):
    assert small_index.search_faq("  ") == [] and small_index.search_products("") == []


def test_empty_faq_and_catalog(tmp_path, embedder):
    index = KnowledgeIndex.load_or_build(None, [], cache_dir=tmp_path, progress=False, embedder=embedder)
    assert index.search_faq("hello") == [] and index.search_products("hello") == []
    assert not KnowledgeIndex.load_or_build(None, [], cache_dir=tmp_path, progress=False, embedder=embedder).built


def test_real_faq_questions_and_paraphrases_retrieve_their_entry(real_index, real_faq):
    """Indexed wordings come back as their own entry (held-out wordings: benchmarks/faq_eval.py)."""
    misses = []
    for entry in real_faq:
        for text in [entry.question, *entry.paraphrases[:3]]:
            if real_index.search_faq(text, k=1)[0].entry.id != entry.id:
                misses.append((text, entry.id))
    total = 4 * len(real_faq)
    assert len(misses) <= 0.02 * total, misses


def test_real_catalog_products_found_by_description_words(real_catalog, real_index):
    misses = []
    for product in real_catalog.products:
        query = product.description.split(".")[0]  # the first sentence, as a shopper might paraphrase it
        ids = [h.product.id for h in real_index.search_products(query, k=3)]
        if product.id not in ids:
            misses.append((query, product.id, ids))
    assert len(misses) <= 0.1 * len(real_catalog.products), misses
