"""Seeded demo behaviour: twelve months of views, searches, carts, purchases, favourites and
reviews for 500 customers, with the structure a real shop's event log has.

Why: profiles and recommenders need history to learn from and to be evaluated on, and a
demo shop has none. The log is generated from the catalog alone, so another shop's
catalog (a tea shop) gets a log of the same shape without code changes.

Structure (see ``bot.profiles.personas`` for how personas come from the catalog):

- **Customers**: the shop's existing customers (the 25 named demo customers) plus
  generated ones up to ``DEFAULT_CUSTOMERS`` (500), added to ``customers`` with fake
  names and ``@demo.example`` emails; 70 % joined before the window, 30 % during it
  (they have a shorter history: cold starts exist).
- **Personas**: each customer gets one persona (a main category with the categories that
  go with it, or the gift buyer), 30 % a second, weaker one. The existing customers get
  the persona of the dearest main-category product they ordered.
- **Brand loyalty**: per category 1-2 preferred brands (carried over from categories the
  customer already shops in when the brand exists there: a Garmin watch, then Garmin
  bands); a loyalty strength from 0.1 (brand-agnostic, 15 %) to 0.95 multiplies their
  weight by up to 12.
- **Price band**: budget / mid / premium, a position in each category's price
  percentiles; products far from it are rarely looked at.
- **Funnels**: a session (on a day drawn from the seasonal month weights) starts with a
  search (35 %) or not, views 1-6 products, may favourite one, add one to the cart and buy
  it (conversion depends on the session's purpose). A main product is bought at most once
  a year; its accessories (``accessory_of`` / ``compatible_with`` in the graph) are looked
  for and bought in later sessions, after it.
- **Seasonality**: each category has a seeded peak month and amplitude, plus the retail
  peak in November and December that every shop has; gift buyers shop almost only then.
- **Reviews**: 30 % of purchases are reviewed 3-40 days later, the rating drawn around the
  product's catalog rating; texts from ``bot.profiles.review_writer`` agree with it.
- **Noise**: random views of unrelated products (15 % of sessions) and browsing sessions
  in a random category (12 %).
- **Existing orders**: the purchases of the shop's existing customers are exactly their
  orders (a view before, a cart add, the purchase at ``placed_at``; a cancelled order stops
  at the cart; returned items are purchases the profile later subtracts). Their generated
  sessions browse but never buy, so events never claim an order the shop has not got.

Reproducible: the same catalog, customers, orders, ``seed`` and ``now`` give the same
events (each customer draws from ``random.Random(f"{seed}:{customer id}")``).
Sizes with the demo catalog: about 33k events (~66 per customer) over 12 months,
generated in ~2 s and stored in ~0.5 s.

The persona labels are returned for documentation and tests only (``DemoBehaviour.personas``);
they are not stored in the database, so no recommender can read them.

    from bot.profiles.demo_behaviour import seed_behaviour
    seed_behaviour(db, catalog)                     # after db.seed_demo(catalog)
"""

import bisect
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Set, Tuple

from bot.profiles.events import BehaviourEvent
from bot.profiles.personas import Persona, derive_personas
from bot.profiles.review_writer import write_review
from bot.profiles.shop_records import CustomerRecord, OrderRecord
from bot.shop.timeutil import to_db, utcnow

DEFAULT_SEED = 7
DEFAULT_CUSTOMERS = 500
DEFAULT_MONTHS = 12
DEMO_DOMAIN = "demo.example"
MONTH = timedelta(days=365.25 / 12)

SECOND_PERSONA = 0.30
SEARCH_FIRST = 0.35
NOISE_VIEW = 0.15
NOISE_SESSION = 0.12
FAVOURITE = 0.08
REVIEW = 0.30
HOLIDAY = {11: 0.8, 12: 1.2}  # extra weight of November and December for every category

_FIRST = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kai", "Logan", "Morgan",
          "Noel", "Parker", "Quinn", "Reese", "Riley", "Rowan", "Sage", "Skyler", "Taylor", "Alexis", "Robin",
          "Jamie", "Drew", "Ellis", "Hayden", "Jules", "Kendall", "Lane", "Marlow")
