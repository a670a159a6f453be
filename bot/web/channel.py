"""The shop's socket.io channel: Rasa's own protocol, plus what the web front needs.

``ShopSocketIOInput`` is a drop-in for Rasa's ``socketio`` channel (same events,
options and session persistence, so botfront's rasa-webchat works with it too) that

- keeps its socket.io server and which sockets belong to which conversation, so the
  staff console can push an agent's message to a shopper in real time
  (``push_agent_message``);
- sends each bot message as ONE ``bot_uttered`` event carrying text, quick replies,
  the custom payload (product cards, comparisons) and the event's timestamp, which
  the widget uses as the turn id for feedback (Rasa's own output passes a custom
  payload as keyword arguments to ``emit``, which breaks on ours);
- mounts the web routes at the server's root: the demo shop ``/shop/``, the widget's
  files ``/web/static/``, the shopper APIs ``/web/api/`` and, when present, the staff
  console (``bot.web.staff``).
"""

import html
import logging
import uuid
from pathlib import Path
from string import Template
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.web import registry, shopper_api

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"
SHOP_PRODUCTS = 6
# keyword arguments of AsyncServer.emit: a custom payload made only of these keeps
# Rasa's meaning (the caller addresses the emit itself)
EMIT_KWARGS = {"data", "room", "to", "namespace", "skip_sid", "callback"}
BOT_MESSAGE_KEYS = ("text", "buttons", "quick_replies", "custom", "image", "attachment", "elements")


