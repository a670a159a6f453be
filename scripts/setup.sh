#!/usr/bin/env bash
# Builds the two Python environments this project runs in, as Rasa itself deploys them:
#   .venv          the Rasa server: rasa 3.6.21, torch, transformers (our NLU components)
#   .venv-actions  the action server: rasa-sdk 3.6.2, torch, sentence-transformers, faiss-gpu, networkx 3, SQLAlchemy 2,
#                  gguf + accelerate, and the generator's model package (requirements/actions-nodeps.lock)
# Each environment is built once per lock-file hash in a cache outside the clone
# ($SHOPBOT_CACHE, default ~/.cache/shopbot) and linked into the repo, so a second run,
# or a fresh clone on the same machine, takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${SHOPBOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shopbot}
UV_VERSION=0.13.9
SETUP_REV=1  # bump to force a rebuild of every environment

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

find_python() {
    if [ -n "${PYTHON:-}" ]; then
        command -v "$PYTHON" >/dev/null 2>&1 || die "PYTHON=$PYTHON is not an executable"
        echo "$PYTHON"; return
    fi
    local c
    for c in python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10 python3.9 python3.8; do
        if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; assert (3, 8) <= sys.version_info[:2] <= (3, 10)' 2>/dev/null; then
            command -v "$c"; return
        fi
    done
    die "Rasa 3.6 needs Python 3.8-3.10 and none was found.
  Install one (for example: pyenv install 3.10.13 - this repo's .python-version then selects it),
  or point PYTHON at it: PYTHON=/path/to/python3.10 $0"
}

PY=$(find_python)
"$PY" -c 'import sys; assert (3, 8) <= sys.version_info[:2] <= (3, 10)' 2>/dev/null \
    || die "$PY is Python $("$PY" -c 'import sys; print(sys.version.split()[0])'); Rasa 3.6 needs 3.8-3.10"
PYVER=$("$PY" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')
mkdir -p "$CACHE/venvs"

# uv installs the locked packages fast and hard-links them from its cache, so the
# multi-GB torch build lands on disk once for both environments.
UV="$CACHE/uv-$UV_VERSION/bin/uv"
if [ ! -x "$UV" ]; then
    say "bootstrapping uv $UV_VERSION"
    rm -rf "$CACHE/uv-$UV_VERSION"
    "$PY" -m venv "$CACHE/uv-$UV_VERSION"
    "$CACHE/uv-$UV_VERSION/bin/pip" install -q "uv==$UV_VERSION"
fi

build_env() {  # build_env NAME LOCK LINK [NODEPS_LOCK]
    # NODEPS_LOCK: pinned, hashed packages installed after LOCK with --no-deps (their
    # declared dependencies would break LOCK's pins); part of the cache key when given.
    local name=$1 lock=$2 link=$3 nodeps=${4:-}
    local key
    key=$( (cat "$lock"; echo "$PYVER $SETUP_REV"; if [ -n "$nodeps" ]; then cat "$nodeps"; fi) \
        | sha256sum | cut -c1-16)
    local dir="$CACHE/venvs/$name-$key"
    if [ ! -f "$dir/.complete" ]; then
        say "building the $name environment from $lock (first time only; torch is a large download)"
        rm -rf "$dir"
        "$UV" venv -q --python "$PY" "$dir"
        if ! "$UV" pip sync --python "$dir/bin/python" "$lock"; then
            rm -rf "$dir"; die "installing $lock failed"
        fi
        if [ -n "$nodeps" ] && ! "$UV" pip install --python "$dir/bin/python" --no-deps --require-hashes -r "$nodeps"; then
            rm -rf "$dir"; die "installing $nodeps failed"
        fi
        touch "$dir/.complete"
    fi
    if [ "$(readlink "$link" 2>/dev/null)" != "$dir" ]; then
        rm -rf "$link"; ln -s "$dir" "$link"
    fi
    say "$link -> $dir"
}

build_env rasa requirements/rasa.lock "$ROOT/.venv"
build_env actions requirements/actions.lock "$ROOT/.venv-actions" requirements/actions-nodeps.lock
say "environments ready"
