#!/usr/bin/env bash
# Runs the benchmarks (see BENCHMARKS.md), each against its baseline in the same run:
#   nlu    ours vs Rasa's stock DIET, sentiment vs VADER       (.venv, ~10 min)
#   faq    FAQ retrieval: MiniLM + FAISS vs BM25 and TF-IDF     (.venv-actions, ~1 min)
#   faiss  FAISS flat / approximate vs NumPy at 10k-1M vectors  (.venv-actions, ~8 min)
#   graph  knowledge-graph queries, demo and 100k catalogs      (.venv-actions, ~2 min)
#   recs   recommenders: popularity, item-kNN, ALS, embedding, learned, hybrid (.venv-actions, ~5 min)
#   load   N shoppers over REST + socket.io vs a rasa init bot  (.venv, starts its servers; ~1 h)
# Usage: bash scripts/bench.sh [nlu|faq|faiss|graph|recs|load ...]   (default: all but load)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
source scripts/env.sh
cd "$ROOT"
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(nlu faq faiss graph recs)
for name in "${which[@]}"; do
    echo "== benchmark: $name =="
    case "$name" in
        nlu) .venv/bin/python benchmarks/nlu_eval.py ;;
        faq) .venv-actions/bin/python benchmarks/faq_eval.py ;;
        faiss) .venv-actions/bin/python benchmarks/faiss_bench.py ;;
        graph) .venv-actions/bin/python benchmarks/graph_bench.py ;;
        recs) .venv-actions/bin/python -m bot.recs.evaluate ;;
        load) .venv/bin/python benchmarks/load.py ;;
        *) echo "unknown benchmark: $name (nlu, faq, faiss, graph, recs, load)" >&2; exit 2 ;;
    esac
done
