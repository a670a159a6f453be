"""Server-side staff sessions, CSRF tokens, and the guards every console route goes through.

The browser holds only a random token (HttpOnly, SameSite=Strict cookie); the database
keeps its SHA-256, the user and a per-session CSRF token that every POST must echo back
(form field ``csrf_token`` or header ``X-CSRF-Token``); signing in makes a new session and
so a new CSRF token, and a token is only good for the session it belongs to. Anonymous
requests to a page are redirected to the login form, to an API they get 401; an agent
asking for an admin action gets 403.

Before there is a session, the login form carries a one-time token bound to a random
pre-session cookie: the database keeps the hashes of both with an expiry, and posting
the form consumes the token, so it cannot be replayed or used with another browser's
cookie. Cookies are ``Secure`` whenever the browser talks https to us, directly or
through a trusted proxy (``bot.web.proxy``), or always with ``SHOPBOT_SECURE_COOKIES=1``.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import wraps
from typing import Any, Callable, Optional, Tuple
from urllib.parse import quote

from sanic import response
from sanic.request import Request
from sqlalchemy import delete

from bot.web import proxy
from bot.web.staff.models import LoginFormToken, StaffDatabase, StaffSession, utcnow
from bot.web.staff.users import UserView, get_user

SESSION_COOKIE = "shopbot_staff"
LOGIN_CSRF_COOKIE = "shopbot_staff_login"  # the pre-session cookie the login form's token is bound to
SESSION_LIFETIME = timedelta(hours=8)
LOGIN_TOKEN_LIFETIME = timedelta(hours=1)
MAX_TOKEN_LENGTH = 200
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(db: StaffDatabase, user: UserView) -> Tuple[str, str]:
    """A new session for the user: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
        session.add(StaffSession(token_hash=_digest(token), user_id=user.id, csrf_token=csrf,
                                 created_at=now, expires_at=now + SESSION_LIFETIME))
    return token, csrf


def end_session(db: StaffDatabase, token: Optional[str]) -> None:
    if token:
        with db.session() as session:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


def _plausible(token: Optional[str]) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH  # type: ignore[arg-type]


def issue_login_token(db: StaffDatabase, presession: Optional[str]) -> Tuple[str, str]:
    """A one-time login form token bound to the browser's pre-session id (kept, or new).

    Returns (pre-session id for the cookie, form token).
    """
    if not _plausible(presession):
        presession = secrets.token_urlsafe(32)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        session.execute(delete(LoginFormToken).where(LoginFormToken.expires_at < now))
        session.add(LoginFormToken(token_hash=_digest(token), presession_hash=_digest(presession),
                                   expires_at=now + LOGIN_TOKEN_LIFETIME))
    return presession, token  # type: ignore[return-value]


def consume_login_token(db: StaffDatabase, presession: Optional[str], token: Optional[str]) -> bool:
    """True once for a live token issued to this pre-session; the token is gone afterwards."""
    if not _plausible(presession) or not _plausible(token):
        return False
    with db.session() as session:
        result = session.execute(delete(LoginFormToken).where(
            LoginFormToken.token_hash == _digest(token),  # type: ignore[arg-type]
            LoginFormToken.presession_hash == _digest(presession),  # type: ignore[arg-type]
            LoginFormToken.expires_at >= utcnow()))
        return result.rowcount == 1


def load_session(db: StaffDatabase, token: Optional[str]) -> Optional[Tuple[UserView, str]]:
    """The (user, CSRF token) of a live session, else None (expired, unknown, user disabled)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    with db.session() as session:
        row = session.get(StaffSession, _digest(token))
        if row is None:
            return None
        if row.expires_at < utcnow():
            session.delete(row)
            return None
        user_id, csrf = row.user_id, row.csrf_token
    user = get_user(db, user_id)
    if user is None or not user.active:
        return None
    return user, csrf


def staff_base(request: Request) -> str:
    """Where the console is mounted (``/staff`` unless the blueprint added a prefix)."""
    path = request.path
    index = path.find("/staff")
    return (path[:index] if index >= 0 else "") + "/staff"


def set_cookie(request: Request, resp: Any, name: str, value: str, max_age: int) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = staff_base(request)
    cookie["max-age"] = max_age
    if proxy.secure_cookies(request):
        cookie["secure"] = True


def clear_cookie(request: Request, resp: Any, name: str) -> None:
    set_cookie(request, resp, name, "", 0)


def submitted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    try:
        form = request.form
    except Exception:  # a body that is not a form
        form = None
    return (form.get(CSRF_FIELD) if form else None) or ""


def csrf_ok(expected: str, request: Request) -> bool:
    given = submitted_csrf(request)
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def guard(db_of: Callable[[Request], StaffDatabase], api: bool = False,
          role: Optional[str] = None) -> Callable:
    """Decorator: a signed-in staff member (optionally of ``role``), CSRF checked on writes.

    Sets ``request.ctx.staff_user`` and ``request.ctx.csrf_token``.
    """

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
            found = load_session(db_of(request), request.cookies.get(SESSION_COOKIE))
            if found is None:
                if api:
                    return response.json({"error": "authentication required"}, status=401)
                target = request.path + (f"?{request.query_string}" if request.query_string else "")
                return response.redirect(f"{staff_base(request)}/login?next={quote(target, safe='')}")
            user, csrf = found
            if role == "admin" and not user.is_admin:
                return _deny(api, "admins only")
            if request.method not in ("GET", "HEAD", "OPTIONS") and not csrf_ok(csrf, request):
                return _deny(api, "missing or wrong CSRF token")
            request.ctx.staff_user = user
            request.ctx.csrf_token = csrf
            return await handler(request, *args, **kwargs)

        return wrapper

    return decorate


def _deny(api: bool, why: str) -> Any:
    if api:
        return response.json({"error": why}, status=403)
    return response.text(f"Forbidden: {why}", status=403)


def safe_next(request: Request, target: Optional[str]) -> str:
    """Only redirect back inside the console (no open redirect)."""
    base = staff_base(request)
    if target and target.startswith(base + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return base + "/"
