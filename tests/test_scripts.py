"""The README's scripts fail clearly when something is in the way, and start the
assistant locked down: loopback, Rasa's API behind the token, "up" only when warm."""

import json
import os
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT, free_port, url_ok


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
        proc = run_script("run.sh", SHOPBOT_RASA_PORT=str(port), SHOPBOT_ACTIONS_PORT=str(free_port()))
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


def time_wait_port():
    """A port on 127.0.0.1 whose last connection the server side closed: it is in TIME_WAIT
    for about a minute, as after Ctrl-C on run.sh. The listener sets SO_REUSEADDR, as
    the servers' asyncio loop does (so a new server may bind it at once)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server closes first: its end goes to TIME_WAIT
    time.sleep(0.2)
    client.close()
    listener.close()
    return port


def test_run_accepts_a_port_in_time_wait():
    """Re-running run.sh right after Ctrl-C was refused for a minute: its check bound
    without SO_REUSEADDR (as the servers do) and tripped on TIME_WAIT."""
    port = time_wait_port()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # the old check's bind: refused
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        # the Rasa port is in TIME_WAIT (free), the action server's really taken: stops there
        proc = run_script("run.sh", SHOPBOT_RASA_PORT=str(port), SHOPBOT_ACTIONS_PORT=str(taken))
    assert proc.returncode == 1
    assert f"port {taken}" in proc.stderr and f"port {port}" not in proc.stderr


def test_env_exports_the_shared_secrets_from_files_only_the_owner_reads(tmp_path):
    script = 'source scripts/env.sh; echo "$SHOPBOT_RASA_API_TOKEN $SHOPBOT_ACTIONS_SECRET $SHOPBOT_RASA_API_TOKEN_FILE"'
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPBOT_RASA_API_TOKEN", "SHOPBOT_ACTIONS_SECRET")}
    env["SHOPBOT_SECRETS_DIR"] = str(tmp_path / "secrets")
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    token, secret, token_file = out.stdout.split()
    assert len(token) >= 32 and len(secret) >= 32 and token != secret
    assert token_file == str(tmp_path / "secrets" / "rasa_api")
    for name, value in (("rasa_api", token), ("actions", secret)):
        path = tmp_path / "secrets" / name
        assert path.read_text().strip() == value
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the identity secret (signed shopper tokens) exists before any process starts, and is
    # read from its file by each of them rather than passed around in the environment
    identity = tmp_path / "secrets" / "identity"
    assert len(identity.read_text().strip()) >= 32 and stat.S_IMODE(identity.stat().st_mode) == 0o600
    exported = subprocess.run(["bash", "-c", 'source scripts/env.sh; echo "[${SHOPBOT_IDENTITY_SECRET:-}]"'],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert exported.stdout.strip() == "[]"
    # a second shell agrees; a value from the environment wins and is not written anywhere
    again = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.stdout.split()[:2] == [token, secret]
    env["SHOPBOT_RASA_API_TOKEN"] = "from-the-environment"
    given = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert given.stdout.split() == ["from-the-environment", secret]


def status_of(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_run_says_up_only_when_warm_and_locked_down(trained_model, tmp_path):
    """The whole of run.sh with a given model: "up" only once the action server is warm
    and the model loaded; both servers on loopback; the API needs the token; the token
    never appears in the output; Ctrl-C stops both, and the ports are free at once. With
    the shipped defaults: generation on (the suite's own default is off), so run.sh
    prepares the generator first and the action server warms it."""
    rasa_port, actions_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("SHOPBOT_RASA_API_TOKEN", "SHOPBOT_ACTIONS_SECRET", "SHOPBOT_GENERATION")}
    env.update(SHOPBOT_MODEL=str(trained_model), SHOPBOT_RASA_PORT=str(rasa_port),
               SHOPBOT_ACTIONS_PORT=str(actions_port), SHOPBOT_VAR_DIR=str(tmp_path),
               SHOPBOT_INDEX_DIR=os.environ.get("SHOPBOT_INDEX_DIR") or str(ROOT / "var" / "index"),
               # the converted generator models are shared with the other tests (minutes to convert)
               SHOPBOT_MODELS_DIR=os.environ.get("SHOPBOT_MODELS_DIR") or str(ROOT / "var" / "models"))
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 900
        while "The shop assistant is up" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-5000:]
            assert time.time() < deadline, log.read_text(errors="replace")[-5000:]
            time.sleep(1)
        token = (tmp_path / "secrets" / "rasa_api").read_text().strip()
        rasa, actions = f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{actions_port}"
        ready = json.load(urllib.request.urlopen(f"{actions}/ready", timeout=10))
        assert ready["ready"] is True and "encoder" in ready["seconds"]
        assert "generator ready:" in log.read_text(errors="replace") and "generator" in ready["seconds"], ready
        assert status_of(f"{rasa}/status") == 401
        assert status_of(f"{rasa}/status?token={token}") == 200
        assert status_of(f"{actions}/actions") == 401
        request = urllib.request.Request(f"{rasa}/webhooks/rest/webhook", method="POST",
                                         data=json.dumps({"sender": "run-sh", "message": "do you ship to canada?"}).encode())
        answer = " ".join(m.get("text") or "" for m in json.load(urllib.request.urlopen(request, timeout=120)))
        # the FAQ's answer, worded by the generator or as written
        assert "Canada" in answer or "ship" in answer.lower(), answer
        output = log.read_text(errors="replace")
        assert token not in output and str(tmp_path / "secrets" / "rasa_api") in output
        from tests.test_server import listening_addresses

        if os.path.exists("/proc/net/tcp"):
            assert listening_addresses(rasa_port) == {"127.0.0.1"}
            assert listening_addresses(actions_port) == {"127.0.0.1"}
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert not url_ok(f"http://127.0.0.1:{rasa_port}/") and not url_ok(f"http://127.0.0.1:{actions_port}/health")
    # run again at once: the port check passes (it stops at the taken port given on purpose)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        again = run_script("run.sh", SHOPBOT_RASA_PORT=str(rasa_port), SHOPBOT_ACTIONS_PORT=str(taken))
    assert f"port {taken}" in again.stderr and f"port {rasa_port}" not in again.stderr
