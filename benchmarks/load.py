"""Load and throughput: N concurrent shoppers over REST and socket.io, against a stock `rasa init` bot.

One command starts, on 127.0.0.1 only, and stops again:

- our assistant as scripts/run.sh starts it (the action server, ``rasa run`` with the REST and
  socket.io channels of credentials.yml and the tracker store of endpoints.yml), over a private,
  seeded copy of the demo shop in a temporary folder;
- the baseline: a stock ``rasa init --no-prompt`` bot (DIET, ResponseSelector, TED, UnexpecTED,
  rule and memoization policies, in-memory tracker store, no action server), trained once and cached under
  ``~/.cache/shopbot/bench/``, with Rasa's own REST and socket.io channels.

Then it plays N concurrent shoppers, cell by cell, for every transport x think time x N, and
within a cell runs the three scripts back to back, so ours and the baseline meet the same
moment of a shared machine:

- ``baseline/chitchat``: six turns the ``rasa init`` bot knows (greet, sad, yes, bot?, great, bye);
- ``ours/chitchat``: the same six turns against our assistant (the like-for-like ratio);
- ``ours/shop``: greeting, an FAQ, "where is my order?", the order number, the e-mail, goodbye.

Each shopper has its own identity: its own REST ``sender`` (a fresh one per conversation) or
its own socket.io connection and server-issued session, and its own order and e-mail. By
default (``--orders private``) every shopper gets an order of its own: a copy of one of the
seeded demo orders under a new number, a new e-mail (``shopperNNNN@bench.example``) and a new
tracking number, so every identifier a reply can carry belongs to exactly one shopper
(``--orders demo`` plays the seeded demo orders themselves, shared round-robin when there are
more shoppers than orders; a leak between two shoppers of one order is then invisible).
Every reply is checked: cross-talk is a reply that names an order number, e-mail or tracking
number of the shop other than the shopper's own; the order-status reply must name the
shopper's own order (else a "wrong answer"); a turn answered with the assistant's apology
(an action failed) is an error, though HTTP said 200; over socket.io, a bot message arriving
while the shopper has no message in flight is "stray". A turn ends with its reply (REST) or with the
server's acknowledgement of ``user_uttered``, which python-socketio sends when the channel's
handler returns, after every ``bot_uttered`` of the turn.

Bounds: every cell stops starting turns after ``--max-seconds`` or ``--max-requests``; each
request times out after ``--request-timeout``. Shoppers play ``ceil(--min-requests / (6 N))``
conversations each (at least one), with ``--think`` seconds between turns (and a random start
within the first think time, so they do not move in lock-step).

CPU per successful message is read from /proc over each cell: each server's process tree, its
main thread (the event loop every conversation shares: 1000 / its ms per message bounds the
throughput), and this client. ERROR lines the servers log during a cell are counted.
``--profile`` samples both of our servers with py-spy (``~/.cache/shopbot/tools/pyspy``, see
--py-spy) during one cell (``--profile-cell``) and writes flame graphs and a per-message
breakdown (benchmarks/flame.py); the raw stacks stay in benchmarks/results/tmp/ (git-ignored).
``--ours-env KEY=VALUE`` runs our servers with extra settings, for experiments.

    bash scripts/bench.sh load        # = .venv/bin/python benchmarks/load.py (the full grid)
    .venv/bin/python benchmarks/load.py --transports rest --n 1,10,50 --max-seconds 60   # smaller

Results: benchmarks/results/load.json (+ load_flame_rasa.svg, load_flame_actions.svg and
load_profile.json with --profile). Targets are measured here, never asserted in tests.
"""

import argparse
import asyncio
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "load.json"
CACHE = Path(os.environ.get("SHOPBOT_BENCH_CACHE") or Path.home() / ".cache" / "shopbot" / "bench")
RASA_PYTHON = ROOT / ".venv" / "bin" / "python"
ACTIONS_PYTHON = ROOT / ".venv-actions" / "bin" / "python"
HOST = "127.0.0.1"  # loopback only: this never talks to anything else
PYSPY_DEFAULT = Path.home() / ".cache" / "shopbot" / "tools" / "pyspy" / "bin" / "py-spy"

# What scripts/env.sh sets, for runs that do not come through scripts/bench.sh.
for _key, _value in {
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_INTRA_OP_PARALLELISM_THREADS": str(os.cpu_count() or 2),
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
}.items():
    os.environ.setdefault(_key, _value)

TURNS_PER_CONVERSATION = 6
CHITCHAT = ("hello there", "I am sad", "yes", "are you a bot?", "I am great", "goodbye")
GREETINGS = ("hi there", "hello!", "good morning")
# Store questions that stay questions ("How do I start a return?" rightly starts the return form,
# which would take the order number that follows).
FAQS = (
    "How long does shipping take?",
    "How long does it take to get my refund?",
    "Do you offer express shipping?",
    "How much does shipping cost?",
    "Which countries do you ship to?",
)
# A turn the assistant could not serve ends in an apology (bot.web.delivery.APOLOGY when the
# turn said nothing, bot.dialogue.replies when a lookup failed): an error, though HTTP said 200.
FAILED_TURN = "sorry, something went wrong on my side"
ORDER_ID_RE = re.compile(r"\bORD-\d{6}\b", re.IGNORECASE)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


# --- shoppers and what they may see ---------------------------------------------------


