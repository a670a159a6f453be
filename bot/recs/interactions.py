"""The event log as the matrices the recommender's sources are computed from.

Every source that learns from behaviour (co-purchase, item-kNN, popularity, ALS, the
learned model) reads one :class:`InteractionLog`, built once from BehaviourEvent-like
objects (``customer_id``, ``kind``, ``product_id``, ``at``). Building it from a slice of
the log (the evaluation's "everything before the cut") is how no source ever sees the
future. Products unknown to the catalog are skipped: a log can outlive its products.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from bot.recs.profile import KIND_WEIGHTS, _ts, decay

POPULAR_WINDOW_DAYS = 30


class InteractionLog:
    """Events grouped per customer (time-ordered), with an item index over the catalog."""

    def __init__(self, events: Iterable[Any], catalog: Any, now: Optional[datetime] = None):
        self.catalog = catalog
        self.item_ids: List[str] = [p.id for p in catalog.products]
        self.index: Dict[str, int] = {pid: i for i, pid in enumerate(self.item_ids)}
        self.by_customer: Dict[Any, List[Any]] = defaultdict(list)
        latest = None
        for e in events:
            if getattr(e, "product_id", None) not in self.index:
                continue
            self.by_customer[e.customer_id].append(e)
            if latest is None or _ts(e.at) > _ts(latest):
                latest = e.at
        for seq in self.by_customer.values():
            seq.sort(key=lambda e: _ts(e.at))
        self.now = now or latest
        self.customers: List[Any] = list(self.by_customer)
        self._cooc: Optional[np.ndarray] = None
        self._knn: Optional[np.ndarray] = None

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def purchases(self, customer: Any) -> List[str]:
        return [e.product_id for e in self.by_customer.get(customer, []) if e.kind == "purchase"]

    def weights(self, decayed: bool = False) -> Dict[Any, Dict[int, float]]:
        """customer -> {item index: summed event weight} (optionally time-decayed)."""
        out: Dict[Any, Dict[int, float]] = {}
        for c, seq in self.by_customer.items():
            row: Dict[int, float] = {}
            for e in seq:
                w = KIND_WEIGHTS.get(e.kind, 0.5) * (decay(e.at, self.now) if decayed else 1.0)
                i = self.index[e.product_id]
                row[i] = row.get(i, 0.0) + w
            out[c] = row
        return out

    def user_item_matrix(self, customers: Optional[Sequence[Any]] = None):
        """scipy CSR (customers x items) of event weights, and the customer order."""
        from scipy.sparse import csr_matrix

        customers = list(customers if customers is not None else self.customers)
        weights = self.weights()
        rows, cols, vals = [], [], []
        for r, c in enumerate(customers):
            for i, w in weights.get(c, {}).items():
                rows.append(r)
                cols.append(i)
                vals.append(w)
        return csr_matrix((vals, (rows, cols)), shape=(len(customers), self.n_items), dtype=np.float32), customers

    # ------------------------------------------------------------------ item-item
    def co_purchase(self) -> np.ndarray:
        """items x items: how many customers bought (or carted) both, diagonal zero."""
        if self._cooc is None:
            m = np.zeros((self.n_items, self.n_items), dtype=np.float32)
            for seq in self.by_customer.values():
                items = sorted({self.index[e.product_id] for e in seq if e.kind in ("purchase", "cart_add")})
                if len(items) > 1:
                    idx = np.array(items)
                    m[np.ix_(idx, idx)] += 1.0
            np.fill_diagonal(m, 0.0)
            self._cooc = m
        return self._cooc

    def item_knn(self) -> np.ndarray:
        """items x items cosine similarity of the customer-weight columns (diagonal zero)."""
        if self._knn is None:
            matrix, _ = self.user_item_matrix()
            x = matrix.T.tocsr().astype(np.float64)
            x.data = np.log1p(x.data)
            norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            sim = (x @ x.T).toarray() / np.outer(norms, norms)
            np.fill_diagonal(sim, 0.0)
            self._knn = sim.astype(np.float32)
        return self._knn

    # ------------------------------------------------------------------ popularity
    def popularity(self, window_days: Optional[int] = POPULAR_WINDOW_DAYS,
                   kinds: Tuple[str, ...] = ("purchase", "cart_add", "view")) -> np.ndarray:
        """Per item: weighted events in the last ``window_days`` before ``now`` (None: all),
        plus a small all-time share so a quiet month still ranks sensibly."""
        recent = np.zeros(self.n_items, dtype=np.float64)
        total = np.zeros(self.n_items, dtype=np.float64)
        start = self.now - timedelta(days=window_days) if (window_days and self.now) else None
        for seq in self.by_customer.values():
            for e in seq:
                if e.kind not in kinds:
                    continue
                w = KIND_WEIGHTS.get(e.kind, 0.5)
                i = self.index[e.product_id]
                total[i] += w
                if start is None or _ts(e.at) >= _ts(start):
                    recent[i] += w
        return recent + 0.1 * total
