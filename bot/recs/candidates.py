"""Where recommendation candidates come from, each source scoring every product.

A source answers two questions: how strongly it suggests each product for this shopper
(``scores``: an array over the catalog, 0 = not suggested), and which of the shopper's
own products a suggestion rests on (``anchor``), so the reason can name it truthfully.
Scoring whole arrays keeps the ranking a few vector operations even on a big catalog,
and lets the offline evaluation score one source alone or the hybrid with the same code.

Sources: ``graph`` (accessories and compatible items of what the shopper owns or
mentions), ``co_purchase`` (item-item similarity from the event log: shoppers who
bought or looked at X also bought Y), ``embedding`` (FAISS over the product index's
vectors against a profile vector), ``popular`` (recent popularity, in the shopper's or
the asked categories) and ``learned`` (:mod:`bot.recs.learned`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from bot.recs.profile import KIND_WEIGHTS, ProfileView, decay, top_keys

SOURCES = ("graph", "co_purchase", "embedding", "learned", "popular")
HISTORY_LIMIT = 30


@dataclass
class Anchor:
    """The shopper's product a suggestion rests on: owned, viewed or mentioned."""

    product_id: str
    relation: str  # owned | viewed | carted | favourite | mentioned
    at: Optional[datetime] = None


@dataclass
class RecContext:
    """One recommendation request: who asks, and what the message adds."""

    profile: ProfileView
    mentioned: List[str] = field(default_factory=list)  # "for my new Pixel 8"
    categories: List[str] = field(default_factory=list)  # "for my dad who hikes" -> hints
    use_history: bool = True  # False for a gift: the shopper's taste is not the recipient's
    query_vector: Optional[np.ndarray] = None  # the message's meaning, for the embedding source
    now: Optional[datetime] = None

    def history(self) -> List[Anchor]:
        """Owned and looked-at products, newest first (only when history may be used)."""
        if not self.use_history:
            return []
        out: List[Anchor] = []
        relation = {"purchase": "owned", "view": "viewed", "cart_add": "carted", "favourite": "favourite"}
        for item in reversed(self.profile.history()):
            out.append(Anchor(item.product_id, relation.get(item.kind, "viewed"), item.at))
        return out[:HISTORY_LIMIT]

    def anchors(self) -> List[Anchor]:
        return [Anchor(pid, "mentioned") for pid in self.mentioned] + self.history()


def _weight(anchor: Anchor, now: Optional[datetime]) -> float:
    kind = {"owned": "purchase", "viewed": "view", "carted": "cart_add", "favourite": "favourite"}
    if anchor.relation == "mentioned":
        return 2 * KIND_WEIGHTS["purchase"]
    return KIND_WEIGHTS.get(kind.get(anchor.relation, "view"), 1.0) * decay(anchor.at, now)


class Source:
    name = ""

    def __init__(self, item_ids: Sequence[str]):
        self.item_ids = list(item_ids)
        self.index = {pid: i for i, pid in enumerate(self.item_ids)}

    def scores(self, ctx: RecContext) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def anchor(self, pid: str, ctx: RecContext) -> Optional[Anchor]:
        return None

    def _zeros(self) -> np.ndarray:
        return np.zeros(len(self.item_ids), dtype=np.float64)


class GraphSource(Source):
    """Accessories and compatible items of the products the shopper owns or mentions."""

    name = "graph"

    def __init__(self, kg: Any):
        super().__init__([p.id for p in kg.catalog.products])
        self.kg = kg

    def _fits(self, pid: str) -> List[str]:
        return [p.id for p in self.kg.for_owned([pid])]

    def _anchors(self, ctx: RecContext) -> List[Anchor]:
        return [a for a in ctx.anchors() if a.relation in ("mentioned", "owned")]

    def scores(self, ctx: RecContext) -> np.ndarray:
        out = self._zeros()
        for a in self._anchors(ctx):
            w = _weight(a, ctx.now)
            for other in self._fits(a.product_id):
                if other in self.index:
                    out[self.index[other]] += w
        return out

    def anchor(self, pid: str, ctx: RecContext) -> Optional[Anchor]:
        for a in self._anchors(ctx):  # mentioned first, then newest owned
            if pid in self._fits(a.product_id):
                return a
        return None


