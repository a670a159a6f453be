"""Talking to the real server as a client would: REST, socket.io, the shopper API.

Tokens are what a client holds; conversation ids are what the server stores. Tests that
look inside the tracker store derive the id the way the server does, with the test
session's secret (``conversation_id``).
"""

import asyncio
import json
import os
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

TIMEOUT = 120


def call(method: str, url: str, payload: Any = None, raw: Optional[bytes] = None,
         headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any]:
    """(status, JSON body) of one request; 4xx/5xx answers are returned, not raised."""
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            body = answer.read()
            return answer.status, json.loads(body) if body else None
    except urllib.error.HTTPError as err:
        body = err.read()
        try:
            return err.code, json.loads(body)
        except ValueError:
            return err.code, body.decode(errors="replace")


def say_rest(server: Dict[str, Any], sender: str, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
    payload: Dict[str, Any] = {"sender": sender, "message": text}
    if metadata is not None:
        payload["metadata"] = metadata
    status, body = call("POST", f"{server['url']}/webhooks/rest/webhook", payload)
    assert status == 200, body
    return body


def run_async(coro: Any) -> Any:
    """Run a coroutine to completion on a loop of its own, in a thread of its own (Playwright's
    sync API keeps an event loop running in the test thread, where asyncio.run refuses)."""
    import threading

    result: Dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def session_headers(token: str) -> Dict[str, str]:
    return {"X-Session-Token": token}


def history(server: Dict[str, Any], token: str) -> List[Dict]:
    status, body = call("GET", f"{server['url']}/web/api/history", headers=session_headers(token))
    assert status == 200, body
    return body["messages"]


@contextmanager
def server_secrets(server: Dict[str, Any]):
    """The test process computes with the server's secrets (same env as the servers)."""
    env = server["env"]
    saved = {k: os.environ.get(k) for k in ("SHOPBOT_SECRETS_DIR", "SHOPBOT_SESSION_SECRET")}
    if env.get("SHOPBOT_SESSION_SECRET"):
        os.environ["SHOPBOT_SESSION_SECRET"] = env["SHOPBOT_SESSION_SECRET"]
    else:
        os.environ.pop("SHOPBOT_SESSION_SECRET", None)
        os.environ["SHOPBOT_SECRETS_DIR"] = env.get("SHOPBOT_SECRETS_DIR") or str(
            Path(env["SHOPBOT_VAR_DIR"]) / "secrets")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def conversation_id(server: Dict[str, Any], token: str) -> Optional[str]:
    from bot.web.sessions import conversation_of

    with server_secrets(server):
        return conversation_of(token)


def rest_conversation_id(server: Dict[str, Any], sender: str) -> str:
    from bot.web.sessions import rest_conversation

    with server_secrets(server):
        return rest_conversation(sender)


class SocketShopper:
    """A socket.io client speaking Rasa's protocol (optionally announcing our widget)."""

    def __init__(self, server: Dict[str, Any], widget: bool = True, origin: Optional[str] = None) -> None:
        import socketio

        self.server = server
        self.widget = widget
        self.origin = origin
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: List[Dict] = []
        self.confirmed: List[Any] = []
        self._event: Optional[asyncio.Event] = None
        self.token: Optional[str] = None

        @self.client.on("bot_uttered")
        async def on_bot(data: Dict) -> None:
            self.received.append(data)
            if self._event:
                self._event.set()

        @self.client.on("session_confirm")
        async def on_confirm(data: Any) -> None:
            self.confirmed.append(data)
            self.token = data.get("session_id") if isinstance(data, dict) else data
            if self._event:
                self._event.set()

    async def connect(self, token: Optional[str] = None) -> str:
        self._event = asyncio.Event()
        headers = {"Origin": self.origin} if self.origin else {}
        await self.client.connect(self.server["url"], socketio_path="/socket.io", transports=["websocket"],
                                  headers=headers)
        request: Dict[str, Any] = {"session_id": token}
        if self.widget:
            request["client"] = {"name": "shopbot-widget", "version": 2}
        await self.client.emit("session_request", request)
        await asyncio.wait_for(self._wait(lambda: bool(self.confirmed)), 30)
        return str(self.token)

    async def _wait(self, condition) -> None:
        while not condition():
            self._event.clear()
            await self._event.wait()

    async def say(self, text: str, session_id: Any = "<own>", custom: Optional[Dict] = None,
                  quiet_after: float = 1.5, timeout: float = TIMEOUT) -> List[Dict]:
        """Send a message; returns the bot messages that arrive until it has been quiet a while."""
        start = len(self.received)
        data: Dict[str, Any] = {"message": text, "session_id": self.token if session_id == "<own>" else session_id}
        if custom is not None:
            data["customData"] = custom
        await self.client.emit("user_uttered", data)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.received) == start and loop.time() < deadline:
            await asyncio.sleep(0.05)
        last = -1
        while len(self.received) != last and loop.time() < deadline:
            last = len(self.received)
            await asyncio.sleep(quiet_after)
        return self.received[start:]

    async def close(self) -> None:
        await self.client.disconnect()
