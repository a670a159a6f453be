#!/usr/bin/env bash
# Sets up, trains if needed, then runs the action server and the Rasa server
# (REST + socket.io channels), and says "up" once both are warm. Ctrl-C stops everything.
#
# Locked down by default: both servers listen on 127.0.0.1 (SHOPBOT_HOST=0.0.0.0 exposes
# the Rasa server; SHOPBOT_ACTIONS_HOST the action server), Rasa's HTTP API needs the
# token in var/secrets/rasa_api (or SHOPBOT_RASA_API_TOKEN), the action server takes only
# calls carrying SHOPBOT_ACTIONS_SECRET, and browsers on other sites get no CORS unless
# listed in SHOPBOT_ALLOWED_ORIGINS. SHOPBOT_MODEL=path serves that model without training.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
cd "$ROOT"
# The demo shop's "Sign in as" picker (bot/web/demo.py) mints identity tokens for the
# demo customers; a shop serving real customers sets SHOPBOT_DEMO=0.
export SHOPBOT_DEMO=${SHOPBOT_DEMO:-1}

connect_host() {  # the address a local client uses for a server bound to $1
    case "$1" in 0.0.0.0|"") echo 127.0.0.1 ;; "::") echo "::1" ;; *) echo "$1" ;; esac
}
port_free() {  # port_free HOST PORT -> 0 when a server could listen on HOST:PORT now
    # SO_REUSEADDR as the servers themselves bind: a port still in TIME_WAIT after
    # Ctrl-C is free for them, and only a listening socket counts as taken.
    "$ROOT/.venv/bin/python" - "$1" "$2" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((host, port))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}
for spec in "Rasa server|$SHOPBOT_HOST|$SHOPBOT_RASA_PORT|SHOPBOT_RASA_PORT" \
            "action server|$SHOPBOT_ACTIONS_HOST|$SHOPBOT_ACTIONS_PORT|SHOPBOT_ACTIONS_PORT"; do
    IFS='|' read -r what host port var <<<"$spec"
    if ! port_free "$host" "$port"; then
        echo "[run] error: port $port (for the $what on $host) is already in use." >&2
        echo "[run] Stop whatever uses it, or choose another port: $var=NNNN bash scripts/run.sh" >&2
        exit 1
    fi
done

if [ -n "${SHOPBOT_MODEL:-}" ]; then
    MODEL=$SHOPBOT_MODEL
    echo "[run] serving SHOPBOT_MODEL=$MODEL (no training)"
else
    MODEL=models/shopbot.tar.gz
    bash scripts/train.sh
fi
# A missing, truncated or foreign model: one clear paragraph and the fix, not a trace.
"$ROOT/.venv/bin/python" -m bot.serving.modelcheck "$MODEL" || exit 1

mkdir -p var
# The shop database (demo customers and orders on first run) and the retrieval index
# over the FAQ and catalog (cached; rebuilt only when the knowledge files change).
"$ROOT/.venv-actions/bin/python" -m bot.shop.seed
"$ROOT/.venv-actions/bin/python" -m bot.retrieval.build
# The generator that words replies (on unless SHOPBOT_GENERATION=off): its model converted
# for the runtime once, with progress, here rather than unseen in the action server's
# warm-up; seconds when cached. A failure is not fatal: replies keep their templates.
case "$(echo "${SHOPBOT_GENERATION:-on}" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')" in
    off|0|false|no) echo "[run] generation off (SHOPBOT_GENERATION): replies are sent as written" ;;
    *) "$ROOT/.venv-actions/bin/python" -m bot.generation convert \
        || echo "[run] warning: the generator could not be prepared (above); replies are sent as written" >&2 ;;
esac

RASA_AT="$(connect_host "$SHOPBOT_HOST"):$SHOPBOT_RASA_PORT"
ACTIONS_AT="$(connect_host "$SHOPBOT_ACTIONS_HOST"):$SHOPBOT_ACTIONS_PORT"
case "$ACTIONS_AT" in *:*:*) ACTIONS_AT="[${ACTIONS_AT%:*}]:$SHOPBOT_ACTIONS_PORT" ;; esac
case "$RASA_AT" in *:*:*) RASA_AT="[${RASA_AT%:*}]:$SHOPBOT_RASA_PORT" ;; esac

# endpoints.yml with this run's action server address; Rasa fills in the secret of
# its `headers` (${SHOPBOT_ACTIONS_SECRET}) from the environment itself.
ENDPOINTS=$(mktemp --suffix=.yml)
sed "s#http://127.0.0.1:5055/webhook#http://$ACTIONS_AT/webhook#" endpoints.yml > "$ENDPOINTS"