class ItemSimilaritySource(Source):
    """Item-item similarity (from the event log, or from embeddings) summed over the
    shopper's history, each history item weighted by kind and recency."""

    def __init__(self, item_ids: Sequence[str], similarity: np.ndarray, name: str):
        super().__init__(item_ids)
        self.sim = similarity
        self.name = name

    def scores(self, ctx: RecContext) -> np.ndarray:
        out = self._zeros()
        for a in ctx.anchors():
            i = self.index.get(a.product_id)
            if i is not None:
                out += _weight(a, ctx.now) * self.sim[i]
        return out

    def anchor(self, pid: str, ctx: RecContext) -> Optional[Anchor]:
        j = self.index.get(pid)
        if j is None:
            return None
        best, best_score = None, 0.0
        for a in ctx.anchors():
            i = self.index.get(a.product_id)
            if i is not None and a.product_id != pid:
                score = _weight(a, ctx.now) * float(self.sim[i, j])
                if score > best_score:
                    best, best_score = a, score
        return best


class CoPurchaseSource(ItemSimilaritySource):
    """Shoppers who bought or looked at X also bought Y (cosine item-kNN on the log)."""

    def __init__(self, log: Any):
        super().__init__(log.item_ids, log.item_knn(), "co_purchase")


class EmbeddingSource(Source):
    """Products whose descriptions are close to what the shopper bought and looked at
    (a profile vector: the weighted mean of their products' vectors), searched with FAISS;
    a message's own meaning ("for my dad who hikes") joins the profile vector."""

    name = "embedding"

    def __init__(self, item_ids: Sequence[str], vectors: np.ndarray):
        from bot.retrieval.faiss_index import FlatIndex, normalize

        super().__init__(item_ids)
        self.vectors = normalize(vectors)
        self.faiss = FlatIndex.build(self.vectors, device="cpu")

    @classmethod
    def from_index(cls, index: Any) -> "EmbeddingSource":
        """Reuse the retrieval index's product vectors (``KnowledgeIndex``)."""
        vectors = index.product_index.cpu_index.reconstruct_n(0, index.product_index.ntotal)
        return cls([p.id for p in index.products], vectors)

    def profile_vector(self, ctx: RecContext) -> Optional[np.ndarray]:
        total = np.zeros(self.vectors.shape[1], dtype=np.float64)
        for a in ctx.anchors():
            i = self.index.get(a.product_id)
            if i is not None:
                total += _weight(a, ctx.now) * self.vectors[i]
        if ctx.query_vector is not None:
            q = np.asarray(ctx.query_vector, dtype=np.float64).ravel()
            scale = np.linalg.norm(total) or 1.0
            total += scale * q / (np.linalg.norm(q) or 1.0)
        if not total.any():
            return None
        return total

    def scores(self, ctx: RecContext) -> np.ndarray:
        out = self._zeros()
        vector = self.profile_vector(ctx)
        if vector is None:
            return out
        sims, rows = self.faiss.search(vector[None, :].astype(np.float32), len(self.item_ids))
        out[rows[0]] = np.clip(sims[0], 0.0, None)
        return out

    def anchor(self, pid: str, ctx: RecContext) -> Optional[Anchor]:
        j = self.index.get(pid)
        best, best_score = None, -1.0
        for a in ctx.history():
            i = self.index.get(a.product_id)
            if i is not None and j is not None and a.product_id != pid:
                score = float(self.vectors[i] @ self.vectors[j])
                if score > best_score:
                    best, best_score = a, score
        return best


