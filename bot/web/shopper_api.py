"""The widget's HTTP API: a conversation's history, clearing it, feedback and consent.

Every call proves whose data it is with a token the server issued, in a header, never
with an id alone (ids appear in logs, URLs and the staff console):

    X-Session-Token  the chat session token of ``session_confirm`` (``bot.web.sessions``)
    X-Shopper-Token  the widget's stable shopper token (``POST /web/api/shopper``)

    GET    /web/api/history        the shopper's and the bot's messages, in order
    DELETE /web/api/history        clear the conversation: its stored events are deleted
    POST   /web/api/feedback       {turn, value: up|down}
    POST   /web/api/click          {product_id, source?}  (a product card was opened; source:
                                   the recommendation's source, one of RECOMMENDATION_SOURCES)
    POST   /web/api/shopper        a new shopper token (the widget keeps it)
    POST   /web/api/consent        {personalization: bool}      (X-Identity-Token or X-Shopper-Token)
                                   {marketing: bool}             (X-Identity-Token only: offers)
    GET    /web/api/consent                                      (X-Identity-Token or X-Shopper-Token)
    POST   /web/api/campaign/opt-out?t=<signed>   a campaign card's "No more offers": marketing off
                                   (source card) for the customer the signed token names
    GET    /web/api/campaign/opt-out?t=<signed>   the same from an e-mail: a page with the button
    GET    /web/api/campaign/click?t=<signed>   a campaign card's (or e-mail's) link: records the
                                   click for the campaign, customer and variant the signed token
                                   names (``bot.campaigns.delivery``), then redirects to the
                                   product page stored with that customer's message

Consent: with a valid ``X-Identity-Token`` (the signed-in shopper's JWT, as the widget
sends it) the switch is the customer's own choice, the flag the chat sets too
(``bot.web.privacy_api``, ``"scope": "customer"``); without one it is kept per widget
shopper token (``"scope": "session"``).

The history comes from the running agent's tracker store, so it survives a reload and
another device with the same session token. Every error is a JSON ``{"error": ...}``
with a 4xx status, never a stack trace; a missing or forged token is 401.
"""

import logging
import math
import re
from functools import wraps
from typing import Any, Callable, Dict, List, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.names import GREET, HUMAN_HANDOFF, command
from bot.web.privacy_api import get_customer_consent, set_customer_consent, signed_in_customer
from bot.web.sessions import conversation_of, issue_shopper, shopper_of
from bot.web.store import FEEDBACK_VALUES, get_store, recommendation_source, turn_key

logger = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
OPT_OUT_ROUTE = "/web/api/campaign/opt-out"  # bot.campaigns.delivery.OPT_OUT_PATH (checked by a test)
SESSION_HEADER = "X-Session-Token"
SHOPPER_HEADER = "X-Shopper-Token"
# what the widget sends for its own buttons, shown in the history as the button read
WIDGET_COMMANDS = {command(HUMAN_HANDOFF): "Talk to a person", command(GREET): "Hi"}


def error(status: int, message: Text) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def valid_id(value: Any) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def _json_body(request: Request) -> Optional[Dict[Text, Any]]:
    try:
        body = request.json
    except Exception:  # sanic raises on malformed JSON
        return None
    return body if isinstance(body, dict) else None


def _agent(request: Request) -> Any:
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return None
    return agent


def history_messages(events: List[Any]) -> List[Dict[Text, Any]]:
    """The visible messages of a conversation since its last restart, oldest first.

    A user message that is a button's payload is shown as the button's title, the way
    the widget showed it when the shopper clicked.
    """
    from rasa.shared.core.events import BotUttered, Restarted, UserUttered

    messages: List[Dict[Text, Any]] = []
    titles: Dict[Text, Text] = dict(WIDGET_COMMANDS)
    for event in events:
        if isinstance(event, Restarted):
            messages, titles = [], dict(WIDGET_COMMANDS)
        elif isinstance(event, UserUttered):
            text = event.text or ""
            if not text:
                continue
            messages.append({"from": "user", "text": titles.get(text, text), "timestamp": event.timestamp})
        elif isinstance(event, BotUttered):
            data = event.data or {}
            metadata = event.metadata or {}
            buttons = data.get("buttons") or data.get("quick_replies") or []
            message: Dict[Text, Any] = {"from": "bot", "text": event.text or "", "timestamp": event.timestamp}
            if buttons:
                message["buttons"] = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                                      for b in buttons if isinstance(b, dict)]
                for b in message["buttons"]:
                    titles[b["payload"]] = b["title"]
            if data.get("custom"):
                message["custom"] = data["custom"]
            image = data.get("image")
            attachment = data.get("attachment")
            if not image and isinstance(attachment, dict) and isinstance(attachment.get("payload"), dict):
                image = attachment["payload"].get("src")
            if image:
                message["image"] = image
            if metadata.get("from") == "agent":
                message["from"] = "agent"
                message["agent"] = metadata.get("agent") or ""
            if message["text"] or buttons or message.get("custom") or image:
                messages.append(message)
    return messages


