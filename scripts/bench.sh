#!/usr/bin/env bash
# Runs the NLU benchmark (ours vs Rasa's stock DIET, sentiment vs VADER) on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
source scripts/env.sh
cd "$ROOT"
.venv/bin/python benchmarks/nlu_eval.py "$@"