class PopularSource(Source):
    """What sells now: recent events, in the asked categories, else the shopper's
    favourite categories, else the whole shop (the cold start)."""

    name = "popular"

    def __init__(self, log: Any, categories_of: Dict[str, str]):
        super().__init__(log.item_ids)
        # what the log says, plus a small prior from the catalog's own ratings and review
        # counts, so a shop with no events yet still has a sensible "popular"
        prior = np.array([(p.rating or 0.0) * np.log1p(p.reviews or 0) for p in log.catalog.products])
        events = log.popularity()
        scale = float(events.max()) if events.size and events.max() > 0 else 1.0
        self.popularity = events + 0.01 * scale * prior / (prior.max() or 1.0)
        self.category = np.array([categories_of.get(pid, "") for pid in self.item_ids])

    def scope(self, ctx: RecContext) -> List[str]:
        if ctx.categories:
            return list(ctx.categories)
        if ctx.use_history:
            return top_keys(ctx.profile.category_affinity, 3)
        return []

    def scores(self, ctx: RecContext) -> np.ndarray:
        out = self.popularity.astype(np.float64).copy()
        scope = self.scope(ctx)
        if scope:
            out = out * (np.isin(self.category, scope) * 0.9 + 0.1)
        return out


class LearnedSource(Source):
    """The sequence model's next-purchase probabilities (:mod:`bot.recs.learned`)."""

    name = "learned"

    def __init__(self, model: Any, similarity: Optional[np.ndarray] = None):
        super().__init__(model.item_ids)
        self.model = model
        self.sim = similarity

    def scores(self, ctx: RecContext) -> np.ndarray:
        if not ctx.use_history:
            return self._zeros()
        history = [(a.product_id, {"owned": "purchase", "viewed": "view", "carted": "cart_add",
                                   "favourite": "favourite"}.get(a.relation, "view"))
                   for a in reversed(ctx.history())]
        if not history:
            return self._zeros()
        return self.model.score(history).astype(np.float64)

    def anchor(self, pid: str, ctx: RecContext) -> Optional[Anchor]:
        if self.sim is None:
            history = ctx.history()
            return history[0] if history else None
        return ItemSimilaritySource(self.item_ids, self.sim, "learned").anchor(pid, ctx)


def _one_blas_thread():
    """implicit's ALS wants a single BLAS thread (its own loop is parallel)."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1, "blas")
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()


class AlsSource(Source):
    """Implicit ALS (``implicit`` package) over the event matrix: shoppers with a history
    like yours. Scores known shoppers from their factors; a shopper the model has not seen
    gets the factors recomputed from their history (``recalculate_user``)."""

    name = "als"

    def __init__(self, log: Any, factors: int = 48, iterations: int = 20, seed: int = 7):
        import os

        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from implicit.als import AlternatingLeastSquares

        super().__init__(log.item_ids)
        self.log = log
        matrix, order = log.user_item_matrix()
        with _one_blas_thread():
            self.model = AlternatingLeastSquares(factors=factors, regularization=0.05, alpha=4.0,
                                                 iterations=iterations, random_state=seed, use_gpu=False)
            if matrix.nnz:
                self.model.fit(matrix, show_progress=False)
        self.rows = {c: i for i, c in enumerate(order)}
        self.fitted = bool(matrix.nnz)

    def scores(self, ctx: RecContext) -> np.ndarray:
        from scipy.sparse import csr_matrix

        if not self.fitted or not ctx.use_history:
            return self._zeros()
        items = np.asarray(self.model.item_factors)
        row = self.rows.get(ctx.profile.customer_id)
        if row is not None and not ctx.mentioned:
            return np.asarray(self.model.user_factors)[row] @ items.T
        weights: Dict[int, float] = {}
        for a in ctx.anchors():
            i = self.index.get(a.product_id)
            if i is not None:
                weights[i] = weights.get(i, 0.0) + _weight(a, ctx.now)
        if not weights:
            return self._zeros()
        cols = sorted(weights)
        user = csr_matrix((np.array([weights[c] for c in cols], dtype=np.float32),
                           (np.zeros(len(cols), dtype=np.int64), np.array(cols))), shape=(1, len(self.item_ids)))
        factors = np.asarray(self.model.recalculate_user(0, user)).ravel()
        return factors @ items.T