@dataclass(frozen=True)
class Shopper:
    """One simulated shopper: who it is, and what only it may be told."""

    index: int
    order_id: str
    email: str
    tracking: Optional[str]

    @property
    def own(self) -> frozenset:
        return frozenset(x.lower() for x in (self.order_id, self.email, self.tracking) if x)


@dataclass
class Shop:
    """The shoppers of a run and every identifier of the shop a reply could leak."""

    shoppers: List[Shopper]
    order_ids: frozenset
    emails: frozenset
    trackings: frozenset

    def __post_init__(self) -> None:
        trackings = sorted(self.trackings, key=len, reverse=True)
        self._tracking_re = re.compile("|".join(re.escape(t) for t in trackings), re.IGNORECASE) if trackings else None

    def mentioned(self, text: str) -> set:
        """Identifiers of this shop (lowercased) that the text names."""
        found = {m.group(0).lower() for m in ORDER_ID_RE.finditer(text)} & self.order_ids
        found |= {m.group(0).lower() for m in EMAIL_RE.finditer(text)} & self.emails
        if self._tracking_re is not None:
            found |= {m.group(0).lower() for m in self._tracking_re.finditer(text)}
        return found


def shopper_turns(shopper: Shopper, conversation: int) -> List[Tuple[str, str]]:
    """The shop script: (turn name, message)."""
    k = shopper.index + conversation
    return [
        ("greet", GREETINGS[k % len(GREETINGS)]),
        ("faq", FAQS[k % len(FAQS)]),
        ("order_status", "where is my order?"),
        ("order_id", shopper.order_id),
        ("email", shopper.email),
        ("goodbye", "thanks, bye!"),
    ]


def chitchat_turns(shopper: Shopper, conversation: int) -> List[Tuple[str, str]]:
    return [(f"chitchat{i}", text) for i, text in enumerate(CHITCHAT)]


SCRIPTS: Dict[str, Callable[[Shopper, int], List[Tuple[str, str]]]] = {
    "shop": shopper_turns, "chitchat": chitchat_turns}


def reply_text(messages: Sequence[Any]) -> str:
    """Everything a shopper would read in the bot's messages (text, buttons, payloads)."""
    return json.dumps(list(messages), ensure_ascii=False)


def prepare_shop(db_path: Path, count: int, mode: str) -> Shop:
    """Pick (``demo``) or create (``private``) one order per shopper in the seeded SQLite shop."""
    con = sqlite3.connect(str(db_path))
    try:
        con.row_factory = sqlite3.Row
        rows = con.execute(
            "SELECT o.id AS id, c.email AS email, o.tracking_number AS tracking "
            "FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id").fetchall()
        if not rows:
            raise SystemExit(f"the shop database {db_path} has no orders (seeding failed?)")
        shoppers: List[Shopper] = []
        if mode == "demo":
            shoppers = [Shopper(k, rows[k % len(rows)]["id"], rows[k % len(rows)]["email"],
                                rows[k % len(rows)]["tracking"]) for k in range(count)]
        else:
            shoppers = _private_orders(con, rows, count)
            con.commit()
        every = con.execute(
            "SELECT o.id, c.email, o.tracking_number FROM orders o JOIN customers c ON c.id = o.customer_id"
        ).fetchall()
        emails = {r[0] for r in con.execute("SELECT email FROM customers")}
    finally:
        con.close()
    return Shop(shoppers,
                order_ids=frozenset(r[0].lower() for r in every),
                emails=frozenset(e.lower() for e in emails),
                trackings=frozenset(r[2].lower() for r in every if r[2]))


def _private_orders(con: sqlite3.Connection, rows: Sequence[Any], count: int) -> List[Shopper]:
    """Copies of the seeded orders (round-robin), each with a new number, owner and tracking.

    Columns are copied by name from the live schema, so a new column of the shop's tables
    travels along; only the identity columns change.
    """
    taken = {r["id"] for r in rows}
    order_cols = [c[1] for c in con.execute("PRAGMA table_info(orders)")]
    item_cols = [c[1] for c in con.execute("PRAGMA table_info(order_items)") if c[1] != "id"]
    customer_cols = [c[1] for c in con.execute("PRAGMA table_info(customers)") if c[1] != "id"]
    shoppers = []
    number = 700000
    for k in range(count):
        source = rows[k % len(rows)]
        while f"ORD-{number}" in taken:
            number += 1
        order_id = f"ORD-{number}"
        taken.add(order_id)
        number += 1
        email = f"shopper{k:04d}@bench.example"
        owner = con.execute("SELECT * FROM customers c WHERE c.id = (SELECT customer_id FROM orders WHERE id = ?)",
                            (source["id"],)).fetchone()
        values = {c: owner[c] for c in customer_cols}
        values.update(name=f"Bench Shopper {k}", email=email)
        cur = con.execute(f"INSERT INTO customers ({', '.join(customer_cols)}) VALUES "
                          f"({', '.join('?' for _ in customer_cols)})", [values[c] for c in customer_cols])
        customer_id = cur.lastrowid
        order = dict(con.execute("SELECT * FROM orders WHERE id = ?", (source["id"],)).fetchone())
        tracking = order.get("tracking_number")
        if tracking:
            tracking = f"{tracking[:-6]}{k:06d}"
        order.update(id=order_id, customer_id=customer_id, tracking_number=tracking)
        con.execute(f"INSERT INTO orders ({', '.join(order_cols)}) VALUES ({', '.join('?' for _ in order_cols)})",
                    [order[c] for c in order_cols])
        for item in con.execute(f"SELECT {', '.join(item_cols)} FROM order_items WHERE order_id = ?",
                                (source["id"],)).fetchall():
            item = dict(zip(item_cols, item))
            item["order_id"] = order_id
            con.execute(f"INSERT INTO order_items ({', '.join(item_cols)}) VALUES "
                        f"({', '.join('?' for _ in item_cols)})", [item[c] for c in item_cols])
        shoppers.append(Shopper(k, order_id, email, tracking))
    return shoppers


