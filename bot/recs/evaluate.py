"""Offline evaluation of the recommenders, side by side, on one event log.

    .venv-actions/bin/python -m bot.recs.evaluate            # the demo shop's behaviour
    .venv-actions/bin/python -m bot.recs.evaluate --events my_log.jsonl

Protocol: leave the last purchase out, in time. For every shopper with a purchase and
something before it, the test item is their last purchase and the training data is
every event strictly before it (their own and, for the shared models, everyone's events
before *their own* cut); nothing at or after a shopper's cut is ever read for them.
Every method ranks the whole catalog minus what the shopper already bought, and we
report HR@10 (the test item is in the top 10) and NDCG@10 (1/log2(rank+1) when it is).

Methods: ``popularity`` (recent purchases/carts/views, the cold-start answer),
``item_knn`` (cosine item-item on the event matrix, our co-purchase source), ``als``
(``implicit``'s AlternatingLeastSquares, the classic baseline), ``embedding`` (FAISS over
the product index's MiniLM vectors against a profile vector), ``learned`` (the GRU of
:mod:`bot.recs.learned`) and ``hybrid`` (:class:`bot.recs.ranking.HybridScorer` over all of
them plus the graph and profile fit). The hybrid's weights are chosen on a *validation*
split made the same way one purchase earlier (models retrained on that earlier cut), so
the test purchase never influences them. Business rules that depend on today (stock) and
diversity are left out here: they are the same for every method and not what is measured.
"""

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import numpy as np

from bot import settings
from bot.recs.candidates import (
    CoPurchaseSource,
    EmbeddingSource,
    GraphSource,
    PopularSource,
    RecContext,
    Source,
)
from bot.recs.interactions import InteractionLog
from bot.recs.learned import TrainConfig, train_or_load
from bot.recs.profile import _ts, profile_from_events
from bot.recs.ranking import DEFAULT_WEIGHTS, HybridScorer, normalised

K = 10
METHODS = ("popularity", "item_knn", "als", "embedding", "learned", "hybrid")
RESULTS_FILE = settings.PROJECT_ROOT / "benchmarks" / "results" / "recs_eval.json"
WEIGHT_GRID = (0.0, 0.1, 0.3, 1.0, 3.0)


# ---------------------------------------------------------------- metrics
def hit_rate(ranked: Sequence[Sequence[str]], targets: Sequence[str], k: int = K) -> float:
    """Share of lists whose target is among their first ``k``."""
    if not targets:
        return 0.0
    return sum(1.0 for r, t in zip(ranked, targets) if t in list(r)[:k]) / len(targets)


def ndcg(ranked: Sequence[Sequence[str]], targets: Sequence[str], k: int = K) -> float:
    """Mean of 1/log2(rank+1) (rank from 1) for targets in the first ``k``, 0 otherwise
    (one relevant item per list, so the ideal DCG is 1)."""
    if not targets:
        return 0.0
    total = 0.0
    for r, t in zip(ranked, targets):
        top = list(r)[:k]
        if t in top:
            total += 1.0 / math.log2(top.index(t) + 2)
    return total / len(targets)


# ---------------------------------------------------------------- split
@dataclass
class Case:
    customer: Any
    target: str
    cut: datetime


@dataclass
class Split:
    train: List[Any]
    cases: List[Case]


def leave_last_purchase_out(events: Iterable[Any]) -> Split:
    """Per shopper: the last purchase is the test item, events strictly before it train."""
    by_customer: Dict[Any, List[Any]] = defaultdict(list)
    for e in events:
        by_customer[e.customer_id].append(e)
    train: List[Any] = []
    cases: List[Case] = []
    for customer, seq in by_customer.items():
        seq.sort(key=lambda e: _ts(e.at))
        purchases = [e for e in seq if e.kind == "purchase" and e.product_id]
        if not purchases:
            train.extend(seq)
            continue
        last = purchases[-1]
        before = [e for e in seq if _ts(e.at) < _ts(last.at)]
        train.extend(before)
        if any(e.product_id for e in before):
            cases.append(Case(customer, last.product_id, last.at))
    return Split(train, cases)


