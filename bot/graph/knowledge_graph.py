"""The catalog as a typed graph, and the shop questions it answers.

Why a graph: the questions customers ask are walks. "Cases that fit the phone I
bought" is owned product -> (accessory_of / compatible_with) -> product -> category;
"other watches by Garmin with 20 h battery" is brand + category + attribute. Keeping
the catalog as a ``networkx.MultiDiGraph`` makes those walks one neighbourhood lookup
each, instead of scans over every product.

Nodes (attribute ``kind`` says which)::

    product:<id>                  ``product`` attribute holds the catalog Product
    brand:<id>, category:<id>
    attribute:<key>=<value>       one per categorical (text), list-item and bool value,
                                  e.g. attribute:water_resistance=IP68,
                                  attribute:colours=black, attribute:wireless_charging=true

Edges are typed by their multigraph key: ``made_by`` (product -> brand),
``in_category`` (product -> category), ``has_attribute`` (product -> attribute node)
and the catalog's relations ``accessory_of``, ``compatible_with``, ``successor_of``,
``similar_to`` and ``frequently_bought_with`` (product -> product; the last two are
added in both directions because they are symmetric).

Indexes: categorical filters use the attribute nodes' in-edges; numeric thresholds
(battery >= 20 h) and price ranges use sorted value arrays built once with the graph,
so ``find`` starts from the smallest matching set (a category's products, a brand's,
an attribute value's, a bisected numeric range) and checks the other conditions only
on those. Works with networkx 2.6 (Rasa env) and 3.x (action server env).
"""

import heapq
from bisect import bisect_left, bisect_right
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import networkx as nx

from bot.graph.comparison import Comparison, build_comparison

PRODUCT_RELATIONS = (
    "accessory_of", "compatible_with", "successor_of", "similar_to", "frequently_bought_with",
)
SYMMETRIC_RELATIONS = ("similar_to", "frequently_bought_with")
# related(pid, "predecessor_of") walks successor_of backwards: the newer models of pid.
INVERSE_RELATIONS = {"predecessor_of": "successor_of", "accessories": "accessory_of"}
CATEGORICAL_TYPES = ("text", "list", "bool", "categorical")
SORTS = ("rating", "-rating", "price", "-price", "reviews", None)
OPS = (">=", "<=", ">", "<", "==", "!=", "contains", "in")
# find() intersects index lists up to this size (or ratio of the smallest) as sets
INTERSECT_MIN, INTERSECT_RATIO = 5000, 10


PRODUCT_PREFIX = "product:"


def product_node(pid: str) -> str:
    return PRODUCT_PREFIX + pid


def brand_node(bid: str) -> str:
    return f"brand:{bid}"


def category_node(cid: str) -> str:
    return f"category:{cid}"


