#!/usr/bin/env bash
# Talk to the assistant in the terminal (`rasa shell`). Starts its own action
# server unless one already answers on SHOPBOT_ACTIONS_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
source scripts/env.sh
cd "$ROOT"
bash scripts/train.sh
mkdir -p var
ACTIONS_PID=""
if ! curl -fs "http://localhost:$SHOPBOT_ACTIONS_PORT/health" >/dev/null 2>&1; then
    "${ACTION_SERVER[@]}" --port "$SHOPBOT_ACTIONS_PORT" >var/actions-shell.log 2>&1 &
    ACTIONS_PID=$!
    trap '[ -n "$ACTIONS_PID" ] && kill $ACTIONS_PID 2>/dev/null' EXIT
fi
ENDPOINTS=$(mktemp --suffix=.yml)
sed "s#http://localhost:5055/webhook#http://localhost:$SHOPBOT_ACTIONS_PORT/webhook#" endpoints.yml > "$ENDPOINTS"
"$RASA" shell --model models/shopbot.tar.gz --endpoints "$ENDPOINTS" "$@"
