#!/usr/bin/env bash
# The browser tests drive Debian's chromium through Playwright's executable_path (no
# browser download is possible here). Installs it with apt when it is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
echo "[setup] installing chromium for the browser tests (apt)"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "[setup] error: chromium is missing and apt needs root; install it: apt-get install chromium" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || {
    $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null
}
command -v chromium >/dev/null 2>&1 || { echo "[setup] error: chromium did not install" >&2; exit 1; }
