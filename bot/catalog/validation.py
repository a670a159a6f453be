"""Row validation shared by the loader (strict) and the importer (lenient).

Every problem is reported as ``file:line: reason`` so a shop can fix its file.
The two modes differ in what an unknown name means:

- strict (``load_catalog``): the file must be complete and consistent; any problem
  raises ``CatalogError``.
- lenient (the importer): a bad row is rejected and the good rows are kept. An
  unknown *brand* is created from the name as written (warning) because a brand is
  only a display name; an undeclared *attribute* is declared with a type inferred
  from its values (warning). An unknown *category* rejects the row: categories carry
  the names and synonyms the assistant understands shoppers by, so a typo must not
  silently become a new category. A relation to a product that was rejected is
  dropped from the otherwise good row (warning); a relation to an id that appears
  nowhere in the file rejects the row.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot.catalog.model import (
    ATTRIBUTE_TYPES, BETTER, RELATIONS, AttributeSpec, Brand, Catalog, Category, FaqEntry, Product,
    empty_relations,
)

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
SLUG_PATTERN = re.compile(r"^[a-z0-9_-]+$")
FAQ_ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
MIN_PARAPHRASES = 5  # the retrieval index needs varied wording per FAQ entry
MAX_RATING = 5.0
PRODUCT_FIELDS = ("id", "name", "brand", "category", "price", "stock", "rating", "reviews", "description",
                  "url", "image", "aliases", "attributes", "relations")
REQUIRED_PRODUCT_FIELDS = ("id", "name", "brand", "category", "price", "stock")

Row = Tuple[int, Any]  # (line in the file, parsed object)


@dataclass
class Problem:
    """One finding about one row; ``str()`` gives ``file:line: reason``."""

    file: str
    line: int
    reason: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {'warning: ' if self.warning else ''}{self.reason}"


def errors_only(problems: Iterable[Problem]) -> List[Problem]:
    return [p for p in problems if not p.warning]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "...'"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_text(v) for v in value)


def infer_attribute_type(values: Iterable[Any]) -> str:
    """The narrowest attribute type that fits all values (for undeclared attributes)."""
    values = [v for v in values if v is not None and v != ""]
    if values and all(isinstance(v, bool) for v in values):
        return "bool"
    if values and all(_is_number(v) for v in values):
        return "number"
    if any(isinstance(v, list) for v in values):
        return "list"
    return "text"


def check_attribute_value(spec: AttributeSpec, value: Any) -> Optional[str]:
    """None if ``value`` fits the spec, else the reason."""
    expected = {"number": (_is_number, "a number"), "text": (_is_text, "non-empty text"),
                "list": (_is_text_list, "a list of text"), "bool": (lambda v: isinstance(v, bool), "true or false")}
    test, wording = expected[spec.type]
    if test(value):
        return None
    return f"attribute {spec.key}: expected {wording}, got {_show(value)}"


# ---------------------------------------------------------------- definitions

def parse_category(row: Any) -> Tuple[Optional[Category], List[str]]:
    if not isinstance(row, dict):
        return None, ["category must be an object"]
    reasons = []
    cid, name = row.get("id"), row.get("name")
    if not (_is_text(cid) and SLUG_PATTERN.match(cid)):
        reasons.append(f"category id must be lower-case letters, digits, '_' or '-', got {_show(cid)}")
    if not _is_text(name):
        reasons.append(f"category {cid}: missing name")
    synonyms = row.get("synonyms", [])
    if not (isinstance(synonyms, list) and all(_is_text(s) for s in synonyms)):
        reasons.append(f"category {cid}: synonyms must be a list of text")
    if reasons:
        return None, reasons
    singular = row.get("singular") or (name[:-1] if name.lower().endswith("s") else name).lower()
    return Category(id=cid, name=name, singular=singular, synonyms=list(synonyms),
                    group=str(row.get("group") or "")), []


def parse_brand(row: Any) -> Tuple[Optional[Brand], List[str]]:
    if not isinstance(row, dict):
        return None, ["brand must be an object"]
    bid, name, aliases = row.get("id"), row.get("name"), row.get("aliases", [])
    reasons = []
    if not (_is_text(bid) and SLUG_PATTERN.match(bid)):
        reasons.append(f"brand id must be lower-case letters, digits, '_' or '-', got {_show(bid)}")
    if not _is_text(name):
        reasons.append(f"brand {bid}: missing name")
    if not _is_text_list(aliases):
        reasons.append(f"brand {bid}: aliases must be a list of text")
    if reasons:
        return None, reasons
    return Brand(id=bid, name=name, aliases=list(aliases)), []


def parse_attribute_spec(row: Any) -> Tuple[Optional[AttributeSpec], List[str]]:
    if not isinstance(row, dict):
        return None, ["attribute must be an object"]
    key, kind, better = row.get("key"), row.get("type"), row.get("better")
    reasons = []
    if not (_is_text(key) and re.match(r"^[a-z0-9_]+$", key)):
        reasons.append(f"attribute key must be lower-case letters, digits or '_', got {_show(key)}")
    if kind not in ATTRIBUTE_TYPES:
        reasons.append(f"attribute {key}: type must be one of {', '.join(ATTRIBUTE_TYPES)}, got {_show(kind)}")
    if better not in BETTER:
        reasons.append(f"attribute {key}: better must be higher, lower or null, got {_show(better)}")
    if reasons:
        return None, reasons
    label = row.get("label") or key.replace("_", " ").capitalize()
    return AttributeSpec(key=key, label=label, type=kind, unit=row.get("unit"),
                         better=better if kind == "number" else None), []


@dataclass
class Definitions:
    """What product rows are checked against; the importer may add brands/attributes."""

    brands: Dict[str, Brand] = field(default_factory=dict)
    categories: Dict[str, Category] = field(default_factory=dict)
    attributes: Dict[str, AttributeSpec] = field(default_factory=dict)
    base_url: str = ""

    def find_brand(self, value: str) -> Optional[str]:
        """Brand id for an id, name or alias (case-insensitive)."""
        if value in self.brands:
            return value
        wanted = value.strip().lower()
        for brand in self.brands.values():
            if wanted in {brand.id, brand.name.lower(), *(a.lower() for a in brand.aliases)}:
                return brand.id
        return None

    def find_category(self, value: str) -> Optional[str]:
        """Category id for an id, name, singular or synonym (case-insensitive)."""
        if value in self.categories:
            return value
        wanted = value.strip().lower()
        for cat in self.categories.values():
            names = {cat.id, cat.name.lower(), cat.singular.lower(), *(s.lower() for s in cat.synonyms)}
            if wanted in names:
                return cat.id
        return None


def parse_definitions(file: str, categories: List[Row], brands: List[Row], attributes: List[Row],
                      base: Optional[Definitions] = None) -> Tuple[Definitions, List[Problem]]:
    """Categories, brands and attribute specs of a file (file entries win over ``base``)."""
    problems: List[Problem] = []
    defs = Definitions()
    for rows, parse, target, what in ((categories, parse_category, defs.categories, "category"),
                                      (brands, parse_brand, defs.brands, "brand"),
                                      (attributes, parse_attribute_spec, defs.attributes, "attribute")):
        first_line: Dict[str, int] = {}
        for line, row in rows:
            item, reasons = parse(row)
            problems.extend(Problem(file, line, reason) for reason in reasons)
            if item is None:
                continue
            ident = item.key if isinstance(item, AttributeSpec) else item.id
            if ident in first_line:
                problems.append(Problem(file, line, f"duplicate {what} {ident} (first on line {first_line[ident]})"))
                continue
            first_line[ident] = line
            target[ident] = item
    if base is not None:
        for name in ("brands", "categories", "attributes"):
            mine, theirs = getattr(defs, name), getattr(base, name)
            for key, value in theirs.items():
                mine.setdefault(key, value)
        defs.base_url = base.base_url
    return defs, problems


# ---------------------------------------------------------------- products

def check_product(row: Any, defs: Definitions, lenient: bool) -> Tuple[Optional[Product], List[str], List[str]]:
    """(product or None, errors, warnings) for one row; may add brands/attributes to ``defs`` when lenient."""
    if not isinstance(row, dict):
        return None, ["product must be an object"], []
    errors: List[str] = []
    warnings: List[str] = []
    for key in REQUIRED_PRODUCT_FIELDS:
        if row.get(key) in (None, ""):
            errors.append(f"missing {key}")
    unknown = sorted(set(row) - set(PRODUCT_FIELDS))
    if unknown:
        warnings.append(f"ignored unknown field(s): {', '.join(unknown)}")
    pid = row.get("id")
    if pid not in (None, "") and not (isinstance(pid, str) and ID_PATTERN.match(pid)):
        errors.append(f"invalid id {_show(pid)} (letters, digits, '-' and '_' only)")
    name = row.get("name")
    if name not in (None, "") and not _is_text(name):
        errors.append(f"name must be text, got {_show(name)}")

    price, stock, rating, reviews = row.get("price"), row.get("stock"), row.get("rating"), row.get("reviews")
    if price not in (None, "") and not (_is_number(price) and price >= 0):
        errors.append(f"price must be a number >= 0, got {_show(price)}")
    if _is_number(stock) and float(stock).is_integer():
        stock = int(stock)
    if stock not in (None, "") and not (isinstance(stock, int) and not isinstance(stock, bool) and stock >= 0):
        errors.append(f"stock must be a whole number >= 0, got {_show(stock)}")
    if rating in (None, ""):
        rating = 0.0
    elif not (_is_number(rating) and 0 <= rating <= MAX_RATING):
        errors.append(f"rating must be a number from 0 to 5, got {_show(rating)}")
    if _is_number(reviews) and float(reviews).is_integer():
        reviews = int(reviews)
    if reviews in (None, ""):
        reviews = 0
    elif not (isinstance(reviews, int) and not isinstance(reviews, bool) and reviews >= 0):
        errors.append(f"reviews must be a whole number >= 0, got {_show(reviews)}")

    brand_id = None
    brand = row.get("brand")
    if _is_text(brand):
        brand_id = defs.find_brand(brand)
        if brand_id is None:
            if lenient and slug(brand):
                new = Brand(id=slug(brand), name=brand.strip(), aliases=[])
                defs.brands.setdefault(new.id, new)
                brand_id = new.id
                warnings.append(f"unknown brand '{brand}' added as a new brand")
            else:
                errors.append(f"unknown brand {_show(brand)}")
    elif brand not in (None, ""):
        errors.append(f"brand must be text, got {_show(brand)}")
    category_id = None
    category = row.get("category")
    if _is_text(category):
        category_id = defs.find_category(category)
        if category_id is None:
            known = ", ".join(sorted(defs.categories)) or "none"
            errors.append(f"unknown category {_show(category)} (known: {known})")
    elif category not in (None, ""):
        errors.append(f"category must be text, got {_show(category)}")

    texts = {}
    for key in ("description", "url", "image"):
        value = row.get(key)
        if value in (None, ""):
            value = ""
        elif not isinstance(value, str):
            errors.append(f"{key} must be text, got {_show(value)}")
        texts[key] = value.strip() if isinstance(value, str) else ""
    aliases = row.get("aliases") or []
    if not _is_text_list(aliases):
        errors.append(f"aliases must be a list of text, got {_show(aliases)}")
        aliases = []

    attributes = row.get("attributes") or {}
    clean_attributes: Dict[str, Any] = {}
    if not isinstance(attributes, dict):
        errors.append(f"attributes must be an object, got {_show(attributes)}")
        attributes = {}
    for key, value in attributes.items():
        if value is None or value == "" or value == []:
            continue
        spec = defs.attributes.get(key)
        if spec is None:
            if lenient and re.match(r"^[a-z0-9_]+$", str(key)):
                spec = AttributeSpec(key=key, label=key.replace("_", " ").capitalize(),
                                     type=infer_attribute_type([value]))
                defs.attributes[key] = spec
                warnings.append(f"attribute {key} is not declared; added as type {spec.type}")
            else:
                errors.append(f"attribute {key} is not declared in attributes")
                continue
        reason = check_attribute_value(spec, value)
        if reason:
            errors.append(reason)
        else:
            clean_attributes[key] = value

    relations = row.get("relations") or {}
    clean_relations = empty_relations()
    if not isinstance(relations, dict):
        errors.append(f"relations must be an object, got {_show(relations)}")
        relations = {}
    for rel, targets in relations.items():
        if rel not in RELATIONS:
            errors.append(f"unknown relation {_show(rel)} (known: {', '.join(RELATIONS)})")
        elif not (isinstance(targets, list) and all(isinstance(t, str) and t for t in targets)):
            errors.append(f"relation {rel} must be a list of product ids, got {_show(targets)}")
        elif pid in targets:
            errors.append(f"relation {rel}: a product cannot relate to itself")
        else:
            clean_relations[rel] = list(dict.fromkeys(targets))

    if errors:
        return None, errors, warnings
    url = texts["url"] or (f"{defs.base_url.rstrip('/')}/p/{pid}" if defs.base_url else "")
    image = texts["image"] or (f"{defs.base_url.rstrip('/')}/img/{pid}.jpg" if defs.base_url else "")
    product = Product(
        id=pid, name=name.strip(), brand=brand_id, category=category_id, price=float(price), stock=stock,
        rating=float(rating), reviews=reviews, description=texts["description"], url=url, image=image,
        aliases=[a.strip() for a in aliases], attributes=clean_attributes, relations=clean_relations,
        brand_name=defs.brands[brand_id].name,
    )
    return product, [], warnings


def validate_products(file: str, rows: List[Row], defs: Definitions,
                      lenient: bool) -> Tuple[List[Product], List[Problem]]:
    """Check every row, duplicate ids and relation targets; return the good products."""
    problems: List[Problem] = []
    good: Dict[str, Tuple[int, Product]] = {}
    first_line: Dict[str, int] = {}
    for line, row in rows:
        product, errors, warnings = check_product(row, defs, lenient)
        problems.extend(Problem(file, line, w, warning=True) for w in warnings)
        pid = row.get("id") if isinstance(row, dict) else None
        if isinstance(pid, str) and pid:
            if pid in first_line:
                errors.insert(0, f"duplicate id {pid} (first on line {first_line[pid]})")
            else:
                first_line[pid] = line
        if errors:
            problems.append(Problem(file, line, "; ".join(errors)))
        else:
            good[product.id] = (line, product)

    # Relation targets: unknown ids reject the row; links to rejected rows are dropped.
    # Repeat, because a row rejected now may be the target of another one.
    changed = True
    while changed:
        changed = False
        for pid, (line, product) in list(good.items()):
            missing = [(rel, t) for rel in RELATIONS for t in product.relations[rel] if t not in first_line]
            if missing:
                reasons = "; ".join(f"relation {rel}: unknown product id {t}" for rel, t in missing)
                problems.append(Problem(file, line, reasons))
                del good[pid]
                changed = True
                continue
            for rel in RELATIONS:
                dropped = [t for t in product.relations[rel] if t not in good]
                if dropped:
                    product.relations[rel] = [t for t in product.relations[rel] if t in good]
                    problems.append(Problem(file, line, f"relation {rel}: {', '.join(dropped)} was rejected; "
                                                        f"link dropped", warning=True))
    problems.sort(key=lambda p: (p.line, p.warning))
    return [product for _, product in sorted(good.values(), key=lambda item: item[0])], problems


def build_catalog(file: str, shop: Dict[str, Any], categories: List[Row], brands: List[Row],
                  attributes: List[Row], products: List[Row], base: Optional[Catalog] = None,
                  lenient: bool = False) -> Tuple[Catalog, List[Problem]]:
    """Validate a whole catalog's rows. With ``base`` (the importer), definitions the
    file leaves out come from the active catalog; only those used are kept."""
    base_defs = None
    if base is not None:
        base_defs = Definitions(brands={b.id: b for b in base.brands},
                                categories={c.id: c for c in base.categories},
                                attributes=dict(base.attributes),
                                base_url=str(base.shop.get("base_url", "")))
    defs, problems = parse_definitions(file, categories, brands, attributes, base_defs)
    if (shop or {}).get("base_url"):
        defs.base_url = str(shop["base_url"])
    declared_in_file = {
        "categories": {row.get("id") for _, row in categories if isinstance(row, dict)},
        "brands": {row.get("id") for _, row in brands if isinstance(row, dict)},
        "attributes": {row.get("key") for _, row in attributes if isinstance(row, dict)},
    }
    good, product_problems = validate_products(file, products, defs, lenient)
    problems.extend(product_problems)

    used_categories = {p.category for p in good}
    used_brands = {p.brand for p in good}
    used_attributes = {key for p in good for key in p.attributes}
    keep_all = base is None
    catalog = Catalog(
        shop=dict(shop or (base.shop if base else {})),
        categories=[c for c in defs.categories.values()
                    if keep_all or c.id in declared_in_file["categories"] or c.id in used_categories],
        brands=[b for b in defs.brands.values()
                if keep_all or b.id in declared_in_file["brands"] or b.id in used_brands],
        attributes={k: a for k, a in defs.attributes.items()
                    if keep_all or k in declared_in_file["attributes"] or k in used_attributes},
        products=good,
    )
    return catalog, problems


# ---------------------------------------------------------------- FAQ

def check_faq_entry(row: Any) -> Tuple[Optional[FaqEntry], List[str]]:
    if not isinstance(row, dict):
        return None, ["FAQ entry must be an object"]
    reasons = []
    fid = row.get("id")
    if not _is_text(fid):
        reasons.append("missing id")
    elif not FAQ_ID_PATTERN.match(fid):
        reasons.append(f"invalid id {_show(fid)} (lower-case letters, digits and '_' only)")
    for key in ("title", "question", "answer"):
        if row.get(key) in (None, ""):
            reasons.append(f"missing {key}")
        elif not _is_text(row.get(key)):
            reasons.append(f"{key} must be text, got {_show(row.get(key))}")
    paraphrases = row.get("paraphrases") or []
    if not _is_text_list(paraphrases):
        reasons.append(f"paraphrases must be a list of text, got {_show(paraphrases)}")
        paraphrases = []
    distinct = list(dict.fromkeys(p.strip() for p in paraphrases))
    if isinstance(row.get("paraphrases") or [], list) and len(distinct) < MIN_PARAPHRASES:
        reasons.append(f"needs at least {MIN_PARAPHRASES} different paraphrases, has {len(distinct)}")
    tags = row.get("tags") or []
    if not _is_text_list(tags):
        reasons.append(f"tags must be a list of text, got {_show(tags)}")
    if reasons:
        return None, reasons
    return FaqEntry(id=fid, title=row["title"].strip(), question=row["question"].strip(), paraphrases=distinct,
                    answer=row["answer"].strip(), tags=[t.strip() for t in tags]), []


def validate_faq(file: str, rows: List[Row]) -> Tuple[List[FaqEntry], List[Problem]]:
    """Check every entry, duplicate ids, and paraphrases shared between entries
    (which would make retrieval answer with either one)."""
    problems: List[Problem] = []
    good: List[FaqEntry] = []
    first_line: Dict[str, int] = {}
    owner: Dict[str, Tuple[str, int]] = {}
    for line, row in rows:
        entry, reasons = check_faq_entry(row)
        fid = row.get("id") if isinstance(row, dict) else None
        if isinstance(fid, str) and fid:
            if fid in first_line:
                reasons.insert(0, f"duplicate id {fid} (first on line {first_line[fid]})")
            else:
                first_line[fid] = line
        if entry is not None and not reasons:
            for text in [entry.question, *entry.paraphrases]:
                other = owner.get(text.lower())
                if other and other[0] != entry.id:
                    reasons.append(f"'{text}' is also in entry {other[0]} (line {other[1]})")
        if reasons:
            problems.append(Problem(file, line, "; ".join(reasons)))
            continue
        for text in [entry.question, *entry.paraphrases]:
            owner.setdefault(text.lower(), (entry.id, line))
        good.append(entry)
    return good, problems
