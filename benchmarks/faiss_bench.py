"""FAISS vs NumPy brute force: query latency, throughput, build time and recall.

Why this exists: the knowledge index uses exact ``IndexFlatIP`` search. This
benchmark shows what that costs as the number of vectors grows, against
NumPy brute force (one matrix product + ``argpartition``, the no-library baseline)
and an approximate index, so the choice is made on numbers.

Data: seeded synthetic clustered vectors (d=384, MiniLM's size; 1,000 Gaussian
clusters whose centres lie in a 32-dimensional subspace), L2-normalized float32; queries are 1,000 fresh points from the same
mixture, never in the index. Per size N (10k, 100k, 1M by default) and method:

- build time (add; for IVF also k-means training),
- single-query latency p50/p95 (k=10, one query per call),
- throughput for one batch of 1,000 queries (queries/s),
- recall@10 against exact search (exact methods are 1.0 up to float ties).

The approximate index is ``IndexIVFFlat`` (nlist = 4·sqrt(N), trained on a sample
of 39·nlist vectors, nprobe = the smallest power of two reaching recall@10 >= 0.95).
IVF rather than HNSW because on 2 cores an HNSW build at 1M x 384 (M=32) takes
many minutes, while IVF trains and adds in a fraction of that.
GPU rows (``index_cpu_to_gpu``) are added when ``faiss.get_num_gpus() > 0``.

    nice .venv-actions/bin/python benchmarks/faiss_bench.py               # 10k, 100k, 1M
    nice .venv-actions/bin/python benchmarks/faiss_bench.py --sizes 10000 # quick

Writes benchmarks/results/faiss_bench.json and prints a markdown table.
"""

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "faiss_bench.json"
D = 384
K = 10
N_CLUSTERS = 1000
LATENT_DIM = 32
TARGET_RECALL = 0.95


def clustered(n: int, centers: np.ndarray, rng: np.random.Generator, spread: float = 1.0,
              chunk: int = 100_000) -> np.ndarray:
    """``n`` normalized points around random ``centers`` (built in chunks to bound memory)."""
    out = np.empty((n, centers.shape[1]), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        labels = rng.integers(0, len(centers), size=m)
        block = centers[labels] + spread * rng.standard_normal((m, centers.shape[1]), dtype=np.float32) / math.sqrt(centers.shape[1])
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:start + m] = block
    return out


def numpy_search(base: np.ndarray, queries: np.ndarray, k: int, chunk: int = 100) -> Tuple[np.ndarray, np.ndarray]:
    """Exact top-k by inner product: matrix product, argpartition, sort the k."""
    all_scores, all_ids = [], []
    for start in range(0, len(queries), chunk):
        sims = queries[start:start + chunk] @ base.T
        ids = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(sims, ids, axis=1)
        order = np.argsort(-top, axis=1)
        all_ids.append(np.take_along_axis(ids, order, axis=1))
        all_scores.append(np.take_along_axis(top, order, axis=1))
    return np.vstack(all_scores), np.vstack(all_ids)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f[f >= 0]) & set(t)) for f, t in zip(found, truth))
    return hits / truth.size


def timed_queries(search: Callable[[np.ndarray], Any], queries: np.ndarray, n_single: int) -> Dict[str, float]:
    """p50/p95 of single-query calls, and queries/s for the whole batch in one call."""
    search(queries[:1])  # warm-up
    latencies = []
    for i in range(n_single):
        started = time.perf_counter()
        search(queries[i:i + 1])
        latencies.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    search(queries)
    batch_s = time.perf_counter() - started
    return {"p50_ms": float(np.percentile(latencies, 50)), "p95_ms": float(np.percentile(latencies, 95)),
            "batch_qps": len(queries) / batch_s, "single_queries": n_single}


