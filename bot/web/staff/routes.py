"""The staff console's HTTP routes (Sanic), mounted on the web channel's blueprint.

Pages are Jinja2 templates with autoescaping on and no inline scripts (a strict CSP
forbids them), so a shopper's message is always shown as text. Every route but the
login form goes through ``auth.guard``.
"""

import secrets
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request

from bot.web.conversations import ConversationReader, Filters, apply_filters, feedback_senders, tracker_engine_of
from bot.web.staff import auth, charts, review, takeover, users
from bot.web.staff.models import ROLES, StaffDatabase

HERE = Path(__file__).resolve().parent
TEMPLATES = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                        autoescape=select_autoescape(default=True, default_for_string=True))
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; script-src 'self'; "
                               "style-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class StaffConsole:
    """What the routes share: the staff tables, the shop database, the conversations."""

    def __init__(self, channel: Any = None, staff_db: Optional[StaffDatabase] = None,
                 shop_db: Any = None, reader: Optional[ConversationReader] = None) -> None:
        self.channel = channel
        self._staff_db = staff_db
        self._shop_db = shop_db
        self._reader = reader

    @property
    def staff_db(self) -> StaffDatabase:
        if self._staff_db is None:
            self._staff_db = StaffDatabase()
        return self._staff_db

    @property
    def shop_db(self) -> Any:
        if self._shop_db is None:
            from bot.shop.db import ShopDatabase

            self._shop_db = ShopDatabase()
        return self._shop_db

    def reader(self, request: Request) -> ConversationReader:
        """The Rasa server's own tracker store database, once the agent is loaded; until then
        (or outside the server) the configured file."""
        if self._reader is None:
            agent = getattr(request.app.ctx, "agent", None)
            engine = tracker_engine_of(getattr(agent, "tracker_store", None)) if agent else None
            if engine is None:
                return ConversationReader()
            self._reader = ConversationReader(engine=engine)
        return self._reader

    def agent(self, request: Request) -> Any:
        return getattr(request.app.ctx, "agent", None)


def render(request: Request, name: str, status: int = 200, **context: Any) -> Any:
    context.setdefault("user", getattr(request.ctx, "staff_user", None))
    context.setdefault("csrf", getattr(request.ctx, "csrf_token", ""))
    context["base"] = auth.staff_base(request)
    html = TEMPLATES.get_template(name).render(**context)
    return response.html(html, status=status, headers=SECURITY_HEADERS)


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
        intent=args.get("intent") or None, low_confidence=_flag(args.get("low_confidence")),
        threshold=threshold, feedback=_flag(args.get("feedback")), reviewed=_flag(args.get("reviewed")),
        customer=args.get("customer") or None, q=args.get("q") or None)


