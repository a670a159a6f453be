"""``GET /web/api/ready`` on the Rasa server: is the whole assistant ready to answer?

Rasa's own ``/status`` needs the API token and says nothing about the action server;
a shopper is only answered well when both the model is loaded *and* the action server
has warmed its services (encoder, index, graph, database). This endpoint answers
200 ``{"ready": true}`` only then, else 503 with what is missing, so run.sh (and a
load balancer or orchestrator) can wait for it. It needs no token and reveals nothing
but readiness.

The action server is asked at its ``/ready`` (next to the ``/webhook`` of the agent's
``action_endpoint``), with the endpoint's own headers (the shared secret).

Measured on the demo shop (2 CPUs): the first message after ``rasa run`` is up took
0.35 s against 0.2 s later, so Rasa's own first prediction needs no warm-up; the
slow first answers (a store question 21 s, an order question 2.2 s) were the action
server's lazy services, which ``bot.serving.warmup`` now loads before it is ready.
"""

import logging
from typing import Any, Dict, List, Optional, Text, Tuple
from urllib.parse import urlsplit, urlunsplit

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

READY_PATH = "/web/api/ready"
ACTIONS_READY_TIMEOUT = 3.0


def actions_ready_url(webhook_url: Text) -> Text:
    """``http://host:5055/webhook`` -> ``http://host:5055/ready`` (same directory)."""
    parts = urlsplit(webhook_url)
    path = parts.path.rstrip("/")
    base = path.rsplit("/", 1)[0] if "/" in path else ""
    return urlunsplit((parts.scheme, parts.netloc, f"{base}/ready", "", ""))


async def action_server_state(endpoint: Any) -> Tuple[bool, Text]:
    """(ready, reason) of the action server behind Rasa's ``action_endpoint``."""
    import aiohttp

    if endpoint is None or not getattr(endpoint, "url", None):
        return True, "not configured"
    url = actions_ready_url(endpoint.url)
    headers = dict(getattr(endpoint, "headers", None) or {})
    try:
        timeout = aiohttp.ClientTimeout(total=ACTIONS_READY_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url, headers=headers) as answer:
                if answer.status == 200:
                    return True, "ready"
                if answer.status == 503:
                    try:
                        body = await answer.json()
                    except Exception:  # noqa: BLE001 - any body: still not ready
                        body = {}
                    return False, str(body.get("state") or "warming")
                return False, f"answered {answer.status}"
    except Exception as error:  # noqa: BLE001 - down, refused, timed out
        return False, f"unreachable ({type(error).__name__})"


async def readiness(app: Any) -> Tuple[int, Dict[Text, Any]]:
    """(HTTP status, body) for ``/web/api/ready``."""
    agent = getattr(app.ctx, "agent", None)
    missing: List[Text] = []
    body: Dict[Text, Any] = {}
    model_loaded = bool(agent is not None and agent.is_ready())
    body["model"] = "loaded" if model_loaded else "not loaded"
    if not model_loaded:
        missing.append("model")
    endpoint: Optional[Any] = getattr(agent, "action_endpoint", None) if agent is not None else None
    actions_ok, actions_state = await action_server_state(endpoint)
    body["actions"] = actions_state
    if not actions_ok:
        missing.append("actions")
    body["ready"] = not missing
    if missing:
        body["missing"] = missing
    return (200 if not missing else 503), body


def add_health_routes(bp: Blueprint) -> None:
    """Register ``GET /web/api/ready`` on the web app's (root-mounted) blueprint."""

    @bp.route(READY_PATH, methods=["GET"])
    async def ready(request: Request) -> HTTPResponse:
        status, body = await readiness(request.app)
        return response.json(body, status=status, headers={"Cache-Control": "no-store"})