# ---------------------------------------------------------------- scoring
class MatrixSource(Source):
    """Precomputed scores, one row per shopper (the batch form of a source)."""

    def __init__(self, name: str, item_ids: Sequence[str], rows: Dict[Any, np.ndarray]):
        super().__init__(item_ids)
        self.name = name
        self.rows = rows

    def scores(self, ctx: RecContext) -> np.ndarray:
        row = self.rows.get(ctx.profile.customer_id)
        return self._zeros() if row is None else np.asarray(row, dtype=np.float64)


@dataclass
class Scores:
    """Per method / feature: (n_cases, n_items) scores, plus each case's owned mask."""

    matrices: Dict[str, np.ndarray] = field(default_factory=dict)
    owned: Optional[np.ndarray] = None
    targets: List[str] = field(default_factory=list)


def _als_scores(log: InteractionLog, customers: Sequence[Any], seed: int = 7) -> Dict[Any, np.ndarray]:
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from implicit.als import AlternatingLeastSquares

    from bot.recs.candidates import _one_blas_thread

    matrix, order = log.user_item_matrix()
    with _one_blas_thread():
        model = AlternatingLeastSquares(factors=48, regularization=0.05, alpha=4.0, iterations=20,
                                        random_state=seed, use_gpu=False)
        model.fit(matrix, show_progress=False)
    row = {c: i for i, c in enumerate(order)}
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    return {c: users[row[c]] @ items.T for c in customers if c in row}


def score_cases(split: Split, catalog: Any, kg: Any, vectors: Optional[np.ndarray],
                learned_config: TrainConfig, progress: bool = True, label: str = "") -> Scores:
    """Every method's scores for every case of ``split`` (models trained on split.train)."""
    log = InteractionLog(split.train, catalog)
    item_ids = log.item_ids
    customers = [c.customer for c in split.cases]
    contexts = []
    own_events: Dict[Any, List[Any]] = defaultdict(list)
    for e in split.train:
        own_events[e.customer_id].append(e)
    for case in split.cases:
        profile = profile_from_events(own_events[case.customer], catalog, case.customer, now=case.cut)
        contexts.append(RecContext(profile=profile, now=case.cut))
    _say(progress, f"{label}scoring {len(split.cases)} shoppers: co-purchase, popularity, graph, embeddings")
    categories_of = {p.id: p.category for p in catalog.products}
    sources: List[Source] = [CoPurchaseSource(log), PopularSource(log, categories_of), GraphSource(kg)]
    if vectors is not None:
        sources.append(EmbeddingSource(item_ids, vectors))
    started = time.perf_counter()
    model = train_or_load(log, learned_config, content=vectors, progress=progress)
    _say(progress, f"{label}learned model ready in {time.perf_counter() - started:.1f} s")
    histories = [[(e.product_id, e.kind) for e in own_events[c]] for c in customers]
    learned = model.score_many(histories) if histories else np.zeros((0, len(item_ids)))
    sources.append(MatrixSource("learned", item_ids, dict(zip(customers, learned))))
    _say(progress, f"{label}fitting ALS (implicit)")
    sources.append(MatrixSource("als", item_ids, _als_scores(log, customers)))

    out = Scores(targets=[c.target for c in split.cases])
    scorer = HybridScorer(catalog.products, sources, weights={})
    names = [s.name for s in sources]
    mats = {n: np.zeros((len(contexts), len(item_ids))) for n in names + ["affinity", "price"]}
    owned = np.zeros((len(contexts), len(item_ids)), dtype=bool)
    index = {pid: i for i, pid in enumerate(item_ids)}
    for r, ctx in enumerate(contexts):
        for s in sources:
            mats[s.name][r] = normalised(s.scores(ctx))
        affinity, price = scorer.profile_fit(ctx)
        mats["affinity"][r], mats["price"][r] = affinity, price
        for pid in ctx.profile.owned_ids:
            owned[r, index[pid]] = True
    # the global popularity baseline: recent popularity, the same for everyone
    mats["popularity"] = np.tile(normalised(log.popularity()), (len(contexts), 1))
    out.matrices, out.owned = mats, owned
    out.item_ids = item_ids  # type: ignore[attr-defined]
    return out


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def top_k(matrix: np.ndarray, owned: np.ndarray, item_ids: Sequence[str], k: int = K) -> List[List[str]]:
    masked = np.where(owned, -np.inf, matrix)
    # stable order: ties keep catalog order
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    return [[item_ids[j] for j in row] for row in order]


