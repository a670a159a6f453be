"""In-process Sanic servers and a bare HTTP client for the web side's tests.

Several Sanic apps start in one test process: Sanic 21.12 rewrites its request-handling
methods for each app that starts ("TouchUp"), and only in test mode from the originals,
so importing this module sets ``Sanic.test_mode``.
"""

import asyncio
import http.client
import re
import socket
import threading
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import urlencode

from sanic import Sanic

Sanic.test_mode = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: Sanic, host: str = "0.0.0.0", before_start: bool = False) -> Tuple[int, Callable[[], None]]:
    """Run ``app`` on a free port in a thread of its own; returns (port, stop).

    ``before_start`` runs the app's before-start listeners too (where sanic-cors installs
    its middleware), as ``rasa run`` does.
    """
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(app.create_server(host, port, return_asyncio_server=True,
                                                           access_log=False))
        loop.run_until_complete(server.startup())
        if before_start:
            loop.run_until_complete(server.before_start())
        loop.run_until_complete(server.start_serving())
        if before_start:
            loop.run_until_complete(server.after_start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30), "the test server did not start"

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    return port, stop


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """Just enough of a browser: cookies, no automatic redirects, and optionally the client
    address a trusted proxy would report (``client``) or another source address."""

    def __init__(self, port: int, client: Optional[str] = None, source: str = "127.0.0.1") -> None:
        self.port, self.client, self.source = port, client, source
        self.cookies: Dict[str, str] = {}

    def request(self, method: str, path: str, form: Optional[Dict] = None, headers: Optional[Dict] = None,
                send_only: bool = False) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                                source_address=(self.source, 0))
        headers = dict(headers or {})
        if self.client:
            headers.setdefault("X-Forwarded-For", self.client)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        if send_only:
            return connection
        return self.receive(connection)

    def receive(self, connection: http.client.HTTPConnection) -> Any:
        resp = connection.getresponse()
        data = resp.read()
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                val = rest.split(";", 1)[0].strip('"')
                if val and "max-age=0" not in value.lower():
                    self.cookies[name] = val
                else:
                    self.cookies.pop(name, None)
        resp.body, resp.text = data, data.decode("utf-8", "replace")
        resp.set_cookies = [v for h, v in resp.getheaders() if h.lower() == "set-cookie"]
        return resp

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: Optional[Dict] = None, **kw: Any) -> Any:
        return self.request("POST", path, form=form or {}, **kw)

    def csrf(self, path: str = "/staff/") -> str:
        return CSRF_FIELD.search(self.get(path).text).group(1)

    def form_token(self) -> str:
        return self.csrf("/staff/login")

    def login(self, email: str, password: str, token: Optional[str] = None, next_url: Optional[str] = None,
              **kw: Any) -> Any:
        form = {"email": email, "password": password, "csrf_token": token or self.form_token()}
        if next_url:
            form["next"] = next_url
        return self.post("/staff/login", form, **kw)
