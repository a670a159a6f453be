"""Sign-in throttling: too many failures lock an account, or a client address, for a while.

Two counters per attempt, in the ``staff_login_throttle`` table of the shop database (so
every worker process and a restart see the same counts):

- per account (the e-mail as typed, normalized): ``SHOPBOT_LOGIN_MAX_FAILURES`` (5)
  failures within ``SHOPBOT_LOGIN_WINDOW_MINUTES`` (15) lock it for
  ``SHOPBOT_LOGIN_LOCKOUT_MINUTES`` (15);
- per client address (``bot.web.proxy.client_address``):
  ``SHOPBOT_LOGIN_MAX_FAILURES_PER_ADDRESS`` (20) failures in the same window lock every
  sign-in from there, whichever accounts it tries.

The check runs before any password hashing, so a locked attempt costs no scrypt. Each
admitted attempt is counted as a failure up front and forgiven when it succeeds: many
guesses sent at once cannot all slip past the check while the first ones are still
being hashed. A success clears the account's counter (not the address's: one's own
account must not reset the count of guesses at others). E-mails that have no account
count and lock exactly like real ones, so a lock tells nothing about who has an account.
Keys are keyed hashes, so the table names neither the accounts tried nor the addresses.
"""

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError

from bot.identity.signing import keyed_hash
from bot.web.staff.models import LoginThrottle, StaffDatabase, utcnow
from bot.web.staff.users import normalize_email

ACCOUNT, ADDRESS = "account", "address"


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name) or default))
    except ValueError:
        return default


@dataclass(frozen=True)
class ThrottlePolicy:
    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls) -> "ThrottlePolicy":
        return cls(
            account_failures=_env_int("SHOPBOT_LOGIN_MAX_FAILURES", 5),
            address_failures=_env_int("SHOPBOT_LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
            window=timedelta(minutes=_env_int("SHOPBOT_LOGIN_WINDOW_MINUTES", 15)),
            lockout=timedelta(minutes=_env_int("SHOPBOT_LOGIN_LOCKOUT_MINUTES", 15)),
        )

    def limit(self, kind: str) -> int:
        return self.account_failures if kind == ACCOUNT else self.address_failures


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: admitted (go on and check the password) or refused."""

    account_key: str
    address_key: str
    admitted: bool
    retry_after: int = 0  # seconds, when refused


def account_key(email: str) -> str:
    return keyed_hash("staff-login-account", normalize_email(email)[:254])


def address_key(address: str) -> str:
    return keyed_hash("staff-login-address", address or "unknown")


def _row(session, kind: str, key: str, now: datetime) -> LoginThrottle:
    row = session.execute(select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        row = LoginThrottle(kind=kind, key=key, failures=0, window_start=now, locked_until=None)
        session.add(row)
        session.flush()  # a concurrent insert of the same key fails here, and is retried
    return row


def _refresh(row: LoginThrottle, policy: ThrottlePolicy, now: datetime) -> None:
    """Forget a lock that has run out and failures older than the window."""
    if row.locked_until is not None and row.locked_until <= now:
        row.locked_until, row.failures, row.window_start = None, 0, now
    if now - row.window_start > policy.window:
        row.failures, row.window_start = 0, now


def begin(db: StaffDatabase, policy: ThrottlePolicy, email: str, address: str,
          now: Optional[datetime] = None) -> Attempt:
    """Admit this attempt (and count it as a failure until it succeeds), or refuse it."""
    keys = {ACCOUNT: account_key(email), ADDRESS: address_key(address)}
    for retry in range(3):
        try:
            return _begin(db, policy, keys, now or utcnow())
        except IntegrityError:
            if retry == 2:
                raise
    raise AssertionError("unreachable")


def _begin(db: StaffDatabase, policy: ThrottlePolicy, keys: dict, now: datetime) -> Attempt:
    with db.session() as session:
        session.execute(delete(LoginThrottle).where(
            LoginThrottle.window_start < now - policy.window - policy.lockout,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))
        rows = {kind: _row(session, kind, key, now) for kind, key in keys.items()}
        for row in rows.values():
            _refresh(row, policy, now)
        locked = [row.locked_until for row in rows.values() if row.locked_until is not None]
        if locked:
            wait = max(locked) - now
            return Attempt(keys[ACCOUNT], keys[ADDRESS], False, max(1, int(wait.total_seconds()) + 1))
        for kind, row in rows.items():
            row.failures += 1
            if row.failures >= policy.limit(kind):
                row.locked_until = now + policy.lockout
        return Attempt(keys[ACCOUNT], keys[ADDRESS], True)


def succeeded(db: StaffDatabase, policy: ThrottlePolicy, attempt: Attempt) -> None:
    """The password was right: clear the account's counter, take this attempt off the address's."""
    with db.session() as session:
        session.execute(delete(LoginThrottle).where(
            and_(LoginThrottle.kind == ACCOUNT, LoginThrottle.key == attempt.account_key)))
        row = session.execute(select(LoginThrottle).where(
            LoginThrottle.kind == ADDRESS, LoginThrottle.key == attempt.address_key)
            .with_for_update()).scalar_one_or_none()
        if row is not None:
            row.failures = max(0, row.failures - 1)
            if row.failures < policy.address_failures:
                row.locked_until = None


def is_locked(db: StaffDatabase, kind: str, key: str, now: Optional[datetime] = None) -> bool:
    """Whether an account or address key is locked now (for tests and operators)."""
    now = now or utcnow()
    with db.session() as session:
        row = session.get(LoginThrottle, (kind, key))
        return bool(row is not None and row.locked_until is not None and row.locked_until > now)


def unlock(db: StaffDatabase, email: Optional[str] = None, address: Optional[str] = None) -> int:
    """Lift the lock and the counts of an account and/or an address; returns rows removed."""
    wanted = []
    if email is not None:
        wanted.append(and_(LoginThrottle.kind == ACCOUNT, LoginThrottle.key == account_key(email)))
    if address is not None:
        wanted.append(and_(LoginThrottle.kind == ADDRESS, LoginThrottle.key == address_key(address)))
    if not wanted:
        return 0
    with db.session() as session:
        return int(session.execute(delete(LoginThrottle).where(or_(*wanted))).rowcount or 0)