# --- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return answer.status == 200
    except OSError:
        return False


@dataclass
class Server:
    """A started server process (its log, its pid) and the address it answers on."""

    name: str
    url: str
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


@contextmanager
def running(name: str, command: List[str], port: int, ready_path: str, log: Path, env: Dict[str, str],
            cwd: Path, timeout: float = 900) -> Iterator[Server]:
    """Start a server, wait until ``ready_path`` answers 200, stop it (SIGTERM, then SIGKILL) after."""
    url = f"http://{HOST}:{port}"
    with open(log, "wb") as handle:
        proc = subprocess.Popen(command, cwd=str(cwd), env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = Server(name, url, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url + ready_path):
            if proc.poll() is not None:
                raise SystemExit(f"the {name} exited during start-up:\n{log.read_text(errors='replace')[-4000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the {name} was not ready after {timeout:.0f} s:\n"
                                 f"{log.read_text(errors='replace')[-4000:]}")
            time.sleep(1)
        print(f"[load] {name} ready at {url} (pid {proc.pid})", flush=True)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def launcher_kind(requested: str) -> str:
    """``ops``: bot.serving's launchers (scripts/run.sh on the ops branch); ``plain``: as tests/conftest.py."""
    if requested != "auto":
        return requested
    return "ops" if (ROOT / "bot" / "serving" / "action_server.py").exists() else "plain"


def server_commands(kind: str, model: Path, actions_port: int, rasa_port: int, endpoints: Path
                    ) -> Tuple[List[str], str, List[str]]:
    """(action server command, its readiness path, Rasa server command): the one place to switch
    when scripts/run.sh changes how the servers start."""
    rasa_args = ["run", "--model", str(model), "--enable-api", "-i", HOST, "--port", str(rasa_port),
                 "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(endpoints)]
    if kind == "ops":
        actions = [str(ACTIONS_PYTHON), "-m", "bot.serving.action_server", "--actions", "actions",
                   "--host", HOST, "--port", str(actions_port)]
        return actions, "/ready", [str(RASA_PYTHON), "-m", "bot.serving.rasa_run", *rasa_args[1:]]
    actions = [str(ACTIONS_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions_port)]
    return actions, "/health", [str(ROOT / ".venv" / "bin" / "rasa"), *rasa_args]


def bench_endpoints(text: str, action_url: str, tracker_db: Path) -> str:
    """endpoints.yml with this run's action server and tracker database, everything else as is.

    Text substitution, not a YAML round trip: Rasa expands ``${...}`` (the action server's
    secret header) only in plain scalars, which a dump could quote.
    """
    import yaml

    # the URL as run.sh's sed replaces it: the one in action_endpoint, which the nlg block
    # reuses through a YAML anchor
    text, urls = re.subn(r"http://127\.0\.0\.1:5055/webhook", action_url, text)
    text, dbs = re.subn(r"(?m)^(tracker_store:\s*\n(?:[ \t]+.*\n)*?[ \t]+db:[ \t]*).*$",
                        lambda m: f'{m.group(1)}"{tracker_db}"', text)
    parsed = yaml.safe_load(text)
    if (urls, dbs) != (1, 1) or parsed["action_endpoint"]["url"] != action_url \
            or parsed["tracker_store"]["db"] != str(tracker_db):
        raise SystemExit("endpoints.yml changed shape: update bench_endpoints() in benchmarks/load.py")
    return text


@contextmanager
def our_assistant(model: Path, work: Path, shoppers: int, orders: str, launcher: str,
                  extra_env: Optional[Dict[str, str]] = None) -> Iterator[Tuple[Server, Server, Shop]]:
    """The action server and ``rasa run`` over a fresh seeded shop in ``work``."""
    token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SHOPBOT_VAR_DIR": str(work),
        "SHOPBOT_DATABASE_URL": f"sqlite:///{work / 'shop.db'}",
        "SHOPBOT_INDEX_DIR": os.environ.get("SHOPBOT_INDEX_DIR") or str(ROOT / "var" / "index"),
        "SHOPBOT_KNOWLEDGE_DIR": os.environ.get("SHOPBOT_KNOWLEDGE_DIR") or str(ROOT / "knowledge"),
        "SHOPBOT_TRACKER_DB": str(work / "conversations.db"),
        "SHOPBOT_RASA_API_TOKEN": token,
        "SHOPBOT_ACTIONS_SECRET": secrets.token_urlsafe(24),
        "SHOPBOT_SESSION_SECRET": secrets.token_urlsafe(24),
        **(extra_env or {}),
    }
    for module in ("bot.shop.seed", "bot.retrieval.build"):
        subprocess.run([str(ACTIONS_PYTHON), "-m", module], cwd=str(ROOT), env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=1800)
    shop = prepare_shop(work / "shop.db", shoppers, orders)
    kind = launcher_kind(launcher)
    actions_port, rasa_port = free_port(), free_port()
    (work / "endpoints.yml").write_text(bench_endpoints((ROOT / "endpoints.yml").read_text(),
                                                        f"http://{HOST}:{actions_port}/webhook",
                                                        work / "conversations.db"))
    actions_cmd, actions_ready, rasa_cmd = server_commands(kind, model, actions_port, rasa_port, work / "endpoints.yml")
    print(f"[load] starting our assistant ({kind} launcher, model {model})", flush=True)
    with running("action server", actions_cmd, actions_port, actions_ready, work / "actions.log", env, ROOT) as actions:
        with running("Rasa server (ours)", rasa_cmd, rasa_port, f"/status?token={token}", work / "rasa.log", env,
                     ROOT) as rasa:
            yield rasa, actions, shop


BASELINE_CREDENTIALS = """\
rest:
socketio:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: false
"""


def baseline_model(cache: Path) -> Path:
    """The stock ``rasa init --no-prompt`` bot, trained once per Rasa version and cached."""
    from rasa import __version__ as rasa_version

    model = cache / f"rasa-init-{rasa_version}.tar.gz"
    if model.exists():
        return model
    cache.mkdir(parents=True, exist_ok=True)
    print(f"[load] training the stock rasa init bot once (cached as {model})...", flush=True)
    with tempfile.TemporaryDirectory(prefix="rasa-init-") as tmp:
        project = Path(tmp) / "bot"
        project.mkdir()
        env = {**os.environ, "PYTHONPATH": ""}
        log = cache / "rasa-init-training.log"
        with open(log, "wb") as handle:
            done = subprocess.run([str(ROOT / ".venv" / "bin" / "rasa"), "init", "--no-prompt", "--init-dir",
                                   str(project)], cwd=tmp, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                  timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"rasa init failed, see {log}")
        trained = sorted((project / "models").glob("*.tar.gz"))
        if not trained:
            raise SystemExit("rasa init did not produce a model")
        shutil.copy(trained[-1], model.with_suffix(".part"))
        model.with_suffix(".part").rename(model)
    return model


@contextmanager
def baseline_bot(model: Path, work: Path) -> Iterator[Server]:
    """The stock bot with Rasa's own REST and socket.io channels and the in-memory tracker store."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "credentials.yml").write_text(BASELINE_CREDENTIALS)
    port = free_port()
    command = [str(ROOT / ".venv" / "bin" / "rasa"), "run", "--model", str(model), "--enable-api", "-i", HOST,
               "--port", str(port), "--credentials", str(work / "credentials.yml")]
    env = {**os.environ, "PYTHONPATH": ""}
    with running("Rasa server (rasa init baseline)", command, port, "/status", work / "baseline.log", env,
                 work) as server:
        yield server


# --- CPU accounting --------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int, tree: bool = True) -> float:
    """User + system CPU of a process (and its descendants) so far."""
    total = 0.0
    for p in _tree(pid) if tree else [pid]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def main_thread_seconds(pid: int) -> float:
    """User + system CPU of a process's main thread (the event loop of a Sanic server)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


# --- clients ---------------------------------------------------------------------------


class RestClient:
    """One shopper over REST: its own HTTP connection, a fresh ``sender`` per conversation."""

    def __init__(self, url: str, run_id: str, shopper: Shopper, timeout: float) -> None:
        import aiohttp

        self.url = f"{url}/webhooks/rest/webhook"
        self.prefix = f"bench-{run_id}-{shopper.index}"
        self.sender = self.prefix
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout),
                                             connector=aiohttp.TCPConnector(limit=1))
        self.stray = 0

    async def start(self, conversation: int) -> None:
        self.sender = f"{self.prefix}-{conversation}"

    async def say(self, text: str) -> List[Any]:
        async with self.session.post(self.url, json={"sender": self.sender, "message": text}) as answer:
            if answer.status != 200:
                raise TransportError(f"HTTP {answer.status}")
            body = await answer.json(content_type=None)
        if not isinstance(body, list):
            raise TransportError("not a JSON list")
        return body

    async def close(self) -> None:
        await self.session.close()


