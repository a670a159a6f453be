"""What the web side accepts: origins, request sizes, and who is asking.

- ``SHOPBOT_ALLOWED_ORIGINS``: comma-separated origins (``https://shop.example.com``) whose
  pages may embed the widget. Browsers on any other site can neither open the socket.io
  connection nor read the APIs. The server's own origin is always allowed.
- ``SHOPBOT_MAX_REQUEST_BYTES``: the largest HTTP body or socket.io packet (default 2 MiB;
  Sanic's own default is 100 MB). Messages are further cut to ``SHOPBOT_MAX_MESSAGE_CHARS``
  (``bot.web.inbound``).
"""

import os
from typing import Any, Dict, List, Optional, Text

import engineio
import socketio

DEFAULT_MAX_REQUEST_BYTES = 2 * 1024 * 1024
WIDGET_CLIENT = "shopbot-widget"


def allowed_origins() -> List[Text]:
    """The origins of ``SHOPBOT_ALLOWED_ORIGINS`` (normalized, no trailing slash)."""
    raw = os.environ.get("SHOPBOT_ALLOWED_ORIGINS", "")
    return [o.strip().rstrip("/") for o in raw.split(",") if o.strip() and o.strip() != "*"]


def max_request_bytes() -> int:
    try:
        return max(64 * 1024, int(os.environ.get("SHOPBOT_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES)))
    except ValueError:
        return DEFAULT_MAX_REQUEST_BYTES


def cap_request_size(app: Any) -> None:
    """Sanic refuses (413) bodies over the limit before reading them."""
    app.config.REQUEST_MAX_SIZE = max_request_bytes()


def socket_origins() -> Optional[List[Text]]:
    """For engine.io: None = the server's own origin only (plus the allow-list, below)."""
    return None


class _OriginCheckingEngineServer(engineio.AsyncServer):
    """engine.io's same-origin check, widened by the allow-list (never to any origin)."""

    def _cors_allowed_origins(self, environ: Dict[Text, Any]) -> List[Text]:
        own = super()._cors_allowed_origins(environ) or []
        return list(own) + allowed_origins()


class ShopSocketServer(socketio.AsyncServer):
    """python-socketio's server whose Origin check allows the server itself and the allow-list."""

    def _engineio_server_class(self) -> Any:
        return _OriginCheckingEngineServer


def announces_widget(data: Dict[Text, Any]) -> bool:
    """Whether a ``session_request`` comes from our widget, which reads our message extras."""
    client = data.get("client")
    return isinstance(client, dict) and client.get("name") == WIDGET_CLIENT


def client_address(request: Any) -> Optional[Text]:
    """The client's address, behind trusted proxies when configured (``bot.web.proxy``)."""
    from bot.web.proxy import client_address as through_proxies

    return through_proxies(request) or None
