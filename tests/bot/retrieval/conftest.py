"""Shared fixtures: one real MiniLM per session, a small shop written to files and
loaded through the real loaders, and indexes built once into temporary caches."""

import json
from pathlib import Path

import pytest
import yaml

from bot import settings

FIXTURE_FAQ = {
    "version": 1,
    "entries": [
        {"id": "return_window", "title": "Return window",
         "question": "How long do I have to return something?",
         "paraphrases": ["How many days do I have to send an item back?", "What's your return period?",
                         "Is there a time limit on returns?", "Can I still return something I got three weeks ago?",
                         "What's the deadline for returning a purchase?"],
         "answer": "You can return items within 30 days of delivery.", "tags": ["returns"]},
        {"id": "shipping_cost", "title": "Shipping cost",
         "question": "How much does shipping cost?",
         "paraphrases": ["What are your delivery fees?", "Is shipping free?", "How much do you charge for postage?",
                         "Do I pay extra for delivery?", "What does standard shipping cost?"],
         "answer": "Standard shipping is free over $50, otherwise $4.99.", "tags": ["shipping"]},
        {"id": "payment_methods", "title": "Payment methods",
         "question": "Which payment methods do you accept?",
         "paraphrases": ["Can I pay with PayPal?", "Do you take credit cards?", "Can I pay with Apple Pay?",
                         "What ways can I pay for my order?", "Do you accept debit cards?"],
         "answer": "We accept credit and debit cards, PayPal, Apple Pay and Google Pay.", "tags": ["payment"]},
        {"id": "contact_support", "title": "Contact us",
         "question": "How can I contact customer service?",
         "paraphrases": ["What's your phone number?", "Can I talk to a person?", "How do I reach support?",
                         "Is there an email address for help?", "When is your support team available?"],
         "answer": "Email support@shop.example.com or call us 9-5 on weekdays.", "tags": ["support"]},
    ],
}

FIXTURE_CATALOG = {
    "version": 1,
    "shop": {"name": "Test Shop", "currency": "USD", "base_url": "https://shop.example.com"},
    "categories": [
        {"id": "headphones", "name": "Headphones", "singular": "headphones",
         "synonyms": ["earbuds", "headset"], "group": "electronics"},
        {"id": "tents", "name": "Tents", "singular": "tent", "synonyms": [], "group": "outdoor"},
    ],
    "brands": [{"id": "sony", "name": "Sony", "aliases": []}, {"id": "msr", "name": "MSR", "aliases": []}],
    "attributes": [
        {"key": "battery_life_h", "label": "Battery life", "type": "number", "unit": "h", "better": "higher"},
        {"key": "noise_cancelling", "label": "Noise cancelling", "type": "bool"},
        {"key": "capacity_persons", "label": "Capacity", "type": "number", "unit": "persons", "better": "higher"},
        {"key": "weight_g", "label": "Weight", "type": "number", "unit": "g", "better": "lower"},
    ],
    "products": [
        {"id": "HPH-00001", "name": "WH-1000XM5", "brand": "sony", "category": "headphones", "price": 399.0,
         "stock": 5, "rating": 4.7, "reviews": 120,
         "description": "Over-ear wireless headphones with industry-leading noise cancelling for flights and commutes.",
         "url": "https://shop.example.com/p/HPH-00001", "image": "https://shop.example.com/img/HPH-00001.jpg",
         "aliases": ["XM5"], "attributes": {"battery_life_h": 30, "noise_cancelling": True, "weight_g": 250},
         "relations": {}},
        {"id": "HPH-00002", "name": "WF-C500", "brand": "sony", "category": "headphones", "price": 99.0,
         "stock": 0, "rating": 4.2, "reviews": 40,
         "description": "Small true wireless earbuds with a compact charging case, splash resistant for workouts.",
         "url": "https://shop.example.com/p/HPH-00002", "image": "https://shop.example.com/img/HPH-00002.jpg",
         "aliases": [], "attributes": {"battery_life_h": 10, "noise_cancelling": False, "weight_g": 35},
         "relations": {}},
        {"id": "TNT-00001", "name": "Hubba Hubba 2", "brand": "msr", "category": "tents", "price": 549.0,
         "stock": 3, "rating": 4.8, "reviews": 60,
         "description": "Ultralight two-person backpacking tent that sets up in minutes and sheds wind and rain.",
         "url": "https://shop.example.com/p/TNT-00001", "image": "https://shop.example.com/img/TNT-00001.jpg",
         "aliases": [], "attributes": {"capacity_persons": 2, "weight_g": 1540}, "relations": {}},
        {"id": "TNT-00002", "name": "Habitude 6", "brand": "msr", "category": "tents", "price": 699.0,
         "stock": 1, "rating": 4.5, "reviews": 15,
         "description": "Roomy six-person family camping tent with a vestibule and tall walls you can stand up in.",
         "url": "https://shop.example.com/p/TNT-00002", "image": "https://shop.example.com/img/TNT-00002.jpg",
         "aliases": [], "attributes": {"capacity_persons": 6, "weight_g": 8700}, "relations": {}},
    ],
}


def write_fixture(directory: Path, faq: dict = None, catalog: dict = None) -> tuple:
    """Write the fixture shop as files; returns (catalog path, faq path)."""
    directory.mkdir(parents=True, exist_ok=True)
    catalog_path, faq_path = directory / "catalog.json", directory / "faq.yml"
    catalog_path.write_text(json.dumps(catalog or FIXTURE_CATALOG))
    faq_path.write_text(yaml.safe_dump(faq or FIXTURE_FAQ, sort_keys=False))
    return catalog_path, faq_path


@pytest.fixture(scope="session")
def embedder():
    """The process-wide MiniLM (loaded once for all retrieval tests)."""
    from bot.retrieval.embedder import get_embedder

    model = get_embedder()
    model.encode(["warm up"])
    return model


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="session")
def small_shop(fixture_files):
    from bot.catalog import load_catalog, load_faq

    catalog_path, faq_path = fixture_files
    return load_catalog(catalog_path), load_faq(faq_path)


@pytest.fixture(scope="session")
def small_index(small_shop, embedder, tmp_path_factory):
    from bot.retrieval.index import KnowledgeIndex

    catalog, faq = small_shop
    return KnowledgeIndex.load_or_build(catalog, faq, cache_dir=tmp_path_factory.mktemp("index"),
                                        progress=False, embedder=embedder)


@pytest.fixture(scope="session")
def real_faq():
    from bot.catalog import load_faq

    return load_faq(settings.BUNDLED_KNOWLEDGE_DIR / settings.FAQ_FILE)


def _bundled_catalog():
    from bot.catalog import load_catalog

    path = settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE
    return load_catalog(path) if path.exists() else None


@pytest.fixture(scope="session")
def real_index(real_faq, embedder, tmp_path_factory):
    """The demo shop's index (FAQ and, once it exists, the catalog), built once."""
    from bot.retrieval.index import KnowledgeIndex

    return KnowledgeIndex.load_or_build(_bundled_catalog(), real_faq, progress=False, embedder=embedder,
                                        cache_dir=tmp_path_factory.mktemp("real-index"))


@pytest.fixture(scope="session")
def real_catalog(real_index):
    if not real_index.products:  # pragma: no cover - written by the catalog issue
        pytest.skip("knowledge/catalog.json is not there yet")
    return _bundled_catalog()