_LAST = ("Abbott", "Barnes", "Carver", "Dalton", "Ellison", "Fletcher", "Garner", "Hale", "Ingram", "Jensen",
         "Keller", "Lowe", "Mercer", "Nolan", "Osborne", "Pryce", "Ramsey", "Sutton", "Thorne", "Vance", "Walsh",
         "Yates", "Booker", "Crane", "Duffy", "Easton", "Frost", "Gale", "Hart", "Irwin")


@dataclass
class DemoBehaviour:
    events: List[BehaviourEvent]
    personas: Dict[int, str]  # customer id -> persona label (documentation/tests only; never stored)


def is_generated(email: str) -> bool:
    """True for a customer this module made up (their purchases have no orders)."""
    return email.lower().endswith("@" + DEMO_DOMAIN)


def demo_customer_rows(count: int, seed: int = DEFAULT_SEED, now: Optional[datetime] = None,
                       months: int = DEFAULT_MONTHS, start: int = 0) -> List[Tuple[str, str, datetime]]:
    """``(name, email, created_at)`` for ``count`` made-up customers (numbered from ``start``)."""
    moment = to_db(utcnow(now))
    window = moment - months * MONTH
    rows = []
    for number in range(start, start + count):
        rng = random.Random(f"{seed}:customer:{number}")
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if rng.random() < 0.7:
            created = window - timedelta(days=rng.uniform(1, 3 * 365))
        else:
            created = window + timedelta(days=rng.uniform(0, months * MONTH.days * 0.9))
        email = f"{first.lower()}.{last.lower()}.{number + 1:04d}@{DEMO_DOMAIN}"
        rows.append((f"{first} {last}", email, created.replace(microsecond=0)))
    return rows


# ---------------------------------------------------------------------------- catalog view
class _Shop:
    """The catalog pre-digested for fast sampling: categories, price percentiles, fits."""

    def __init__(self, catalog, seed: int, personas: List[Persona]) -> None:
        self.catalog = catalog
        self.personas = personas
        self.categories = [c.id for c in catalog.categories if catalog.products_in(c.id)]
        self.products = {c: sorted(catalog.products_in(c), key=lambda p: p.id) for c in self.categories}
        self.percentile: Dict[str, float] = {}
        for products in self.products.values():
            ranked = sorted(products, key=lambda p: (p.price, p.id))
            for index, product in enumerate(ranked):
                self.percentile[product.id] = (index + 0.5) / len(ranked)
        self.popularity = {p.id: math.sqrt(p.reviews + 5) * ((p.rating or 3.5) / 5) ** 2 for p in catalog.products}
        self.brand_counts = {c: Counter(p.brand for p in ps) for c, ps in self.products.items()}
        # what fits a product: the graph's accessory_of / compatible_with, either direction
        self.fits: Dict[str, List[str]] = {p.id: [] for p in catalog.products}
        for product in catalog.products:
            for relation in ("accessory_of", "compatible_with"):
                for target in product.related(relation):
                    if target in self.fits and target != product.id:
                        self.fits[target].append(product.id)
                        self.fits[product.id].append(target)
        self.fits = {pid: sorted(set(ids)) for pid, ids in self.fits.items()}
        self.has_accessories = {pid for pid, ids in self.fits.items() if ids}
        self.accessory_ids = {p.id for p in catalog.products
                              if p.related("accessory_of") or p.related("compatible_with")}
        self.season = {c: self._season(c, seed) for c in self.categories}
        self.persona_weights = [math.sqrt(len(self.products.get(p.main, ()))) if p.main else 1.2
                                for p in personas]

    @staticmethod
    def _season(category: str, seed: int) -> List[float]:
        """Weight of calendar months 1..12 (index 0..11) for one category."""
        rng = random.Random(f"{seed}:season:{category}")
        peak, amplitude = rng.randint(1, 12), rng.uniform(0.1, 0.6)
        return [1 + amplitude * math.cos(2 * math.pi * (month - peak) / 12) + HOLIDAY.get(month, 0.0)
                for month in range(1, 13)]


