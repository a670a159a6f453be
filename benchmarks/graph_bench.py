"""Latency of the knowledge graph's queries and the mention linker, small and large.

Runs every query type (product, accessories, compatible, compare of 3, find with
category + price + threshold, for_owned, related, linking typical messages) on the
bundled demo catalog and on a seeded synthetic 100k-product catalog
(:mod:`bot.graph.synthetic`), reporting p50/p95 in milliseconds, plus the graph and
linker build times. ``find`` is set against a naive baseline measured in the same run:
a linear scan over every product's dict with the same conditions, the same sort and
limit (results checked equal), so the speed-up is a ratio on this machine.

    cd /work/main && source scripts/env.sh && nice .venv-actions/bin/python benchmarks/graph_bench.py

Writes benchmarks/results/graph_bench.json and prints a markdown table.
"""

import argparse
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.graph.knowledge_graph import KnowledgeGraph  # noqa: E402
from bot.graph.linking import MentionLinker  # noqa: E402
from bot.graph.synthetic import synthetic_catalog  # noqa: E402

MESSAGES = [
    "Do you have a case for my galxy s24?",
    "compare the Pixel 8 and the Galaxy S24",
    "I want a waterproof watch with a long battery under $300",
    "where is my order ORD-123456? it is late",
    "in any case I need a refund for the headphones",
    "which lenses fit my camera",
    "is the forerunner waterproof",
    "hi",
]


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q * (len(ordered) - 1)))))
    return ordered[k]


def timed(fn: Callable[[Any], Any], inputs: List[Any], repeat: int) -> Dict[str, float]:
    """p50/p95 ms of fn over ``repeat`` calls cycling through ``inputs`` (after a warm-up)."""
    for arg in inputs[:3]:
        fn(arg)
    samples = []
    for i in range(repeat):
        arg = inputs[i % len(inputs)]
        start = time.perf_counter()
        fn(arg)
        samples.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(samples), 4), "p95_ms": round(percentile(samples, 0.95), 4),
            "runs": repeat}


def naive_find(rows: List[Dict[str, Any]], category: str, max_price: float, key: str,
               threshold: float, limit: int) -> List[str]:
    """The baseline: look at every product's dict."""
    hits = [r for r in rows if r["category"] == category and r["price"] <= max_price
            and isinstance(r["attributes"].get(key), (int, float))
            and r["attributes"][key] >= threshold]
    hits.sort(key=lambda r: (-r["rating"], -r["reviews"], r["_order"]))
    return [r["id"] for r in hits[:limit]]


def find_queries(catalog, kg, rng: random.Random, n: int):
    """Category + max price + numeric threshold, on keys the category's products have."""
    numeric = [k for k, s in catalog.attributes.items() if s.type == "number"]
    by_category: Dict[str, List[Any]] = {}
    for product in catalog.products:
        by_category.setdefault(product.category, []).append(product)
    queries = []
    categories = [c for c in by_category if any(k in p.attributes for p in by_category[c] for k in numeric)]
    while len(queries) < n:
        cid = rng.choice(categories)
        products = by_category[cid]
        keys = [k for k in numeric if any(k in p.attributes for p in products)]
        key = rng.choice(keys)
        values = sorted(p.attributes[key] for p in products if key in p.attributes)
        prices = sorted(p.price for p in products)
        queries.append((cid, prices[int(len(prices) * rng.uniform(0.3, 0.9))], key,
                        values[int(len(values) * rng.uniform(0.2, 0.8))]))
    return queries


