"""Staff accounts: scrypt password hashes, roles, and the checks a login needs.

There is no default account and no default password: the first admin is made with
``python -m bot.web.cli create-admin``. Hashes are salted scrypt (stdlib ``hashlib``),
compared in constant time; an unknown e-mail costs the same hashing as a wrong password,
so timing does not tell which accounts exist.

scrypt is deliberately slow (tens of milliseconds of CPU), so the web routes never run
it on the event loop: ``authenticate_async`` and ``run_hashing`` hand it to a small
thread pool (``SHOPBOT_LOGIN_HASH_THREADS``, default 2; ``hashlib.scrypt`` releases the
GIL), and every shopper's chat keeps being served while staff sign in. The CLI and the
tests call the plain functions.
"""

import asyncio
import hashlib
import hmac
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, List, Optional, Tuple

from sqlalchemy import select

from bot.web.staff.models import ROLES, StaffDatabase, StaffUser

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
MIN_PASSWORD_LENGTH = 10
HASH_THREADS_ENV = "SHOPBOT_LOGIN_HASH_THREADS"
DEFAULT_HASH_THREADS = 2


class UserError(ValueError):
    """A request about users that cannot be honoured (message is safe to show)."""


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    name: str
    role: str
    active: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                                   r=int(r), p=int(p), dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


# Verified against when the e-mail is unknown, so both failures take as long.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(db: StaffDatabase, email: str, password: str, role: str = "agent",
                name: Optional[str] = None) -> UserView:
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise UserError("a valid e-mail address is required")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    with db.session() as session:
        if session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one_or_none():
            raise UserError(f"a user {email} already exists")
        user = StaffUser(email=email, name=(name or email.split("@")[0])[:120], role=role,
                         password_hash=hash_password(password), active=True)
        session.add(user)
        session.flush()
        return _view(user)


def _credentials(db: StaffDatabase, email: str) -> Tuple[Optional[UserView], str]:
    """The active user with this e-mail and its hash; (None, a dummy hash) for anyone else."""
    with db.session() as session:
        user = session.execute(
            select(StaffUser).where(StaffUser.email == normalize_email(email))).scalar_one_or_none()
        if user is None or not user.active:
            return None, _DUMMY_HASH
        return _view(user), user.password_hash


def authenticate(db: StaffDatabase, email: str, password: str) -> Optional[UserView]:
    """The active user with this e-mail and password, else None (blocking: CLI and tests)."""
    user, stored = _credentials(db, email)
    ok = verify_password(password or "", stored)
    return user if user is not None and ok else None


async def authenticate_async(db: StaffDatabase, email: str, password: str) -> Optional[UserView]:
    """``authenticate`` for the web routes: the scrypt work runs in the hashing pool."""
    user, stored = _credentials(db, email)
    ok = await run_hashing(verify_password, password or "", stored)
    return user if user is not None and ok else None


_pool: Optional[ThreadPoolExecutor] = None
_pool_lock = threading.Lock()


def hash_threads() -> int:
    try:
        return max(1, int(os.environ.get(HASH_THREADS_ENV) or DEFAULT_HASH_THREADS))
    except ValueError:
        return DEFAULT_HASH_THREADS


def hash_pool() -> ThreadPoolExecutor:
    """The process's bounded pool for password hashing (made on first use)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=hash_threads(), thread_name_prefix="staff-scrypt")
        return _pool


async def run_hashing(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``function`` (anything that hashes passwords) in the hashing pool, off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(hash_pool(), partial(function, *args, **kwargs))


def get_user(db: StaffDatabase, user_id: int) -> Optional[UserView]:
    with db.session() as session:
        user = session.get(StaffUser, user_id)
        return _view(user) if user else None


def list_users(db: StaffDatabase) -> List[UserView]:
    with db.session() as session:
        return [_view(u) for u in session.execute(select(StaffUser).order_by(StaffUser.email)).scalars()]


def set_active(db: StaffDatabase, user_id: int, active: bool) -> Optional[UserView]:
    with db.session() as session:
        user = session.get(StaffUser, user_id)
        if user is None:
            return None
        user.active = active
        session.flush()
        return _view(user)


def _view(user: StaffUser) -> UserView:
    return UserView(id=user.id, email=user.email, name=user.name, role=user.role, active=bool(user.active))
