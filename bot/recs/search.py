"""Product search: a shopper's constraints answered from the knowledge graph.

The graph's :meth:`~bot.graph.knowledge_graph.KnowledgeGraph.find` does the indexed part
(category, brand, price range, numeric thresholds); features that need whole-word
matching ("black" in "onyx black") or "has a value" ("waterproof") are checked here on
what it returns. A superlative orders the matches by the attribute it names, leaving
out products with no value for it (a tent without a weight is not "the lightest").
The result keeps the query, so a reply can say what was understood:
"Laptops under $1,000, cheapest first:".
"""

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence

from bot.recs.query import NumericCondition, ProductQuery, QueryParser

DEFAULT_LIMIT = 5


@dataclass
class SearchResult:
    """Matching products (best first, at most ``limit``), how many matched in all, and
    the query they answer."""

    query: ProductQuery
    products: List[Any] = field(default_factory=list)
    total: int = 0
    currency: str = "USD"
    category_name: Optional[str] = None
    brand_names: List[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.products)

    def describe(self) -> str:
        """What was searched, as a reply's lead: "Laptops under $1,000, cheapest first"."""
        q = self.query
        noun = self.category_name or "products"
        adjectives = [c.phrase for c in q.features if c.adjective]
        words = [*adjectives, *self.brand_names]
        if words:
            noun = noun[:1].lower() + noun[1:] if not self.brand_names or self.category_name else noun
            subject = " ".join([" or ".join(self.brand_names)] if self.brand_names else [])
            subject = " ".join(w for w in [" ".join(adjectives), subject, noun] if w)
        else:
            subject = noun
        parts = [subject[:1].upper() + subject[1:]]
        if q.fits:
            parts.append(f"that fit the {q.fits_name}" if getattr(q, "fits_name", None) else "that fit it")
        money = _money_format(self.currency)
        if q.min_price is not None and q.max_price is not None:
            if q.price_role == "approx":
                parts.append(f"around {money(round((q.min_price + q.max_price) / 2))}")
            else:
                parts.append(f"between {money(q.min_price)} and {money(q.max_price)}")
        elif q.max_price is not None:
            parts.append(f"under {money(q.max_price)}")
        elif q.min_price is not None:
            parts.append(f"over {money(q.min_price)}")
        features = [c.describe() for c in q.numeric] + [c.describe() for c in q.features if not c.adjective]
        if features:
            parts.append("with " + ", ".join(f[5:] if f.startswith("with ") else f for f in features))
        text = " ".join(parts)
        order = _order_text(q)
        return f"{text}, {order}" if order else text


def _money_format(currency: str):
    symbol = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3"}.get(currency, "")

    def money(value: float) -> str:
        amount = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{symbol}{amount}" if symbol else f"{amount} {currency}"
    return money


def _order_text(q: ProductQuery) -> str:
    s = q.superlative
    if s is None:
        return ""
    if s.is_field:
        return {("price", "min"): "cheapest first", ("price", "max"): "most expensive first",
                ("rating", "max"): "best rated first", ("rating", "min"): "lowest rated first",
                ("reviews", "max"): "most popular first"}.get((s.key, s.direction), "")
    label = s.label.lower()
    return f"{'highest' if s.direction == 'max' else 'lowest'} {label} first"


class ProductSearch:
    """Answers product questions for one catalog; build once per process (cheap to call)."""

    def __init__(self, kg: Any, linker: Any = None, parser: Optional[QueryParser] = None):
        self.kg = kg
        self.catalog = kg.catalog
        self.parser = parser or QueryParser(kg, linker)

    def parse(self, text: Optional[str], entities: Optional[Sequence[Mapping[str, Any]]] = None) -> ProductQuery:
        return self.parser.parse(text, entities)

    def search(self, text: Optional[str] = None, entities: Optional[Sequence[Mapping[str, Any]]] = None,
               query: Optional[ProductQuery] = None, limit: int = DEFAULT_LIMIT,
               in_stock_only: bool = False) -> SearchResult:
        """Products answering ``text`` (or an already parsed ``query``), best first."""
        query = query or self.parse(text, entities)
        products = self.matching(query, in_stock_only=in_stock_only)
        products = self.order(products, query)
        currency = (getattr(self.catalog, "shop", None) or {}).get("currency", "USD")
        names = [c.name for c in (self.catalog.category(x) for x in query.categories) if c is not None]
        category_name = " or ".join(n if i == 0 else n[:1].lower() + n[1:] for i, n in enumerate(names)) or None
        brands = [b.name for b in (self.catalog.brand(x) for x in query.brands) if b is not None]
        if query.fits:
            fitted = self.kg.product(query.fits)
            query.fits_name = getattr(fitted, "display_name", None)  # type: ignore[attr-defined]
        return SearchResult(query, products[:max(0, limit)], len(products), currency,
                            category_name, brands)

    def matching(self, query: ProductQuery, in_stock_only: bool = False) -> List[Any]:
        """Every product satisfying all of ``query``'s constraints (unordered)."""
        where = {}
        post: List[Any] = []
        for cond in query.numeric:
            if cond.op in (">=", "<=") and cond.key not in where:
                where[cond.key] = (cond.op, cond.value)
            else:
                post.append(cond)
        post.extend(query.features)
        brands = query.brands or [None]
        categories = query.categories or [None]
        found: List[Any] = []
        seen = set()
        for brand, category in ((b, c) for b in brands for c in categories):
            for p in self.kg.find(category=category, brand=brand, min_price=query.min_price,
                                  max_price=query.max_price, where=where or None,
                                  in_stock=True if in_stock_only else None, sort=None, limit=None):
                if p.id not in seen:
                    seen.add(p.id)
                    found.append(p)
        if query.fits:
            fits = {p.id for p in self.kg.for_owned([query.fits])}
            found = [p for p in found if p.id in fits]
        if post:
            found = [p for p in found if all(c.matches((p.attributes or {}).get(c.key)) for c in post)]
        return found

    def order(self, products: List[Any], query: ProductQuery) -> List[Any]:
        """Superlative order (missing values left out), else best rated first."""
        ranked = self.kg._sorted(list(products), "rating", None)  # the graph's rating order
        s = query.superlative
        if s is None:
            return ranked
        sign = 1 if s.direction == "min" else -1
        if s.is_field:
            def value(p: Any) -> Optional[float]:
                return getattr(p, s.key, None)
        else:
            def value(p: Any) -> Optional[float]:
                v = (p.attributes or {}).get(s.key)
                return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
        with_value = [p for p in ranked if value(p) is not None]
        return sorted(with_value, key=lambda p: sign * float(value(p)))  # stable: rating breaks ties


__all__ = ["ProductSearch", "SearchResult", "ProductQuery", "NumericCondition"]