async def _full_tracker(agent: Any, sender_id: Text) -> Any:
    store = agent.tracker_store
    retrieve = getattr(store, "retrieve_full_tracker", None) or store.retrieve
    return await retrieve(sender_id)


PRODUCT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def stored_json(call: Callable[[], Any], failure: Text) -> HTTPResponse:
    """The store's answer as JSON; a database failure is logged and answered 500, plainly."""
    try:
        return response.json(call())
    except Exception:  # noqa: BLE001 - the shopper's widget gets a plain error, the log the trace
        logger.exception(failure)
        return error(500, failure)


def session_of(request: Request) -> Optional[Text]:
    """The conversation the request's session token opens, else None."""
    return conversation_of(request.headers.get(SESSION_HEADER))


def shopper_key_of(request: Request) -> Optional[Text]:
    return shopper_of(request.headers.get(SHOPPER_HEADER))


NEED_SESSION = "a valid X-Session-Token header is required"
NEED_SHOPPER = "a valid X-Shopper-Token header is required"


def owned(key_of: Callable[[Request], Optional[Text]], need: Text, with_body: bool = False) -> Callable:
    """Decorator: the handler gets whose data it is (from the request's token, else 401)
    and, ``with_body``, the JSON object sent (else 400)."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            owner = key_of(request)
            if owner is None:
                return error(401, need)
            if not with_body:
                return await handler(request, owner, *args, **kwargs)
            body = _json_body(request)
            if body is None:
                return error(400, "expected a JSON object")
            return await handler(request, owner, body, *args, **kwargs)

        return wrapper

    return decorate


async def clear_conversation(agent: Any, sender_id: Text) -> bool:
    """Delete every stored event of the conversation (falls back to a ``Restarted`` where
    the configured tracker store cannot delete)."""
    from bot.web.tracker_store import delete_conversation

    store = agent.tracker_store
    async with agent.lock_store.lock(sender_id):
        tracker = await store.retrieve(sender_id)
        if tracker is None:
            return False
        if not await delete_conversation(store, sender_id):
            from rasa.shared.core.events import Restarted

            tracker.update(Restarted())
            await store.save(tracker)
    return True


def add_shopper_routes(bp: Blueprint) -> None:
    """Mount the shopper API on the web app's blueprint."""

    @bp.route("/web/api/history", methods=["GET"])
    @owned(session_of, NEED_SESSION)
    async def get_history(request: Request, sender_id: Text) -> HTTPResponse:
        agent = _agent(request)
        if agent is None:
            return error(503, "the assistant is not ready")
        try:
            tracker = await _full_tracker(agent, sender_id)
            messages = history_messages(list(tracker.events)) if tracker else []
            feedback = get_store().feedback_for(sender_id) if messages else {}
        except Exception:
            logger.exception("reading the history of a conversation failed")
            return error(500, "the history could not be read")
        for message in messages:
            if message["from"] in ("bot", "agent"):
                value = feedback.get(turn_key(message["timestamp"]))
                if value:
                    message["feedback"] = value
        return response.json({"messages": messages, "paused": bool(tracker and tracker.is_paused())})

    @bp.route("/web/api/history", methods=["DELETE"])
    @owned(session_of, NEED_SESSION)
    async def clear_history(request: Request, sender_id: Text) -> HTTPResponse:
        agent = _agent(request)
        if agent is None:
            return error(503, "the assistant is not ready")
        try:
            cleared = await clear_conversation(agent, sender_id)
        except Exception:
            logger.exception("clearing a conversation failed")
            return error(500, "the conversation could not be cleared")
        return response.json({"cleared": cleared})

    @bp.route("/web/api/feedback", methods=["POST"])
    @owned(session_of, NEED_SESSION, with_body=True)
    async def post_feedback(request: Request, sender_id: Text, body: Dict[Text, Any]) -> HTTPResponse:
        turn, value = body.get("turn"), body.get("value")
        if value not in FEEDBACK_VALUES:
            return error(400, "value must be 'up' or 'down'")
        if isinstance(turn, bool) or not isinstance(turn, (int, float)) or not math.isfinite(turn) or turn <= 0:
            return error(400, "turn must be the bot message's timestamp")
        return stored_json(lambda: _public(get_store().set_feedback(sender_id, turn, value)),
                           "the feedback could not be stored")

    @bp.route("/web/api/click", methods=["POST"])
    @owned(session_of, NEED_SESSION, with_body=True)
    async def post_click(request: Request, sender_id: Text, body: Dict[Text, Any]) -> HTTPResponse:
        product_id = body.get("product_id")
        if not isinstance(product_id, str) or not PRODUCT_ID.match(product_id):
            return error(400, "invalid product_id")
        source = recommendation_source(body.get("source"))  # anything else: not a recommendation's click
        return stored_json(lambda: _public(get_store().add_click(sender_id, product_id, source)),
                           "the click could not be stored")

    @bp.route("/web/api/campaign/click", methods=["GET"])
    async def campaign_click(request: Request) -> HTTPResponse:
        import asyncio

        from bot.campaigns.delivery import record_click

        token = request.args.get("t")
        try:
            recorded, landing = await asyncio.get_running_loop().run_in_executor(
                None, lambda: record_click(_campaign_store(), token))
        except Exception:  # noqa: BLE001 - the shopper gets a plain error, the log the trace
            logger.exception("a campaign click could not be recorded")
            return error(500, "the click could not be recorded")
        if not recorded:
            return error(404, "this link is not valid")
        if landing is None:
            return response.json({"recorded": True})
        return response.redirect(landing, status=303)

    @bp.route(OPT_OUT_ROUTE, methods=["POST"])
    async def campaign_opt_out(request: Request) -> HTTPResponse:
        """"No more offers" from a campaign card (or an e-mail's one-click unsubscribe):
        marketing off, source "card", for the customer the signed token names, never an id
        sent in the clear. A forged, unsigned or foreign token is 404 and writes nothing."""
        import asyncio

        from bot.campaigns.delivery import record_opt_out
        from bot.web.erasure import shop_db

        token = request.args.get("t")
        try:
            customer = await asyncio.get_running_loop().run_in_executor(
                None, lambda: record_opt_out(shop_db(), token))
        except Exception:  # noqa: BLE001 - the shopper gets a plain error, the log the trace
            logger.exception("a campaign opt-out could not be recorded")
            return error(500, "the choice could not be stored")
        if customer is None:
            return error(404, "this link is not valid")
        return response.json({"marketing": False, "source": "card"})

    @bp.route(OPT_OUT_ROUTE, methods=["GET"])
    async def campaign_opt_out_page(request: Request) -> HTTPResponse:
        """An e-mail's "No more offers" link: a page whose button posts the same token (a link
        checker or mail scanner that merely opens the link unsubscribes nobody)."""
        from html import escape

        from bot.campaigns.delivery import read_opt_out_token

        token = request.args.get("t")
        if read_opt_out_token(token) is None:
            return error(404, "this link is not valid")
        page = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>No more offers</title>'
                '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
                '<h1>No more offers?</h1><p>We will stop sending you promotions, in the chat and by e-mail. '
                'You can switch them back on any time in the chat\'s settings.</p>'
                f'<form method="post" action="?t={escape(token, quote=True)}"><button type="submit">'
                'Stop sending me offers</button></form></body></html>')
        return response.html(page, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                            "X-Content-Type-Options": "nosniff"})

    @bp.route("/web/api/shopper", methods=["POST"])
    async def new_shopper(_: Request) -> HTTPResponse:
        return response.json({"shopper_token": issue_shopper()})

    @bp.route("/web/api/consent", methods=["POST"])
    async def post_consent(request: Request) -> HTTPResponse:
        customer = signed_in_customer(request)
        shopper_id = shopper_key_of(request) if customer is None else None
        if customer is None and shopper_id is None:
            return error(401, NEED_SHOPPER)
        body = _json_body(request)
        if body is None:
            return error(400, "expected a JSON object")
        personalization = body.get("personalization")
        marketing = body.get("marketing")
        if marketing is not None and not isinstance(marketing, bool):
            return error(400, "marketing must be true or false")
        if marketing is not None and customer is None:
            return error(401, "offers are a signed-in customer's choice: a valid X-Identity-Token is required")
        if not isinstance(personalization, bool) and not (personalization is None and marketing is not None):
            return error(400, "personalization must be true or false")
        if customer is not None:  # the customer's own choice: the same flags the chat sets
            return stored_json(lambda: set_customer_consent(customer, personalization, marketing),
                               "the consent could not be stored")
        return stored_json(lambda: _session_scope(get_store().set_consent(shopper_id, personalization)),
                           "the consent could not be stored")

    @bp.route("/web/api/consent", methods=["GET"])
    async def get_consent(request: Request) -> HTTPResponse:
        customer = signed_in_customer(request)
        if customer is not None:
            return stored_json(lambda: get_customer_consent(customer), "the consent could not be read")
        shopper_id = shopper_key_of(request)
        if shopper_id is None:
            return error(401, NEED_SHOPPER)
        return stored_json(lambda: _session_scope(get_store().get_consent(shopper_id)),
                           "the consent could not be read")


_campaigns: Optional[Any] = None


def _campaign_store() -> Any:
    """The campaign tables on the web side's shop database (created there if missing)."""
    global _campaigns
    if _campaigns is None:
        from bot.campaigns.store import CampaignStore
        from bot.web.erasure import shop_db

        _campaigns = CampaignStore(shop_db())
    return _campaigns


def _session_scope(stored: Dict[Text, Any]) -> Dict[Text, Any]:
    """An anonymous shopper's consent: kept for the widget; the assistant keeps nothing of
    theirs beyond the conversation either way."""
    return {**_public(stored), "scope": "session"}


def _public(stored: Dict[Text, Any]) -> Dict[Text, Any]:
    """What the store answered, without the internal ids (the client holds tokens, not ids)."""
    return {key: value for key, value in stored.items() if key not in ("sender_id", "shopper_id")}
