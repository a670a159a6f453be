"""Recommendations with reasons: the sources, the ranking and the rules in one call.

    recommender = Recommender.build(kg, events, index=services.index)
    recs = recommender.recommend(profile_view, "something for my new Pixel 8")
    for item in recs.items: print(item.product.display_name, "-", item.reason)

The message narrows and steers (:mod:`bot.recs.request`): asked categories and budget
filter, a mentioned product anchors the graph source, a gift ignores the shopper's own
history. Every item carries the source it mainly came from and a reason naming the
shopper's own product that source rests on (:mod:`bot.recs.reasons`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from bot.recs.candidates import (
    SOURCES,
    AlsSource,
    Anchor,
    CoPurchaseSource,
    EmbeddingSource,
    GraphSource,
    LearnedSource,
    PopularSource,
    RecContext,
    Source,
)
from bot.recs.interactions import InteractionLog
from bot.recs.profile import Interaction, ProfileView
from bot.recs.query import QueryParser
from bot.recs.ranking import PER_CATEGORY, HybridScorer, allowed_mask, diversify
from bot.recs.reasons import reason_text
from bot.recs.request import RecRequest, RequestParser

DEFAULT_K = 5


@dataclass
class Recommendation:
    product: Any
    source: str  # graph | co_purchase | embedding | learned | popular
    reason: str
    score: float
    anchor: Optional[Anchor] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"product_id": self.product.id, "name": self.product.display_name,
                "price": self.product.price, "stock": self.product.stock, "source": self.source,
                "reason": self.reason, "score": round(float(self.score), 4),
                "anchor": self.anchor.product_id if self.anchor else None}


@dataclass
class Recommendations:
    items: List[Recommendation] = field(default_factory=list)
    request: Optional[RecRequest] = None
    cold: bool = False  # no history used: popular items


class Recommender:
    """Ranks the catalog for a :class:`ProfileView` (+ an optional message)."""

    def __init__(self, kg: Any, sources: Sequence[Source], parser: Optional[QueryParser] = None,
                 weights: Optional[Dict[str, float]] = None,
                 encode: Optional[Callable[[str], np.ndarray]] = None):
        self.kg = kg
        self.catalog = kg.catalog
        self.products = list(self.catalog.products)
        self.sources = list(sources)
        self.scorer = HybridScorer(self.products, self.sources, weights)
        self.requests = RequestParser(parser or QueryParser(kg))
        self.encode = encode

    @classmethod
    def build(cls, kg: Any, events: Iterable[Any] = (), index: Any = None, learned: Any = None,
              linker: Any = None, weights: Optional[Dict[str, float]] = None,
              now: Optional[datetime] = None, als: bool = True, progress: bool = False) -> "Recommender":
        """All sources available: graph always; co-purchase, ALS and popularity from
        ``events``; embeddings from the retrieval ``index`` (``KnowledgeIndex``); the learned
        model: a trained :class:`~bot.recs.learned.SequenceRecommender`, or ``"auto"`` to
        train it on ``events`` (or load it from the cache, instant once trained)."""
        from bot.recs.learned import train_or_load

        events = list(events)
        log = InteractionLog(events, kg.catalog, now=now)
        categories_of = {p.id: p.category for p in kg.catalog.products}
        sources: List[Source] = [GraphSource(kg), CoPurchaseSource(log), PopularSource(log, categories_of)]
        if als and events:
            sources.append(AlsSource(log))
        encode = None
        vectors = None
        if index is not None:
            embedding = EmbeddingSource.from_index(index)
            sources.append(embedding)
            order = {pid: i for i, pid in enumerate(embedding.item_ids)}
            vectors = np.vstack([embedding.vectors[order[p.id]] for p in kg.catalog.products]) \
                if all(p.id in order for p in kg.catalog.products) else None
            encode = lambda text: index.embedder.encode_query(text)[0]  # noqa: E731
        if isinstance(learned, str) and learned == "auto":
            learned = train_or_load(log, content=vectors, progress=progress) if events else None
        if learned is not None:
            sources.append(LearnedSource(learned, log.item_knn()))
        return cls(kg, sources, QueryParser(kg, linker), weights, encode)

    def source(self, name: str) -> Optional[Source]:
        return next((s for s in self.sources if s.name == name), None)

    def recommend(self, profile: Optional[ProfileView] = None, text: Optional[str] = None,
                  entities: Optional[Sequence[Mapping[str, Any]]] = None, k: int = DEFAULT_K,
                  now: Optional[datetime] = None) -> Recommendations:
        profile = profile or ProfileView()
        request = self.requests.parse(text, entities)
        if request.owned_now:  # "my new Pixel 8": owned from now on, for this request
            known = set(profile.owned_ids)
            extra = [Interaction(pid, now, "purchase") for pid in request.owned_now if pid not in known]
            profile = _with_owned(profile, extra)
        ctx = RecContext(profile=profile, mentioned=request.mentioned, categories=request.categories,
                         use_history=not request.gift, now=now)
        if self.encode is not None and text and (request.categories or request.gift):
            try:
                ctx.query_vector = self.encode(text)
            except Exception:  # the encoder is a bonus; recommendations work without it
                ctx.query_vector = None
        scored = self.scorer.score(ctx)
        budget = request.budget or profile.budget
        mask = allowed_mask(self.products, profile, budget)
        asked = request.query.categories
        if asked:
            mask &= np.isin(self.scorer.category, asked)
        if request.query.brands:
            mask &= np.isin(self.scorer.brand, request.query.brands)
        for pid in request.mentioned:
            i = self._position(pid)
            if i is not None:
                mask[i] = False
        if request.owned_now and not asked:
            # "something for my new Pixel 8": what fits it, when anything does
            fits = np.zeros(len(self.products), dtype=bool)
            for p in self.kg.for_owned(request.owned_now):
                i = self._position(p.id)
                if i is not None:
                    fits[i] = True
            if (mask & fits).any():
                mask &= fits
        total = np.where(mask, scored.total, -np.inf)
        order = [int(i) for i in np.argsort(-total, kind="stable") if np.isfinite(total[i])]
        per_category = k if len(set(asked)) == 1 or request.owned_now else PER_CATEGORY
        chosen = diversify(order, np.where(np.isfinite(total), total, 0.0), self.scorer.category, k,
                           per_category=per_category)
        items = [self._explain(i, scored, ctx, request, now) for i in chosen]
        cold = all(item.source == "popular" for item in items)
        return Recommendations(items, request, cold)

    def _position(self, pid: str) -> Optional[int]:
        if not hasattr(self, "_positions"):
            self._positions = {p.id: i for i, p in enumerate(self.products)}
        return self._positions.get(pid)

    def _explain(self, i: int, scored: Any, ctx: RecContext, request: RecRequest,
                 now: Optional[datetime]) -> Recommendation:
        product = self.products[i]
        contributions = sorted(((self.scorer.weights.get(name, 0.0) * float(values[i]), name)
                                for name, values in scored.by_source.items()), reverse=True)
        source, anchor = "popular", None
        graph = self.source("graph")
        if graph is not None and scored.by_source.get("graph", np.zeros(1))[i] > 0:
            found = graph.anchor(product.id, ctx)
            if found is not None:  # "fits the watch you bought" is the clearest true reason
                contributions = [(1.0, "graph")]
        for value, name in contributions:
            if value <= 0:
                break
            src = self.source(name)
            found = src.anchor(product.id, ctx) if src is not None else None
            if name == "popular":
                source = name
                break
            if name == "als":  # collaborative, like co-purchase: name a co-bought product if any
                co = self.source("co_purchase")
                source, anchor = "co_purchase", co.anchor(product.id, ctx) if co is not None else None
                break
            if found is not None:
                source, anchor = name, found
                break
        scope = product.category
        reason = reason_text(source, anchor, self.catalog, product, now=now or ctx.now, scope=scope,
                             gift_for=request.recipient)
        return Recommendation(product, source, reason, float(scored.total[i]), anchor)


def _with_owned(profile: ProfileView, extra: List[Interaction]) -> ProfileView:
    from dataclasses import replace

    return replace(profile, owned=list(profile.owned) + extra)


__all__ = ["Recommender", "Recommendation", "Recommendations", "SOURCES"]
