"""The demo shop's "Sign in as" picker: identity tokens for the named demo customers.

A real shop's site signs its logged-in shopper's token itself, server-side, with the
shared secret (``bot.identity.tokens``). The demo shop has no login, so these two
routes stand in for it, on the Rasa server's web app:

    GET  /web/api/demo/customers   {"customers": [{"name", "email"}, ...]}
    POST /web/api/demo/sign-in     {"email"} -> {"identity": "<jwt>", "name", "expires_at"}

They hand out a token for a customer to anyone who asks, so they exist only for the
demo: off (404, as if absent) unless ``SHOPBOT_DEMO=1``, which ``scripts/run.sh`` sets.
Even then only the named demo customers of ``bot.shop.seed`` who are in the shop
database can be signed in as, never any other customer of a real shop's database.
"""

import logging
import os
import time
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

DEMO_ENV = "SHOPBOT_DEMO"
DEMO_TTL_SECONDS = 2 * 3600
CUSTOMERS_PATH = "/web/api/demo/customers"
SIGN_IN_PATH = "/web/api/demo/sign-in"
NO_STORE = {"Cache-Control": "no-store"}


def demo_enabled() -> bool:
    """``SHOPBOT_DEMO=1`` (read on every request, so the routes follow the setting)."""
    return os.environ.get(DEMO_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def demo_customers(db: Optional[Any] = None) -> List[Any]:
    """The named demo customers (``bot.shop.seed.DEMO_CUSTOMERS``) that the shop database has, in their order."""
    from bot.shop.customers import find_customers
    from bot.shop.seed import DEMO_CUSTOMERS
    from bot.web.store import ShopTables

    return find_customers(db or ShopTables(), [email for _, email in DEMO_CUSTOMERS])


def _error(status: int, message: Text) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=NO_STORE)


def _not_found() -> HTTPResponse:
    return _error(404, "not found")


def add_demo_routes(bp: Blueprint) -> None:
    """Register the demo sign-in routes on the web app's (root-mounted) blueprint."""

    @bp.route(CUSTOMERS_PATH, methods=["GET"])
    async def list_customers(_: Request) -> HTTPResponse:
        if not demo_enabled():
            return _not_found()
        try:
            customers = demo_customers()
        except Exception:  # noqa: BLE001 - the page shows no picker; the log has the trace
            logger.exception("listing the demo customers failed")
            return _error(500, "the demo customers could not be read")
        return response.json({"customers": [{"name": c.name, "email": c.email} for c in customers]},
                             headers=NO_STORE)

    @bp.route(SIGN_IN_PATH, methods=["POST"])
    async def sign_in(request: Request) -> HTTPResponse:
        if not demo_enabled():
            return _not_found()
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - malformed JSON
            body = None
        email = body.get("email") if isinstance(body, dict) else None
        if not isinstance(email, str) or not email.strip() or len(email) > 254:
            return _error(400, 'expected a JSON object: {"email": "..."}')
        try:
            customers = demo_customers()
        except Exception:  # noqa: BLE001
            logger.exception("reading the demo customers failed")
            return _error(500, "the demo customers could not be read")
        wanted = email.strip().lower()
        customer = next((c for c in customers if c.email == wanted), None)
        if customer is None:
            return _error(404, "no demo customer has this e-mail")
        return response.json(_signed_in(customer), headers=NO_STORE)


def _signed_in(customer: Any) -> Dict[Text, Any]:
    from bot.identity.tokens import mint

    issued = int(time.time())
    token = mint(customer.id, ttl_seconds=DEMO_TTL_SECONDS, now=issued)
    expires_at = datetime.fromtimestamp(issued + DEMO_TTL_SECONDS, tz=timezone.utc)
    return {"identity": token, "name": customer.name, "expires_at": expires_at.isoformat()}
