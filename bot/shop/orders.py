"""Looking up an order for a shopper, and saying where it is in plain words.

A lookup needs the order number *and* the e-mail on the order. An unknown number and a
number that belongs to someone else give the same answer (None) after the same work,
so the assistant cannot be used to probe which order numbers exist.
"""

import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.shop.schema import Customer, Order
from bot.shop.timeutil import human_date, utc, utcnow

ORDER_ID_PATTERN = re.compile(r"ORD-\d{6}")
_ORDER_ID_INPUT = re.compile(r"(?:ord\s*[-#]?\s*|#\s*)?(\d{6})", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[a-z]{2,}", re.IGNORECASE)
# Compared against when no order matched, so both paths do the same work.
_NO_MATCH = "\x00no-such-customer\x00"

STATUS_LABELS = {
    "placed": "Order placed",
    "processing": "Being prepared",
    "shipped": "Shipped",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "returned": "Returned",
    "delayed": "Delayed",
}

TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={number}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
}


@dataclass(frozen=True)
class OrderItemView:
    product_id: str
    name: str
    qty: int
    unit_price: float
    return_rma: Optional[str] = None     # the open or finished return of this item, if any
    return_status: Optional[str] = None


@dataclass(frozen=True)
class OrderView:
    id: str
    email: str
    status: str
    status_label: str
    items: Tuple[OrderItemView, ...]
    placed_at: datetime
    shipped_at: Optional[datetime]
    delivered_at: Optional[datetime]
    estimated_delivery: Optional[date]
    carrier: Optional[str]
    tracking_number: Optional[str]
    tracking_url: Optional[str]
    total: float
    currency: str
    ship_to: str = ""

    def item(self, product_id: str) -> Optional[OrderItemView]:
        for item in self.items:
            if item.product_id == product_id:
                return item
        return None


def normalize_order_id(text: Optional[str]) -> Optional[str]:
    """'ORD-123456', 'ord123456', 'ord 123456', '#123456', '123456' -> 'ORD-123456'; else None.

    The whole input must be an order number: anything around it (quotes, SQL, a second
    number) makes it malformed rather than guessed at.
    """
    if not isinstance(text, str):
        return None
    match = _ORDER_ID_INPUT.fullmatch(text.strip())
    return f"ORD-{match.group(1)}" if match else None


def normalize_email(text: Optional[str]) -> Optional[str]:
    """Trimmed, lowercased e-mail address, or None when it does not look like one."""
    if not isinstance(text, str):
        return None
    candidate = text.strip().strip("<>").lower()
    if len(candidate) > 254 or not _EMAIL.fullmatch(candidate):
        return None
    return candidate


def find_order_for_customer(db, order_id: Optional[str], email: Optional[str]) -> Optional[OrderView]:
    """The order if it exists *and* belongs to ``email``; None otherwise, indistinguishably."""
    wanted_id = normalize_order_id(order_id) or "ORD-000000"
    wanted_email = normalize_email(email) or _NO_MATCH
    with db.session() as session:
        # One query whatever the outcome; details are loaded only for the rightful owner.
        row = session.execute(
            select(Order.id, Customer.email)
            .join(Customer, Order.customer_id == Customer.id)
            .where(Order.id == wanted_id)
        ).first()
        owner = row.email if row is not None else _NO_MATCH
        matches = hmac.compare_digest(owner.encode(), wanted_email.encode())
        if row is None or not matches or wanted_email == _NO_MATCH:
            return None
        return order_view(_load_order(session, wanted_id))


def orders_for_customer(db, email: Optional[str]) -> List[OrderView]:
    """All orders of one customer, newest first (empty for unknown e-mails)."""
    wanted = normalize_email(email)
    if wanted is None:
        return []
    with db.session() as session:
        rows = session.execute(
            select(Order)
            .join(Customer)
            .where(Customer.email == wanted)
            .options(selectinload(Order.items), selectinload(Order.returns), selectinload(Order.customer))
            .order_by(Order.placed_at.desc())
        ).scalars().all()
        return [order_view(order) for order in rows]


