"""The facts a generated reply may state, as the action looked them up.

The generator never queries the shop: the caller hands it everything a reply may say,
typed, and the guardrails accept a generated reply only when every price, number, date,
order id and name in it is among these facts (``checkable_entities``). So whatever a
shopper is told comes from the same lookup as the template reply, worded differently.

- ``answer``: the reply the action would send today (the template, or the FAQ answer);
  it is a fact too, since it was built from the lookup.
- ``products``: exact names, prices, stock, the recommender's reason, chosen attributes.
- ``orders``: id, status, dates, carrier, tracking number, total, item names.
- ``profile_lines``: the profile summary the shopper may hear about themselves
  (``ProfileService.summary(...)["lines"]``).
- ``shopper_name`` / ``shopper_email``: the shopper's own, which a reply may use;
  ``shop_name``: the shop's, likewise.

The constructors ``ProductFact.from_product`` and ``OrderFact.from_view`` read the
project's catalog products and ``bot.shop.orders.OrderView`` by attribute (duck typing),
so this module imports neither and stays usable in tests and other shops' code.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from bot.generation.entities import (
    EntitySet, NameIndex, canonical, digits_of, normalize_code, scan, words_of,
)


def _day(value: Any) -> Optional[date]:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def money_text(amount: float, currency: str = "USD") -> str:
    """The shop's own money format ("$1,299.00"), as ``bot.dialogue.replies.money``."""
    symbol = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}.get(currency, "")
    text = f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@dataclass(frozen=True)
class ProductFact:
    name: str
    price: Optional[float] = None
    currency: str = "USD"
    stock: Optional[int] = None
    product_id: Optional[str] = None
    brand: Optional[str] = None  # the brand's display name
    brand_id: Optional[str] = None
    reason: Optional[str] = None  # why it is recommended, as the shopper reads it
    details: Tuple[Tuple[str, str], ...] = ()  # (label, value): ("battery", "29 h")

    @classmethod
    def from_product(cls, product: Any, currency: str = "USD", reason: Optional[str] = None,
                     details: Sequence[Tuple[str, str]] = ()) -> "ProductFact":
        """From a ``bot.catalog`` product (exact name, price and stock as the catalog has them)."""
        return cls(
            name=getattr(product, "display_name", None) or product.name,
            price=float(product.price) if getattr(product, "price", None) is not None else None,
            currency=currency,
            stock=int(product.stock) if getattr(product, "stock", None) is not None else None,
            product_id=getattr(product, "id", None),
            brand=getattr(product, "brand_name", None) or None,
            brand_id=getattr(product, "brand", None) or None,
            reason=reason,
            details=tuple((str(label), str(value)) for label, value in details),
        )

    def line(self) -> str:
        """One compact line for the prompt: name, price, stock, reason, details."""
        parts = [self.name]
        if self.price is not None:
            parts.append(money_text(self.price, self.currency))
        if self.stock is not None:
            parts.append("out of stock" if self.stock <= 0 else f"{self.stock} in stock")
        parts += [f"{label} {value}" for label, value in self.details]
        text = ", ".join(parts)
        return f"{text} ({self.reason})" if self.reason else text


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    status: str  # as the shopper reads it ("shipped", "out for delivery")
    placed_at: Optional[date] = None
    shipped_at: Optional[date] = None
    delivered_at: Optional[date] = None
    estimated_delivery: Optional[date] = None
    carrier: Optional[str] = None
    tracking_number: Optional[str] = None
    total: Optional[float] = None
    currency: str = "USD"
    items: Tuple[str, ...] = ()  # product names as ordered

    @classmethod
    def from_view(cls, view: Any) -> "OrderFact":
        """From a ``bot.shop.orders.OrderView`` (the verified shopper's own order)."""
        return cls(
            order_id=view.id,
            status=getattr(view, "status_label", None) or view.status,
            placed_at=_day(getattr(view, "placed_at", None)),
            shipped_at=_day(getattr(view, "shipped_at", None)),
            delivered_at=_day(getattr(view, "delivered_at", None)),
            estimated_delivery=_day(getattr(view, "estimated_delivery", None)),
            carrier=getattr(view, "carrier", None),
            tracking_number=getattr(view, "tracking_number", None),
            total=getattr(view, "total", None),
            currency=getattr(view, "currency", None) or "USD",
            items=tuple(item.name for item in getattr(view, "items", ())),
        )

    def dates(self) -> List[Tuple[str, date]]:
        named = [("placed", self.placed_at), ("shipped", self.shipped_at), ("delivered", self.delivered_at),
                 ("expected", self.estimated_delivery)]
        return [(label, day) for label, day in named if day is not None]

    def line(self) -> str:
        parts = [f"order {self.order_id}: {self.status}"]
        parts += [f"{label} {day.isoformat()}" for label, day in self.dates()]
        if self.carrier:
            parts.append(f"carrier {self.carrier}")
        if self.tracking_number:
            parts.append(f"tracking {self.tracking_number}")
        if self.total is not None:
            parts.append(f"total {money_text(self.total, self.currency)}")
        if self.items:
            parts.append("items " + "; ".join(self.items))
        return ", ".join(parts)