def widget_message(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """One bot message as the widget (and rasa-webchat) reads it."""
    out: Dict[Text, Any] = {"text": message.get("text") or ""}
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if buttons:
        out["quick_replies"] = [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")}
            for b in buttons if isinstance(b, dict)
        ]
    for key in ("custom", "elements"):
        if message.get(key):
            out[key] = message[key]
    if message.get("image"):
        out["attachment"] = {"type": "image", "payload": {"src": message["image"]}}
    elif message.get("attachment"):
        out["attachment"] = message["attachment"]
    if message.get("timestamp") is not None:
        out["timestamp"] = message["timestamp"]
    if message.get("from") == "agent":
        out["from"] = "agent"
        out["agent"] = message.get("agent") or ""
    else:
        out["from"] = "bot"
    return out


class ShopSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, one event per bot message, custom payloads intact."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if not any(message.get(key) for key in BOT_MESSAGE_KEYS):
            return
        await self._send_message(recipient_id, widget_message(message))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        if set(json_message) <= EMIT_KWARGS:
            await super().send_custom_json(recipient_id, json_message, **kwargs)
        else:
            await self._send_message(recipient_id, {"text": "", "custom": json_message, "from": "bot"})


class ShopBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint that also mounts the web app at the server's root.

    Rasa prefixes an input channel's blueprint with ``/webhooks/<name>``; the shop page,
    the APIs and the console belong at the root, so they go on a second blueprint that
    is registered with the app alongside this one.
    """

    def __init__(self, web: Blueprint, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.web = web

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        super().register(app, options)
        if self.ctx.web.name not in app.blueprints:
            app.blueprint(self.ctx.web)


def _shop_products(limit: int = SHOP_PRODUCTS) -> List[Dict[Text, Any]]:
    """A few in-stock products of the active catalog for the demo page."""
    try:
        from bot.catalog import load_catalog

        catalog = load_catalog()
    except Exception:  # the page still works (and the widget) without a catalog
        logger.exception("the demo shop page could not read the catalog")
        return []
    products = sorted((p for p in catalog.products if p.stock > 0), key=lambda p: -(p.rating or 0))
    return [{"name": p.name, "price": p.price, "rating": p.rating, "url": p.url,
             "description": p.description} for p in products[:limit]]


def render_shop_page() -> Text:
    """The demo shop page: a few products and the widget (everything escaped)."""
    cards = []
    for p in _shop_products():
        cards.append(
            '<li class="product"><h3>{name}</h3><p class="price">${price:,.2f} · ★ {rating}</p>'
            "<p>{description}</p></li>".format(
                name=html.escape(p["name"]), price=float(p["price"] or 0),
                rating=html.escape(str(p["rating"] or "–")),
                description=html.escape((p["description"] or "")[:160]),
            )
        )
    template = Template((TEMPLATE_DIR / "shop.html").read_text(encoding="utf-8"))
    return template.safe_substitute(products="\n".join(cards) or "<li>The catalog is empty.</li>")


class ShopSocketIOInput(SocketIOInput):
    """Rasa's socket.io input channel with live agent messages and the shop's web app."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sids_by_sender: Dict[Text, Set[Text]] = {}
        self.sender_by_sid: Dict[Text, Text] = {}

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return ShopSocketIOOutput(self.sio, self.bot_message_evt)

    # -- which sockets show which conversation --------------------------------------
    def _track(self, sid: Text, sender_id: Text) -> None:
        previous = self.sender_by_sid.get(sid)
        if previous and previous != sender_id:
            self.sids_by_sender.get(previous, set()).discard(sid)
        self.sender_by_sid[sid] = sender_id
        self.sids_by_sender.setdefault(sender_id, set()).add(sid)

    def _forget(self, sid: Text) -> None:
        sender_id = self.sender_by_sid.pop(sid, None)
        if sender_id is not None:
            sids = self.sids_by_sender.get(sender_id, set())
            sids.discard(sid)
            if not sids:
                self.sids_by_sender.pop(sender_id, None)

    def is_online(self, sender_id: Text) -> bool:
        """Whether a socket shows this conversation right now."""
        return bool(self.sids_by_sender.get(sender_id))

    async def push_agent_message(self, sender_id: Text, text: Text, agent_name: Text) -> int:
        """Show a staff member's message in the shopper's widget; returns sockets reached.

        Storing it in the tracker (``BotUttered`` with agent metadata) is the caller's
        job, so the history keeps it too.
        """
        if self.sio is None:
            return 0
        payload = {"text": text, "from": "agent", "agent": agent_name}
        sids = sorted(self.sids_by_sender.get(sender_id, set()))
        if self.session_persistence:
            await self.sio.emit(self.bot_message_evt, payload, room=sender_id, namespace=self.namespace)
        else:
            for sid in sids:
                await self.sio.emit(self.bot_message_evt, payload, room=sid, namespace=self.namespace)
        return len(sids)

    # -- the blueprint ----------------------------------------------------------------
    def web_blueprint(self) -> Blueprint:
        """The root-mounted web app: demo shop, widget files, shopper APIs, staff console."""
        web = Blueprint("shop_web")

        @web.route("/shop/", methods=["GET"])
        async def shop_page(_: Request) -> HTTPResponse:
            return response.html(render_shop_page(), headers={"Cache-Control": "no-store"})

        web.static("/web/static", str(STATIC_DIR), name="widget_static")
        shopper_api.add_shopper_routes(web)
        try:
            from bot.web.staff import add_staff_routes
        except ImportError:
            logger.info("the staff console (bot.web.staff) is not installed; serving without it")
        else:
            add_staff_routes(web, self)
        return web

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io protocol, with conversation tracking, and the web app."""
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        bp = ShopBlueprint(self.web_blueprint(), sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        registry.register_channel(self)
        namespace = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            if not self.jwt_key:
                return True
            from rasa.core.channels.channel import decode_bearer_token

            payload = None
            if auth and auth.get("token"):
                payload = decode_bearer_token(auth.get("token"), self.jwt_key, self.jwt_algorithm)
            return bool(payload)

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text) -> None:
            self._forget(sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            data = data if isinstance(data, dict) else {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            session_id = str(data["session_id"])
            if self.session_persistence:
                sio.enter_room(sid, session_id, namespace=namespace)
                self._track(sid, session_id)
            else:
                self._track(sid, sid)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Dict) -> None:
            if not isinstance(data, dict):
                return
            output_channel = ShopSocketIOOutput(sio, self.bot_message_evt)
            if self.session_persistence:
                if not data.get("session_id"):
                    logger.warning("a socket.io message without a session_id was ignored; "
                                   "send session_request first")
                    return
                sender_id = str(data["session_id"])
                if sid not in self.sids_by_sender.get(sender_id, set()):
                    sio.enter_room(sid, sender_id, namespace=namespace)
            else:
                sender_id = sid
            self._track(sid, sender_id)
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                import json

                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            message = UserMessage(str(data.get("message", "")), output_channel, sender_id,
                                  input_channel=self.name(), metadata=metadata)
            await on_new_message(message)

        return bp
