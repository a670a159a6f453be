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
RASA="$ROOT/.venv/bin/rasa"
ACTION_SERVER=("$ROOT/.venv-actions/bin/python" -m rasa_sdk --actions actions)
