"""The demo shop's customers and orders, so the assistant has something real to look up.

``db.seed_demo(catalog)`` (or ``python -m bot.shop.seed [--reset]``) fills an empty
database: 25 fictional customers (@example.com) and about 80 orders of real catalog
products in every status, dated relative to ``now`` so there are always delivered orders
inside and outside the 30-day return window, parcels on their way with UPS, FedEx, USPS
or Canada Post tracking numbers, a delayed one, a cancelled one and returned ones.
It does nothing when customers already exist (unless reset), and the same seed and
``now`` give the same data.

``DEMO_ORDERS`` names a fixed set of orders that tests, docs and demos can rely on; their
numbers, owners and statuses never change, and their products are chosen by category
(first in-stock product of the first listed category the catalog has), so they survive
catalog edits. Try: jane.doe@example.com / ORD-100234 (delivered 5 days ago, returnable).

The command line (which ``scripts/run.sh`` runs) also adds a year of demo shopping
behaviour for 500 customers (``bot.profiles.demo_behaviour``) to the demo shop, unless
``--no-behaviour``; ``seed_demo(..., behaviour=True)`` does the same from code.
"""

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Sequence, Tuple

from bot.shop.codes import random_code
from bot.shop.schema import Customer, Order, OrderItem, ReturnRequest
from bot.shop.timeutil import to_db, utcnow

DEFAULT_SEED = 7
TOTAL_ORDERS = 80


@dataclass(frozen=True)
class DemoOrder:
    """A demo order with a known number, owner and state (times are relative to seeding)."""

    key: str
    id: str
    email: str
    status: str
    note: str
    categories: Tuple[Tuple[str, ...], ...]  # one preference list of category ids per item
    placed: timedelta                          # how long before ``now`` it was placed
    shipped: Optional[timedelta] = None        # ... shipped
    delivered: Optional[timedelta] = None      # ... delivered
    eta: Optional[int] = None                  # estimated delivery, days after ``now``
    carrier: Optional[str] = None
    place: Tuple[str, str, str] = ("Boston", "MA", "US")
    return_status: Optional[str] = None        # a return request for the first item


_PHONES = ("phones", "smartphones", "phone")
_CASES = ("cases", "phone_cases", "accessories", "chargers", "cables")
_D = timedelta(days=1)

DEMO_CUSTOMERS: Tuple[Tuple[str, str], ...] = (
    ("Jane Doe", "jane.doe@example.com"),
    ("Sam Lee", "sam.lee@example.com"),
    ("Maria Garcia", "maria.garcia@example.com"),
    ("Alex Kim", "alex.kim@example.com"),
    ("Priya Patel", "priya.patel@example.com"),
    ("Liam Tremblay", "liam.tremblay@example.com"),
    ("Noah Williams", "noah.williams@example.com"),
    ("Olivia Brown", "olivia.brown@example.com"),
    ("Ethan Nguyen", "ethan.nguyen@example.com"),
    ("Chloe Martin", "chloe.martin@example.com"),
    ("Lucas Rossi", "lucas.rossi@example.com"),
    ("Amara Okafor", "amara.okafor@example.com"),
    ("Mateo Silva", "mateo.silva@example.com"),
    ("Hannah Schmidt", "hannah.schmidt@example.com"),
    ("Yuki Tanaka", "yuki.tanaka@example.com"),
    ("Grace O'Neill", "grace.oneill@example.com"),
    ("Omar Haddad", "omar.haddad@example.com"),
    ("Sofia Kowalski", "sofia.kowalski@example.com"),
    ("Daniel Cohen", "daniel.cohen@example.com"),
    ("Emma Johansson", "emma.johansson@example.com"),
    ("Ravi Sharma", "ravi.sharma@example.com"),
    ("Isabelle Roy", "isabelle.roy@example.com"),
    ("Marcus Green", "marcus.green@example.com"),
    ("Leila Rahimi", "leila.rahimi@example.com"),
    ("Tom Becker", "tom.becker@example.com"),
)

