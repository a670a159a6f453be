#!/usr/bin/env bash
# Builds the two Python environments this project runs in, as Rasa itself deploys them:
#   .venv          the Rasa server: rasa 3.6.21, torch, transformers (our NLU components)
#   .venv-actions  the action server: rasa-sdk 3.6.2, torch, sentence-transformers, faiss-gpu, networkx 3, SQLAlchemy 2,
#                  gguf + accelerate, and the generator's model package (requirements/actions-nodeps.lock),
#                  and llama-cpp-python (requirements/llama-cpp.lock), built here from its sdist once
# Each environment is built once per lock-file hash in a cache outside the clone
# ($SHOPBOT_CACHE, default ~/.cache/shopbot) and linked into the repo, so a second run,
# or a fresh clone on the same machine, takes seconds. llama-cpp-python publishes no
# wheels: its sdist is compiled once with the machine's gcc, cmake and ninja (CPU only,
# several minutes on 2 cores) and the wheel cached in $SHOPBOT_CACHE/wheels.
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

build_env() {  # build_env NAME LOCK LINK [NODEPS_LOCK] [KEY_FILE]
    # NODEPS_LOCK: pinned, hashed packages installed after LOCK with --no-deps (their
    # declared dependencies would break LOCK's pins); part of the cache key when given.
    # KEY_FILE: another file the environment depends on (installed afterwards), in the key.
    local name=$1 lock=$2 link=$3 nodeps=${4:-} keyfile=${5:-}
    local key
    key=$( (cat "$lock"; echo "$PYVER $SETUP_REV"; if [ -n "$nodeps" ]; then cat "$nodeps"; fi
            if [ -n "$keyfile" ]; then cat "$keyfile"; fi) \
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

# ---------------------------------------------------------------- llama-cpp-python
# A portable CPU build: no -march=native (the cached wheel must run on every machine of
# this kind, CI's fresh one included), AVX2/FMA/F16C as the baseline these machines all
# have, no CUDA, no OpenMP (ggml's own thread pool: OpenMP threads spin, and torch in the
# same process brings its own libgomp), no multimodal library.
LLAMA_LOCK=requirements/llama-cpp.lock
LLAMA_BUILD_LOCK=requirements/llama-cpp-build.lock
LLAMA_BUILD_REV=1  # bump to rebuild the wheel with the same pins
LLAMA_CMAKE_ARGS=${SHOPBOT_LLAMA_CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_OPENMP=OFF -DGGML_CUDA=OFF -DGGML_BLAS=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"}
LLAMA_JOBS=${SHOPBOT_BUILD_JOBS:-2}

llama_build_venv() {  # llama_build_venv DIR: the build backend from hashed pins
    "$UV" venv -q --python "$PY" "$1" \
        && "$UV" pip install -q --python "$1/bin/python" --require-hashes -r "$LLAMA_BUILD_LOCK"
}

llama_sdist() {  # llama_sdist BUILD_VENV DIR: download the pinned sdist (its hash checked) into DIR
    "$1/bin/python" -m pip download -q --no-build-isolation --no-deps --require-hashes \
        --no-binary llama-cpp-python -r "$LLAMA_LOCK" -d "$2" \
        && ls "$2"/llama_cpp_python-*.tar.gz >/dev/null 2>&1
}

llama_converter() {  # llama_converter SDIST DIR: llama.cpp's HF -> GGUF converter out of the sdist
    local unpack
    unpack=$(mktemp -d "$2.XXXXXX")
    tar -xzf "$1" -C "$unpack" --wildcards '*/vendor/llama.cpp/convert_hf_to_gguf.py' \
        '*/vendor/llama.cpp/conversion/*' '*/vendor/llama.cpp/gguf-py/*' '*/vendor/llama.cpp/LICENSE' \
        && rm -rf "$2" && mv "$unpack"/*/vendor/llama.cpp "$2" && rm -rf "$unpack"
}

llama_wheel() {  # prints the cache directory (the wheel and llama.cpp's converter), building it first if needed
    local version arch key dir staging started wheel
    version=$(sed -n 's/^llama-cpp-python==\([^ ]*\).*/\1/p' "$LLAMA_LOCK")
    [ -n "$version" ] || { echo "no llama-cpp-python pin in $LLAMA_LOCK" >&2; return 1; }
    arch=$(uname -m)
    key=$( (cat "$LLAMA_LOCK" "$LLAMA_BUILD_LOCK"; echo "$PYVER $arch $LLAMA_BUILD_REV $LLAMA_CMAKE_ARGS") \
        | sha256sum | cut -c1-12)
    dir="$CACHE/wheels/llama-cpp-python-$version-py$PYVER-$arch-$key"
    if [ -f "$dir/.complete" ] && [ -f "$dir/llama.cpp/convert_hf_to_gguf.py" ] \
            && ls "$dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
        echo "$dir"; return
    fi
    for tool in gcc g++ cmake; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "llama-cpp-python is compiled here and needs $tool (Debian: apt-get install build-essential cmake ninja-build)" >&2
            return 1; }
    done
    mkdir -p "$CACHE/wheels"
    staging=$(mktemp -d "$CACHE/wheels/.build-$version-XXXXXX")
    started=$(date +%s)
    say "fetching llama-cpp-python $version's sdist and its build backend (pinned by hash)" >&2
    if ! { llama_build_venv "$staging/venv" && llama_sdist "$staging/venv" "$staging/sdist"; } >&2; then
        rm -rf "$staging"; return 1
    fi
    if [ ! -f "$dir/.complete" ] || ! ls "$dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
        say "building llama-cpp-python $version from its sdist (first time on this machine: several minutes on $LLAMA_JOBS cores)" >&2
        say "  flags: $LLAMA_CMAKE_ARGS" >&2
        # No build isolation: the backend is the hashed one above, cmake and ninja the
        # machine's. The compiler's lines are cut down to ninja's [n/N] and the file.
        if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$LLAMA_JOBS" \
                "$staging/venv/bin/python" -m pip wheel -v --no-build-isolation --no-deps \
                "$staging"/sdist/llama_cpp_python-*.tar.gz -w "$staging/out" 2>&1 \
                | sed -u -E 's#^ *(\[[0-9]+/[0-9]+\]) .* -c [^ ]*/(vendor/llama\.cpp/)?([^ ]+)$#  \1 compiling \3#; s#^ *(\[[0-9]+/[0-9]+\]) .* -o ([^ ]+) .*$#  \1 linking \2#' \
                | grep --line-buffered -vE '^ +(-- (Looking|Performing|Check|Detecting)|cmake|/usr/bin)' >&2; then
            rm -rf "$staging"; echo "compiling llama-cpp-python $version failed" >&2; return 1
        fi
        wheel=$(ls "$staging"/out/llama_cpp_python-*.whl 2>/dev/null | head -n1 || true)
        [ -n "$wheel" ] || { rm -rf "$staging"; echo "building llama-cpp-python $version produced no wheel" >&2; return 1; }
        rm -rf "$dir"; mkdir -p "$dir"
        mv "$wheel" "$dir/"
        printf 'built %s in %ss with: %s\n' "$(date -u +%FT%TZ)" "$(( $(date +%s) - started ))" "$LLAMA_CMAKE_ARGS" > "$dir/.complete"
        say "built $(basename "$wheel") in $(( $(date +%s) - started )) s" >&2
    fi
    llama_converter "$staging"/sdist/llama_cpp_python-*.tar.gz "$dir/llama.cpp" \
        || { rm -rf "$staging"; echo "could not unpack llama.cpp's converter from the sdist" >&2; return 1; }
    rm -rf "$staging"
    say "cached in $dir" >&2
    echo "$dir"
}

install_llama() {  # install_llama VENV_DIR: the cached wheel and converter into it, once
    local venv=$1 dir wheel stamp
    stamp=$( (cat "$LLAMA_LOCK"; echo "$LLAMA_BUILD_REV $LLAMA_CMAKE_ARGS with the converter") | sha256sum)
    if [ -f "$venv/.llama-cpp" ] && [ "$(cat "$venv/.llama-cpp")" = "$stamp" ]; then
        say "llama-cpp-python: installed"; return 0
    fi
    if ! dir=$(llama_wheel); then
        printf '\033[31;1m[setup] error: building llama-cpp-python failed (see the output above).\033[0m\n' >&2
        printf '\033[31m[setup] The generator falls back to its transformers runtime until it builds; fix it and rerun scripts/setup.sh.\033[0m\n' >&2
        exit 1
    fi
    wheel=$(ls "$dir"/llama_cpp_python-*.whl | head -n1)
    "$UV" pip install -q --python "$venv/bin/python" --no-deps "$wheel" || die "installing $wheel failed"
    rm -rf "$venv/share/llama.cpp"; mkdir -p "$venv/share"
    cp -r "$dir/llama.cpp" "$venv/share/llama.cpp"
    "$venv/bin/python" -c 'import llama_cpp' || die "llama_cpp does not import after installing $wheel"
    echo "$stamp" > "$venv/.llama-cpp"
    say "llama-cpp-python: installed $(basename "$wheel") from $dir"
}

build_env rasa requirements/rasa.lock "$ROOT/.venv"
build_env actions requirements/actions.lock "$ROOT/.venv-actions" requirements/actions-nodeps.lock "$LLAMA_LOCK"
install_llama "$(readlink "$ROOT/.venv-actions")"
say "environments ready"