def bench_size(n: int, args: argparse.Namespace, faiss: Any) -> List[Dict[str, Any]]:
    rng = np.random.default_rng(args.seed)
    # Cluster centres share a low-dimensional subspace (sentence embeddings are anisotropic),
    # so clusters sit close together instead of being orthogonal and trivially separable.
    latent = rng.standard_normal((N_CLUSTERS, LATENT_DIM), dtype=np.float32)
    centers = latent @ rng.standard_normal((LATENT_DIM, D), dtype=np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    started = time.perf_counter()
    base = clustered(n, centers, rng)
    queries = clustered(args.queries, centers, rng)
    print(f"[N={n:,}] data generated in {time.perf_counter() - started:.1f} s", flush=True)
    n_single = args.single if n < 1_000_000 else max(20, args.single // 4)
    rows: List[Dict[str, Any]] = []

    def row(method: str, build_s: float, timing: Dict[str, float], recall: float, **params: Any) -> None:
        rows.append({"n": n, "method": method, "build_s": build_s, **timing, "recall_at_10": recall,
                     "params": params})
        print(f"[N={n:,}] {method}: build {build_s:.2f} s, p50 {timing['p50_ms']:.3f} ms, "
              f"p95 {timing['p95_ms']:.3f} ms, {timing['batch_qps']:,.0f} q/s, recall@10 {recall:.3f}", flush=True)

    # NumPy brute force: "build" is nothing (the matrix is the index).
    _, truth_np = numpy_search(base, queries, K)
    timing = timed_queries(lambda q: numpy_search(base, q, K), queries, n_single)
    row("numpy brute force", 0.0, timing, 1.0)

    # FAISS exact.
    started = time.perf_counter()
    flat = faiss.IndexFlatIP(D)
    flat.add(base)
    build = time.perf_counter() - started
    _, truth = flat.search(queries, K)
    timing = timed_queries(lambda q: flat.search(q, K), queries, n_single)
    row("faiss IndexFlatIP (exact)", build, timing, recall_at_k(truth_np, truth))
    rows[-2]["recall_at_10"] = recall_at_k(truth_np, truth)  # numpy vs faiss: ties only

    if faiss.get_num_gpus() > 0:
        res = faiss.StandardGpuResources()
        started = time.perf_counter()
        gpu_flat = faiss.index_cpu_to_gpu(res, 0, flat)
        build = time.perf_counter() - started
        timing = timed_queries(lambda q: gpu_flat.search(q, K), queries, n_single)
        _, found = gpu_flat.search(queries, K)
        row("faiss GpuIndexFlatIP (exact)", build, timing, recall_at_k(found, truth))
        del gpu_flat
    del flat

    # FAISS IVF (approximate).
    nlist = max(16, int(round(4 * math.sqrt(n))))
    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(D)
    ivf = faiss.IndexIVFFlat(quantizer, D, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = min(n, 39 * nlist)
    train_ids = rng.choice(n, size=sample, replace=False) if sample < n else np.arange(n)
    ivf.cp.max_points_per_centroid = 39  # we pass exactly the sample; no second subsampling
    ivf.cp.min_points_per_centroid = min(39, sample // nlist)  # small N: no warning, by design
    ivf.train(base[np.sort(train_ids)])
    ivf.add(base)
    build = time.perf_counter() - started
    chosen, recall = None, 0.0
    tried = {}
    nprobe = 1
    while nprobe <= nlist:
        ivf.nprobe = nprobe
        _, found = ivf.search(queries, K)
        recall = recall_at_k(found, truth)
        tried[nprobe] = round(recall, 4)
        if recall >= TARGET_RECALL:
            chosen = nprobe
            break
        nprobe *= 2
    ivf.nprobe = chosen or nlist
    timing = timed_queries(lambda q: ivf.search(q, K), queries, n_single)
    row("faiss IndexIVFFlat", build, timing, recall, nlist=nlist, nprobe=ivf.nprobe,
        train_sample=int(sample), recall_by_nprobe=tried)
    del ivf, quantizer, base
    return rows


def markdown(rows: List[Dict[str, Any]]) -> str:
    lines = ["| N | method | build (s) | p50 (ms) | p95 (ms) | batch of 1000 (q/s) | recall@10 | params |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items() if k != "recall_by_nprobe")
        lines.append(f"| {r['n']:,} | {r['method']} | {r['build_s']:.2f} | {r['p50_ms']:.3f} | "
                     f"{r['p95_ms']:.3f} | {r['batch_qps']:,.0f} | {r['recall_at_10']:.3f} | {params} |")
    return "\n".join(lines)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=1000, help="batch size (and query pool)")
    parser.add_argument("--single", type=int, default=200, help="single-query calls timed (quarter at 1M)")
    parser.add_argument("--threads", type=int, default=2, help="faiss OpenMP / BLAS threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    import faiss

    faiss.omp_set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:  # pragma: no cover
        pass
    gpus = faiss.get_num_gpus()
    started = time.perf_counter()
    rows: List[Dict[str, Any]] = []
    for n in args.sizes:
        rows.extend(bench_size(n, args, faiss))
    total = time.perf_counter() - started
    note = None if gpus else "faiss.get_num_gpus() == 0 on this machine: GPU rows skipped"
    result = {
        "command": " ".join(["benchmarks/faiss_bench.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%d"), "dimension": D, "k": K, "clusters": N_CLUSTERS,
        "queries": args.queries, "threads": args.threads, "seed": args.seed,
        "faiss": faiss.__version__, "numpy": np.__version__, "gpus": gpus, "note": note,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "total_s": total, "rows": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    print()
    print(markdown(rows))
    if note:
        print(f"\n{note}")
    print(f"\nTotal {total:.0f} s; results in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
