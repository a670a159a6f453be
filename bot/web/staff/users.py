"""Staff accounts: scrypt password hashes, roles, and the checks a login needs.

There is no default account and no default password: the first admin is made with
``python -m bot.web.cli create-admin``. Hashes are salted scrypt (stdlib ``hashlib``),
compared in constant time; an unknown e-mail costs the same hashing as a wrong password,
so timing does not tell which accounts exist.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import select

from bot.web.staff.models import ROLES, StaffDatabase, StaffUser

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
MIN_PASSWORD_LENGTH = 10


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


def authenticate(db: StaffDatabase, email: str, password: str) -> Optional[UserView]:
    """The active user with this e-mail and password, else None."""
    with db.session() as session:
        user = session.execute(
            select(StaffUser).where(StaffUser.email == normalize_email(email))).scalar_one_or_none()
        if user is None or not user.active:
            verify_password(password or "", _DUMMY_HASH)
            return None
        return _view(user) if verify_password(password or "", user.password_hash) else None


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