# CORS only for the listed origins (comma-separated); none = same origin only.
CORS=()
IFS=',' read -r -a _origins <<<"${SHOPBOT_ALLOWED_ORIGINS:-}"
for origin in "${_origins[@]}"; do
    origin=$(echo "$origin" | tr -d '[:space:]')
    [ -n "$origin" ] && CORS+=("$origin")
done
[ ${#CORS[@]} -gt 0 ] && CORS=(--cors "${CORS[@]}")

PIDS=()        # the servers: run.sh ends when one of them stops
BACKGROUND=()  # one-off jobs (the sentiment model), stopped with the servers
cleanup() {
    trap - INT TERM EXIT
    echo; echo "[run] stopping..."
    for pid in "${PIDS[@]}" ${BACKGROUND[@]+"${BACKGROUND[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$ENDPOINTS"
    echo "[run] stopped"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

"${ACTION_SERVER[@]}" --host "$SHOPBOT_ACTIONS_HOST" --port "$SHOPBOT_ACTIONS_PORT" &
PIDS+=($!)
# = rasa run ... --auth-token "$SHOPBOT_RASA_API_TOKEN", without the token in `ps`
"${RASA_RUN[@]}" --model "$MODEL" --enable-api ${CORS[@]+"${CORS[@]}"} \
    -i "$SHOPBOT_HOST" --port "$SHOPBOT_RASA_PORT" \
    --credentials credentials.yml --endpoints "$ENDPOINTS" &
PIDS+=($!)

# "Up" only when a shopper is answered at full speed: the model is loaded and the
# action server has warmed its encoder, index, graph and database.
http_code() {  # http_code URL -> the status code (000 when nothing answers); URL via stdin, not argv
    printf 'url = "%s"\n' "$1" | curl -s -o /dev/null -w '%{http_code}' --max-time 5 -K - 2>/dev/null || true
}
echo "[run] waiting for the model to load and the action server to warm up..."
up=0
for _ in $(seq 1 900); do
    code=$(http_code "http://$RASA_AT/web/api/ready")
    if [ "$code" = 200 ]; then up=1; break; fi
    if [ "$code" = 404 ]; then  # a web app without the readiness route: ask both servers
        if [ "$(http_code "http://$RASA_AT/status?token=$SHOPBOT_RASA_API_TOKEN")" = 200 ] \
            && [ "$(http_code "http://$ACTIONS_AT/ready")" = 200 ]; then up=1; break; fi
    fi
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "[run] error: a server exited during start-up (see above)" >&2; exit 1; }
    done
    sleep 1
done
if [ $up = 0 ]; then
    echo "[run] error: not ready after 15 minutes; what is missing: $(printf 'url = "%s"\n' "http://$RASA_AT/web/api/ready" | curl -s -K - || true)" >&2
    exit 1
fi
if [ -n "$SHOPBOT_RASA_API_TOKEN_FILE" ]; then
    TOKEN_AT="the token is in $SHOPBOT_RASA_API_TOKEN_FILE (mode 600)"
    TOKEN_CMD="\$(cat $SHOPBOT_RASA_API_TOKEN_FILE)"
else
    TOKEN_AT="the token is \$SHOPBOT_RASA_API_TOKEN"
    TOKEN_CMD="\$SHOPBOT_RASA_API_TOKEN"
fi
# Review texts count toward profiles once the shop's sentiment model is trained (once, then
# cached in var/models; about 7 CPU-minutes): in the background, at low priority, so the
# assistant answers meanwhile (profiles take the review aspects in as soon as it exists).
mkdir -p var/logs
nice -n 10 "$ROOT/.venv-actions/bin/python" -m bot.profiles train-sentiment > var/logs/sentiment.log 2>&1 &
BACKGROUND+=($!)
cat <<MSG

[run] The shop assistant is up (listening on $SHOPBOT_HOST; the action server on $SHOPBOT_ACTIONS_HOST).
      Demo shop with the chat widget: http://$RASA_AT/shop/
      Staff console:  http://$RASA_AT/staff/   (first admin: .venv/bin/python -m bot.web.cli create-admin --email you@shop.example)
      REST:      curl -s $RASA_AT/webhooks/rest/webhook -d '{"sender": "me", "message": "hi"}'
      socket.io: http://$RASA_AT/socket.io  (events user_uttered / bot_uttered)
      Rasa API:  needs ?token=...; $TOKEN_AT
                 curl -s "$RASA_AT/model/parse?token=$TOKEN_CMD" -d '{"text": "where is my order"}'
      Ready:     curl -s $RASA_AT/web/api/ready
      Shell:     bash scripts/shell.sh   (in another terminal; talks to the same action server)
      Press Ctrl-C to stop.
MSG
wait -n "${PIDS[@]}" || true
echo "[run] a server stopped unexpectedly" >&2
exit 1
