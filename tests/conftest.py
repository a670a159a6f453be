"""Shared fixtures: one trained model per test session, a real action server.

The servers start exactly as scripts/run.sh starts them: the action server through
its launcher (``bot.serving.action_server``: loopback, shared secret, warm before
ready) and ``rasa run`` through ``bot.serving.rasa_run`` (the API behind a token),
both on 127.0.0.1, with endpoints.yml's ``action_endpoint`` headers carrying the
secret. Each test session has its own token and secret.
"""

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Optional, Tuple, Union

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# The suite asserts the shop's own reply texts, so the generator (on by default) is off
# here, for every server the fixtures start too; the tests of generation switch it on
# themselves (tests/bot/generation, tests/actions/test_wording_actions.py,
# tests/test_generation_e2e.py).
os.environ["SHOPBOT_GENERATION"] = "off"
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
def running_server(command, ready: Union[str, Callable[[], bool]], log, what, timeout=300, env=None):
    """Start a real server process, wait until it is ready, stop it after.

    ``ready`` is a URL that must answer 2xx, or a function that says whether it is ready.
    Yields the process.
    """
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    with open(log, "ab") as handle:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(proc, ready, log, what, timeout)
        yield proc
    finally:
        stop_process(proc)


def url_ok(url: str, timeout: float = 2) -> bool:
    try:
        urllib.request.urlopen(url, timeout=timeout).close()
        return True
    except OSError:
        return False


def wait_until_ready(proc, ready, log, what, timeout=300) -> None:
    check = ready if callable(ready) else (lambda: url_ok(ready))
    deadline = time.time() + timeout
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"the {what} exited:\n{Path(log).read_text(errors='replace')[-5000:]}")
        if time.time() > deadline:
            proc.kill()
            pytest.fail(f"the {what} did not start:\n{Path(log).read_text(errors='replace')[-5000:]}")
        time.sleep(0.5)


def stop_process(proc, timeout=60) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


# -- the servers as run.sh starts them -----------------------------------------------------

class ActionServerURL(str):
    """The action server's base URL, knowing the shared secret Rasa must send it."""

    def __new__(cls, url: str, secret: str):
        value = super().__new__(cls, url)
        value.secret = secret
        return value

    @property
    def headers(self):
        """The ``action_endpoint`` headers (as Rasa sends them from endpoints.yml)."""
        return {"Authorization": f"Bearer {self.secret}"}


def action_server_command(port: int, host: str = "127.0.0.1"):
    return [str(ACTIONS_PYTHON), "-m", "bot.serving.action_server", "--actions", "actions",
            "--host", host, "--port", str(port)]


def rasa_server_command(model, endpoints, port: int, host: str = "127.0.0.1", allowed_origins: str = ""):
    """= run.sh's ``rasa run ... --auth-token`` (the launcher adds the token from the environment);
    ``allowed_origins`` is SHOPBOT_ALLOWED_ORIGINS (comma-separated), none = same origin only."""
    origins = [o.strip() for o in allowed_origins.split(",") if o.strip()]
    return [sys.executable, "-m", "bot.serving.rasa_run", "--model", str(model), "--enable-api",
            *(["--cors", *origins] if origins else []),
            "-i", host, "--port", str(port), "--credentials", str(ROOT / "credentials.yml"),
            "--endpoints", str(endpoints)]


def write_endpoints(path: Path, actions_url: str, tracker_db: Path) -> Path:
    """endpoints.yml with this run's action server and tracker store, as run.sh's sed does.

    Text substitution, not YAML round-tripping: the headers' ``${SHOPBOT_ACTIONS_SECRET}``
    must stay a plain (unquoted) scalar for Rasa to expand it.
    """
    text = (ROOT / "endpoints.yml").read_text()
    text, urls = re.subn(r"http://127\.0\.0\.1:5055/webhook", f"{actions_url}/webhook", text)
    text, dbs = re.subn(r'(\n\s+db:\s*)"var/conversations\.db"', lambda m: f'{m.group(1)}"{tracker_db}"', text)
    assert urls == 1 and dbs == 1, "endpoints.yml changed: update tests/conftest.write_endpoints"
    assert "Bearer ${SHOPBOT_ACTIONS_SECRET}" in text, "endpoints.yml must send the action server's secret"
    path.write_text(text)
    return path


