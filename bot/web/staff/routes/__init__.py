"""The staff console's HTTP routes (Sanic), one module per area, mounted on the web
channel's blueprint:

- ``login``: the sign-in form (one-time token, throttling, scrypt off the event loop), logout;
- ``conversations``: the list with filters, transcripts, review, tags, notes, corrections;
- ``tickets``: the queue and live takeover (pause, agent messages, hand back);
- ``analytics``: numbers and PNG charts;
- ``campaigns``: campaigns' per-variant rates, intervals, P(beats control), chart, export;
- ``users``: accounts (admins only).

Pages are Jinja2 templates with autoescaping on and no inline scripts (a strict CSP
forbids them), so a shopper's message is always shown as text. Every route but the
login form and the static files goes through ``StaffConsole.page``/``api``, and no
response under ``/staff`` carries CORS headers (``bot.web.staff.security``).
"""

from typing import Any, Optional

from sanic import response
from sanic.request import Request

from bot.web.staff.console import HERE, StaffConsole
from bot.web.staff.routes import analytics, campaigns, conversations, login, tickets, users
from bot.web.staff.security import no_cors_under

AREAS = (login, conversations, tickets, analytics, campaigns, users)


def add_staff_routes(blueprint: Any, channel: Any = None, console: Optional[StaffConsole] = None) -> StaffConsole:
    """Register every ``/staff`` route on ``blueprint`` (or a Sanic app); returns the console."""
    console = console or StaffConsole(channel=channel)
    no_cors_under(blueprint, "/staff")
    for area in AREAS:
        area.register(blueprint, console)
    _static(blueprint)
    return console


def _static(blueprint: Any) -> None:
    @blueprint.route("/staff/static/console.js", methods=["GET"], name="staff_js")
    async def console_js(request: Request) -> Any:
        return response.text((HERE / "static" / "console.js").read_text(), content_type="text/javascript",
                             headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})

    @blueprint.route("/staff/static/console.css", methods=["GET"], name="staff_css")
    async def console_css(request: Request) -> Any:
        return response.text((HERE / "static" / "console.css").read_text(), content_type="text/css",
                             headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})


__all__ = ["add_staff_routes", "StaffConsole"]