HYBRID_FEATURES = ("co_purchase", "learned", "embedding", "graph", "popular", "als", "affinity", "price")


def hybrid_matrix(scores: Scores, weights: Dict[str, float]) -> np.ndarray:
    total = np.zeros_like(scores.matrices["co_purchase"])
    for name, w in weights.items():
        if w and name in scores.matrices:
            total = total + w * scores.matrices[name]
    return total


def tune_weights(scores: Scores, progress: bool = True) -> Dict[str, float]:
    """Coordinate ascent over a small grid, maximising NDCG@10 on the given (validation) cases."""
    item_ids = scores.item_ids  # type: ignore[attr-defined]
    features = [f for f in HYBRID_FEATURES if f in scores.matrices]
    weights = {f: DEFAULT_WEIGHTS.get(f, 0.0) for f in features}

    def value(w: Dict[str, float]) -> float:
        return ndcg(top_k(hybrid_matrix(scores, w), scores.owned, item_ids), scores.targets)

    best = value(weights)
    for _ in range(2):
        for f in features:
            for candidate in WEIGHT_GRID:
                trial = dict(weights, **{f: candidate})
                v = value(trial)
                if v > best + 1e-9:
                    best, weights = v, trial
    _say(progress, f"hybrid weights (validation NDCG@10 {best:.4f}): {weights}")
    return weights


def evaluate(events: Sequence[Any], catalog: Any, kg: Any, vectors: Optional[np.ndarray] = None,
             learned_config: Optional[TrainConfig] = None, progress: bool = True) -> Dict[str, Any]:
    """All methods on the test split, the hybrid's weights from the validation split."""
    learned_config = learned_config or TrainConfig()
    test = leave_last_purchase_out(events)
    validation = leave_last_purchase_out(test.train)
    _say(progress, f"events {len(events)}, test shoppers {len(test.cases)}, "
                   f"validation shoppers {len(validation.cases)}")
    val_scores = score_cases(validation, catalog, kg, vectors, learned_config, progress, "validation: ")
    weights = tune_weights(val_scores, progress)
    scores = score_cases(test, catalog, kg, vectors, learned_config, progress, "test: ")
    item_ids = scores.item_ids  # type: ignore[attr-defined]
    method_matrix = {"popularity": scores.matrices["popularity"], "item_knn": scores.matrices["co_purchase"],
                     "als": scores.matrices["als"], "learned": scores.matrices["learned"],
                     "hybrid": hybrid_matrix(scores, weights)}
    if "embedding" in scores.matrices:
        method_matrix["embedding"] = scores.matrices["embedding"]
    results: Dict[str, Dict[str, float]] = {}
    for method in METHODS:
        if method not in method_matrix:
            continue
        ranked = top_k(method_matrix[method], scores.owned, item_ids)
        results[method] = {"hr@10": round(hit_rate(ranked, scores.targets), 4),
                           "ndcg@10": round(ndcg(ranked, scores.targets), 4)}
    return {"results": results, "weights": weights, "test_shoppers": len(test.cases),
            "validation_shoppers": len(validation.cases), "events": len(events)}


