"""Shared fixtures: one trained model per test session, a real action server."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Smaller epochs than config.yml: enough to learn this data, quick enough for CI.
TEST_EPOCHS = {
    "bot.nlu.bert_intent_classifier.BertIntentClassifier": 5,
    "TEDPolicy": 40,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_rasa_env() -> bool:
    try:
        import rasa  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def test_config(tmp_path_factory) -> Path:
    """config.yml with test-sized epochs and no progress bars."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    for part in ("pipeline", "policies"):
        for item in config[part]:
            if item["name"] in TEST_EPOCHS:
                item["epochs"] = TEST_EPOCHS[item["name"]]
            if item["name"].startswith("bot.nlu."):
                item["show_progress_bar"] = False
    path = tmp_path_factory.mktemp("config") / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def trained_model(test_config, tmp_path_factory) -> Path:
    """The whole assistant trained once per test session on the project's data."""
    from rasa.api import train

    out = tmp_path_factory.mktemp("models")
    cwd = os.getcwd()
    os.chdir(ROOT)  # the sentiment component's data path is relative to the project
    try:
        result = train(
            domain=str(ROOT / "domain.yml"),
            config=str(test_config),
            training_files=[str(ROOT / "nlu_data")],
            output=str(out),
            fixed_model_name="test-model",
        )
    finally:
        os.chdir(cwd)
    assert result.code == 0 and result.model, "training the assistant failed"
    return Path(result.model)


@pytest.fixture(scope="session")
def agent(trained_model):
    from rasa.core.agent import Agent

    return Agent.load(str(trained_model))


@contextlib.contextmanager
def running_server(command, ready_url, log, what, timeout=300):
    """Start a real server process, wait until ``ready_url`` answers, stop it after."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "wb") as handle:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the {what} exited:\n{log.read_text()[-5000:]}")
        try:
            urllib.request.urlopen(ready_url, timeout=2)
            break
        except OSError:
            if time.time() > deadline:
                proc.kill()
                pytest.fail(f"the {what} did not start:\n{log.read_text()[-5000:]}")
            time.sleep(0.5)
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.fixture(scope="session")
def action_server(tmp_path_factory):
    """A real rasa-sdk action server, from the action server's own environment."""
    python = ROOT / ".venv-actions" / "bin" / "python"
    if not python.exists():
        pytest.fail("the action server's environment is missing: run bash scripts/setup.sh")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    command = [str(python), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    with running_server(command, f"{url}/health", log, "action server"):
        yield url