def _load_order(session, order_id: str) -> Optional[Order]:
    return session.execute(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.items), selectinload(Order.returns), selectinload(Order.customer))
    ).scalars().first()


def tracking_url(carrier: Optional[str], number: Optional[str]) -> Optional[str]:
    template = TRACKING_URLS.get(carrier or "")
    return template.format(number=number) if template and number else None


def order_view(order: Order) -> OrderView:
    """A detached, read-only picture of an order row (safe to use after the session)."""
    live_returns = {}
    for request in order.returns:
        if request.status != "rejected":
            live_returns[request.product_id] = request
    items = tuple(
        OrderItemView(
            product_id=item.product_id,
            name=item.product_name,
            qty=item.quantity,
            unit_price=round(float(item.unit_price), 2),
            return_rma=live_returns[item.product_id].rma if item.product_id in live_returns else None,
            return_status=live_returns[item.product_id].status if item.product_id in live_returns else None,
        )
        for item in order.items
    )
    place = ", ".join(part for part in (order.ship_city, order.ship_region, order.ship_country) if part)
    return OrderView(
        id=order.id,
        email=order.customer.email,
        status=order.status,
        status_label=STATUS_LABELS[order.status],
        items=items,
        placed_at=utc(order.placed_at),
        shipped_at=utc(order.shipped_at),
        delivered_at=utc(order.delivered_at),
        estimated_delivery=order.estimated_delivery,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        tracking_url=tracking_url(order.carrier, order.tracking_number),
        total=round(float(order.total), 2),
        currency=order.currency,
        ship_to=place,
    )


def describe_status(view: OrderView, now: Optional[datetime] = None) -> str:
    """One or two sentences a shopper can read: where the order is and what comes next."""
    today = utcnow(now).date()

    def day(value) -> str:
        if value is None:
            return ""
        value = value.date() if isinstance(value, datetime) else value
        if value == today:
            return "today"
        if value == today + timedelta(days=1):
            return "tomorrow"
        return human_date(value, today)

    def on(value) -> str:
        text = day(value)
        return text if text in ("today", "tomorrow") else f"on {text}"

    tracking = f"; tracking {view.tracking_number}" if view.tracking_number else ""
    expected = view.estimated_delivery
    ref = f"Your order {view.id}"

    if view.status == "placed":
        text = f"{ref} was placed {on(view.placed_at)} and is waiting to be prepared"
        return text + (f"; expected {day(expected)}." if expected else ".")
    if view.status == "processing":
        text = f"{ref} (placed {on(view.placed_at)}) is being prepared in our warehouse"
        return text + (f"; expected {day(expected)}." if expected else ".")
    if view.status == "shipped":
        text = f"{ref} was shipped with {view.carrier} {on(view.shipped_at)}{tracking}"
        if expected and expected < today:
            return text + f"; it was expected {day(expected)} and is running late."
        return text + (f"; expected {day(expected)}." if expected else ".")
    if view.status == "out_for_delivery":
        return f"{ref} is out for delivery with {view.carrier} and should arrive today{tracking}."
    if view.status == "delivered":
        return f"{ref} was delivered {on(view.delivered_at)}."
    if view.status == "delayed":
        text = f"{ref} is delayed" + (f" and is now expected {day(expected)}." if expected else ".")
        if view.shipped_at:
            text += f" It was shipped with {view.carrier} {on(view.shipped_at)}{tracking}."
        else:
            text += " It has not shipped yet."
        return text + " Sorry for the wait."
    if view.status == "cancelled":
        return f"{ref} was cancelled, so it will not be shipped."
    if view.status == "returned":
        return (f"{ref} was returned; refunds go to the original payment method "
                "5-7 business days after the return arrives.")
    return f"{ref}: {view.status_label}."
