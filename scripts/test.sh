#!/usr/bin/env bash
# Sets up both environments and runs the whole test suite:
#   tests/actions and tests/bot (the action server's code: knowledge graph, retrieval,
#   shop database, dialogue logic) in .venv-actions; everything else in .venv (Rasa).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/setup_browser.sh || exit 1
source scripts/env.sh
cd "$ROOT"
mkdir -p test-artifacts
rc=0
echo "== action server environment =="
.venv-actions/bin/python -m pytest tests/actions tests/bot -p no:cacheprovider \
    --junitxml=test-artifacts/actions.xml "$@" || rc=1
echo "== Rasa environment =="
.venv/bin/python -m pytest tests --ignore=tests/actions --ignore=tests/bot -p no:cacheprovider \
    -W ignore::DeprecationWarning --durations=10 \
    --junitxml=test-artifacts/rasa.xml "$@" || rc=1
.venv/bin/python - <<'PY'
import xml.etree.ElementTree as ET
t = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for name in ("actions", "rasa"):
    try:
        root = ET.parse(f"test-artifacts/{name}.xml").getroot()
    except (OSError, ET.ParseError):
        continue
    for suite in root.iter("testsuite"):
        for k in t:
            t[k] += int(suite.get(k, 0))
failed = t["failures"] + t["errors"]
passed = t["tests"] - failed - t["skipped"]
print(f"all: {passed} passed, {failed} failed, {t['skipped']} skipped")
PY
exit $rc
