"""The demo behaviour generator: reproducible, 500+ customers, and the structure a real shop's log has."""

import re
import statistics
from collections import Counter, defaultdict

import pytest
from sqlalchemy import String, Text, inspect, select

from bot.profiles.demo_behaviour import DEMO_DOMAIN, generate, is_generated
from bot.profiles.events import count_events, load_events
from bot.profiles.personas import GIFT_BUYER, derive_personas
from bot.profiles.shop_records import read_customers, read_orders
from bot.shop.db import ShopDatabase
from bot.shop.seed import DEMO_CUSTOMERS
from tests.bot.conftest import NOW


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, catalog):
    db = ShopDatabase(f"sqlite:///{tmp_path_factory.mktemp('behaviour') / 'shop.db'}")
    assert db.seed_demo(catalog, now=NOW, behaviour=True)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def behaviour(demo_db, catalog):
    return generate(catalog, read_customers(demo_db), read_orders(demo_db), now=NOW)


@pytest.fixture(scope="module")
def events(demo_db):
    return load_events(demo_db)


def test_seeding_writes_500_customers_the_named_ones_among_them(demo_db, events):
    customers = read_customers(demo_db)
    emails = {c.email for c in customers}
    assert len(customers) >= 500
    assert {email for _, email in DEMO_CUSTOMERS} <= emails
    assert sum(1 for c in customers if c.email.endswith("@" + DEMO_DOMAIN)) == len(customers) - 25
    active = {e.customer_id for e in events}
    assert len(active) >= 480  # a few made-up customers joined too late to do anything yet
    assert 20_000 < len(events) < 120_000
    assert set(Counter(e.kind for e in events)) == {"view", "search", "cart_add", "purchase", "favourite", "review"}
    span = max(e.at for e in events) - min(e.at for e in events if e.at >= NOW.replace(tzinfo=None).replace(year=2024))
    assert span.days >= 330


def test_same_seed_same_events_other_seed_other_events(demo_db, catalog, behaviour, events):
    assert behaviour.events == events  # what was stored is exactly what the generator makes again
    again = generate(catalog, read_customers(demo_db), read_orders(demo_db), now=NOW)
    assert again.events == behaviour.events and again.personas == behaviour.personas
    other = generate(catalog, read_customers(demo_db), read_orders(demo_db), now=NOW, seed=8)
    assert other.events != behaviour.events


def test_named_customers_purchases_are_exactly_their_orders(demo_db, events):
    customers = {c.id: c for c in read_customers(demo_db)}
    named = {cid for cid, c in customers.items() if not is_generated(c.email)}
    bought = Counter((e.customer_id, e.product_id) for e in events if e.kind == "purchase" and e.customer_id in named)
    ordered = Counter((o.customer_id, pid) for o in read_orders(demo_db) if o.status != "cancelled" for pid in o.items)
    assert bought == ordered and sum(ordered.values()) > 50
    with_orders = {o.customer_id for o in read_orders(demo_db)}
    assert with_orders <= {e.customer_id for e in events}


def test_persona_labels_are_not_stored_anywhere(demo_db, behaviour):
    labels = {label for label in behaviour.personas.values()}
    assert GIFT_BUYER in " ".join(labels) and len(labels) > 10
    persona = re.compile(r"personas?($|_)")  # not "personalization", the consent flag
    inspector = inspect(demo_db.engine)
    for table in inspector.get_table_names():
        assert not persona.match(table)
        assert not any(persona.match(column["name"]) for column in inspector.get_columns(table))
    with demo_db.session() as session:  # nor hidden in a value: every text column of every table
        for table in ShopDatabase.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text)):
                    values = session.execute(select(column).distinct()).scalars()
                    assert not any(value in labels for value in values), f"{table.name}.{column.name}"


def test_personas_come_from_the_catalog_structure(catalog):
    personas = {p.main: p for p in derive_personas(catalog)}
    assert set(personas) - {""} <= {c.id for c in catalog.categories}
    # main categories are not accessory categories; accessories appear as side categories
    accessory = {c.id for c in catalog.categories
                 if all(p.related("accessory_of") or p.related("compatible_with") for p in catalog.products_in(c.id))}
    assert accessory and not accessory & set(personas)
    assert any(set(dict(p.side)) & accessory for p in personas.values())
    assert all(abs(sum(w for _, w in p.side) - 1) < 1e-9 for p in personas.values() if p.side)


def test_a_catalog_of_another_kind_works(catalog, demo_db):
    """A shop without relations or any of the demo categories (tea) still gets personas and events."""
    from bot.catalog import Brand, Catalog, Category, Product

    cats = [Category("green_tea", "Green tea", "green tea", group="tea"),
            Category("black_tea", "Black tea", "black tea", group="tea"),
            Category("teaware", "Teaware", "teapot", group="ware")]
    brands = [Brand("leafco", "LeafCo"), Brand("brewhaus", "Brewhaus")]
    products = [Product(f"T-{i}", f"Tea {i}", brands[i % 2].id, cats[i % 3].id, 5.0 + i, 10, 4.2, 10)
                for i in range(18)]
    tea = Catalog({"currency": "EUR"}, cats, brands, {}, products)
    personas = derive_personas(tea)
    assert {p.main for p in personas} == {"green_tea", "black_tea", "teaware", ""}
    assert dict(next(p for p in personas if p.main == "green_tea").side) == {"black_tea": 1.0}
    customers = [c for c in read_customers(demo_db) if is_generated(c.email)][:40]
    result = generate(tea, customers, [], now=NOW)
    assert len(result.events) > 500
    assert {e.product_id for e in result.events if e.product_id} <= {p.id for p in products}
    assert any(e.kind == "purchase" for e in result.events)


