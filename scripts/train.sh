#!/usr/bin/env bash
# Trains the assistant when its training data, config, domain or NLU code changed
# since the last model (or when asked with --force). The model is models/shopbot.tar.gz.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
FORCE=0; [ "${1:-}" = "--force" ] && FORCE=1
fingerprint() {
    { find config.yml domain.yml nlu_data bot/nlu -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.csv' -o -name '*.py' \) | LC_ALL=C sort | xargs sha256sum; sha256sum requirements/rasa.lock; } | sha256sum | cut -c1-32
}
FP=$(fingerprint)
if [ $FORCE = 0 ] && [ -f models/shopbot.tar.gz ] && [ "$(cat models/shopbot.fingerprint 2>/dev/null)" = "$FP" ]; then
    echo "[train] the model is up to date with the training data (models/shopbot.tar.gz)"
    exit 0
fi
echo "[train] training data or config changed: training models/shopbot.tar.gz (a few minutes on a CPU)"
mkdir -p models
"$RASA" train --data nlu_data --config config.yml --domain domain.yml --out models --fixed-model-name shopbot
echo "$FP" > models/shopbot.fingerprint
