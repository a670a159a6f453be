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
    """The whole assistant trained once per test session on the project's data.

    ``SHOPBOT_TEST_MODEL`` names an already trained model to use instead (a developer's
    shortcut while the training data, domain and config are unchanged; CI never sets it).
    """
    from rasa.api import train

    prebuilt = os.environ.get("SHOPBOT_TEST_MODEL")
    if prebuilt and Path(prebuilt).is_file():
        return Path(prebuilt)

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
def running_server(command, ready_url, log, what, timeout=300, env=None):
    """Start a real server process, wait until ``ready_url`` answers, stop it after."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
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


ACTIONS_PYTHON = ROOT / ".venv-actions" / "bin" / "python"


@pytest.fixture(scope="session")
def shop_env(tmp_path_factory):
    """Settings for a fresh, seeded demo shop database of the test session.

    The retrieval index cache stays in the project's var/index: it is keyed by a hash of
    its inputs, so sharing it is safe and saves re-encoding the catalog every session.
    """
    if not ACTIONS_PYTHON.exists():
        pytest.fail("the action server's environment is missing: run bash scripts/setup.sh")
    work = tmp_path_factory.mktemp("shop")
    env = {
        "SHOPBOT_VAR_DIR": str(work),
        "SHOPBOT_DATABASE_URL": f"sqlite:///{work / 'shop.db'}",
        "SHOPBOT_INDEX_DIR": os.environ.get("SHOPBOT_INDEX_DIR") or str(ROOT / "var" / "index"),
        "SHOPBOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    for module in ("bot.shop.seed", "bot.retrieval.build"):
        subprocess.run([str(ACTIONS_PYTHON), "-m", module], cwd=ROOT, env={**os.environ, **env},
                       check=True, capture_output=True, timeout=900)
    return env


@pytest.fixture(scope="session")
def action_server(tmp_path_factory, shop_env):
    """A real rasa-sdk action server, from the action server's own environment."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    command = [str(ACTIONS_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    with running_server(command, f"{url}/health", log, "action server", env=shop_env):
        yield url


@pytest.fixture(scope="session")
def rasa_server(trained_model, action_server, shop_env, tmp_path_factory):
    """The real ``rasa run`` as scripts/run.sh starts it, talking to the real action server."""
    work = tmp_path_factory.mktemp("server")
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"{action_server}/webhook"
    endpoints["tracker_store"]["db"] = str(work / "conversations.db")
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "rasa.log"
    rasa = Path(sys.executable).parent / "rasa"
    command = [str(rasa), "run", "--model", str(trained_model), "--enable-api",
               "--credentials", str(ROOT / "credentials.yml"),
               "--endpoints", str(work / "endpoints.yml"), "--port", str(port)]
    # /status answers 200 only once the model is loaded.
    # The web app inside the Rasa server (widget APIs, staff console) uses the same
    # seeded shop database as the action server.
    # A shop's own site (another origin) may embed the widget: tests/web/test_rasa_webchat.py serves one there.
    env = {**shop_env, "SHOPBOT_TRACKER_DB": str(work / "conversations.db"),
           "SHOPBOT_ALLOWED_ORIGINS": f"http://localhost:{free_port()}"}
    with running_server(command, f"{url}/status", log, "Rasa server", env=env):
        yield {"url": url, "db": work / "conversations.db", "log": log, "env": env}


@pytest.fixture(scope="session")
def shop_services(tmp_path_factory):
    """The action server's services over the demo shop, with a fresh seeded database.

    (Action server environment only: the knowledge graph, FAISS index and database.)
    """
    from bot.services import ShopServices

    work = tmp_path_factory.mktemp("shop-services")
    services = ShopServices(
        catalog_path=str(ROOT / "knowledge" / "catalog.json"),
        faq_path=str(ROOT / "knowledge" / "faq.yml"),
        database_url=f"sqlite:///{work / 'shop.db'}",
        index_dir=os.environ.get("SHOPBOT_INDEX_DIR") or str(ROOT / "var" / "index"),
    )
    services.db.seed_demo(services.catalog)
    return services