class TransportError(Exception):
    """A request that got an answer, but not a usable one."""


class SocketClient:
    """One shopper over socket.io: its own connection; a new server-issued session per conversation.

    It announces itself as our widget (so our channel adds its extras, as for the real widget);
    Rasa's stock channel ignores that. A turn ends when the server acknowledges ``user_uttered``.
    """

    def __init__(self, url: str, run_id: str, shopper: Shopper, timeout: float) -> None:
        import socketio

        self.url = url
        self.timeout = timeout
        self.client = socketio.AsyncClient(reconnection=False)
        self.inbox: Optional[List[Any]] = None
        self.session: Any = None
        self.confirmed: Optional[asyncio.Future] = None
        self.stray = 0

        @self.client.on("bot_uttered")
        async def on_bot(data: Any) -> None:
            if self.inbox is None:
                self.stray += 1
            else:
                self.inbox.append(data)

        @self.client.on("session_confirm")
        async def on_confirm(data: Any) -> None:
            if self.confirmed is not None and not self.confirmed.done():
                self.confirmed.set_result(data.get("session_id") if isinstance(data, dict) else data)

    async def start(self, conversation: int) -> None:
        if not self.client.connected:
            await self.client.connect(self.url, socketio_path="/socket.io", transports=["websocket"],
                                      wait_timeout=self.timeout)
        self.confirmed = asyncio.get_running_loop().create_future()
        await self.client.emit("session_request", {"session_id": None, "client": {"name": "shopbot-widget"}})
        self.session = await asyncio.wait_for(self.confirmed, self.timeout)

    async def say(self, text: str) -> List[Any]:
        import socketio

        self.inbox = []
        try:
            await self.client.call("user_uttered", {"message": text, "session_id": self.session,
                                                    "customData": {"language": "en"}}, timeout=self.timeout)
        except socketio.exceptions.TimeoutError as error:
            raise asyncio.TimeoutError() from error
        finally:
            messages, self.inbox = self.inbox, None
        return messages

    async def close(self) -> None:
        try:
            await self.client.disconnect()
        except Exception:  # noqa: BLE001 - already gone
            pass


