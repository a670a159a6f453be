"""What every area of the console shares: its data, the guards, rendering, form parsing.

``StaffConsole`` holds the web side's data layer for the console (``bot.web.store``):
the staff tables, the shop's tickets, the web front's feedback and clicks, and the
conversations read from Rasa's tracker store, plus the sign-in throttling policy.
The route modules (``bot.web.staff.routes.*``) take one and register their routes.
"""

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request

from bot import names
from bot.web.conversations import ConversationReader, Filters
from bot.web.staff import auth
from bot.web.staff.models import StaffDatabase
from bot.web.staff.security import SECURITY_HEADERS
from bot.web.staff.throttle import ThrottlePolicy
from bot.web.store import ShopTables, WebStore, adopt_engine, tracker_engine_of

HERE = Path(__file__).resolve().parent
TEMPLATES = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                        autoescape=select_autoescape(default=True, default_for_string=True))
# What the intent filter and the correction form offer (any name may still be typed).
KNOWN_INTENTS = sorted(names.INTENTS - {names.RESTART, names.SESSION_START})


class StaffConsole:
    """The console's data and settings; each part is made on first use unless given."""

    def __init__(self, channel: Any = None, staff_db: Optional[StaffDatabase] = None,
                 shop_db: Any = None, reader: Optional[ConversationReader] = None,
                 web: Optional[WebStore] = None, throttle: Optional[ThrottlePolicy] = None) -> None:
        self.channel = channel
        self._staff_db = staff_db
        self._shop_db = shop_db
        self._reader = reader
        self._web = web
        self.throttle = throttle or ThrottlePolicy.from_env()

    @property
    def staff_db(self) -> StaffDatabase:
        if self._staff_db is None:
            self._staff_db = StaffDatabase()
        return self._staff_db

    @property
    def shop_db(self) -> Any:
        """The shop's tables (tickets), on the same engine as everything else at that URL."""
        if self._shop_db is None:
            self._shop_db = ShopTables(self.staff_db.url)
        return self._shop_db

    @property
    def web(self) -> WebStore:
        """Feedback and product clicks the widget stored."""
        if self._web is None:
            self._web = WebStore(self.shop_db.url)
        return self._web

    def reader(self, request: Request) -> ConversationReader:
        """The Rasa server's own tracker store database, once the agent is loaded; until then
        (or outside the server) the configured file."""
        if self._reader is None:
            agent = self.agent(request)
            engine = tracker_engine_of(getattr(agent, "tracker_store", None)) if agent else None
            if engine is None:
                return ConversationReader()
            self._reader = ConversationReader(engine=adopt_engine(engine))
        return self._reader

    @staticmethod
    def agent(request: Request) -> Any:
        return getattr(request.app.ctx, "agent", None)

    @property
    def live(self) -> bool:
        """Whether agents' messages reach shoppers in real time (the socket.io channel)."""
        return self.channel is not None and hasattr(self.channel, "push_agent_message")

    # -- guards --------------------------------------------------------------------------
    def page(self, role: Optional[str] = None) -> Callable:
        """A signed-in staff member's page (anonymous: redirect to the login form)."""
        return auth.guard(lambda request: self.staff_db, api=False, role=role)

    def api(self, role: Optional[str] = None) -> Callable:
        """A signed-in staff member's JSON (anonymous: 401)."""
        return auth.guard(lambda request: self.staff_db, api=True, role=role)


def render(request: Request, name: str, status: int = 200, headers: Optional[Dict[str, str]] = None,
           **context: Any) -> Any:
    context.setdefault("user", getattr(request.ctx, "staff_user", None))
    context.setdefault("csrf", getattr(request.ctx, "csrf_token", ""))
    context.setdefault("intents", KNOWN_INTENTS)
    context["base"] = auth.staff_base(request)
    html = TEMPLATES.get_template(name).render(**context)
    return response.html(html, status=status, headers={**SECURITY_HEADERS, **(headers or {})})


def back_to(request: Request, sender_id: str) -> Any:
    """Redirect to a conversation's page (after a form post)."""
    return response.redirect(f"{auth.staff_base(request)}/conversations/{quote(sender_id, safe='')}",
                             status=303)


def _flag(value: Optional[str]) -> Optional[bool]:
    return {"yes": True, "no": False}.get((value or "").lower())


def _date(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters_from(args: Any) -> Filters:
    try:
        threshold = float(args.get("threshold") or 0.6)
    except ValueError:
        threshold = 0.6
    return Filters(
        since=_date(args.get("since")), until=_date(args.get("until")),
        channel=args.get("channel") or None, negative=_flag(args.get("negative")),
        fallback=_flag(args.get("fallback")), handoff=_flag(args.get("handoff")),
        wording_fallback=_flag(args.get("wording_fallback")),
        intent=args.get("intent") or None, low_confidence=_flag(args.get("low_confidence")),
        threshold=threshold, feedback=_flag(args.get("feedback")), reviewed=_flag(args.get("reviewed")),
        customer=args.get("customer") or None, q=args.get("q") or None)


def turn_json(turn: Any) -> Dict[str, Any]:
    return {"event_id": turn.event_id, "kind": turn.kind, "text": turn.text, "agent": turn.agent,
            "intent": turn.intent, "confidence": turn.confidence, "action": turn.action, "source": turn.source,
            "time": datetime.fromtimestamp(turn.timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
            "profile": turn.profile, "recommendations": turn.recommendations,
            "reply": turn.reply, "reply_badge": turn.reply_badge}