def add_staff_routes(blueprint: Any, channel: Any = None, console: Optional[StaffConsole] = None) -> StaffConsole:
    """Register every ``/staff`` route on ``blueprint`` (or a Sanic app); returns the console."""
    console = console or StaffConsole(channel=channel)
    db_of = lambda request: console.staff_db  # noqa: E731
    page = lambda role=None: auth.guard(db_of, api=False, role=role)  # noqa: E731
    api = lambda role=None: auth.guard(db_of, api=True, role=role)  # noqa: E731

    def back(request: Request, sender_id: str) -> Any:
        from urllib.parse import quote

        return response.redirect(f"{auth.staff_base(request)}/conversations/{quote(sender_id, safe='')}",
                                 status=303)

    def listed(request: Request) -> List[Any]:
        reader = console.reader(request)
        feedback = feedback_senders(console.shop_db.engine)
        summaries = apply_filters(reader.summaries(), filters_from(request.args),
                                  reviewed=review.reviewed_senders(console.staff_db),
                                  with_feedback=set(feedback))
        return summaries

    # --- login / logout -------------------------------------------------------------
    @blueprint.route("/staff/login", methods=["GET"], name="staff_login_form")
    async def login_form(request: Request) -> Any:
        return _login_page(request, request.args.get("next"), None, 200)

    @blueprint.route("/staff/login", methods=["POST"], name="staff_login")
    async def login(request: Request) -> Any:
        form = request.form or {}
        expected = request.cookies.get(auth.LOGIN_CSRF_COOKIE) or ""
        if not auth.csrf_ok(expected, request):
            return response.text("Forbidden: missing or wrong CSRF token", status=403)
        user = users.authenticate(console.staff_db, form.get("email", ""), form.get("password", ""))
        if user is None:
            return _login_page(request, form.get("next"), "Wrong e-mail or password.", 401)
        token, _ = auth.start_session(console.staff_db, user)
        resp = response.redirect(auth.safe_next(request, form.get("next")), status=303)
        auth.set_cookie(request, resp, auth.SESSION_COOKIE, token, int(auth.SESSION_LIFETIME.total_seconds()))
        auth.clear_cookie(request, resp, auth.LOGIN_CSRF_COOKIE)
        return resp

    def _login_page(request: Request, next_url: Optional[str], error: Optional[str], status: int) -> Any:
        token = secrets.token_urlsafe(32)
        resp = render(request, "login.html", status=status, csrf=token, error=error,
                      next=auth.safe_next(request, next_url), user=None)
        auth.set_cookie(request, resp, auth.LOGIN_CSRF_COOKIE, token, 3600)
        return resp

    @blueprint.route("/staff/logout", methods=["POST"], name="staff_logout")
    @page()
    async def logout(request: Request) -> Any:
        auth.end_session(console.staff_db, request.cookies.get(auth.SESSION_COOKIE))
        resp = response.redirect(f"{auth.staff_base(request)}/login", status=303)
        auth.clear_cookie(request, resp, auth.SESSION_COOKIE)
        return resp

    # --- conversations ---------------------------------------------------------------
    @blueprint.route("/staff/", methods=["GET"], name="staff_home")
    @page()
    async def home(request: Request) -> Any:
        summaries = listed(request)
        tags = review.tags_by_sender(console.staff_db)
        reviewed = review.reviewed_senders(console.staff_db)
        return render(request, "list.html", summaries=summaries[:500], total=len(summaries), tags=tags,
                      reviewed=reviewed, args=request.args)

    @blueprint.route("/staff/api/conversations", methods=["GET"], name="staff_api_list")
    @api()
    async def api_list(request: Request) -> Any:
        return response.json([s.as_dict() for s in listed(request)])

    @blueprint.route("/staff/conversations/<sender_id:str>", methods=["GET"], name="staff_conversation")
    @page()
    async def conversation_page(request: Request, sender_id: str) -> Any:
        conversation = console.reader(request).conversation(sender_id)
        if conversation is None:
            return response.text("No such conversation", status=404)
        fixed = {c.event_timestamp: c.corrected_intent for c in review.corrections(console.staff_db, sender_id)}
        tickets = [t for t in _tickets() if t.conversation_id == sender_id]
        return render(request, "conversation.html", c=conversation, review=review.get_review(console.staff_db, sender_id),
                      notes=review.notes(console.staff_db, sender_id), corrected=fixed, tickets=tickets,
                      last_event=max((t.event_id for t in conversation.turns), default=0),
                      live=channel_live(console))

    @blueprint.route("/staff/api/conversations/<sender_id:str>", methods=["GET"], name="staff_api_conversation")
    @api()
    async def api_conversation(request: Request, sender_id: str) -> Any:
        reader = console.reader(request)
        try:
            after = int(request.args.get("after") or 0)
        except ValueError:
            after = 0
        conversation = reader.conversation(sender_id)
        if conversation is None:
            return response.json({"error": "no such conversation"}, status=404)
        return response.json({"paused": conversation.summary.paused,
                              "messages": [_turn_json(t) for t in conversation.turns if t.event_id > after]})

    @blueprint.route("/staff/conversations/<sender_id:str>/review", methods=["POST"], name="staff_review")
    @page()
    async def mark_reviewed(request: Request, sender_id: str) -> Any:
        done = (request.form or {}).get("reviewed", "yes") != "no"
        review.mark_reviewed(console.staff_db, sender_id, request.ctx.staff_user.email, done)
        return back(request, sender_id)

    @blueprint.route("/staff/conversations/<sender_id:str>/tags", methods=["POST"], name="staff_tags")
    @page()
    async def tags(request: Request, sender_id: str) -> Any:
        review.set_tags(console.staff_db, sender_id, (request.form or {}).get("tags", ""))
        return back(request, sender_id)

    @blueprint.route("/staff/conversations/<sender_id:str>/notes", methods=["POST"], name="staff_notes")
    @page()
    async def add_note(request: Request, sender_id: str) -> Any:
        review.add_note(console.staff_db, sender_id, request.ctx.staff_user.email, (request.form or {}).get("text", ""))
        return back(request, sender_id)

    @blueprint.route("/staff/conversations/<sender_id:str>/corrections", methods=["POST"], name="staff_correct")
    @page()
    async def correct(request: Request, sender_id: str) -> Any:
        form = request.form or {}
        conversation = console.reader(request).conversation(sender_id)
        try:
            event_id = int(form.get("event_id", ""))
        except ValueError:
            return response.text("Bad request: event_id", status=400)
        turn = next((t for t in (conversation.turns if conversation else []) if t.event_id == event_id
                     and t.kind == "user"), None)
        if turn is None:
            return response.text("No such shopper turn", status=404)
        try:
            review.correct_intent(console.staff_db, sender_id, turn.timestamp, turn.text, turn.intent,
                                  form.get("intent", ""), request.ctx.staff_user.email)
        except ValueError as error:
            return response.text(f"Bad request: {error}", status=400)
        return back(request, sender_id)

    @blueprint.route("/staff/corrections.yml", methods=["GET"], name="staff_corrections")
    @page()
    async def corrections_export(request: Request) -> Any:
        body = review.corrections_yaml(review.corrections(console.staff_db))
        return response.text(body, content_type="application/x-yaml; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="corrections.yml"'})

    # --- tickets and takeover ----------------------------------------------------------
    def _tickets() -> List[Any]:
        from bot.shop.tickets import open_tickets

        return open_tickets(console.shop_db)

    @blueprint.route("/staff/tickets", methods=["GET"], name="staff_tickets")
    @page()
    async def tickets(request: Request) -> Any:
        open_now = _tickets()
        ticketed = {t.conversation_id for t in open_now}
        flagged = [s for s in console.reader(request).summaries()
                   if s.escalation and not s.paused and s.sender_id not in ticketed]
        return render(request, "tickets.html", tickets=open_now, flagged=flagged)

    @blueprint.route("/staff/conversations/<sender_id:str>/takeover", methods=["POST"], name="staff_takeover")
    @page()
    async def take_over(request: Request, sender_id: str) -> Any:
        from bot.shop.tickets import assign_ticket

        agent = console.agent(request)
        if agent is None:
            return response.text("The Rasa agent is not available in this process", status=503)
        wanted = (request.form or {}).get("ticket_id")
        mine = [t for t in _tickets() if t.conversation_id == sender_id and (not wanted or t.id == wanted)]
        if not mine:
            # A flagged conversation nobody filed a ticket for: file one, so the takeover is
            # tracked and handing back closes it.
            from bot.shop.tickets import create_ticket

            mine = [create_ticket(console.shop_db, sender_id, "taken over by staff", [])]
        for ticket in mine:
            assign_ticket(console.shop_db, ticket.id, request.ctx.staff_user.email)
        await takeover.pause(agent, sender_id)
        return back(request, sender_id)

    @blueprint.route("/staff/conversations/<sender_id:str>/messages", methods=["POST"], name="staff_message")
    @page()
    async def send_message(request: Request, sender_id: str) -> Any:
        text = ((request.form or {}).get("text") or "").strip()
        agent = console.agent(request)
        if agent is None:
            return response.text("The Rasa agent is not available in this process", status=503)
        if text:
            await takeover.agent_message(agent, console.channel, sender_id, text[:4000],
                                         request.ctx.staff_user.name)
        return back(request, sender_id)

    @blueprint.route("/staff/conversations/<sender_id:str>/handback", methods=["POST"], name="staff_handback")
    @page()
    async def hand_back(request: Request, sender_id: str) -> Any:
        from bot.shop.tickets import close_ticket

        agent = console.agent(request)
        if agent is None:
            return response.text("The Rasa agent is not available in this process", status=503)
        await takeover.resume(agent, sender_id)
        for ticket in _tickets():
            if ticket.conversation_id == sender_id:
                close_ticket(console.shop_db, ticket.id)
        return back(request, sender_id)

    # --- analytics -------------------------------------------------------------------
    def _clicks() -> Optional[int]:
        """Product cards shoppers opened from the widget (``bot.web.store``)."""
        from bot.web.store import WebStore

        try:
            return WebStore(console.shop_db.url).click_count()
        except Exception:  # noqa: BLE001 - analytics show "not tracked" rather than fail
            return None

    @blueprint.route("/staff/analytics", methods=["GET"], name="staff_analytics")
    @page()
    async def analytics(request: Request) -> Any:
        summaries = console.reader(request).summaries()
        clicks = _clicks()
        numbers = charts.metrics(summaries, feedback_senders(console.shop_db.engine), clicks or 0)
        return render(request, "analytics.html", charts=charts.CHARTS, numbers=numbers,
                      clicks_tracked=clicks is not None)

    @blueprint.route("/staff/analytics/<filename:str>", methods=["GET"], name="staff_chart")
    @api()
    async def chart(request: Request, filename: str) -> Any:
        name = filename[:-4] if filename.endswith(".png") else ""
        if name not in charts.CHARTS:
            return response.json({"error": "no such chart"}, status=404)
        png = charts.render(name, console.reader(request).summaries(),
                            feedback_senders(console.shop_db.engine), _clicks() or 0)
        return response.raw(png, content_type="image/png",
                            headers={"Cache-Control": f"private, max-age={int(charts.CACHE_SECONDS)}"})

    # --- users (admins) ------------------------------------------------------------------
    @blueprint.route("/staff/users", methods=["GET"], name="staff_users")
    @page(role="admin")
    async def user_list(request: Request) -> Any:
        return render(request, "users.html", users=users.list_users(console.staff_db), roles=ROLES, error=None)

    @blueprint.route("/staff/users", methods=["POST"], name="staff_users_create")
    @page(role="admin")
    async def user_create(request: Request) -> Any:
        form = request.form or {}
        try:
            users.create_user(console.staff_db, form.get("email", ""), form.get("password", ""),
                              role=form.get("role", "agent"), name=form.get("name") or None)
        except users.UserError as error:
            return render(request, "users.html", status=400, users=users.list_users(console.staff_db),
                          roles=ROLES, error=str(error))
        return response.redirect(f"{auth.staff_base(request)}/users", status=303)

    @blueprint.route("/staff/users/<user_id:int>/active", methods=["POST"], name="staff_users_active")
    @page(role="admin")
    async def user_active(request: Request, user_id: int) -> Any:
        if user_id == request.ctx.staff_user.id:
            return response.text("You cannot disable yourself", status=400)
        users.set_active(console.staff_db, user_id, (request.form or {}).get("active") == "yes")
        return response.redirect(f"{auth.staff_base(request)}/users", status=303)

    @blueprint.route("/staff/static/console.js", methods=["GET"], name="staff_js")
    async def console_js(request: Request) -> Any:
        return response.text((HERE / "static" / "console.js").read_text(), content_type="text/javascript",
                             headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})

    @blueprint.route("/staff/static/console.css", methods=["GET"], name="staff_css")
    async def console_css(request: Request) -> Any:
        return response.text((HERE / "static" / "console.css").read_text(), content_type="text/css",
                             headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})

    return console


def channel_live(console: StaffConsole) -> bool:
    return console.channel is not None and hasattr(console.channel, "push_agent_message")


def _turn_json(turn: Any) -> Dict[str, Any]:
    return {"event_id": turn.event_id, "kind": turn.kind, "text": turn.text, "agent": turn.agent,
            "intent": turn.intent, "confidence": turn.confidence, "action": turn.action, "source": turn.source,
            "time": datetime.fromtimestamp(turn.timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}


__all__ = ["add_staff_routes", "StaffConsole"]
