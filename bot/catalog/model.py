"""The shop's knowledge as plain objects: catalog (products, brands, categories,
attribute specs) and FAQ entries.

Plain dataclasses, no behaviour beyond lookups, so every other part (graph, retrieval,
actions) reads the same shape whether it came from the demo catalog, an imported
JSON or a CSV. ``to_dict()`` gives the on-disk shape of ``knowledge/catalog.json``;
``fingerprint()`` hashes it so caches (the retrieval index) know when to rebuild.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

RELATIONS = ("accessory_of", "compatible_with", "successor_of", "similar_to", "frequently_bought_with")
SYMMETRIC_RELATIONS = ("similar_to", "frequently_bought_with")
ATTRIBUTE_TYPES = ("number", "text", "list", "bool")
BETTER = ("higher", "lower", None)
FORMAT_VERSION = 1


class CatalogError(ValueError):
    """A catalog or FAQ file could not be read or is invalid; the message says where and why."""


def _canonical_hash(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class AttributeSpec:
    """How one product attribute is typed and compared (``better``: higher | lower | None)."""

    key: str
    label: str
    type: str
    unit: Optional[str] = None
    better: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"key": self.key, "label": self.label, "type": self.type}
        if self.unit is not None:
            data["unit"] = self.unit
        if self.type == "number":
            data["better"] = self.better
        return data


@dataclass
class Category:
    id: str
    name: str
    singular: str
    synonyms: List[str] = field(default_factory=list)
    group: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "name": self.name, "singular": self.singular,
                "synonyms": list(self.synonyms), "group": self.group}


@dataclass
class Brand:
    id: str
    name: str
    aliases: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "name": self.name, "aliases": list(self.aliases)}


def empty_relations() -> Dict[str, List[str]]:
    return {name: [] for name in RELATIONS}


@dataclass
class Product:
    """One product. ``name`` is the model name without the brand; ``brand_name`` is
    filled by the loader so ``display_name`` reads like the shop page ("Samsung Galaxy S24")."""

    id: str
    name: str
    brand: str
    category: str
    price: float
    stock: int
    rating: float = 0.0  # 0.0 with 0 reviews means "not rated yet"
    reviews: int = 0
    description: str = ""
    url: str = ""
    image: str = ""
    aliases: List[str] = field(default_factory=list)
    attributes: Dict[str, Any] = field(default_factory=dict)
    relations: Dict[str, List[str]] = field(default_factory=empty_relations)
    brand_name: str = ""

    def __hash__(self) -> int:  # usable in sets / as dict keys, identity is the id
        return hash(self.id)

    @property
    def display_name(self) -> str:
        """Brand + model, without doubling a brand the model name already starts with
        ("OnePlus 12", "Apple Watch Series 9", not "OnePlus OnePlus 12")."""
        if not self.brand_name or self.name.lower().startswith(self.brand_name.lower() + " "):
            return self.name
        return f"{self.brand_name} {self.name}"

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def related(self, relation: str) -> List[str]:
        return list(self.relations.get(relation, []))

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "brand": self.brand, "category": self.category,
            "price": self.price, "stock": self.stock, "rating": self.rating, "reviews": self.reviews,
            "description": self.description, "url": self.url, "image": self.image,
            "aliases": list(self.aliases), "attributes": dict(self.attributes),
            "relations": {name: list(self.relations.get(name, [])) for name in RELATIONS},
        }


@dataclass
class FaqEntry:
    id: str
    title: str
    question: str
    paraphrases: List[str]
    answer: str
    tags: List[str] = field(default_factory=list)

    def __hash__(self) -> int:
        return hash(self.id)

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "title": self.title, "question": self.question,
                "paraphrases": list(self.paraphrases), "answer": self.answer, "tags": list(self.tags)}


def faq_fingerprint(entries: List[FaqEntry]) -> str:
    """sha256 of the FAQ's canonical content: changes whenever any entry does."""
    return _canonical_hash([entry.to_dict() for entry in entries])


@dataclass
class Catalog:
    """The whole catalog with id lookups. Build it through ``load_catalog`` (validated)."""

    shop: Dict[str, Any]
    categories: List[Category]
    brands: List[Brand]
    attributes: Dict[str, AttributeSpec]
    products: List[Product]
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the lookups (after changing the lists) and fill ``brand_name``."""
        self._products = {p.id: p for p in self.products}
        self._brands = {b.id: b for b in self.brands}
        self._categories = {c.id: c for c in self.categories}
        for product in self.products:
            brand = self._brands.get(product.brand)
            if brand is not None:
                product.brand_name = brand.name

    def product(self, product_id: str) -> Optional[Product]:
        return self._products.get(product_id)

    def brand(self, brand_id: str) -> Optional[Brand]:
        return self._brands.get(brand_id)

    def category(self, category_id: str) -> Optional[Category]:
        return self._categories.get(category_id)

    def products_in(self, category_id: str) -> List[Product]:
        return [p for p in self.products if p.category == category_id]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "version": self.version,
            "shop": dict(self.shop),
            "categories": [c.to_dict() for c in self.categories],
            "brands": [b.to_dict() for b in self.brands],
            "attributes": [a.to_dict() for a in self.attributes.values()],
            "products": [p.to_dict() for p in self.products],
        }

    def fingerprint(self) -> str:
        """sha256 of the canonical content: equal catalogs hash equal, any change shows."""
        return _canonical_hash(self.to_dict())