# ---------------------------------------------------------------- data
def demo_events(catalog: Any, seed: int = 7, now: Optional[datetime] = None) -> List[Any]:
    """The demo shop's behaviour log, made exactly as the shop seeds it, in a throwaway
    SQLite database (the demo orders, then ``seed_behaviour``'s 500 shoppers)."""
    import tempfile

    from bot.profiles.demo_behaviour import seed_behaviour
    from bot.profiles.events import load_events
    from bot.shop.db import ShopDatabase
    from bot.shop.seed import seed_demo

    with tempfile.TemporaryDirectory() as tmp:
        db = ShopDatabase(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            seed_demo(db, catalog, now=now, seed=seed)
            seed_behaviour(db, catalog, seed=seed, now=now)
            return list(load_events(db))
        finally:
            db.dispose()


def product_vectors(catalog: Any) -> Optional[np.ndarray]:
    """The retrieval index's product vectors (the same cache the assistant uses)."""
    from bot.catalog import load_faq
    from bot.retrieval.index import KnowledgeIndex

    index = KnowledgeIndex.load_or_build(catalog, load_faq(settings.faq_path()), progress=True)
    vectors = index.product_index.cpu_index.reconstruct_n(0, index.product_index.ntotal)
    order = {p.id: i for i, p in enumerate(index.products)}
    return np.vstack([vectors[order[p.id]] for p in catalog.products])


def write_results(report: Dict[str, Any], path: Path = RESULTS_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report["results"], indent=2) + "\n")
    return path


def table(results: Dict[str, Dict[str, float]]) -> str:
    lines = ["| method | HR@10 | NDCG@10 |", "| --- | ---: | ---: |"]
    for method, r in results.items():
        lines.append(f"| {method} | {r['hr@10']:.4f} | {r['ndcg@10']:.4f} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.recs.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--events", help="a JSON-lines event log (customer_id, kind, product_id, at); "
                                         "default: the demo shop's generated behaviour")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-embeddings", action="store_true", help="skip the MiniLM product vectors")
    parser.add_argument("--out", default=str(RESULTS_FILE))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    from bot.catalog import load_catalog
    from bot.graph.knowledge_graph import KnowledgeGraph
    from bot.models import offline

    offline()
    started = time.perf_counter()
    catalog = load_catalog(settings.catalog_path())
    kg = KnowledgeGraph.from_catalog(catalog)
    if args.events:
        events = read_jsonl(Path(args.events))
    else:
        events = demo_events(catalog, seed=args.seed, now=DEMO_NOW)
    vectors = None if args.no_embeddings else product_vectors(catalog)
    report = evaluate(events, catalog, kg, vectors, TrainConfig(seed=args.seed), progress=not args.quiet)
    path = write_results(report, Path(args.out))
    print(table(report["results"]))
    print(f"\n{report['test_shoppers']} test shoppers, {report['events']} events; hybrid weights "
          f"{report['weights']}; {time.perf_counter() - started:.0f} s; written to {path}")
    return 0


# A fixed "now" for the demo log, so the figures are reproducible day after day.
DEMO_NOW = datetime(2025, 6, 1, 12, 0, 0)


def read_jsonl(path: Path) -> List[Any]:
    """Events from JSON lines with customer_id/customer, kind/event, product_id/product, at/timestamp."""
    from types import SimpleNamespace

    out = []
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            at = datetime.fromisoformat(str(row.get("at") or row.get("timestamp")).replace("Z", "+00:00"))
            out.append(SimpleNamespace(customer_id=row.get("customer_id", row.get("customer")),
                                       kind=row.get("kind", row.get("event")),
                                       product_id=row.get("product_id", row.get("product")), at=at,
                                       rating=row.get("rating")))
        except (ValueError, TypeError, AttributeError) as error:
            print(f"{path}:{line_no}: skipped ({error})", file=sys.stderr)
    return out


if __name__ == "__main__":
    sys.exit(main())