CLIENTS = {"rest": RestClient, "socketio": SocketClient}


# --- one cell --------------------------------------------------------------------------


@dataclass
class CellStats:
    latencies: List[float] = field(default_factory=list)
    # (turn name, seconds since the cell started when the turn was sent, latency): where and when it waits
    timed_turns: List[Tuple[str, float, float]] = field(default_factory=list)
    errors: Dict[str, int] = field(default_factory=dict)
    crosstalk: List[Dict[str, Any]] = field(default_factory=list)
    wrong: List[Dict[str, Any]] = field(default_factory=list)
    failed: List[Dict[str, Any]] = field(default_factory=list)
    stray: int = 0
    issued: int = 0
    cell_started: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def check_reply(stats: CellStats, shop: Shop, shopper: Shopper, turn: str, messages: List[Any], script: str,
                transcript: List[Tuple[str, str]]) -> None:
    """Cross-talk (another shopper's identifiers) and, for the order-status turn, the own order."""
    text = reply_text(messages)
    foreign = shop.mentioned(text) - shopper.own
    if foreign:
        stats.crosstalk.append({"shopper": shopper.index, "turn": turn, "foreign": sorted(foreign),
                                "reply": text[:300]})
    if script == "shop" and turn == "email" and shopper.order_id.lower() not in text.lower():
        stats.wrong.append({"shopper": shopper.index, "turn": turn,
                            "transcript": [f"{who}: {said[:160]}" for who, said in transcript]})


async def play_shopper(client: Any, shopper: Shopper, shop: Shop, script: str, conversations: int, think: float,
                       stats: CellStats, deadline: float, max_requests: int, rng: random.Random,
                       args_of_cell: Optional[argparse.Namespace] = None) -> None:
    loop = asyncio.get_running_loop()
    if think > 0:
        await asyncio.sleep(rng.uniform(0, think))
    for conversation in range(conversations):
        if loop.time() >= deadline or stats.issued >= max_requests:
            return
        try:
            await client.start(conversation)
        except Exception as error:  # noqa: BLE001 - counted, the shopper gives up
            stats.error(f"connect: {type(error).__name__}")
            return
        transcript: List[Tuple[str, str]] = []
        for turn, text in SCRIPTS[script](shopper, conversation):
            if loop.time() >= deadline or stats.issued >= max_requests:
                return
            stats.issued += 1
            started = loop.time()
            try:
                messages = await client.say(text)
            except asyncio.TimeoutError:
                stats.error("timeout")
                return  # the conversation's state is unknown now; this shopper stops
            except TransportError as error:
                stats.error(str(error))
                messages = None
            except Exception as error:  # noqa: BLE001 - connection resets and the like, counted
                stats.error(type(error).__name__)
                return
            if messages is not None:
                if not messages:
                    stats.error("empty reply")
                elif FAILED_TURN in reply_text(messages).lower():
                    stats.error("apology (the server failed the turn)")
                    transcript += [("shopper", text), ("bot", "(apology)")]
                    stats.failed.append({"shopper": shopper.index, "turn": turn,
                                         "transcript": [f"{who}: {said[:120]}" for who, said in transcript]})
                    check_reply(stats, shop, shopper, turn, messages, script, transcript)
                else:
                    stats.latencies.append(loop.time() - started)
                    stats.timed_turns.append((turn, started - stats.cell_started, loop.time() - started))
                    transcript += [("shopper", text), ("bot", " / ".join(
                        str(m.get("text") or m.get("custom") or m) if isinstance(m, dict) else str(m)
                        for m in messages))]
                    check_reply(stats, shop, shopper, turn, messages, script, transcript)
            if think > 0:
                jitter = getattr(args_of_cell, "think_jitter", 0.0) if args_of_cell else 0.0
                await asyncio.sleep(rng.uniform(think * (1 - jitter), think * (1 + jitter)) if jitter else think)


LOG_ERROR = re.compile(r"\b(ERROR|CRITICAL)\s+(\S+)\s+-\s+(.*)")
LOG_NOISE = re.compile(r"(?<!\w)'[^']*'|\b[0-9a-f]{8,}\b|\d+")


def log_size(log: Optional[Path]) -> int:
    try:
        return log.stat().st_size if log else 0
    except OSError:
        return 0