def rasa_ready(url: str, token: str) -> Callable[[], bool]:
    """Ready: ``/web/api/ready`` (model loaded, action server warm), or where the web app
    has no readiness route, Rasa's ``/status`` with the token (200 once the model is loaded)."""

    def check() -> bool:
        try:
            urllib.request.urlopen(f"{url}/web/api/ready", timeout=5).close()
            return True
        except urllib.error.HTTPError as error:
            if error.code != 404:
                return False
        except OSError:
            return False
        return url_ok(f"{url}/status?token={urllib.parse.quote(token)}", timeout=5)

    return check


def rasa_api(server, path: str, payload: Any = None, method: Optional[str] = None,
             token: Optional[str] = None, timeout: float = 120) -> Tuple[int, Any]:
    """Call Rasa's HTTP API (``/model/parse``, ``/conversations/...``, ``/status``...) with the
    server's token (``token=""`` for none); returns (status, parsed JSON or None)."""
    base = str(server) if isinstance(server, str) else server["url"]
    token = (None if isinstance(server, str) else server["token"]) if token is None else token
    url = f"{base}{path}"
    if token:
        url += ("&" if "?" in path else "?") + "token=" + urllib.parse.quote(token)
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, None


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
        # every test shopper comes from 127.0.0.1: one client key for the whole suite, so the
        # per-client limit of order lookups is raised here (its own tests set it themselves)
        "SHOPBOT_ORDER_MISSES_PER_CLIENT": "1000",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    for module in ("bot.shop.seed", "bot.retrieval.build"):
        subprocess.run([str(ACTIONS_PYTHON), "-m", module], cwd=ROOT, env={**os.environ, **env},
                       check=True, capture_output=True, timeout=900)
    return env


@pytest.fixture(scope="session")
def server_secrets():
    """This test session's Rasa API token and action server secret (never the developer's)."""
    return {"SHOPBOT_RASA_API_TOKEN": secrets.token_urlsafe(24),
            "SHOPBOT_ACTIONS_SECRET": secrets.token_urlsafe(24)}


@pytest.fixture(scope="session")
def action_server(tmp_path_factory, shop_env, server_secrets):
    """A real action server from the action server's own environment, through the launcher
    run.sh uses; ready once warm. The URL knows the secret (``.secret``, ``.headers``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    secret = server_secrets["SHOPBOT_ACTIONS_SECRET"]
    env = {**shop_env, "SHOPBOT_ACTIONS_SECRET": secret}
    with running_server(action_server_command(port), f"{url}/ready", log, "action server", env=env):
        yield ActionServerURL(url, secret)


@pytest.fixture(scope="session")
def rasa_server(trained_model, action_server, shop_env, server_secrets, tmp_path_factory):
    """The real ``rasa run`` as scripts/run.sh starts it, talking to the real action server.

    Rasa's API needs ``?token=<rasa_server["token"]>``; ``rasa_api(rasa_server, path, ...)`` adds it.
    """
    work = tmp_path_factory.mktemp("server")
    endpoints = write_endpoints(work / "endpoints.yml", action_server, work / "conversations.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "rasa.log"
    # The web app inside the Rasa server (widget APIs, staff console) uses the same
    # seeded shop database as the action server.
    # A shop's own site (another origin) may embed the widget: tests/web/test_rasa_webchat.py serves one there.
    # SHOPBOT_DEMO=1 as run.sh sets it: the demo shop's sign-in picker (bot/web/demo.py).
    env = {**shop_env, **server_secrets, "SHOPBOT_TRACKER_DB": str(work / "conversations.db"),
           "SHOPBOT_ALLOWED_ORIGINS": f"http://localhost:{free_port()}", "SHOPBOT_DEMO": "1"}
    token = server_secrets["SHOPBOT_RASA_API_TOKEN"]
    command = rasa_server_command(trained_model, endpoints, port)
    with running_server(command, rasa_ready(url, token), log, "Rasa server", env=env):
        yield {"url": url, "db": work / "conversations.db", "log": log, "env": env, "token": token,
               "port": port, "actions": action_server}


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