# ---------------------------------------------------------------------------- one shopper
@dataclass
class _Shopper:
    customer: CustomerRecord
    rng: random.Random
    personas: List[Persona]
    band: float                       # price percentile the shopper aims at
    loyalty: float                    # 0..1 pull of the preferred brands
    sessions: int
    buys: bool                        # False: purchases come from the shop's orders
    brands: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    owned: List[str] = field(default_factory=list)
    weights: Dict[str, List[float]] = field(default_factory=dict)


class _Generator:
    def __init__(self, catalog, seed: int, now: datetime, months: int) -> None:
        self.catalog = catalog
        self.seed = seed
        self.now = now
        self.start = now - months * MONTH
        self.months = months
        self.shop = _Shop(catalog, seed, derive_personas(catalog))

    # -- choices ------------------------------------------------------------------------
    def _brands_for(self, shopper: _Shopper, category: str) -> Tuple[str, ...]:
        if category not in shopper.brands:
            rng, counts = shopper.rng, self.shop.brand_counts[category]
            known = [b for prefs in shopper.brands.values() for b in prefs if b in counts]
            names = sorted(counts)
            chosen: List[str] = []
            if known and rng.random() < 0.6:
                chosen.append(Counter(known).most_common(1)[0][0])
            while len(chosen) < (2 if rng.random() < 0.3 else 1) and len(chosen) < len(names):
                pick = rng.choices(names, [counts[n] for n in names])[0]
                if pick not in chosen:
                    chosen.append(pick)
            shopper.brands[category] = tuple(chosen)
        return shopper.brands[category]

    def _weights(self, shopper: _Shopper, category: str) -> List[float]:
        if category not in shopper.weights:
            preferred = self._brands_for(shopper, category)
            boost = 1 + 12 * shopper.loyalty
            weights = []
            for product in self.shop.products[category]:
                distance = self.shop.percentile[product.id] - shopper.band
                price_fit = math.exp(-distance * distance / (2 * 0.18 ** 2)) + 0.03
                brand_fit = boost if product.brand in preferred else 1.0
                stock_fit = 1.0 if product.stock > 0 else 0.3
                weights.append(self.shop.popularity[product.id] * price_fit * brand_fit * stock_fit)
            shopper.weights[category] = weights
        return shopper.weights[category]

    def _pick(self, shopper: _Shopper, category: str, count: int, exclude: Set[str] = frozenset()) -> List:
        products = self.shop.products[category]
        weights = [0.0 if p.id in exclude else w for p, w in zip(products, self._weights(shopper, category))]
        chosen = []
        for _ in range(min(count, sum(1 for w in weights if w > 0))):
            cumulative, total = [], 0.0
            for weight in weights:
                total += weight
                cumulative.append(total)
            index = min(bisect.bisect_right(cumulative, shopper.rng.random() * total), len(products) - 1)
            chosen.append(products[index])
            weights[index] = 0.0
        return chosen

    def _pick_fitting(self, shopper: _Shopper, count: int) -> List:
        """Accessories and compatible items of what the shopper owns, their brands and band first."""
        candidates = sorted({pid for owned in shopper.owned for pid in self.shop.fits.get(owned, ())}
                            - set(shopper.owned))
        if not candidates:
            return []
        products = [self.catalog.product(pid) for pid in candidates]
        weights = []
        for product in products:
            category_weights = self._weights(shopper, product.category)
            index = self.shop.products[product.category].index(product)
            weights.append(category_weights[index])
        picked = []
        for _ in range(min(count, len(products))):
            index = shopper.rng.choices(range(len(products)), weights)[0]
            picked.append(products[index])
            weights[index] = 0.0
            if not any(weights):
                break
        return picked

    def _search_text(self, shopper: _Shopper, product) -> str:
        rng = shopper.rng
        category = self.catalog.category(product.category)
        singular = (category.singular or category.name).lower()
        options = [category.name.lower(), singular]
        options += [s.lower() for s in category.synonyms[:3]]
        if product.brand_name:
            options += [f"{product.brand_name.lower()} {singular}"] * 2
        options += [product.display_name.lower(), f"best {singular}", f"cheap {singular}"]
        options.append(f"{singular} under {int(math.ceil(product.price / 50.0) * 50)}")
        for key, value in product.attributes.items():
            spec = self.catalog.attributes.get(key)
            if spec is None:
                continue
            if spec.type == "bool" and value is True:
                options.append(f"{spec.label.lower()} {singular}")
            elif spec.type == "text" and isinstance(value, str) and len(value) <= 20:
                options.append(f"{value.lower()} {singular}")
        text = rng.choice(options)
        if len(text) > 5 and rng.random() < 0.08:  # a typo now and then
            cut = rng.randrange(1, len(text) - 1)
            text = text[:cut] + text[cut + 1:]
        return text

    # -- a shopper's year -----------------------------------------------------------------
    def _session_times(self, shopper: _Shopper) -> List[datetime]:
        begin = max(self.start, shopper.customer.created_at)
        if begin >= self.now:
            return []
        season = [0.0] * 12
        for weight, persona in zip((1.0, 0.4), shopper.personas):
            if persona.is_gift_buyer:
                for month in range(12):
                    season[month] += weight * (0.25 + 4 * HOLIDAY.get(month + 1, 0.0))
                continue
            for month, value in enumerate(self.shop.season[persona.main]):
                season[month] += weight * value
        slices = []
        for index in range(self.months):
            low, high = self.start + index * MONTH, self.start + (index + 1) * MONTH
            low = max(low, begin)
            if low >= high:
                continue
            middle = low + (high - low) / 2
            share = (high - low) / MONTH
            slices.append((low, high, season[middle.month - 1] * share))
        if not slices:
            return []
        rng = shopper.rng
        count = max(1, round(shopper.sessions * sum(s[2] for s in slices) / (sum(season) / 12 * self.months)))
        times = []
        for low, high, _ in rng.choices(slices, [s[2] for s in slices], k=count):
            moment = low + (high - low) * rng.random()
            times.append(moment.replace(hour=rng.choice(range(7, 24)), minute=rng.randrange(60), second=0,
                                        microsecond=0))
        return sorted(t for t in times if begin <= t < self.now)

    def _session(self, shopper: _Shopper, at: datetime, events: List[BehaviourEvent]) -> None:
        rng, cid = shopper.rng, shopper.customer.id
        persona = shopper.personas[0] if len(shopper.personas) == 1 or rng.random() < 0.75 else shopper.personas[1]
        fitting = [pid for pid in shopper.owned if pid in self.shop.has_accessories]
        roll = rng.random()
        if roll < NOISE_SESSION:
            purpose, category = "noise", rng.choice(self.shop.categories)
        elif persona.is_gift_buyer:
            purpose = "gift"
            category = rng.choices(self.shop.categories,
                                   [math.sqrt(len(self.shop.products[c])) for c in self.shop.categories])[0]
        elif fitting and roll < NOISE_SESSION + 0.4:
            purpose, category = "fit", None
        elif roll < NOISE_SESSION + 0.45 or not persona.side:
            purpose, category = "main", persona.main
        else:
            purpose = "side"
            category = rng.choices([c for c, _ in persona.side], [w for _, w in persona.side])[0]

        count = min(6, 1 + int(rng.expovariate(0.7)))
        if purpose == "fit":
            viewed = self._pick_fitting(shopper, count)
            if not viewed:
                return
        else:
            viewed = self._pick(shopper, category, count)
        if not viewed:
            return
        moment = at
        if rng.random() < (0.5 if purpose == "gift" else SEARCH_FIRST):
            clicked = rng.random() < 0.75
            events.append(BehaviourEvent(cid, "search", viewed[0].id if clicked else None, moment,
                                         query=self._search_text(shopper, viewed[0])))
            moment += timedelta(seconds=rng.randint(5, 40))
        for product in viewed:
            events.append(BehaviourEvent(cid, "view", product.id, moment))
            moment += timedelta(seconds=rng.randint(20, 240))
        if rng.random() < NOISE_VIEW:
            stray = rng.choice(self.catalog.products)
            events.append(BehaviourEvent(cid, "view", stray.id, moment))
            moment += timedelta(seconds=rng.randint(10, 90))
        best = viewed[0]
        if rng.random() < FAVOURITE:
            events.append(BehaviourEvent(cid, "favourite", best.id, moment))
            moment += timedelta(seconds=rng.randint(5, 30))

        owned_main = persona.main and any(self.catalog.product(p).category == persona.main for p in shopper.owned)
        is_accessory = best.id in self.shop.accessory_ids
        buy = {"fit": 0.35, "side": 0.03 if is_accessory else 0.10, "gift": 0.12, "noise": 0.01,
               "main": 0.02 if owned_main else 0.16}[purpose]
        if purpose == "gift" and at.month not in HOLIDAY:
            buy = 0.04
        cart = min(1.0, buy * 2.2 + 0.05)
        if best.id in shopper.owned or rng.random() >= cart:
            return
        events.append(BehaviourEvent(cid, "cart_add", best.id, moment))
        if not shopper.buys or rng.random() >= buy / cart:
            return
        moment += timedelta(minutes=rng.randint(2, 30)) if rng.random() < 0.8 else timedelta(days=rng.randint(1, 3))
        if moment >= self.now:
            return
        events.append(BehaviourEvent(cid, "purchase", best.id, moment))
        if purpose != "gift":
            shopper.owned.append(best.id)
        self._maybe_review(shopper, best, moment + timedelta(days=rng.uniform(3, 40)), events)

    def _maybe_review(self, shopper: _Shopper, product, at: datetime, events: List[BehaviourEvent],
                      chance: float = REVIEW, returned: bool = False) -> None:
        rng = shopper.rng
        if at >= self.now or rng.random() >= chance:
            return
        if returned:
            rating = rng.choice((1, 1, 2, 2, 3))
        else:
            rating = int(round(rng.gauss(product.rating or 4.0, 0.9)))
            if rng.random() < 0.07:
                rating = rng.choice((1, 2))
        rating = max(1, min(5, rating))
        text = write_review(self.catalog, product, rating, rng)
        events.append(BehaviourEvent(shopper.customer.id, "review", product.id, at.replace(microsecond=0),
                                     text=text, rating=rating))

    def _orders(self, shopper: _Shopper, orders: Sequence[OrderRecord], events: List[BehaviourEvent]) -> None:
        """The shop's real orders of an existing customer, as funnels ending in purchases."""
        rng, cid = shopper.rng, shopper.customer.id
        for order in orders:
            placed = to_db(order.placed_at)
            for product_id in order.items:
                product = self.catalog.product(product_id)
                if product is None:
                    continue
                before = placed - timedelta(hours=rng.uniform(0.2, 72))
                for other in self._pick(shopper, product.category, rng.randint(0, 2), exclude={product_id}):
                    events.append(BehaviourEvent(cid, "view", other.id, before - timedelta(minutes=rng.randint(1, 20))))
                events.append(BehaviourEvent(cid, "view", product_id, before))
                events.append(BehaviourEvent(cid, "cart_add", product_id, placed - timedelta(minutes=rng.randint(1, 9))))
                if order.status == "cancelled":
                    continue
                events.append(BehaviourEvent(cid, "purchase", product_id, placed))
                if product_id in order.returned:
                    delivered = to_db(order.delivered_at) or placed + timedelta(days=3)
                    self._maybe_review(shopper, product, delivered + timedelta(days=rng.uniform(1, 5)), events,
                                       chance=0.5, returned=True)
                    continue
                shopper.owned.append(product_id)
                if order.delivered_at is not None:
                    delivered = to_db(order.delivered_at)
                    self._maybe_review(shopper, product, delivered + timedelta(days=rng.uniform(2, 20)), events,
                                       chance=0.4)

    def _personas_for(self, rng: random.Random, orders: Sequence[OrderRecord]) -> List[Persona]:
        personas = self.shop.personas
        chosen: List[Persona] = []
        bought = [self.catalog.product(pid) for order in orders for pid in order.items]
        by_main = {p.main: p for p in personas if p.main}
        for product in sorted((p for p in bought if p is not None), key=lambda p: -p.price):
            if product.category in by_main and by_main[product.category] not in chosen:
                chosen.append(by_main[product.category])
        if not chosen:
            chosen.append(rng.choices(personas, self.shop.persona_weights)[0])
        if len(chosen) < 2 and rng.random() < SECOND_PERSONA:
            second = rng.choices(personas, self.shop.persona_weights)[0]
            if second is not chosen[0]:
                chosen.append(second)
        return chosen[:2]

    def shopper(self, customer: CustomerRecord, orders: Sequence[OrderRecord]) -> Tuple[List[BehaviourEvent], str]:
        rng = random.Random(f"{self.seed}:{customer.id}")
        personas = self._personas_for(rng, orders)
        gift = personas[0].is_gift_buyer
        band = 0.3 if gift else rng.choice((0.2, 0.5, 0.5, 0.8))
        shopper = _Shopper(
            customer=customer, rng=rng, personas=personas,
            band=min(0.95, max(0.05, band + rng.uniform(-0.08, 0.08))),
            loyalty=0.1 if rng.random() < 0.15 else rng.uniform(0.45, 0.95),
            sessions=max(3, int(rng.lognormvariate(math.log(22), 0.6))),
            buys=is_generated(customer.email),
        )
        events: List[BehaviourEvent] = []
        if not shopper.buys:
            self._orders(shopper, orders, events)
        for at in self._session_times(shopper):
            self._session(shopper, at, events)
        label = " + ".join(p.label for p in personas)
        return [e for e in events if e.at < self.now], label