def log_errors(log: Optional[Path], since: int) -> Dict[str, int]:
    """ERROR lines a server logged since ``since`` (bytes), grouped with ids and numbers blanked."""
    if not log:
        return {}
    counts: Dict[str, int] = {}
    try:
        with open(log, "rb") as handle:
            handle.seek(since)
            text = handle.read().decode(errors="replace")
    except OSError:
        return {}
    for line in text.splitlines():
        found = LOG_ERROR.search(line)
        if found:
            key = f"{found.group(2)}: {LOG_NOISE.sub('_', found.group(3))[:160]}"
            counts[key] = counts.get(key, 0) + 1
    return counts


async def run_cell(url: str, transport: str, script: str, shop: Shop, n: int, think: float, args: argparse.Namespace,
                   run_id: str, pids: Dict[str, int], logs: Optional[Dict[str, Path]] = None) -> Dict[str, Any]:
    conversations = max(1, math.ceil(args.min_requests / (TURNS_PER_CONVERSATION * n)))
    max_requests = min(args.max_requests, conversations * TURNS_PER_CONVERSATION * n)
    stats = CellStats()
    rng = random.Random(f"{run_id}:{transport}:{script}:{n}:{think}")
    cell_id = f"{run_id}-{script}-{n}-{think:g}"  # a fresh REST sender per cell, shopper and conversation
    clients = [CLIENTS[transport](url, cell_id, shop.shoppers[k], args.request_timeout) for k in range(n)]
    cpu_before = {name: cpu_seconds(pid, tree=name != "client") for name, pid in pids.items()}
    loop_before = {name: main_thread_seconds(pid) for name, pid in pids.items() if name != "client"}
    logs = logs or {}
    log_before = {name: log_size(path) for name, path in logs.items()}
    loop = asyncio.get_running_loop()
    started = loop.time()
    stats.cell_started = started
    deadline = started + args.max_seconds
    try:
        await asyncio.gather(*(play_shopper(clients[k], shop.shoppers[k], shop, script, conversations, think, stats,
                                            deadline, max_requests, rng, args) for k in range(n)))
    finally:
        wall = loop.time() - started
        for client in clients:
            stats.stray += client.stray
        await asyncio.gather(*(client.close() for client in clients))
    cpu = {name: cpu_seconds(pid, tree=name != "client") - cpu_before[name] for name, pid in pids.items()}
    loop_cpu = {name: main_thread_seconds(pids[name]) - before for name, before in loop_before.items()}
    server_errors = {name: errors for name, path in logs.items() if (errors := log_errors(path, log_before[name]))}
    ok = len(stats.latencies)
    errors = sum(stats.errors.values())
    lat = stats.latencies

    def ms(value: Optional[float]) -> Optional[float]:
        return None if value is None else round(value * 1000, 1)

    return {
        "transport": transport, "script": script, "n": n, "think_s": think, "think_jitter": args.think_jitter,
        "conversations_per_shopper": conversations, "requests": stats.issued, "ok": ok, "errors": errors,
        "error_kinds": stats.errors, "crosstalk": len(stats.crosstalk), "crosstalk_examples": stats.crosstalk[:5],
        "wrong_answers": len(stats.wrong), "wrong_examples": stats.wrong[:3], "stray_messages": stats.stray,
        "failed_turn_examples": stats.failed[:3],
        "server_log_errors": server_errors,
        "wall_s": round(wall, 2), "msgs_per_s": round(ok / wall, 2) if wall > 0 else None,
        "p50_ms": ms(percentile(lat, 50)), "p95_ms": ms(percentile(lat, 95)), "p99_ms": ms(percentile(lat, 99)),
        "max_ms": ms(max(lat) if lat else None),
        "cpu_ms_per_msg": {name: round(1000 * seconds / ok, 1) if ok else None for name, seconds in cpu.items()},
        "cpu_s": {name: round(seconds, 2) for name, seconds in cpu.items()},
        # the servers' event-loop threads: one core at most, so 1000 / this bounds msgs/s
        "main_thread_cpu_ms_per_msg": {name: round(1000 * seconds / ok, 1) if ok else None
                                       for name, seconds in loop_cpu.items()},
        "by_turn": latency_breakdown(stats.timed_turns, key=lambda item: item[0]),
        "by_10s": latency_breakdown(stats.timed_turns, key=lambda item: f"{int(item[1] // 10) * 10:03d}s"),
    }


def latency_breakdown(timed: List[Tuple[str, float, float]], key: Any) -> Dict[str, Dict[str, Any]]:
    """p50/p95 (ms) and count per group of turns: by the script's turn, or by when it was sent."""
    groups: Dict[str, List[float]] = {}
    for item in timed:
        groups.setdefault(key(item), []).append(item[2])
    return {name: {"n": len(values), "p50_ms": round(1000 * percentile(values, 50), 1),
                   "p95_ms": round(1000 * percentile(values, 95), 1)}
            for name, values in sorted(groups.items())}


def trace_lines(path: Path) -> int:
    try:
        with open(path) as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def trace_summary(path: Path, skip: int) -> Dict[str, Dict[str, float]]:
    """Mean and p95 (ms per message) of each phase our Rasa server traced
    (``bot.serving.turn_trace``) for the turns of one cell: the lines after ``skip``."""
    try:
        with open(path) as handle:
            rows = [json.loads(line) for line in list(handle)[skip:]]
    except OSError:
        return {}
    phases = ("total", "lock", "queue", "infer", "resume", "infer_parse", "infer_predict", "action", "store", "calls")
    out = {}
    for phase in phases:
        values = [float(row.get(phase) or 0.0) for row in rows]
        if values:
            out[phase] = {"mean": round(sum(values) / len(values), 1), "p95": round(percentile(values, 95), 1)}
    return out