@dataclass(frozen=True)
class Facts:
    answer: str = ""
    products: Tuple[ProductFact, ...] = ()
    orders: Tuple[OrderFact, ...] = ()
    profile_lines: Tuple[str, ...] = ()
    shopper_name: Optional[str] = None
    shopper_email: Optional[str] = None
    currency: str = "USD"
    today: Optional[date] = None  # makes "today"/"tomorrow" checkable against the dates
    shop_name: Optional[str] = None  # the shop may name itself

    def with_answer(self, answer: str) -> "Facts":
        return replace(self, answer=answer)

    def with_profile(self, lines: Iterable[str]) -> "Facts":
        return replace(self, profile_lines=tuple(line for line in lines if line))

    def texts(self) -> List[str]:
        """Every string that states a fact (what verbatim checks compare against)."""
        out = [self.answer] if self.answer else []
        for product in self.products:
            out.append(product.line())
            if product.brand:
                out.append(product.brand)
        out += [order.line() for order in self.orders]
        out += list(self.profile_lines)
        out += [value for value in (self.shopper_name, self.shopper_email, self.shop_name) if value]
        return out

    def is_empty(self) -> bool:
        return not (self.answer or self.products or self.orders or self.profile_lines)


def checkable_entities(facts: Facts, names: Optional[NameIndex] = None) -> EntitySet:
    """Everything ``facts`` supports, in the scanner's canonical forms.

    Structured fields count exactly (a price as money in its currency, a date as a day,
    a tracking number as a code), and every fact text is scanned the way a reply is, so
    what the template says in words ("expected May 14") supports the same words.
    """
    entities = EntitySet()
    currency = facts.currency
    for product in facts.products:
        entities.add_money(product.price, product.currency)
        if product.stock is not None:
            entities.numbers.add(canonical(int(product.stock)))
        if product.product_id:
            entities.keys.add(f"product:{product.product_id}")
            entities.codes.add(normalize_code(product.product_id))
        if product.brand_id:
            entities.keys.add(f"brand:{product.brand_id}")
    for order in facts.orders:
        entities.codes.add(normalize_code(order.order_id))
        entities.numbers |= digits_of([order.order_id])
        if order.tracking_number:
            entities.codes.add(normalize_code(order.tracking_number))
        for _, day in order.dates():
            entities.add_date(day)
        entities.add_money(order.total, order.currency)
        entities.numbers.add(canonical(len(order.items)))
    if facts.shopper_email:
        entities.emails.add(facts.shopper_email.strip().lower())
    if facts.shopper_name:
        entities.names.add(" ".join(words_of(facts.shopper_name)))
        entities.keys.add(f"person:{' '.join(words_of(facts.shopper_name))}")
    if facts.products:
        entities.numbers.add(canonical(len(facts.products)))
    if facts.orders:
        entities.numbers.add(canonical(len(facts.orders)))
    for text in facts.texts():
        entities.texts.append(text)
        entities.add_mentions(scan(text, names), currency)
    if facts.today is not None:
        known = {(d[1], d[2]) for d in entities.dates}
        for word, offset in (("today", 0), ("tonight", 0), ("tomorrow", 1), ("yesterday", -1)):
            day = facts.today + timedelta(days=offset)
            if (day.month, day.day) in known:
                entities.relative_days.add(word)
    if names is not None:
        entities.keys = names.keys_for(entities.keys)
    return entities
