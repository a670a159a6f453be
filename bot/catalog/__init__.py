"""The shop's catalog and FAQ: data model, validation, loading and importing.

    from bot.catalog import load_catalog, load_faq
    catalog = load_catalog()          # the active knowledge dir (see bot.settings)
    faq = load_faq()

``python -m bot.catalog.demo_catalog`` regenerates the bundled demo catalog;
``python -m bot.catalog.importer`` imports a shop's own files (see knowledge/README.md).
"""

from bot.catalog.loader import load_catalog, load_faq
from bot.catalog.model import (
    RELATIONS, SYMMETRIC_RELATIONS, AttributeSpec, Brand, Catalog, CatalogError, Category, FaqEntry, Product,
    faq_fingerprint,
)

__all__ = [
    "AttributeSpec", "Brand", "Catalog", "CatalogError", "Category", "FaqEntry", "Product", "RELATIONS",
    "SYMMETRIC_RELATIONS", "faq_fingerprint", "load_catalog", "load_faq",
]