def bench_catalog(name: str, catalog, repeat: int, naive_repeat: int, link: bool, seed: int = 1):
    rng = random.Random(seed)
    result: Dict[str, Any] = {"catalog": name, "products": len(catalog.products)}
    start = time.perf_counter()
    kg = KnowledgeGraph.from_catalog(catalog)
    result["graph_build_s"] = round(time.perf_counter() - start, 3)
    result["nodes"] = kg.graph.number_of_nodes()
    result["edges"] = kg.graph.number_of_edges()
    linker = None
    if link:
        start = time.perf_counter()
        linker = MentionLinker(kg)
        result["linker_build_s"] = round(time.perf_counter() - start, 3)

    products = catalog.products
    pids = [rng.choice(products).id for _ in range(200)]
    targets = sorted({t for p in products for t in p.relations.get("accessory_of", [])})
    targets = [rng.choice(targets) for _ in range(200)]
    by_category: Dict[str, List[str]] = {}
    for product in products:
        by_category.setdefault(product.category, []).append(product.id)
    groups = [c for c in by_category.values() if len(c) >= 3]
    triples = [rng.sample(rng.choice(groups), 3) for _ in range(100)]
    relations = ["successor_of", "similar_to", "frequently_bought_with", "predecessor_of"]
    accessory_categories = sorted({p.category for p in products if p.relations.get("accessory_of")})
    owned = [[rng.choice(targets), rng.choice(targets)] for _ in range(100)]
    owned_cat = [(o, rng.choice(accessory_categories) if i % 2 else None) for i, o in enumerate(owned)]

    q: Dict[str, Any] = {}
    q["product"] = timed(kg.product, pids, repeat)
    q["accessories"] = timed(kg.accessories, targets, repeat)
    q["compatible"] = timed(kg.compatible, targets, repeat)
    q["compare_3"] = timed(kg.compare, triples, repeat)
    q["for_owned"] = timed(lambda oc: kg.for_owned(oc[0], category=oc[1]), owned_cat, repeat)
    q["related"] = timed(lambda i: kg.related(pids[i % len(pids)], relations[i % len(relations)]),
                         list(range(200)), repeat)

    queries = find_queries(catalog, kg, rng, 50)
    rows = []
    for index, product in enumerate(products):
        row = product.to_dict()
        row["_order"] = index
        rows.append(row)
    mismatches = 0
    for cid, max_price, key, threshold in queries:
        got = [p.id for p in kg.find(category=cid, max_price=max_price,
                                     where={key: (">=", threshold)}, limit=10)]
        if got != naive_find(rows, cid, max_price, key, threshold, 10):
            mismatches += 1
    q["find"] = timed(lambda a: kg.find(category=a[0], max_price=a[1], where={a[2]: (">=", a[3])},
                                        limit=10), queries, repeat)
    q["find_naive_scan"] = timed(lambda a: naive_find(rows, *a, 10), queries, naive_repeat)
    q["find_naive_scan"]["results_equal"] = mismatches == 0
    result["find_speedup_p50"] = round(q["find_naive_scan"]["p50_ms"] / max(q["find"]["p50_ms"], 1e-6), 1)
    if linker is not None:
        q["link_message"] = timed(linker.products_in, MESSAGES, repeat)
    result["queries"] = q
    return result


def markdown(results: List[Dict[str, Any]]) -> str:
    names = [r["catalog"] for r in results]
    lines = ["| query | " + " | ".join(f"{n} p50 ms | {n} p95 ms" for n in names) + " |",
             "| --- |" + " --- | --- |" * len(names)]
    keys = list(results[0]["queries"])
    for r in results[1:]:
        keys += [k for k in r["queries"] if k not in keys]
    for key in keys:
        cells = []
        for r in results:
            stats = r["queries"].get(key)
            cells += [f"{stats['p50_ms']:.3f}", f"{stats['p95_ms']:.3f}"] if stats else ["-", "-"]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| catalog | products | nodes | edges | graph build s | linker build s | find speed-up vs scan (p50) |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        lines.append(f"| {r['catalog']} | {r['products']:,} | {r['nodes']:,} | {r['edges']:,} | "
                     f"{r['graph_build_s']} | {r.get('linker_build_s', '-')} | {r['find_speedup_p50']}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000, help="synthetic catalog size")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "graph_bench.json")
    args = parser.parse_args()

    from bot import settings
    from bot.catalog import load_catalog

    started = time.perf_counter()
    demo = load_catalog(settings.BUNDLED_KNOWLEDGE_DIR / settings.CATALOG_FILE)
    results = [bench_catalog("demo", demo, args.repeat, args.repeat, link=True)]
    start = time.perf_counter()
    big = synthetic_catalog(args.products, seed=7)
    generated = round(time.perf_counter() - start, 3)
    results.append(bench_catalog(f"synthetic {args.products // 1000}k", big, args.repeat,
                                 max(20, args.repeat // 10), link=True))
    results[1]["generate_s"] = generated

    report = {
        "benchmark": "graph_bench",
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "networkx": __import__("networkx").__version__,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
        "command": "nice .venv-actions/bin/python benchmarks/graph_bench.py",
        "results": results,
        "runtime_s": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(results))
    print(f"\nwrote {args.out.relative_to(ROOT)} in {report['runtime_s']} s")


if __name__ == "__main__":
    main()
