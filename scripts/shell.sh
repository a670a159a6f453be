#!/usr/bin/env bash
# Talk to the assistant in the terminal (`rasa shell`). Starts its own action
# server unless one already answers on SHOPBOT_ACTIONS_PORT (run.sh's: the same
# shared secret from var/secrets). rasa shell's own little server listens on
# 127.0.0.1:SHOPBOT_SHELL_PORT (default 5006), so it runs next to run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
source scripts/env.sh
cd "$ROOT"
bash scripts/train.sh
mkdir -p var
ACTIONS_AT="127.0.0.1:$SHOPBOT_ACTIONS_PORT"
ACTIONS_PID=""
ENDPOINTS=$(mktemp --suffix=.yml)
cleanup() { [ -n "$ACTIONS_PID" ] && kill "$ACTIONS_PID" 2>/dev/null; rm -f "$ENDPOINTS"; }
trap cleanup EXIT
if ! curl -fs "http://$ACTIONS_AT/health" >/dev/null 2>&1; then
    "${ACTION_SERVER[@]}" --host 127.0.0.1 --port "$SHOPBOT_ACTIONS_PORT" >var/actions-shell.log 2>&1 &
    ACTIONS_PID=$!
    echo "[shell] warming up the action server (log: var/actions-shell.log)..."
    for _ in $(seq 1 300); do
        curl -fs "http://$ACTIONS_AT/ready" >/dev/null 2>&1 && break
        kill -0 "$ACTIONS_PID" 2>/dev/null || { echo "[shell] error: the action server exited (var/actions-shell.log)" >&2; exit 1; }
        sleep 1
    done
fi
"$ROOT/.venv/bin/python" -m bot.serving.modelcheck models/shopbot.tar.gz || exit 1
sed "s#http://127.0.0.1:5055/webhook#http://$ACTIONS_AT/webhook#" endpoints.yml > "$ENDPOINTS"
"$RASA" shell --model models/shopbot.tar.gz --endpoints "$ENDPOINTS" \
    -i 127.0.0.1 --port "${SHOPBOT_SHELL_PORT:-5006}" "$@"
