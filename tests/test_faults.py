"""Faults, against the real servers: what a shopper sees when a part fails, and that
service comes back without restarting the rest.

One private stack for the module (its own action server, ``rasa run`` and tracker
store, started as run.sh starts them), because these tests stop and start its parts:

- warm before ready: the first questions after a start are answered at full speed;
- the action server down: an apology, then normal service once it is back (Rasa untouched);
- the shop database down (PostgreSQL behind a TCP proxy the test cuts): the same;
- ``rasa run`` restarted mid-conversation and mid-form: it continues from the tracker store;
- a missing, truncated or garbage model: run.sh stops with one paragraph naming the fix.

Everything listens on and talks to 127.0.0.1; every wait is bounded.
"""

import json
import os
import socket
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.shop.seed import DEMO_ORDERS
from tests.conftest import (
    ACTIONS_PYTHON, ROOT, action_server_command, free_port, rasa_api, rasa_ready, rasa_server_command,
    stop_process, wait_until_ready, write_endpoints,
)

from tests.web.chat import rest_conversation_id  # noqa: E402

SHIPPED = DEMO_ORDERS["shipped"]
POSTGRES_URL = os.environ.get("SHOPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
ALLOWED_ORIGIN = "https://shop.example"
APOLOGY_WORDS = ("sorry", "went wrong", "person", "try again")


class TcpProxy:
    """127.0.0.1:<port> -> 127.0.0.1:<target>. ``stop()`` drops every connection and
    refuses new ones, as a database that went away; ``start()`` brings it back."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source, target) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def postgres_database():
    """A throw-away PostgreSQL database: (url, drop) or None when no server answers."""
    try:
        import psycopg2
        from sqlalchemy.engine import make_url
    except ImportError:
        return None
    admin = make_url(POSTGRES_URL)
    params = dict(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username or "postgres",
                  password=admin.password, dbname=admin.database or "postgres", connect_timeout=5)
    try:
        connection = psycopg2.connect(**params)
    except psycopg2.OperationalError:
        return None
    connection.autocommit = True
    name = f"shopbot_faults_{uuid.uuid4().hex[:12]}"  # generated, not user input
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.close()

    return admin, name, drop


class Stack:
    """The action server and ``rasa run`` of this module, each stoppable on its own."""

    def __init__(self, work: Path, model: Path, shop_env: dict, secrets: dict, proxy=None) -> None:
        self.work = work
        self.model = model
        self.proxy = proxy
        self.actions_port = free_port()
        self.rasa_port = free_port()
        self.actions_url = f"http://127.0.0.1:{self.actions_port}"
        self.url = f"http://127.0.0.1:{self.rasa_port}"
        self.token = secrets["SHOPBOT_RASA_API_TOKEN"]
        self.tracker_db = work / "conversations.db"
        self.endpoints = write_endpoints(work / "endpoints.yml", self.actions_url, self.tracker_db)
        self.env = {**os.environ, **shop_env, **secrets, "PYTHONPATH": str(ROOT),
                    "SHOPBOT_TRACKER_DB": str(self.tracker_db), "SHOPBOT_ALLOWED_ORIGINS": ALLOWED_ORIGIN}
        self.actions = None
        self.rasa = None
        self.first_ready_report = None

    def _start(self, command, ready, log, what):
        with open(log, "ab") as handle:
            proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        wait_until_ready(proc, ready, log, what, timeout=600)
        return proc

    def start_actions(self) -> None:
        self.actions = self._start(action_server_command(self.actions_port), f"{self.actions_url}/ready",
                                   self.work / "actions.log", "action server")

    def stop_actions(self) -> None:
        if self.actions is not None:
            stop_process(self.actions)
            self.actions = None

    def start_rasa(self) -> None:
        command = rasa_server_command(self.model, self.endpoints, self.rasa_port, allowed_origins=ALLOWED_ORIGIN)
        self.rasa = self._start(command, rasa_ready(self.url, self.token), self.work / "rasa.log", "Rasa server")

    def stop_rasa(self) -> None:
        if self.rasa is not None:
            stop_process(self.rasa)
            self.rasa = None

    def __getitem__(self, key):  # rasa_api(stack, ...) reads ["url"] and ["token"]
        return {"url": self.url, "token": self.token}[key]


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory, server_secrets):
    if not ACTIONS_PYTHON.exists():
        pytest.fail("the action server's environment is missing: run bash scripts/setup.sh")
    work = tmp_path_factory.mktemp("faults")
    shop_env = {
        "SHOPBOT_VAR_DIR": str(work),
        "SHOPBOT_INDEX_DIR": os.environ.get("SHOPBOT_INDEX_DIR") or str(ROOT / "var" / "index"),
        "SHOPBOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    postgres = postgres_database()
    proxy = None
    if postgres is not None:
        admin, name, drop = postgres
        direct = admin.set(database=name)
        proxy = TcpProxy(admin.port or 5432)
        proxy.start()
        seed_url = direct.render_as_string(hide_password=False)
        shop_env["SHOPBOT_DATABASE_URL"] = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
    else:
        drop = None
        seed_url = shop_env["SHOPBOT_DATABASE_URL"] = f"sqlite:///{work / 'shop.db'}"
    for module in ("bot.shop.seed", "bot.retrieval.build"):
        subprocess.run([str(ACTIONS_PYTHON), "-m", module], cwd=ROOT,
                       env={**os.environ, **shop_env, "SHOPBOT_DATABASE_URL": seed_url},
                       check=True, capture_output=True, timeout=900)
    stack = Stack(work, trained_model, shop_env, server_secrets, proxy)
    try:
        stack.start_actions()
        stack.first_ready_report = json.load(urllib.request.urlopen(f"{stack.actions_url}/ready", timeout=30))
        stack.start_rasa()
        yield stack
    finally:
        stack.stop_rasa()
        stack.stop_actions()
        if proxy is not None:
            proxy.stop()
        if drop is not None:
            drop()


class Shopper:
    def __init__(self, stack):
        self.url = f"{stack.url}/webhooks/rest/webhook"
        self.sender = f"faults-{uuid.uuid4()}"

    def say(self, message, timeout=180):
        request = urllib.request.Request(
            self.url, data=json.dumps({"sender": self.sender, "message": message}).encode(),
            headers={"Content-Type": "application/json"})
        replies = json.load(urllib.request.urlopen(request, timeout=timeout))
        assert "Traceback" not in json.dumps(replies)
        return replies

    def text(self, message):
        return "\n".join(r.get("text") or "" for r in self.say(message))

    def timed(self, message):
        started = time.perf_counter()
        text = self.text(message)
        return time.perf_counter() - started, text


def order_lookup(shopper):
    shopper.text("where is my order?")
    shopper.text(SHIPPED.id)
    return shopper.text(SHIPPED.email)


def timed_order_lookup(shopper):
    """The whole order form (three turns): (seconds, the last answer)."""
    total, text = 0.0, ""
    for message in ("where is my order?", SHIPPED.id, SHIPPED.email):
        seconds, text = shopper.timed(message)
        total += seconds
    return total, text


def is_apology(text):
    return any(word in text.lower() for word in APOLOGY_WORDS)


# -- warm before ready ------------------------------------------------------------------

def test_first_shopper_after_a_start_is_answered_at_full_speed(stack):
    """The action server said ready only once everything was loaded, and the first store
    and order questions take about as long as later ones (they took 21 s and 2.2 s
    more when the services were built on first use). Bounded check, as the issue asks."""
    report = stack.first_ready_report
    assert report["ready"] is True
    assert {"catalog", "graph", "index", "encoder", "database"} <= set(report["seconds"])

    first_faq, text = Shopper(stack).timed("do you ship to canada?")
    assert "Canada" in text
    first_order, text = timed_order_lookup(Shopper(stack))
    assert SHIPPED.id in text

    later_faq, later_order = [], []
    for _ in range(3):
        later_faq.append(Shopper(stack).timed("do you ship to canada?")[0])
        later_order.append(timed_order_lookup(Shopper(stack))[0])
    for what, first_time, later in (("store question", first_faq, later_faq), ("order lookup (3 turns)", first_order, later_order)):
        typical = statistics.median(later)
        print(f"first {what} after start: {first_time:.2f} s; later ones: {typical:.2f} s (median)")
        assert first_time <= max(4 * typical, typical + 2.0), (
            f"first {what} after start took {first_time:.2f} s, later ones {typical:.2f} s")


# -- the action server down ---------------------------------------------------------------

def test_action_server_down_gets_an_apology(stack):
    """With the action server gone, a question that needs it gets a polite reply (the
    channels answer for the silent Rasa), never silence or a trace."""
    stack.stop_actions()
    replies = Shopper(stack).say("do you ship to canada?")
    text = "\n".join(r.get("text") or "" for r in replies)
    assert replies and is_apology(text), replies
    assert "Traceback" not in json.dumps(replies)
    assert any(b.get("payload") == "/human_handoff" for r in replies for b in r.get("buttons") or [])


def test_action_server_back_gives_normal_service_without_restarting_rasa(stack):
    rasa_pid = stack.rasa.pid
    shopper = Shopper(stack)
    stack.stop_actions()
    shopper.say("do you ship to canada?")  # answered somehow (previous test), and no trace
    stack.start_actions()
    assert "Canada" in shopper.text("do you ship to canada?")
    assert SHIPPED.id in order_lookup(Shopper(stack))
    assert stack.rasa.pid == rasa_pid and stack.rasa.poll() is None


# -- the shop database down ----------------------------------------------------------------

def test_shop_database_down_then_back(stack):
    if stack.proxy is None:
        pytest.skip(f"needs a PostgreSQL server ({POSTGRES_URL}, SHOPBOT_TEST_POSTGRES) to cut it off")
    stack.proxy.stop()
    try:
        shopper = Shopper(stack)
        replies = [shopper.say(m) for m in ("where is my order?", SHIPPED.id, SHIPPED.email)]
        assert all(replies), "every turn is answered"
        text = "\n".join(r.get("text") or "" for turn in replies for r in turn)
        assert "went wrong" in text and "UPS" not in text, text
        assert any(b.get("payload") == "/human_handoff" for r in replies[-1] for b in r.get("buttons") or [])
        # the store's knowledge does not need the database
        assert "Canada" in Shopper(stack).text("do you ship to canada?")
    finally:
        stack.proxy.start()
    text = order_lookup(Shopper(stack))
    assert SHIPPED.id in text and "UPS" in text


# -- Rasa restarted ------------------------------------------------------------------------

def test_rasa_restart_mid_conversation_and_mid_form(stack):
    chatting = Shopper(stack)
    assert chatting.say("hello!")
    in_form = Shopper(stack)
    assert "order number" in in_form.text("where is my order?")
    assert "email" in in_form.text(SHIPPED.id)

    stack.stop_rasa()
    stack.start_rasa()

    text = in_form.text(SHIPPED.email)  # the form continues where it was
    assert SHIPPED.id in text and "UPS" in text
    assert any("automated" in (r.get("text") or "").lower() for r in chatting.say("are you a real person?"))
    conversation = rest_conversation_id({"env": stack.env}, chatting.sender)
    status, tracker = rasa_api(stack, f"/conversations/{conversation}/tracker")
    assert status == 200
    intents = [e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"]
    assert intents == ["greet", "bot_challenge"]


# -- CORS for a shop's own site --------------------------------------------------------------

def cors_origin_allowed(url, origin):
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="OPTIONS",
                                     headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    try:
        answer = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        answer = error
    return answer.headers.get("Access-Control-Allow-Origin")


def test_cors_only_for_the_allowed_origins(stack):
    assert cors_origin_allowed(stack.url, ALLOWED_ORIGIN) == ALLOWED_ORIGIN
    assert cors_origin_allowed(stack.url, "https://evil.example") in (None, "")


# -- the model API with the token (last: it unloads the model) ------------------------------------

def test_model_can_be_replaced_and_unloaded_with_the_token(stack):
    assert rasa_api(stack, "/model", {"model_file": str(stack.model)}, method="PUT", token="")[0] == 401
    status, _ = rasa_api(stack, "/model", {"model_file": str(stack.model)}, method="PUT", timeout=600)
    assert status == 204
    assert Shopper(stack).say("hello!")
    assert rasa_api(stack, "/model", method="DELETE", token="")[0] == 401
    assert rasa_api(stack, "/model", method="DELETE")[0] == 204
    assert rasa_api(stack, "/status")[0] == 409  # no model loaded any more


# -- a missing or broken model ------------------------------------------------------------------

def run_sh_with_model(model: Path):
    env = {**os.environ, "SHOPBOT_MODEL": str(model), "SHOPBOT_RASA_PORT": str(free_port()),
           "SHOPBOT_ACTIONS_PORT": str(free_port())}
    return subprocess.run(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("kind", ["missing", "truncated", "garbage"])
def test_run_stops_on_a_broken_model_and_names_the_fix(kind, tmp_path, trained_model):
    model = tmp_path / "shopbot.tar.gz"
    if kind == "truncated":
        model.write_bytes(trained_model.read_bytes()[: trained_model.stat().st_size // 3])
    elif kind == "garbage":
        model.write_bytes(os.urandom(4096))
    proc = run_sh_with_model(model)
    assert proc.returncode != 0
    assert "bash scripts/train.sh --force" in proc.stderr and str(model) in proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert "is up" not in proc.stdout and "[model] error:" in proc.stderr


def test_a_model_from_an_older_rasa_is_refused(tmp_path):
    """Rasa's rule (MINIMUM_COMPATIBLE_VERSION), checked before the server starts."""
    from bot.serving.modelcheck import UnusableModel, check_model
    from tests.bot.serving.test_modelcheck import METADATA, archive

    old = dict(METADATA, rasa_open_source_version="3.0.0")
    path = archive(tmp_path / "old.tar.gz", {"metadata.json": json.dumps(old).encode()})
    with pytest.raises(UnusableModel, match="trained with Rasa 3.0.0"):
        check_model(path)
