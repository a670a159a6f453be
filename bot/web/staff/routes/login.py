"""Signing in and out.

A sign-in posts the form's one-time token (bound to the pre-session cookie), then
passes the throttle (``bot.web.staff.throttle``: a locked account or address is
refused before any hashing), then the password is checked with scrypt in the hashing
pool (``users.authenticate_async``), so the event loop keeps serving shoppers. A
success replaces any session the browser had with a new one (new cookie token, new
CSRF token).
"""

from typing import Any, Dict, Optional

from sanic import response
from sanic.request import Request

from bot.web import proxy
from bot.web.staff import auth, throttle, users
from bot.web.staff.console import StaffConsole, render

MAX_PASSWORD_LENGTH = 1024  # longer is no one's password, only a way to make scrypt work harder
WRONG = "Wrong e-mail or password."
TOO_MANY = "Too many sign-in attempts. Try again in a few minutes."


def login_page(console: StaffConsole, request: Request, next_url: Optional[str], error: Optional[str],
               status: int, headers: Optional[Dict[str, str]] = None) -> Any:
    """The form, with a fresh one-time token bound to this browser's pre-session cookie."""
    presession, token = auth.issue_login_token(console.staff_db, request.cookies.get(auth.LOGIN_CSRF_COOKIE))
    resp = render(request, "login.html", status=status, headers=headers, csrf=token, error=error,
                  next=auth.safe_next(request, next_url), user=None)
    auth.set_cookie(request, resp, auth.LOGIN_CSRF_COOKIE, presession,
                    int(auth.LOGIN_TOKEN_LIFETIME.total_seconds()))
    return resp


def register(bp: Any, console: StaffConsole) -> None:
    @bp.route("/staff/login", methods=["GET"], name="staff_login_form")
    async def login_form(request: Request) -> Any:
        return login_page(console, request, request.args.get("next"), None, 200)

    @bp.route("/staff/login", methods=["POST"], name="staff_login")
    async def login(request: Request) -> Any:
        db = console.staff_db
        form = request.form or {}
        if not auth.consume_login_token(db, request.cookies.get(auth.LOGIN_CSRF_COOKIE),
                                        auth.submitted_csrf(request)):
            return response.text("Forbidden: missing, used or wrong sign-in token; reload the sign-in page",
                                 status=403)
        email, password = form.get("email") or "", form.get("password") or ""
        attempt = throttle.begin(db, console.throttle, email, proxy.client_address(request))
        if not attempt.admitted:
            return login_page(console, request, form.get("next"), TOO_MANY, 429,
                              headers={"Retry-After": str(attempt.retry_after)})
        user = None
        if len(password) <= MAX_PASSWORD_LENGTH:
            user = await users.authenticate_async(db, email, password)
        if user is None:
            return login_page(console, request, form.get("next"), WRONG, 401)
        throttle.succeeded(db, console.throttle, attempt)
        auth.end_session(db, request.cookies.get(auth.SESSION_COOKIE))
        token, _ = auth.start_session(db, user)
        resp = response.redirect(auth.safe_next(request, form.get("next")), status=303)
        auth.set_cookie(request, resp, auth.SESSION_COOKIE, token, int(auth.SESSION_LIFETIME.total_seconds()))
        auth.clear_cookie(request, resp, auth.LOGIN_CSRF_COOKIE)
        return resp

    @bp.route("/staff/logout", methods=["POST"], name="staff_logout")
    @console.page()
    async def logout(request: Request) -> Any:
        auth.end_session(console.staff_db, request.cookies.get(auth.SESSION_COOKIE))
        resp = response.redirect(f"{auth.staff_base(request)}/login", status=303)
        auth.clear_cookie(request, resp, auth.SESSION_COOKIE)
        return resp