_DEMO = (
    DemoOrder("delivered_recent", "ORD-100234", "jane.doe@example.com", "delivered",
              "delivered 5 days ago, two items, returnable",
              (_PHONES, _CASES), placed=9 * _D, shipped=7 * _D, delivered=5 * _D, carrier="UPS"),
    DemoOrder("delivered_old", "ORD-100117", "jane.doe@example.com", "delivered",
              "delivered 45 days ago, outside the 30-day return window",
              (("laptops",),), placed=50 * _D, shipped=48 * _D, delivered=45 * _D, carrier="FedEx"),
    DemoOrder("shipped", "ORD-100345", "jane.doe@example.com", "shipped",
              "shipped with UPS 2 days ago, expected in 2 days",
              (("headphones", "earbuds", "audio"),), placed=3 * _D, shipped=2 * _D, eta=2, carrier="UPS"),
    DemoOrder("out_for_delivery", "ORD-100456", "sam.lee@example.com", "out_for_delivery",
              "out for delivery with FedEx today",
              (("smartwatches", "watches", "wearables"),), placed=4 * _D, shipped=3 * _D, eta=0,
              carrier="FedEx", place=("Austin", "TX", "US")),
    DemoOrder("cancelled", "ORD-100890", "sam.lee@example.com", "cancelled",
              "cancelled by the customer 12 days ago",
              (("yoga_mats", "home_gym"),), placed=12 * _D, place=("Austin", "TX", "US")),
    DemoOrder("processing", "ORD-100567", "maria.garcia@example.com", "processing",
              "placed 40 minutes ago, being prepared (still cancellable)",
              (("cameras", "speakers"),), placed=timedelta(minutes=40), eta=5,
              place=("Miami", "FL", "US")),
    DemoOrder("placed", "ORD-100678", "alex.kim@example.com", "placed",
              "placed 10 minutes ago",
              (("speakers", "headphones"),), placed=timedelta(minutes=10), eta=6,
              place=("Seattle", "WA", "US")),
    DemoOrder("delayed", "ORD-100789", "alex.kim@example.com", "delayed",
              "shipped with USPS 8 days ago, now expected in 3 days",
              (("bikes", "laptops"), ("helmets", "chargers")), placed=10 * _D, shipped=8 * _D, eta=3,
              carrier="USPS",
              place=("Seattle", "WA", "US")),
    DemoOrder("returned", "ORD-100901", "priya.patel@example.com", "returned",
              "delivered 25 days ago, returned and refunded",
              (("running_shoes", "phones"),), placed=30 * _D, shipped=28 * _D, delivered=25 * _D,
              carrier="UPS",
              place=("Chicago", "IL", "US"), return_status="refunded"),
    DemoOrder("return_in_progress", "ORD-101012", "priya.patel@example.com", "delivered",
              "delivered 10 days ago; a return (label sent) is open for its first item, not the second",
              (("headphones", "earbuds", "audio"), ("cables", "chargers")), placed=14 * _D, shipped=12 * _D,
              delivered=10 * _D, carrier="USPS", place=("Chicago", "IL", "US"), return_status="label_sent"),
    DemoOrder("shipped_canada", "ORD-101123", "liam.tremblay@example.com", "shipped",
              "shipped with Canada Post 3 days ago to Toronto",
              (("tents", "backpacks", "phones"),), placed=4 * _D, shipped=3 * _D, eta=3,
              carrier="Canada Post",
              place=("Toronto", "ON", "CA")),
)
DEMO_ORDERS: Dict[str, DemoOrder] = {order.key: order for order in _DEMO}

_US_PLACES = (("New York", "NY"), ("Los Angeles", "CA"), ("Denver", "CO"), ("Portland", "OR"),
              ("Atlanta", "GA"), ("Phoenix", "AZ"), ("Minneapolis", "MN"), ("Raleigh", "NC"),
              ("Columbus", "OH"), ("San Diego", "CA"))
_CA_PLACES = (("Toronto", "ON"), ("Montreal", "QC"), ("Vancouver", "BC"), ("Calgary", "AB"))
# status -> weight for the generated (non-fixture) orders
_STATUS_WEIGHTS = (("delivered", 40), ("shipped", 12), ("out_for_delivery", 5), ("processing", 8),
                   ("placed", 5), ("cancelled", 8), ("returned", 8), ("delayed", 4))


