"""Side-by-side product comparison, formatted for people.

A customer comparing two watches wants to see at a glance where they differ, so rows
that differ come first, every value carries its unit ("29 h", "167 g"), missing values
show as an em dash, and rows whose attribute has a "better" direction (higher battery
life, lower weight, lower price) mark the best product(s).
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

MISSING = "\u2014"  # em dash: "this product has no value for that attribute"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "JPY": "\u00a5"}
UNITS_WITHOUT_SPACE = {"%", "\u00b0", '"', "\u2033", "x"}

# The rows every comparison has, ahead of the catalog's own attributes.
BASE_ROWS = (
    ("price", "Price", "lower"),
    ("rating", "Rating", "higher"),
    ("stock", "Availability", None),
)


@dataclass
class ComparisonRow:
    """One line of the table: ``values[i]`` belongs to ``Comparison.products[i]``.

    ``best`` holds the indices of the best product(s) on this row; it is empty when the
    attribute has no better direction, when fewer than two products have a value, or
    when all of them are equal (nobody wins a tie of everyone).
    """

    key: str
    label: str
    values: List[str]
    differs: bool
    best: List[int] = field(default_factory=list)


@dataclass
class Comparison:
    products: List[Any]
    rows: List[ComparisonRow]

    def as_markdown(self) -> str:
        """A compact markdown table (best values in bold), for channels that render it."""
        names = [getattr(p, "display_name", p.id) for p in self.products]
        lines = ["| | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
        for row in self.rows:
            cells = [f"**{v}**" if i in row.best else v for i, v in enumerate(row.values)]
            lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def format_number(value: float) -> str:
    """6.0 -> "6", 6.25 -> "6.25", 12000 -> "12,000": no float noise in chat."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_price(value: Optional[float], currency: str = "USD") -> str:
    if value is None:
        return MISSING
    symbol = CURRENCY_SYMBOLS.get(currency)
    amount = f"{float(value):,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def format_value(value: Any, spec: Any = None) -> str:
    """Format one attribute value by its spec's type and unit (spec may be None)."""
    if value is None or value == "" or value == []:
        return MISSING
    kind = getattr(spec, "type", None)
    unit = getattr(spec, "unit", None) or ""
    if isinstance(value, bool) or kind == "bool":
        return "yes" if _truthy(value) else "no"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, (int, float)):
        return _with_unit(format_number(value), unit)
    text = str(value)
    if unit and text[-1:].isdigit():  # a text value with a unit: "24-105" mm
        return _with_unit(text, unit)
    return text


def _with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit in UNITS_WITHOUT_SPACE else f"{text} {unit}"


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "true", "1", "y"}
    return bool(value)


def _best(raw: Sequence[Any], better: Optional[str]) -> List[int]:
    """Indices of the best numeric values; [] when there is no contest to win."""
    if better not in ("higher", "lower"):
        return []
    numeric = [(i, float(v)) for i, v in enumerate(raw)
               if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numeric) < 2:
        return []
    values = {v for _, v in numeric}
    if len(values) == 1:
        return []
    target = max(values) if better == "higher" else min(values)
    return [i for i, v in numeric if v == target]


def _rating_text(product: Any) -> str:
    rating = getattr(product, "rating", None)
    if rating is None:
        return MISSING
    reviews = getattr(product, "reviews", None)
    text = f"{format_number(rating)}/5"
    return f"{text} ({format_number(reviews)} reviews)" if reviews else text


def _stock_text(product: Any) -> str:
    stock = getattr(product, "stock", None)
    if stock is None:
        return MISSING
    return f"in stock ({stock})" if stock > 0 else "out of stock"


def build_comparison(products: Sequence[Any], specs: Dict[str, Any],
                     currency: str = "USD") -> Comparison:
    """Rows for price, rating, stock and every attribute any product has; differences first.

    Attribute rows follow the catalog's attribute order (unknown keys after, by name), so
    tables for the same category always look alike; the sort by "differs" is stable.
    """
    rows: List[ComparisonRow] = []
    for key, label, better in BASE_ROWS:
        raw = [getattr(p, key, None) for p in products]
        if key == "price":
            values = [format_price(v, currency) for v in raw]
        elif key == "rating":
            values = [_rating_text(p) for p in products]
        else:
            values = [_stock_text(p) for p in products]
        rows.append(ComparisonRow(key, label, values, len(set(values)) > 1, _best(raw, better)))

    present = set()
    for product in products:
        present.update(k for k, v in (product.attributes or {}).items() if v not in (None, "", []))
    ordered: Iterable[str] = [k for k in specs if k in present]
    ordered = list(ordered) + sorted(present - set(specs))
    for key in ordered:
        spec = specs.get(key)
        raw = [(p.attributes or {}).get(key) for p in products]
        values = [format_value(v, spec) for v in raw]
        label = getattr(spec, "label", None) or key.replace("_", " ").capitalize()
        better = getattr(spec, "better", None)
        rows.append(ComparisonRow(key, label, values, len(set(values)) > 1, _best(raw, better)))

    rows.sort(key=lambda row: not row.differs)
    return Comparison(products=list(products), rows=rows)