async def warm_up(url: str, transport: str, script: str, shop: Shop, run_id: str, args: argparse.Namespace) -> None:
    """One conversation not counted (first inference, lazy loading in the action server)."""
    client = CLIENTS[transport](url, f"{run_id}-warm", shop.shoppers[0], args.request_timeout)
    try:
        await client.start(0)
        for _, text in SCRIPTS[script](shop.shoppers[0], 0):
            await client.say(text)
    finally:
        await client.close()


# --- profiling -------------------------------------------------------------------------


class Profiler:
    """py-spy attached to the given processes for one cell (collapsed stacks, then SVG)."""

    def __init__(self, pyspy: str, out_dir: Path, rate: int) -> None:
        self.pyspy = pyspy
        self.out_dir = out_dir / "tmp"  # raw stacks (MBs): git-ignored; the SVGs and JSON go beside the results
        self.rate = rate
        self.procs: Dict[str, Tuple[subprocess.Popen, Path]] = {}

    def start(self, pids: Dict[str, int]) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            raw = self.out_dir / f"load_stacks_{name}.txt"
            command = [self.pyspy, "record", "--pid", str(pid), "--rate", str(self.rate), "--format", "raw",
                       "--idle", "--nonblocking", "-o", str(raw)]
            self.procs[name] = (subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), raw)
        time.sleep(1.0)  # py-spy attaches
        for name, (proc, _) in self.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"py-spy could not attach to {name}: {proc.stderr.read().decode(errors='replace')}")

    def stop(self) -> Dict[str, Path]:
        out = {}
        for name, (proc, raw) in self.procs.items():
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
            if raw.exists():
                out[name] = raw
            else:
                print(f"[load] py-spy wrote nothing for {name}: {proc.stderr.read().decode(errors='replace')}",
                      file=sys.stderr)
        return out


# --- main ------------------------------------------------------------------------------


