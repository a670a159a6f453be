"""The shop's socket.io channel: Rasa's own protocol, plus what the web front needs.

``ShopSocketIOInput`` is a drop-in for Rasa's ``socketio`` channel (same events and
options; botfront's rasa-webchat works with it unchanged) that

- issues shopper-owned sessions: ``session_confirm`` carries a token the server signed,
  and the conversation is stored under a keyed hash of it (``bot.web.sessions``), so a
  socket that names someone else's conversation id, or a forged token, gets a session of
  its own;
- checks the Origin of browsers (the server's own and ``SHOPBOT_ALLOWED_ORIGINS``) and
  caps packets (``bot.web.limits``); every message passes ``bot.web.inbound.prepare``;
- keeps which sockets show which conversation, so the staff console can push an agent's
  message to a shopper in real time (``push_agent_message``), and nothing of a socket
  once it is gone;
- sends our widget (which announces itself in ``session_request``) each bot message as
  ONE ``bot_uttered`` event with text, quick replies, the custom payload and the turn's
  timestamp; every other client gets exactly Rasa's shapes (``rasa_messages``);
- answers a turn that would end in silence with an apology (``bot.web.delivery``), and
  erases the conversations of a turn that confirmed "delete my data" (``bot.web.erasure``);
- mounts the web routes at the server's root: the demo shop ``/shop/``, the widget's
  files ``/web/static/``, the shopper APIs ``/web/api/``, the demo shop's sign-in picker
  (``bot.web.demo``, only with ``SHOPBOT_DEMO=1``), the privacy export download
  (``bot.web.privacy_api``) and, when present, the readiness
  endpoint and the staff console (``bot.web.staff``).
"""

import html
import logging
from pathlib import Path
from string import Template
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Set, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.web import demo, erasure, limits, privacy_api, registry, sessions, shopper_api
from bot.web.delivery import APOLOGY, apology_buttons, needs_apology
from bot.web.inbound import prepare

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"
SHOP_PRODUCTS = 6
BOT_MESSAGE_KEYS = ("text", "buttons", "quick_replies", "custom", "image", "attachment", "elements")
# Custom payloads only our widget acts on (a download button, the Personalize switch's new
# state); the message's text says the same (the link itself), so other clients get only that.
WIDGET_ONLY_CUSTOM = frozenset({"download", "consent"})


def widget_message(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """One bot message as our widget reads it (one event, with its extras)."""
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


def rasa_messages(message: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    """One bot message in exactly the shapes Rasa's own socket.io channel emits.

    Strict clients (botfront's rasa-webchat) render a message only when its keys are
    exactly these: ``text``; ``text`` + ``quick_replies``; ``attachment``; anything else
    is a custom message. So nothing of ours (timestamps, senders) is added here.
    """
    out: List[Dict[Text, Any]] = []
    text = message.get("text") or ""
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if buttons:
        out.append({"text": text, "quick_replies": [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")}
            for b in buttons if isinstance(b, dict)]})
    elif text:
        out.append({"text": text})
    if message.get("elements"):
        out.append({"attachment": {"type": "template",
                                   "payload": {"template_type": "generic", "elements": message["elements"]}}})
    if message.get("image"):
        out.append({"attachment": {"type": "image", "payload": {"src": message["image"]}}})
    elif message.get("attachment"):
        out.append({"attachment": message["attachment"]})
    custom = message.get("custom")
    if custom and not (isinstance(custom, dict) and custom.get("type") in WIDGET_ONLY_CUSTOM):
        out.append({"custom": custom})
    return out


class ShopSocketIOOutput(SocketIOOutput):
    """Sends each bot message to every socket showing the conversation, in that socket's shape.

    Sockets of our widget (which announced itself) get one event per message with the
    extras it uses (``timestamp``, ``from``); every other client gets Rasa's own shapes.
    ``sent`` counts what went out, so the channel can tell a turn that said nothing.
    """

    def __init__(self, sio: AsyncServer, bot_message_evt: Text, channel: Optional["ShopSocketIOInput"] = None) -> None:
        super().__init__(sio, bot_message_evt)
        self.channel = channel
        self.sent = 0

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    async def _emit(self, sid: Text, payload: Dict[Text, Any]) -> None:
        await self.sio.emit(self.bot_message_evt, payload, room=sid)

    async def _send_message(self, socket_id: Text, response: Dict[Text, Any]) -> None:
        await self.send_response(socket_id, response)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if not any(message.get(key) for key in BOT_MESSAGE_KEYS):
            return
        self.sent += 1
        if self.channel is None:  # no tracking (should not happen): Rasa's shapes to the room
            for shaped in rasa_messages(message):
                await self._emit(recipient_id, shaped)
            return
        for sid, extras in self.channel.sockets_of(recipient_id):
            if extras:
                await self._emit(sid, widget_message(message))
            else:
                for shaped in rasa_messages(message):
                    await self._emit(sid, shaped)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"attachment": attachment})

    async def send_elements(self, recipient_id: Text, elements: Iterable[Dict[Text, Any]], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"elements": list(elements)})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"custom": json_message})


class ShopBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint that also mounts the web app at the server's root.

    Rasa prefixes an input channel's blueprint with ``/webhooks/<name>``; the shop page,
    the APIs and the console belong at the root, so they go on a second blueprint that
    is registered with the app alongside this one. Registering is also when the channel
    learns its app (for the agent) and caps request bodies.
    """

    def __init__(self, web: Blueprint, channel: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.web = web
        self.ctx.channel = channel

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        super().register(app, options)
        self.ctx.channel.app = app
        limits.cap_request_size(app)
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
    """Rasa's socket.io input channel, with shopper-owned sessions, live agent messages and the web app."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sids_by_sender: Dict[Text, Set[Text]] = {}
        self.sender_by_sid: Dict[Text, Text] = {}
        self.extras_sids: Set[Text] = set()  # sockets of our widget (it announced itself)
        self.app: Optional[Sanic] = None

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return ShopSocketIOOutput(self.sio, self.bot_message_evt, channel=self)

    # -- which sockets show which conversation --------------------------------------
    def _track(self, sid: Text, sender_id: Text, extras: Optional[bool] = None) -> None:
        previous = self.sender_by_sid.get(sid)
        if previous and previous != sender_id:
            self._untrack_sender(sid, previous)
        self.sender_by_sid[sid] = sender_id
        self.sids_by_sender.setdefault(sender_id, set()).add(sid)
        if extras is True:
            self.extras_sids.add(sid)
        elif extras is False:
            self.extras_sids.discard(sid)

    def _untrack_sender(self, sid: Text, sender_id: Text) -> None:
        sids = self.sids_by_sender.get(sender_id, set())
        sids.discard(sid)
        if not sids:
            self.sids_by_sender.pop(sender_id, None)

    def _forget(self, sid: Text) -> None:
        sender_id = self.sender_by_sid.pop(sid, None)
        self.extras_sids.discard(sid)
        if sender_id is not None:
            self._untrack_sender(sid, sender_id)

    def sockets_of(self, sender_id: Text) -> List[Any]:
        """``(sid, wants extras)`` of every socket showing the conversation."""
        return [(sid, sid in self.extras_sids) for sid in sorted(self.sids_by_sender.get(sender_id, set()))]

    def is_online(self, sender_id: Text) -> bool:
        """Whether a socket shows this conversation right now."""
        return bool(self.sids_by_sender.get(sender_id))

    async def push_agent_message(self, sender_id: Text, text: Text, agent_name: Text) -> int:
        """Show a staff member's message in the shopper's widget; returns sockets reached.

        Storing it in the tracker (``BotUttered`` with agent metadata) is the caller's
        job, so the history keeps it too. Clients other than our widget get Rasa's plain
        text shape, with the agent's name in front.
        """
        if self.sio is None:
            return 0
        sockets = self.sockets_of(sender_id)
        for sid, extras in sockets:
            if extras:
                payload = {"text": text, "from": "agent", "agent": agent_name}
            else:
                payload = {"text": f"{agent_name or 'Agent'} (support team): {text}"}
            await self.sio.emit(self.bot_message_evt, payload, room=sid, namespace=self.namespace)
        return len(sockets)

    # -- the blueprint ----------------------------------------------------------------
    def web_blueprint(self) -> Blueprint:
        """The root-mounted web app: demo shop, widget files, shopper APIs, staff console."""
        web = Blueprint("shop_web")

        @web.route("/shop/", methods=["GET"])
        async def shop_page(_: Request) -> HTTPResponse:
            return response.html(render_shop_page(), headers={"Cache-Control": "no-store"})

        web.static("/web/static", str(STATIC_DIR), name="widget_static")
        shopper_api.add_shopper_routes(web)
        privacy_api.add_privacy_routes(web)
        erasure.add_erasure_sweep(web)  # the conversation history part of "delete my data"
        demo.add_demo_routes(web)  # 404 unless SHOPBOT_DEMO=1
        try:
            from bot.web.health import add_health_routes
        except ImportError:
            logger.debug("bot.web.health is not installed; no readiness endpoint")
        else:
            add_health_routes(web)
        try:
            from bot.web.staff import add_staff_routes
        except ImportError:
            logger.info("the staff console (bot.web.staff) is not installed; serving without it")
        else:
            add_staff_routes(web, self)
        return web

    def _client_address(self, sid: Text) -> Optional[Text]:
        try:
            environ = self.sio.get_environ(sid, namespace=self.namespace) if self.sio else None
        except Exception:  # noqa: BLE001 - a socket gone in between
            environ = None
        request = (environ or {}).get("sanic.request")
        return limits.client_address(request) if request is not None else None

    async def _confirm(self, sid: Text, token: Text, conversation: Text, extras: Optional[bool]) -> None:
        self._track(sid, conversation, extras)
        await self.sio.emit("session_confirm", token, room=sid, namespace=self.namespace)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io protocol with server-issued session tokens, and the web app."""
        try:
            from bot.privacy.logs import install_log_redaction
        except ImportError:
            pass
        else:
            install_log_redaction()
        sio = limits.ShopSocketServer(async_mode="sanic",
                                      cors_allowed_origins=limits.socket_origins(),
                                      max_http_buffer_size=limits.max_request_bytes())
        bp = ShopBlueprint(self.web_blueprint(), self, sio, self.socketio_path, "socketio_webhook", __name__)
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
            token = data.get("session_id")
            conversation = sessions.conversation_of(token)
            if conversation is None:  # none yet, or not one of ours: a fresh session
                token = sessions.issue_session()
                conversation = sessions.conversation_of(token)
            await self._confirm(sid, str(token), str(conversation), limits.announces_widget(data))

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Dict) -> None:
            if not isinstance(data, dict):
                return
            conversation = sessions.conversation_of(data.get("session_id"))
            if conversation is None and data.get("session_id") is None:
                conversation = self.sender_by_sid.get(sid)  # this socket already proved its session
            if conversation is None:
                # an unknown or forged token: never the conversation it names; a new one
                token = sessions.issue_session()
                conversation = str(sessions.conversation_of(token))
                await self._confirm(sid, token, conversation, None)
            elif self.sender_by_sid.get(sid) != conversation:
                self._track(sid, conversation)
            inbound = prepare(data.get("message", ""), data.get(self.metadata_key), self.name(),
                              self._client_address(sid))
            output = ShopSocketIOOutput(sio, self.bot_message_evt, channel=self)
            if inbound.notice:
                await output.send_text_message(conversation, inbound.notice)
            before = output.sent
            message = UserMessage(inbound.text, output, conversation, input_channel=self.name(),
                                  metadata=inbound.metadata)
            try:
                await on_new_message(message)
            except Exception:  # noqa: BLE001 - the shopper gets an apology, the log the trace
                logger.exception("handling a socket.io message failed")
            if output.sent == before and await needs_apology(self.app, conversation):
                await output.send_text_with_buttons(conversation, APOLOGY, apology_buttons())
            await erasure.after_turn(self.app, conversation)  # "delete my data" confirmed this turn

        return bp
