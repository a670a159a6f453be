# Shared environment for the project's scripts (sourced, not run).
# Everything runs offline, with torch and TensorFlow sharing the CPUs politely.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
NCPU=$(nproc 2>/dev/null || echo 2)
export TF_INTRA_OP_PARALLELISM_THREADS=${TF_INTRA_OP_PARALLELISM_THREADS:-$NCPU}
export TF_INTER_OP_PARALLELISM_THREADS=${TF_INTER_OP_PARALLELISM_THREADS:-1}
export RASA_TELEMETRY_ENABLED=false
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export SHOPBOT_RASA_PORT=${SHOPBOT_RASA_PORT:-5005}
export SHOPBOT_ACTIONS_PORT=${SHOPBOT_ACTIONS_PORT:-5055}
# Interfaces: loopback unless exposed on purpose (SHOPBOT_HOST=0.0.0.0 for the Rasa
# server behind a proxy or on a LAN; the action server only talks to Rasa).
export SHOPBOT_HOST=${SHOPBOT_HOST:-127.0.0.1}
export SHOPBOT_ACTIONS_HOST=${SHOPBOT_ACTIONS_HOST:-127.0.0.1}
RASA="$ROOT/.venv/bin/rasa"
RASA_RUN=("$ROOT/.venv/bin/python" -m bot.serving.rasa_run)  # `rasa run` + the API token
ACTION_SERVER=("$ROOT/.venv-actions/bin/python" -m bot.serving.action_server --actions actions)

# The shared secrets every process must agree on: Rasa's API token and the action
# server's secret. From the environment when set, else generated once into
# var/secrets/ (mode 600) by bot.identity.secrets and read from there. The identity
# secret (signed shopper tokens) is made here too, before any process starts, but not
# exported: every process reads it from var/secrets/identity.
_shopbot_python="$ROOT/.venv/bin/python"
[ -x "$_shopbot_python" ] || _shopbot_python=$(command -v python3 || echo python3)
SHOPBOT_RASA_API_TOKEN_FILE=""  # where the token lives; empty when it came from the environment
if [ -z "${SHOPBOT_RASA_API_TOKEN:-}" ]; then
    SHOPBOT_RASA_API_TOKEN=$("$_shopbot_python" -m bot.identity.secrets rasa_api)
    SHOPBOT_RASA_API_TOKEN_FILE=$("$_shopbot_python" -c 'from bot.identity.secrets import secrets_dir; print(secrets_dir() / "rasa_api")')
fi
if [ -z "${SHOPBOT_ACTIONS_SECRET:-}" ]; then
    SHOPBOT_ACTIONS_SECRET=$("$_shopbot_python" -m bot.identity.secrets actions)
fi
export SHOPBOT_RASA_API_TOKEN SHOPBOT_ACTIONS_SECRET
if [ -z "${SHOPBOT_IDENTITY_SECRET:-}" ]; then
    "$_shopbot_python" -m bot.identity.secrets identity >/dev/null
fi
unset _shopbot_python