def test_accessories_are_bought_after_the_product_they_fit(events, demo_db, catalog):
    generated = {c.id for c in read_customers(demo_db) if is_generated(c.email)}
    fits = defaultdict(set)
    for product in catalog.products:
        for relation in ("accessory_of", "compatible_with"):
            for target in product.related(relation):
                fits[product.id].add(target)
                fits[target].add(product.id)
    accessories = {p.id for p in catalog.products if p.related("accessory_of") or p.related("compatible_with")}
    owned, after, total = defaultdict(set), 0, 0
    for event in events:
        if event.kind != "purchase" or event.customer_id not in generated:
            continue
        if event.product_id in accessories:
            total += 1
            after += bool(fits[event.product_id] & owned[event.customer_id])
        owned[event.customer_id].add(event.product_id)
    assert total > 100 and after / total > 0.65


def test_brand_loyalty_is_measurable(events, catalog):
    brands = defaultdict(list)
    for event in events:
        if event.kind in ("view", "cart_add", "purchase"):
            product = catalog.product(event.product_id)
            brands[(event.customer_id, product.category)].append(product.brand)
    top_share, by_chance = [], []
    for (_, category), seen in brands.items():
        if len(seen) >= 4:
            top_share.append(Counter(seen).most_common(1)[0][1] / len(seen))
            catalog_brands = Counter(p.brand for p in catalog.products_in(category))
            by_chance.append(max(catalog_brands.values()) / sum(catalog_brands.values()))
    assert len(top_share) > 500
    assert statistics.mean(top_share) > statistics.mean(by_chance) + 0.15


def test_price_bands_hold_per_customer(events, catalog):
    """A customer's viewed products sit at similar price percentiles across categories."""
    rank = {}
    for category in catalog.categories:
        ranked = sorted(catalog.products_in(category.id), key=lambda p: p.price)
        for index, product in enumerate(ranked):
            rank[product.id] = (index + 0.5) / len(ranked)
    per_customer = defaultdict(list)
    for event in events:
        if event.kind == "view":
            per_customer[event.customer_id].append(rank[event.product_id])
    spread_within = statistics.mean(statistics.pstdev(v) for v in per_customer.values() if len(v) >= 10)
    everyone = [r for v in per_customer.values() for r in v]
    assert spread_within < statistics.pstdev(everyone) * 0.85


def test_reviews_agree_with_their_rating_and_seasonality_shows(events):
    reviews = [e for e in events if e.kind == "review"]
    assert len(reviews) > 150 and all(e.text and 1 <= e.rating <= 5 for e in reviews)
    praise = re.compile(r"\b(excellent|great|love|impressed|happy with|spot on|exceeded)\b")
    gripes = re.compile(r"\b(disappointing|poor|letdown|unhappy|not happy|worse|could be much better)\b")

    def score(text):
        low = text.lower().replace("not happy", "unhappy")
        return len(praise.findall(low)) - len(gripes.findall(low))

    by_rating = defaultdict(list)
    for review in reviews:
        by_rating[review.rating].append(score(review.text))
    assert min(by_rating[5]) > 0 and max(by_rating[1]) < 0
    means = [statistics.mean(by_rating[stars]) for stars in (5, 4, 3, 2)]
    assert means == sorted(means, reverse=True) and means[-1] < 0
    assert len({e.text for e in reviews}) > 0.8 * len(reviews)
    months = Counter(e.at.month for e in events if e.kind == "purchase")
    assert months[12] > statistics.mean(months.values()) * 1.3  # the holiday peak


def test_searches_carry_text_and_noise_exists(events, catalog):
    searches = [e for e in events if e.kind == "search"]
    assert all(e.query for e in searches)
    assert any(e.product_id is None for e in searches) and any(e.product_id for e in searches)
    categories = defaultdict(Counter)
    for event in events:
        if event.kind == "view":
            categories[event.customer_id][catalog.product(event.product_id).category] += 1
    # most customers concentrate on a few categories, yet almost all stray somewhere once
    focused = [c.most_common(3) for c in categories.values() if sum(c.values()) >= 20]
    assert statistics.mean(sum(n for _, n in top) / sum(categories[cid].values())
                           for cid, top in zip([k for k, c in categories.items() if sum(c.values()) >= 20], focused)) > 0.6
    assert statistics.mean(len(c) for c in categories.values() if sum(c.values()) >= 20) >= 4


def test_seeding_twice_adds_nothing(demo_db, catalog):
    before = count_events(demo_db)
    from bot.profiles.demo_behaviour import seed_behaviour
    assert seed_behaviour(demo_db, catalog, now=NOW) is False
    assert count_events(demo_db) == before


def test_a_new_customer_joining_after_seeding_keeps_the_others_unchanged(demo_db, catalog, behaviour):
    customers = read_customers(demo_db)
    fewer = generate(catalog, customers[:-1], read_orders(demo_db), now=NOW)
    last = customers[-1].id
    assert fewer.events == [e for e in behaviour.events if e.customer_id != last]