def tracking_number(carrier: str, rng: random.Random) -> str:
    """A number in the carrier's usual shape (fictional)."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXY") for _ in range(16))
    if carrier == "FedEx":
        return digits(12)
    if carrier == "USPS":
        return "9400" + digits(18)
    return digits(16)  # Canada Post


def _display_name(product) -> str:
    name = getattr(product, "display_name", None)
    if name:
        return name
    brand = getattr(product, "brand_name", "") or ""
    return f"{brand} {product.name}".strip()


def _in_stock(product) -> bool:
    flag = getattr(product, "in_stock", None)
    return bool(flag) if flag is not None else (getattr(product, "stock", 1) or 0) > 0


def pick_demo_products(catalog, order: DemoOrder) -> List:
    """The products of a demo order: per item, first in-stock product of the first listed
    category the catalog has (products sorted by id); any in-stock product as a last resort."""
    products = sorted(catalog.products, key=lambda p: p.id)
    stocked = [p for p in products if _in_stock(p)] or products
    chosen: List = []
    for preferences in order.categories:
        pick = None
        for category in preferences:
            pick = next((p for p in stocked if p.category == category and p not in chosen), None)
            if pick is not None:
                break
        if pick is None:
            pick = next((p for p in stocked if p not in chosen), None)
        if pick is not None:
            chosen.append(pick)
    return chosen


def seed_demo(db, catalog, now: Optional[datetime] = None, seed: int = DEFAULT_SEED,
              reset: bool = False, behaviour: bool = False) -> bool:
    """Write the demo customers and orders; False (and nothing written) if customers exist.

    ``behaviour=True`` also writes a year of demo shopping behaviour for 500 customers
    (``bot.profiles.demo_behaviour``: ~475 more made-up customers, ~35k events, ~2 s;
    action server environment). The command line does by default; the library call does
    not, so tests that need only orders stay fast and see only the 25 named customers.
    Either way the demo's newsletter subscribers are marked as opted in to offers
    (``bot.privacy.marketing.demo_opt_ins``, source ``import``).
    """
    if reset:
        if behaviour:
            import bot.profiles.tables  # noqa: F401  (registers the behaviour tables to recreate)
        db.reset()
    if not db.is_empty():
        return False
    _seed_shop(db, catalog, now, seed)
    if behaviour:
        from bot.profiles.demo_behaviour import seed_behaviour

        seed_behaviour(db, catalog, seed=seed, now=now)
    from bot.privacy.marketing import demo_opt_ins

    demo_opt_ins(db, now=now)  # the demo's newsletter subscribers, so its campaigns reach someone
    return True


def is_demo_shop(db) -> bool:
    """True when the database holds the demo shop's customers (never a real shop's)."""
    from sqlalchemy import select

    with db.session() as session:
        email = DEMO_CUSTOMERS[0][1]
        return session.execute(select(Customer.id).where(Customer.email == email)).first() is not None


def _seed_shop(db, catalog, now: Optional[datetime], seed: int) -> None:
    if not catalog.products:
        raise ValueError("the catalog has no products to build demo orders from")
    moment = utcnow(now).replace(second=0, microsecond=0)
    currency = (getattr(catalog, "shop", None) or {}).get("currency", "USD")
    rng = random.Random(seed)
    with db.session() as session:
        customers = {}
        for index, (name, email) in enumerate(DEMO_CUSTOMERS):
            customer = Customer(name=name, email=email.lower(),
                                created_at=to_db(moment - timedelta(days=200 + 23 * index)))
            session.add(customer)
            customers[email] = customer
        session.flush()

        for demo in _DEMO:
            order_rng = random.Random(f"{seed}:{demo.id}")
            items = [(p, 1) for p in pick_demo_products(catalog, demo)]
            _add_order(session, order_rng, moment, demo.id, customers[demo.email], demo.status, items,
                       demo.placed, demo.shipped, demo.delivered, demo.eta, demo.carrier, demo.place,
                       currency, demo.return_status)

        used = {demo.id for demo in _DEMO}
        products = sorted(catalog.products, key=lambda p: p.id)
        statuses = [status for status, _ in _STATUS_WEIGHTS]
        weights = [weight for _, weight in _STATUS_WEIGHTS]
        customer_list = [customers[email] for _, email in DEMO_CUSTOMERS]
        for _ in range(TOTAL_ORDERS - len(_DEMO)):
            order_id = f"ORD-{rng.randint(100000, 999999)}"
            while order_id in used:
                order_id = f"ORD-{rng.randint(100000, 999999)}"
            used.add(order_id)
            _add_random_order(session, rng, moment, order_id, rng.choice(customer_list),
                              rng.choices(statuses, weights)[0], products, currency)


def _add_random_order(session, rng: random.Random, now: datetime, order_id: str, customer,
                      status: str, products: Sequence, currency: str) -> None:
    canadian = rng.random() < 0.15
    city, region = rng.choice(_CA_PLACES if canadian else _US_PLACES)
    place = (city, region, "CA" if canadian else "US")
    carrier = "Canada Post" if canadian else rng.choice(("UPS", "FedEx", "USPS"))
    count = rng.choice((1, 1, 1, 2, 2, 3))
    picked = rng.sample(list(products), min(count, len(products)))
    items = [(p, 2 if float(p.price) < 60 and rng.random() < 0.3 else 1) for p in picked]
    hours = timedelta(hours=rng.randint(0, 23))
    placed = shipped = delivered = None
    eta = None
    return_status = None
    if status in ("delivered", "returned"):
        delivered = rng.randint(1, 120) * _D + hours
        if status == "returned":
            delivered = rng.randint(8, 60) * _D + hours
            return_status = "refunded"
        elif rng.random() < 0.12 and delivered < 25 * _D:
            return_status = rng.choice(("requested", "label_sent", "received"))
        shipped = delivered + rng.randint(2, 4) * _D
        placed = shipped + rng.randint(0, 2) * _D + timedelta(hours=rng.randint(1, 12))
    elif status == "shipped":
        shipped = rng.randint(1, 3) * _D + hours
        placed = shipped + timedelta(hours=rng.randint(3, 30))
        eta = rng.randint(1, 4)
    elif status == "out_for_delivery":
        shipped = rng.randint(2, 4) * _D + hours
        placed = shipped + timedelta(hours=rng.randint(3, 30))
        eta = 0
    elif status == "delayed":
        shipped = rng.randint(6, 10) * _D + hours
        placed = shipped + rng.randint(1, 2) * _D
        eta = rng.randint(2, 4)
    elif status == "processing":
        placed = timedelta(hours=rng.randint(1, 20))
        eta = rng.randint(4, 6)
    elif status == "placed":
        placed = timedelta(minutes=rng.randint(5, 50))
        eta = rng.randint(5, 7)
    else:  # cancelled
        placed = rng.randint(3, 60) * _D + hours
    if shipped is None:
        carrier = None
    _add_order(session, rng, now, order_id, customer, status, items, placed, shipped, delivered, eta,
               carrier, place, currency, return_status)


def _add_order(session, rng: random.Random, now: datetime, order_id: str, customer, status: str,
               items: List[Tuple[object, int]], placed: timedelta, shipped: Optional[timedelta],
               delivered: Optional[timedelta], eta: Optional[int], carrier: Optional[str],
               place: Tuple[str, str, str], currency: str, return_status: Optional[str]) -> None:
    delivered_at = now - delivered if delivered is not None else None
    estimated = (now + timedelta(days=eta)).date() if eta is not None else (
        delivered_at.date() if delivered_at else None)
    total = round(sum(float(p.price) * qty for p, qty in items), 2)
    order = Order(
        id=order_id, customer_id=customer.id, status=status,
        placed_at=to_db(now - placed),
        shipped_at=to_db(now - shipped) if shipped is not None else None,
        delivered_at=to_db(delivered_at),
        estimated_delivery=estimated,
        carrier=carrier if shipped is not None else None,
        tracking_number=tracking_number(carrier, rng) if shipped is not None and carrier else None,
        ship_city=place[0], ship_region=place[1], ship_country=place[2],
        total=total, currency=currency,
    )
    session.add(order)
    session.flush()
    for product, qty in items:
        session.add(OrderItem(order_id=order_id, product_id=product.id, product_name=_display_name(product),
                              quantity=qty, unit_price=round(float(product.price), 2)))
    if return_status and delivered_at is not None:
        returned = items if status == "returned" else items[:1]
        for product, qty in returned:
            session.add(ReturnRequest(
                rma=random_code("RMA-", choice=rng.choice), order_id=order_id, product_id=product.id,
                quantity=qty, reason=rng.choice(("Changed my mind", "Didn't fit my needs", "Arrived damaged")),
                status=return_status, created_at=to_db(delivered_at + rng.randint(1, 5) * _D),
                refund_amount=round(float(product.price) * qty, 2)))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Fill the shop database with the demo customers and orders.")
    parser.add_argument("--reset", action="store_true", help="drop all shop data first")
    parser.add_argument("--url", help="database URL (default: SHOPBOT_DATABASE_URL or var/shop.db)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    parser.add_argument("--no-behaviour", dest="behaviour", action="store_false",
                        help="skip the demo shopping behaviour (500 customers' views, carts, purchases, reviews)")
    args = parser.parse_args(argv)

    from bot.catalog import load_catalog
    from bot.shop.db import ShopDatabase

    db = ShopDatabase(args.url)
    catalog, now = load_catalog(), datetime.now(timezone.utc)
    wrote = db.seed_demo(catalog, now=now, seed=args.seed, reset=args.reset)
    if wrote:
        print(f"Seeded {len(DEMO_CUSTOMERS)} customers and {TOTAL_ORDERS} orders into {db!r}.")
        demo = DEMO_ORDERS["delivered_recent"]
        print(f"Try: {demo.email} / {demo.id} ({demo.note}).")
    else:
        print(f"{db!r} already has customers; nothing written (use --reset to start over).")
    if args.behaviour and is_demo_shop(db):  # never invent customers in a real shop's database
        from bot.profiles.demo_behaviour import seed_behaviour
        from bot.profiles.events import count_events

        if seed_behaviour(db, catalog, seed=args.seed, now=now):
            print(f"Seeded demo behaviour: {count_events(db)} events of 500 customers.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
