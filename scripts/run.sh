#!/usr/bin/env bash
# Sets up, trains if needed, then runs the action server and the Rasa server
# (REST + socket.io channels). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
cd "$ROOT"

port_free() {  # port_free PORT -> 0 when nothing listens on 127.0.0.1:PORT
    "$ROOT/.venv/bin/python" - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("0.0.0.0", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}
for spec in "Rasa server:$SHOPBOT_RASA_PORT:SHOPBOT_RASA_PORT" "action server:$SHOPBOT_ACTIONS_PORT:SHOPBOT_ACTIONS_PORT"; do
    IFS=: read -r what port var <<<"$spec"
    if ! port_free "$port"; then
        echo "[run] error: port $port (for the $what) is already in use." >&2
        echo "[run] Stop whatever uses it, or choose another port: $var=NNNN bash scripts/run.sh" >&2
        exit 1
    fi
done

bash scripts/train.sh
mkdir -p var
# The shop database (demo customers and orders on first run) and the retrieval index
# over the FAQ and catalog (cached; rebuilt only when the knowledge files change).
"$ROOT/.venv-actions/bin/python" -m bot.shop.seed
"$ROOT/.venv-actions/bin/python" -m bot.retrieval.build

ENDPOINTS=$(mktemp --suffix=.yml)
sed "s#http://localhost:5055/webhook#http://localhost:$SHOPBOT_ACTIONS_PORT/webhook#" endpoints.yml > "$ENDPOINTS"

PIDS=()
cleanup() {
    trap - INT TERM EXIT
    echo; echo "[run] stopping..."
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$ENDPOINTS"
    echo "[run] stopped"
}
trap cleanup INT TERM EXIT

"${ACTION_SERVER[@]}" --port "$SHOPBOT_ACTIONS_PORT" &
PIDS+=($!)
"$RASA" run --model models/shopbot.tar.gz --enable-api --cors "*" \
    --credentials credentials.yml --endpoints "$ENDPOINTS" --port "$SHOPBOT_RASA_PORT" &
PIDS+=($!)

# Wait until the Rasa server answers, then say where to connect.
for _ in $(seq 1 180); do
    if curl -fs "http://localhost:$SHOPBOT_RASA_PORT/status" >/dev/null 2>&1; then break; fi
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "[run] error: a server exited during start-up (see above)" >&2; exit 1; }
    done
    sleep 1
done
cat <<MSG

[run] The shop assistant is up.
      Demo shop with the chat widget: http://localhost:$SHOPBOT_RASA_PORT/shop/
      Staff console:  http://localhost:$SHOPBOT_RASA_PORT/staff/   (first admin: .venv/bin/python -m bot.web.cli create-admin --email you@shop.example)
      REST:      curl -s localhost:$SHOPBOT_RASA_PORT/webhooks/rest/webhook -d '{"sender": "me", "message": "hi"}'
      socket.io: http://localhost:$SHOPBOT_RASA_PORT/socket.io  (events user_uttered / bot_uttered)
      Parse API: curl -s localhost:$SHOPBOT_RASA_PORT/model/parse -d '{"text": "where is my order"}'
      Shell:     bash scripts/shell.sh   (in another terminal; talks to the same action server)
      Actions:   http://localhost:$SHOPBOT_ACTIONS_PORT/health
      Press Ctrl-C to stop.
MSG
wait -n "${PIDS[@]}" || true
echo "[run] a server stopped unexpectedly" >&2
exit 1