def default_model() -> Optional[Path]:
    for candidate in (os.environ.get("SHOPBOT_MODEL"), str(ROOT / "models" / "shopbot.tar.gz"),
                      os.environ.get("SHOPBOT_TEST_MODEL")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def ints(text: str) -> List[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def floats(text: str) -> List[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def table(cells: List[Dict[str, Any]]) -> str:
    lines = ["| transport | think | N | bot / script | requests | msgs/s | p50 | p95 | p99 | errors | cross-talk |"
             " wrong | CPU ms/msg (rasa + actions) |", "|" + " --- |" * 13]
    for c in cells:
        cpu = c.get("cpu_ms_per_msg") or {}
        cpu_text = " + ".join(f"{cpu[k]:.0f}" for k in ("rasa", "actions") if cpu.get(k) is not None)
        lines.append(
            f"| {c['transport']} | {c['think_s']:g} s | {c['n']} | {c['bot']}/{c['script']} | {c['requests']} | "
            f"{c['msgs_per_s']} | {c['p50_ms']} | {c['p95_ms']} | {c['p99_ms']} | {c['errors']} | "
            f"{c['crosstalk']} | {c['wrong_answers']} | {cpu_text} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_model(),
                        help="our trained model (default: $SHOPBOT_MODEL, models/shopbot.tar.gz, $SHOPBOT_TEST_MODEL)")
    parser.add_argument("--transports", default="rest,socketio", help="rest, socketio or both")
    parser.add_argument("--n", type=ints, default=[1, 10, 50, 200], help="concurrent shoppers, e.g. 1,10,50,200")
    parser.add_argument("--think", type=floats, default=[0.0, 3.0], help="think times in seconds, e.g. 0,3")
    parser.add_argument("--bots", default="baseline,ours", help="baseline (rasa init), ours, or both")
    parser.add_argument("--scripts", default="chitchat,shop", help="which of ours to play (the baseline plays chitchat)")
    parser.add_argument("--min-requests", type=int, default=60, help="per cell: conversations enough for this many")
    parser.add_argument("--max-requests", type=int, default=2400, help="per cell, at most")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="per cell: no new turn after this")
    parser.add_argument("--request-timeout", type=float, default=180.0, help="seconds; a timeout is an error")
    parser.add_argument("--orders", choices=("private", "demo"), default="private",
                        help="private: one copied order per shopper; demo: the seeded orders, shared beyond 80")
    parser.add_argument("--launcher", choices=("auto", "ops", "plain"), default="auto",
                        help="ops: bot.serving's launchers; plain: rasa run + rasa_sdk; auto: ops when present")
    parser.add_argument("--profile", action="store_true", help="py-spy our servers during --profile-cell")
    parser.add_argument("--profile-cell", default="rest,shop,10,0", help="transport,script,N,think")
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or str(PYSPY_DEFAULT))
    parser.add_argument("--think-jitter", type=float, default=0.0,
                        help="each think time drawn uniformly from think x (1 +- this), e.g. 0.5: 1.5-4.5 s for 3 s; "
                             "0 (default): exactly the think time, which lets shoppers fall into lock-step")
    parser.add_argument("--trace", action="store_true",
                        help="our Rasa server traces each turn (SHOPBOT_TRACE_TURNS); cells get its phases")
    parser.add_argument("--note", default="", help="recorded with the results (machine state, caveats)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--ours-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for our two servers (experiments), repeatable")
    parser.add_argument("--keep-logs", type=Path, help="copy the servers' logs here at the end")
    args = parser.parse_args(argv)

    transports = [t for t in args.transports.split(",") if t]
    bots = [b for b in args.bots.split(",") if b]
    if "ours" in bots and (args.model is None or not args.model.is_file()):
        raise SystemExit("no model of the assistant: train one (bash scripts/train.sh) or pass --model")
    if args.profile and not Path(args.py_spy).exists() and not shutil.which(args.py_spy):
        raise SystemExit(f"py-spy not found at {args.py_spy}: python3 -m venv ~/.cache/shopbot/tools/pyspy && "
                         "~/.cache/shopbot/tools/pyspy/bin/pip install py-spy")
    run_id = secrets.token_hex(4)
    results: Dict[str, Any] = {
        "command": " ".join(["benchmarks/load.py", *(argv if argv is not None else sys.argv[1:])]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "cpus": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()), "note": args.note,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "cells": [],
    }
    profile: Dict[str, Any] = {}
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shopbot-load-")))
        if args.keep_logs:  # runs after the servers stopped, before the folder goes
            stack.callback(lambda: [shutil.copy(log, args.keep_logs / log.name) for log in work.rglob("*.log")
                                    if args.keep_logs.mkdir(parents=True, exist_ok=True) is None])
        servers: Dict[str, Tuple[str, Dict[str, int], Dict[str, Path]]] = {}  # url, pids, logs
        shop: Optional[Shop] = None
        if "baseline" in bots:
            base = stack.enter_context(baseline_bot(baseline_model(CACHE), work / "baseline"))
            servers["baseline"] = (base.url, {"rasa": base.pid}, {"rasa": base.log})
            results["baseline_model"] = "rasa init --no-prompt (stock), in-memory tracker store"
        if "ours" in bots:
            (work / "ours").mkdir()
            rasa, actions, shop = stack.enter_context(
                our_assistant(args.model, work / "ours", max(args.n), args.orders, args.launcher,
                              {**dict(item.split("=", 1) for item in args.ours_env),
                               **({"SHOPBOT_TRACE_TURNS": str(work / "ours" / "turns.jsonl")} if args.trace else {})}))
            servers["ours"] = (rasa.url, {"rasa": rasa.pid, "actions": actions.pid},
                               {"rasa": rasa.log, "actions": actions.log})
            results["model"] = str(args.model)
            results["launcher"] = launcher_kind(args.launcher)
        if shop is None:  # baseline only: shoppers without orders (the chit-chat script needs none)
            shop = Shop([Shopper(k, f"ORD-{900000 + k}", f"s{k}@bench.example", None) for k in range(max(args.n))],
                        frozenset(), frozenset(), frozenset())
        plan = [(bot, script) for bot, script in (("baseline", "chitchat"), ("ours", "chitchat"), ("ours", "shop"))
                if bot in servers and (bot == "baseline" or script in args.scripts.split(","))]

        async def go() -> None:
            for transport in transports:
                for bot, script in plan:
                    await warm_up(servers[bot][0], transport, script, shop, run_id, args)
            for transport in transports:
                for think in args.think:
                    for n in args.n:
                        for bot, script in plan:
                            url, pids, logs = servers[bot]
                            pids = {**pids, "client": os.getpid()}
                            profiling = (args.profile and bot == "ours"
                                         and args.profile_cell == f"{transport},{script},{n},{think:g}")
                            profiler = Profiler(args.py_spy, args.output.parent, args.profile_rate) if profiling else None
                            if profiler:
                                profiler.start({k: v for k, v in pids.items() if k != "client"})
                            trace = work / "ours" / "turns.jsonl"
                            traced_before = trace_lines(trace) if args.trace and bot == "ours" else None
                            cell = await run_cell(url, transport, script, shop, n, think, args, run_id, pids, logs)
                            if traced_before is not None:
                                cell["server_phases_ms"] = trace_summary(trace, traced_before)
                            if profiler:
                                profile["cell"] = cell
                                profile["rate"] = args.profile_rate
                                profile["raw"] = {k: str(v) for k, v in profiler.stop().items()}
                            cell = {"bot": bot, **cell, **({"profiled_with_py_spy": True} if profiler else {})}
                            results["cells"].append(cell)
                            print(f"[load] {transport} think={think:g}s N={n} {bot}/{script}: "
                                  f"{cell['ok']}/{cell['requests']} ok, {cell['msgs_per_s']} msgs/s, "
                                  f"p50 {cell['p50_ms']} p95 {cell['p95_ms']} p99 {cell['p99_ms']} ms, "
                                  f"errors {cell['error_kinds'] or 0}, cross-talk {cell['crosstalk']}, "
                                  f"wrong {cell['wrong_answers']}, stray {cell['stray_messages']}, "
                                  f"server log errors {sum(sum(e.values()) for e in cell['server_log_errors'].values())}, "
                                  f"cpu ms/msg {cell['cpu_ms_per_msg']} (main threads "
                                  f"{cell['main_thread_cpu_ms_per_msg']})", flush=True)

        asyncio.run(go())
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    results["load_average_at_end"] = list(os.getloadavg())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results["cells"]))
    print(f"[load] results: {args.output}")
    if profile.get("raw"):
        from benchmarks.flame import profile_report

        report = profile_report(profile, args.output.parent)
        print(json.dumps(report["summary"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