def attribute_node(key: str, value: Any) -> str:
    return f"attribute:{key}={_value_text(value)}"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _norm(value: Any) -> str:
    """Case- and space-insensitive form of a categorical value, for lookups."""
    return " ".join(_value_text(value).split()).casefold()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class KnowledgeGraph:
    """Typed graph over one catalog; build with :meth:`from_catalog`."""

    def __init__(self, catalog: Any, graph: "nx.MultiDiGraph"):
        self.catalog = catalog
        self.graph = graph
        self.specs: Dict[str, Any] = dict(getattr(catalog, "attributes", None) or {})
        self._products: Dict[str, Any] = {}
        self._order: Dict[str, int] = {}
        self._category_ids: Dict[str, str] = {}
        self._brand_ids: Dict[str, str] = {}
        # (key, normalised value) -> attribute node id
        self._value_nodes: Dict[Tuple[str, str], str] = {}
        # (category id or None for all, key) -> (sorted values, product ids in that order)
        self._numeric: Dict[Tuple[Optional[str], str], Tuple[List[float], List[str]]] = {}
        self._prices: Dict[Optional[str], Tuple[List[float], List[str]]] = {}
        # typed in-neighbours of category/brand/attribute nodes: the graph is read-only
        # once built, so each list is computed on first use and kept
        self._in_cache: Dict[Tuple[str, str], List[str]] = {}
        # sort name -> {product id: position in that order}, computed on first use
        self._ranks: Dict[Optional[str], Dict[str, int]] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def from_catalog(cls, catalog: Any) -> "KnowledgeGraph":
        g = nx.MultiDiGraph()
        kg = cls(catalog, g)
        for category in catalog.categories:
            g.add_node(category_node(category.id), kind="category", ref=category.id,
                       name=category.name)
            for name in (category.id, category.name, getattr(category, "singular", None),
                         *(getattr(category, "synonyms", None) or [])):
                if name:
                    kg._category_ids.setdefault(_norm(name), category.id)
        for brand in catalog.brands:
            g.add_node(brand_node(brand.id), kind="brand", ref=brand.id, name=brand.name)
            for name in (brand.id, brand.name, *(getattr(brand, "aliases", None) or [])):
                if name:
                    kg._brand_ids.setdefault(_norm(name), brand.id)

        numeric: Dict[Tuple[Optional[str], str], List[Tuple[float, str]]] = {}
        prices: Dict[Optional[str], List[Tuple[float, str]]] = {}
        for index, product in enumerate(catalog.products):
            pid = product.id
            node = product_node(pid)
            kg._products[pid] = product
            kg._order[pid] = index
            g.add_node(node, kind="product", ref=pid, product=product)
            g.add_edge(node, brand_node(product.brand), key="made_by")
            g.add_edge(node, category_node(product.category), key="in_category")
            if product.price is not None:
                for scope in (None, product.category):
                    prices.setdefault(scope, []).append((float(product.price), pid))
            for key, value in (product.attributes or {}).items():
                kg._index_attribute(node, product, key, value, numeric)

        for product in catalog.products:
            node = product_node(product.id)
            for relation, targets in (product.relations or {}).items():
                for target in targets or ():
                    if target == product.id or target not in kg._products:
                        continue  # the loader validates; a graph never points nowhere
                    g.add_edge(node, product_node(target), key=relation)
                    if relation in SYMMETRIC_RELATIONS:
                        g.add_edge(product_node(target), node, key=relation)

        for index_key, pairs in list(numeric.items()) + list(prices.items()):
            pairs.sort()
            target = kg._numeric if isinstance(index_key, tuple) else kg._prices
            target[index_key] = ([v for v, _ in pairs], [p for _, p in pairs])
        return kg

    def _index_attribute(self, node: str, product: Any, key: str, value: Any,
                         numeric: Dict[Tuple[Optional[str], str], List[Tuple[float, str]]]) -> None:
        spec = self.specs.get(key)
        kind = getattr(spec, "type", None)
        if value is None:
            return
        if _is_number(value) and kind not in ("bool",):
            for scope in (None, product.category):
                numeric.setdefault((scope, key), []).append((float(value), product.id))
            return
        values = value if isinstance(value, (list, tuple, set)) else [value]
        for item in values:
            if item is None or isinstance(item, (dict, list)):
                continue
            attr = attribute_node(key, item)
            if attr not in self.graph:
                self.graph.add_node(attr, kind="attribute", key=key, value=item)
                self._value_nodes[(key, _norm(item))] = attr
            self.graph.add_edge(node, attr, key="has_attribute")

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._products)

    def product(self, pid: str) -> Optional[Any]:
        return self._products.get(pid)

    @property
    def products(self) -> List[Any]:
        return list(self._products.values())

    def category_id(self, name_or_id: Optional[str]) -> Optional[str]:
        """A category id from its id, name, singular or synonym (any case); None if unknown."""
        if not name_or_id:
            return None
        return self._category_ids.get(_norm(name_or_id))

    def brand_id(self, name_or_id: Optional[str]) -> Optional[str]:
        if not name_or_id:
            return None
        return self._brand_ids.get(_norm(name_or_id))

    # The neighbourhood walks read networkx's adjacency dicts (``_pred``/``_succ``, the
    # data structure its DiGraph docs describe for subclasses; the same in 2.6 and 3.x):
    # the public views wrap every neighbour in a view object, 5x slower on big categories.
    def _sources(self, node: str, relation: str) -> List[str]:
        """Product ids with an edge ``relation`` into ``node`` (in-neighbours by type)."""
        if not node.startswith(PRODUCT_PREFIX):
            cached = self._in_cache.get((node, relation))
            if cached is None:
                cached = self._in_cache[(node, relation)] = self._walk(self.graph._pred, node, relation)
            return cached
        return self._walk(self.graph._pred, node, relation)

    def _targets(self, node: str, relation: str) -> List[str]:
        return self._walk(self.graph._succ, node, relation)

    @staticmethod
    def _walk(adjacency: Dict[str, Dict[str, Dict[str, Any]]], node: str, relation: str) -> List[str]:
        neighbours = adjacency.get(node)
        if not neighbours:
            return []
        cut = len(PRODUCT_PREFIX)
        return [other[cut:] for other, keys in neighbours.items()
                if relation in keys and other.startswith(PRODUCT_PREFIX)]

    def products_in_category(self, category: str) -> List[str]:
        cid = self.category_id(category)
        return self._sources(category_node(cid), "in_category") if cid else []

    def products_of_brand(self, brand: str) -> List[str]:
        bid = self.brand_id(brand)
        return self._sources(brand_node(bid), "made_by") if bid else []

    # ------------------------------------------------------------------ queries
    def accessories(self, pid: str, category: Optional[str] = None) -> List[Any]:
        """Products that are ``accessory_of`` pid (cases, bands, chargers), best rated first."""
        ids = self._sources(product_node(pid), "accessory_of")
        return self._finish(ids, category)

    def compatible(self, pid: str, category: Optional[str] = None) -> List[Any]:
        """Everything that works with pid: compatible_with either way, plus its accessories."""
        node = product_node(pid)
        ids = (self._targets(node, "compatible_with") + self._sources(node, "compatible_with")
               + self._sources(node, "accessory_of"))
        return self._finish([i for i in ids if i != pid], category)

    def related(self, pid: str, relation: str) -> List[Any]:
        """Products pid points to by ``relation``.

        ``successor_of`` gives the older models pid replaces; ``predecessor_of`` walks it
        backwards (the newer models); ``similar_to`` and ``frequently_bought_with`` are
        symmetric; ``accessory_of`` / ``compatible_with`` give what pid belongs to or
        works with, ``accessories`` what belongs to pid.
        """
        node = product_node(pid)
        if relation in INVERSE_RELATIONS:
            ids = self._sources(node, INVERSE_RELATIONS[relation])
        elif relation in PRODUCT_RELATIONS:
            ids = self._targets(node, relation)
        else:
            known = ", ".join(PRODUCT_RELATIONS + tuple(INVERSE_RELATIONS))
            raise ValueError(f"unknown relation {relation!r}; known: {known}")
        return self._finish(ids, None)

    def for_owned(self, owned_pids: Iterable[str], category: Optional[str] = None) -> List[Any]:
        """What fits the products a customer owns (two hops: owned -> item -> category).

        Accessories and compatible items of every owned product, without the owned ones,
        each once; items that fit more of the customer's products come first, then by rating.
        """
        owned = [p for p in dict.fromkeys(owned_pids or ()) if p in self._products]
        owned_set = set(owned)
        fits: Dict[str, int] = {}
        for pid in owned:
            node = product_node(pid)
            ids = set(self._targets(node, "compatible_with") + self._sources(node, "compatible_with")
                      + self._sources(node, "accessory_of"))
            for other in ids - owned_set:
                fits[other] = fits.get(other, 0) + 1
        products = self._finish(list(fits), category)
        products.sort(key=lambda p: -fits[p.id])  # stable: rating order within equal fit
        return products

    def compare(self, pids: Sequence[str]) -> Comparison:
        """Side-by-side table of the given products (duplicates dropped, order kept)."""
        ids = list(dict.fromkeys(pids))
        unknown = [p for p in ids if p not in self._products]
        if unknown:
            raise ValueError(f"unknown product id(s): {', '.join(map(str, unknown))}")
        currency = (getattr(self.catalog, "shop", None) or {}).get("currency", "USD")
        return build_comparison([self._products[p] for p in ids], self.specs, currency)

    def find(self, category: Optional[str] = None, brand: Optional[str] = None,
             min_price: Optional[float] = None, max_price: Optional[float] = None,
             where: Optional[Dict[str, Any]] = None, in_stock: Optional[bool] = None,
             sort: Optional[str] = "rating", limit: Optional[int] = 10) -> List[Any]:
        """Products matching every condition, sorted, at most ``limit`` (None: all).

        ``category``/``brand`` take ids or names (an unknown one matches nothing).
        ``where`` maps attribute keys to ``(op, value)`` with op one of >=, <=, >, <, ==,
        !=, contains (list item or text substring), in (value is one of a list); a bare
        value means == (contains for list attributes). ``sort``: rating (best first,
        more reviews breaking ties), -rating, price (cheapest first), -price, reviews,
        or None (catalog order).
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of {SORTS}")
        cid = bid = None
        if category is not None:
            cid = self.category_id(category)
            if cid is None:
                return []
        if brand is not None:
            bid = self.brand_id(brand)
            if bid is None:
                return []

        constraints: List[_Constraint] = []
        if cid is not None:
            ids = self._sources(category_node(cid), "in_category")
            constraints.append(_Constraint(len(ids), lambda ids=ids: ids,
                                           lambda p: p.category == cid, scoped=True, is_category=True))
        if bid is not None:
            ids = self._sources(brand_node(bid), "made_by")
            constraints.append(_Constraint(len(ids), lambda ids=ids: ids, lambda p: p.brand == bid))
        if min_price is not None or max_price is not None:
            values, pids = self._prices.get(cid, ([], []))
            lo, hi = _bisect_range(values, ">=", min_price, "<=", max_price)
            constraints.append(_Constraint(
                hi - lo, lambda lo=lo, hi=hi, pids=pids: pids[lo:hi],
                lambda p: p.price is not None and (min_price is None or p.price >= min_price)
                and (max_price is None or p.price <= max_price), scoped=cid is not None))
        constraints += [self._condition(k, v, cid) for k, v in (where or {}).items()]
        if in_stock is not None:
            constraints.append(_Constraint(-1, None, lambda p: (p.stock or 0) > 0 if in_stock
                                           else (p.stock or 0) <= 0))

        # Start from the smallest index; intersect (in C, as sets) with the other indexes
        # that are not much bigger; test what is left product by product.
        indexed = sorted((c for c in constraints if c.ids is not None), key=lambda c: c.size)
        used: List[_Constraint] = []
        candidates: Iterable[str] = self._products.keys()
        if indexed:
            used.append(indexed[0])
            candidates = indexed[0].ids()
            if len(indexed) > 1 and candidates:
                survivors = set(candidates)
                for other in indexed[1:]:
                    if other.size <= max(INTERSECT_MIN, INTERSECT_RATIO * len(survivors)):
                        survivors.intersection_update(other.ids())
                        used.append(other)
                candidates = survivors
        in_scope = any(c.scoped for c in used)
        checks = [c.check for c in constraints if c not in used and not (c.is_category and in_scope)]
        products = self._products
        if checks:
            candidates = [i for i in candidates if all(ch(products[i]) for ch in checks)]
        return [products[i] for i in self._top(candidates, sort, limit)]

    # ------------------------------------------------------------------ helpers
    def _condition(self, key: str, spec_value: Any, cid: Optional[str]) -> "_Constraint":
        """One ``where`` entry as a constraint: an index to start from, and a check."""
        kind = getattr(self.specs.get(key), "type", None)
        if isinstance(spec_value, tuple) and len(spec_value) == 2 and isinstance(spec_value[0], str):
            op, value = spec_value
        else:
            op, value = ("contains" if kind == "list" else "=="), spec_value
        if op not in OPS:
            raise ValueError(f"unknown operator {op!r} for {key!r}; use one of {OPS}")

        def get(p: Any) -> Any:
            return (p.attributes or {}).get(key)

        if op in (">=", "<=", ">", "<") or (op == "==" and _is_number(value)):
            if not _is_number(value):
                raise ValueError(f"{key!r} {op} needs a number, got {value!r}")
            values, ids = self._numeric.get((cid, key), ([], []))
            lo, hi = _bisect_range(values, op, value)
            return _Constraint(hi - lo, lambda lo=lo, hi=hi, ids=ids: ids[lo:hi],
                               lambda p: _is_number(get(p)) and _compare(op, get(p), value),
                               scoped=cid is not None)

        many = op == "in" and isinstance(value, (list, tuple, set))
        wanted = {_norm(v) for v in (value if many else [value])}

        def check(p: Any) -> bool:
            actual = get(p)
            if op == "contains" and isinstance(actual, str):
                return any(w in _norm(actual) for w in wanted)
            items = actual if isinstance(actual, (list, tuple, set)) else [actual]
            found = bool({_norm(a) for a in items if a is not None} & wanted)
            return not found if op == "!=" else found

        # value nodes answer ==, in, and contains on lists exactly; a substring of a
        # text value or != cannot be read off them
        if op in ("==", "in") or (op == "contains" and kind == "list"):
            nodes = [n for n in (self._value_nodes.get((key, w)) for w in wanted) if n]
            size = sum(len(self._sources(n, "has_attribute")) for n in nodes)
            return _Constraint(size, lambda nodes=nodes: _union(self._sources(n, "has_attribute")
                                                                for n in nodes), check)
        return _Constraint(-1, None, check)

    def _finish(self, ids: Iterable[str], category: Optional[str]) -> List[Any]:
        """Unique known products, optionally in one category, best rated first."""
        cid = None
        if category is not None:
            cid = self.category_id(category)
            if cid is None:
                return []
        products = [self._products[i] for i in dict.fromkeys(ids) if i in self._products]
        if cid is not None:
            products = [p for p in products if p.category == cid]
        return self._sorted(products, "rating", None)

    def _sorted(self, products: List[Any], sort: Optional[str], limit: Optional[int]) -> List[Any]:
        ids = self._top([p.id for p in products], sort, limit)
        return [self._products[i] for i in ids]

    def _top(self, ids: Iterable[str], sort: Optional[str], limit: Optional[int]) -> List[str]:
        """Ids in ``sort`` order, the first ``limit``: ranks are precomputed per sort, so the
        sort key is a dict lookup in C rather than a Python function per product."""
        rank = self._ranks.get(sort)
        if rank is None:
            rank = self._ranks[sort] = self._rank(sort)
        ids = ids if isinstance(ids, list) else list(ids)
        if limit is not None and limit < len(ids):
            return heapq.nsmallest(max(limit, 0), ids, key=rank.__getitem__)
        return sorted(ids, key=rank.__getitem__)

    def _rank(self, sort: Optional[str]) -> Dict[str, int]:
        order = self._order
        if sort is None:
            key = lambda p: order[p.id]  # noqa: E731
        elif sort == "rating":  # best first, more reviews breaking ties
            key = lambda p: (-(p.rating or 0), -(p.reviews or 0), order[p.id])  # noqa: E731
        elif sort == "-rating":
            key = lambda p: ((p.rating or 0), order[p.id])  # noqa: E731
        elif sort == "price":
            key = lambda p: (p.price if p.price is not None else float("inf"), order[p.id])  # noqa: E731
        elif sort == "-price":
            key = lambda p: (-(p.price or 0), order[p.id])  # noqa: E731
        else:  # reviews
            key = lambda p: (-(p.reviews or 0), order[p.id])  # noqa: E731
        return {p.id: i for i, p in enumerate(sorted(self._products.values(), key=key))}


class _Constraint:
    """One condition of a find(): ``ids()`` lists exactly the products that satisfy it,
    read off an index (``size`` of them; ``ids`` is None when no index helps), ``check``
    tests one product. ``scoped``: the index is per category, so its ids are already in
    the asked category."""

    __slots__ = ("size", "ids", "check", "scoped", "is_category")

    def __init__(self, size: int, ids: Optional[Callable[[], Sequence[str]]],
                 check: Callable[[Any], bool], scoped: bool = False, is_category: bool = False):
        self.size, self.ids, self.check = size, ids, check
        self.scoped, self.is_category = scoped, is_category


def _union(lists: Iterable[List[str]]) -> List[str]:
    seen: Set[str] = set()
    out: List[str] = []
    for ids in lists:
        for i in ids:
            if i not in seen:
                seen.add(i)
                out.append(i)
    return out


def _compare(op: str, actual: float, value: float) -> bool:
    if op == ">=":
        return actual >= value
    if op == "<=":
        return actual <= value
    if op == ">":
        return actual > value
    if op == "<":
        return actual < value
    return actual == value


def _bisect_range(values: List[float], op: str, value: Optional[float],
                  op2: Optional[str] = None, value2: Optional[float] = None) -> Tuple[int, int]:
    """[lo, hi) slice of sorted ``values`` satisfying ``op value`` (and ``op2 value2``)."""
    lo, hi = 0, len(values)
    for o, v in ((op, value), (op2, value2)):
        if o is None or v is None:
            continue
        if o == ">=":
            lo = max(lo, bisect_left(values, v))
        elif o == ">":
            lo = max(lo, bisect_right(values, v))
        elif o == "<=":
            hi = min(hi, bisect_right(values, v))
        elif o == "<":
            hi = min(hi, bisect_left(values, v))
        elif o == "==":
            lo, hi = max(lo, bisect_left(values, v)), min(hi, bisect_right(values, v))
    return lo, max(lo, hi)