def generate(catalog, customers: Sequence[CustomerRecord], orders: Sequence[OrderRecord], seed: int = DEFAULT_SEED,
             now: Optional[datetime] = None, months: int = DEFAULT_MONTHS) -> DemoBehaviour:
    """Behaviour for every customer: generated customers (``@demo.example``) buy in their
    sessions; every other customer's purchases are their ``orders``. Events oldest first."""
    if not catalog.products:
        raise ValueError("the catalog has no products to generate behaviour for")
    generator = _Generator(catalog, seed, to_db(utcnow(now)), months)
    by_customer: Dict[int, List[OrderRecord]] = {}
    for order in sorted(orders, key=lambda o: (to_db(o.placed_at), o.id)):
        by_customer.setdefault(order.customer_id, []).append(order)
    events: List[BehaviourEvent] = []
    personas: Dict[int, str] = {}
    for customer in sorted(customers, key=lambda c: c.id):
        mine, label = generator.shopper(customer, by_customer.get(customer.id, ()))
        events.extend(mine)
        personas[customer.id] = label
    events.sort(key=lambda e: (e.at, e.customer_id))
    return DemoBehaviour(events, personas)


def seed_behaviour(db, catalog, seed: int = DEFAULT_SEED, now: Optional[datetime] = None,
                   customers: int = DEFAULT_CUSTOMERS, months: int = DEFAULT_MONTHS) -> bool:
    """Add made-up customers up to ``customers`` and everyone's behaviour; False (nothing
    written) when the database already holds behaviour events."""
    from sqlalchemy import insert

    from bot.profiles.events import add_events, count_events
    from bot.profiles.shop_records import read_customers, read_orders
    from bot.shop.schema import Customer

    if count_events(db):
        return False
    existing = read_customers(db)
    missing = max(0, customers - len(existing))
    if missing:
        already = sum(1 for c in existing if is_generated(c.email))
        rows = demo_customer_rows(missing, seed=seed, now=now, months=months, start=already)
        with db.session() as session:
            session.execute(insert(Customer.__table__),
                            [{"name": name, "email": email, "created_at": created} for name, email, created in rows])
    behaviour = generate(catalog, read_customers(db), read_orders(db), seed=seed, now=now, months=months)
    add_events(db, behaviour.events)
    return True
