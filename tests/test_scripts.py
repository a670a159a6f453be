"""The README's scripts fail clearly when something is in the way."""

import os
import socket
import subprocess

from tests.conftest import ROOT


def run_script(script, **env):
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / script)], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=600,
    )


def test_run_refuses_a_taken_port_and_says_how_to_choose_another():
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run_script("run.sh", SHOPBOT_RASA_PORT=str(port))
    assert proc.returncode == 1
    assert f"port {port}" in proc.stderr and "already in use" in proc.stderr
    assert "SHOPBOT_RASA_PORT=" in proc.stderr


def test_setup_names_the_fix_when_python_is_unusable(tmp_path):
    proc = run_script("setup.sh", PYTHON="/nonexistent/python3.10")
    assert proc.returncode != 0
    assert "PYTHON=/nonexistent/python3.10 is not an executable" in proc.stderr

    too_new = tmp_path / "python3.12"  # an interpreter that fails the version check
    too_new.write_text("#!/bin/sh\necho 3.12.1\nexit 1\n")
    too_new.chmod(0o755)
    proc = run_script("setup.sh", PYTHON=str(too_new))
    assert proc.returncode != 0
    assert "Rasa 3.6 needs 3.8-3.10" in proc.stderr


def test_setup_is_idempotent_and_links_both_environments():
    proc = run_script("setup.sh")
    assert proc.returncode == 0, proc.stderr
    assert (ROOT / ".venv" / "bin" / "rasa").exists()
    assert (ROOT / ".venv-actions" / "bin" / "python").exists()
    assert "building" not in proc.stdout  # already built: reused, not rebuilt
