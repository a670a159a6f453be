"""How many times an order lookup may miss, counted in the shop database.

A lookup needs an order number and the e-mail on it. Someone who knows an e-mail could
otherwise guess order numbers until one matches, so every miss is written down, once per
key it carries:

- ``email``: a keyed hash of the e-mail tried (the victim's address in that attack),
- ``client``: the server-set pseudonym of the shopper's network address,
- ``conversation``: a keyed hash of the conversation (sender) id.

A key with ``limit`` misses inside the sliding ``window`` is locked until ``cooldown``
has passed since its latest miss; one more miss after that locks it again. While any
key of an attempt is locked the lookup is not even run: a right pair gets the same
answer as a wrong one, so a locked key cannot be used to confirm a guess. Refused
attempts are not counted (an attacker cannot keep a victim locked longer by hammering).
Restarting a form or a conversation changes nothing: the counts live here, not in slots.

Settings (environment, read on each check; a value below 1 switches that key off):

| variable                                 | default | what                                  |
|------------------------------------------|---------|---------------------------------------|
| ``SHOPBOT_ORDER_MISSES_PER_EMAIL``       | 5       | misses per e-mail in the window       |
| ``SHOPBOT_ORDER_MISSES_PER_CLIENT``      | 10      | misses per client address             |
| ``SHOPBOT_ORDER_MISSES_PER_CONVERSATION``| 3       | misses per conversation               |
| ``SHOPBOT_ORDER_MISS_WINDOW_MINUTES``    | 60      | the sliding window                    |
| ``SHOPBOT_ORDER_COOLDOWN_MINUTES``       | 15      | how long a key stays locked           |

Concurrency: an attempt's rows are committed *before* the counts are read, so of many
simultaneous attempts at most ``limit`` get through (each sees every attempt that
started before its count), on SQLite and PostgreSQL alike.
"""

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Dict, Generic, Mapping, Optional, TypeVar

from sqlalchemy import delete, func, select

from bot.identity.signing import keyed_hash
from bot.shop.schema import LookupMiss
from bot.shop.timeutil import to_db, utcnow

logger = logging.getLogger(__name__)

T = TypeVar("T")

KINDS = ("email", "client", "conversation")
KEY_LENGTH = 64

_SETTINGS = {
    "email": ("SHOPBOT_ORDER_MISSES_PER_EMAIL", 5),
    "client": ("SHOPBOT_ORDER_MISSES_PER_CLIENT", 10),
    "conversation": ("SHOPBOT_ORDER_MISSES_PER_CONVERSATION", 3),
}
WINDOW_SETTING = ("SHOPBOT_ORDER_MISS_WINDOW_MINUTES", 60)
COOLDOWN_SETTING = ("SHOPBOT_ORDER_COOLDOWN_MINUTES", 15)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip())
    except ValueError:
        logger.warning("%s=%r is not a whole number; using %s", name, raw, default)
        return default


@dataclass(frozen=True)
class Limits:
    """Misses allowed per key kind inside ``window``, and the lock's ``cooldown``."""

    per_kind: Mapping[str, int]
    window: timedelta
    cooldown: timedelta

    @classmethod
    def from_env(cls) -> "Limits":
        per_kind = {kind: _env_int(*setting) for kind, setting in _SETTINGS.items()}
        window = timedelta(minutes=max(1, _env_int(*WINDOW_SETTING)))
        cooldown = timedelta(minutes=max(0, _env_int(*COOLDOWN_SETTING)))
        return cls(per_kind, window, cooldown)

    def limit(self, kind: str) -> int:
        return int(self.per_kind.get(kind, 0))


def lookup_keys(email: Optional[str] = None, client: Optional[str] = None,
                conversation: Optional[str] = None) -> Dict[str, str]:
    """The keys one attempt is counted under; raw values never reach the table.

    ``client`` is already a server-made pseudonym (the channel's keyed hash of the
    address); it is hashed again so a value of any shape fits the column.
    """
    keys: Dict[str, str] = {}
    if email:
        keys["email"] = keyed_hash("order-lookup-email", email.strip().lower())
    if client:
        keys["client"] = keyed_hash("order-lookup-client", str(client))
    if conversation:
        keys["conversation"] = keyed_hash("order-lookup-conversation", str(conversation))
    return keys


@dataclass(frozen=True)
class Guarded(Generic[T]):
    """What an attempt gave: the value, or why not (for logs and tests, never for shoppers)."""

    value: Optional[T]
    refused: bool = False  # a key was locked before the attempt: the lookup did not run
    locked: bool = False   # after this attempt some key is locked: stop asking

    @property
    def matched(self) -> bool:
        return self.value is not None


class LookupGuard:
    """Runs a lookup only while none of its keys is locked, and counts the misses."""

    def __init__(self, db, limits: Optional[Limits] = None) -> None:
        self.db = db
        self._limits = limits

    @property
    def limits(self) -> Limits:
        return self._limits or Limits.from_env()

    def attempt(self, keys: Mapping[str, str], lookup: Callable[[], Optional[T]],
                now: Optional[datetime] = None) -> Guarded[T]:
        """``lookup()`` unless a key is locked; a None result is recorded as a miss."""
        limits = self.limits
        keys = {kind: key[:KEY_LENGTH] for kind, key in keys.items() if kind in KINDS and key}
        moment = to_db(utcnow(now))
        attempt_id = secrets.token_hex(16)
        self._record(keys, attempt_id, moment, limits)
        try:
            if self._locked(keys, limits, moment, exclude=attempt_id):
                self._forget(attempt_id)
                return Guarded(None, refused=True, locked=True)
            value = lookup()
        except BaseException:
            self._forget(attempt_id)  # an outage is nobody's miss
            raise
        if value is not None:
            self._forget(attempt_id)
            return Guarded(value)
        return Guarded(None, locked=self._locked(keys, limits, moment, exclude=None))

    def is_locked(self, keys: Mapping[str, str], now: Optional[datetime] = None) -> bool:
        keys = {kind: key[:KEY_LENGTH] for kind, key in keys.items() if kind in KINDS and key}
        return self._locked(keys, self.limits, to_db(utcnow(now)), exclude=None)

    def clear(self) -> None:
        """Forget every miss (tests, or staff unlocking after checking a shopper by phone)."""
        with self.db.session() as session:
            session.execute(delete(LookupMiss))

    # --- the table ---------------------------------------------------------------------

    def _record(self, keys: Mapping[str, str], attempt_id: str, moment: datetime, limits: Limits) -> None:
        horizon = moment - max(limits.window, limits.cooldown)
        with self.db.session() as session:
            session.execute(delete(LookupMiss).where(LookupMiss.created_at < horizon))
            for kind, key in keys.items():
                if limits.limit(kind) > 0:
                    session.add(LookupMiss(attempt=attempt_id, kind=kind, key=key, created_at=moment))

    def _forget(self, attempt_id: str) -> None:
        with self.db.session() as session:
            session.execute(delete(LookupMiss).where(LookupMiss.attempt == attempt_id))

    def _locked(self, keys: Mapping[str, str], limits: Limits, moment: datetime,
                exclude: Optional[str]) -> bool:
        since = moment - limits.window
        with self.db.session() as session:
            for kind, key in keys.items():
                limit = limits.limit(kind)
                if limit < 1:
                    continue
                query = select(func.count(LookupMiss.id), func.max(LookupMiss.created_at)).where(
                    LookupMiss.kind == kind, LookupMiss.key == key, LookupMiss.created_at > since)
                if exclude is not None:
                    query = query.where(LookupMiss.attempt != exclude)
                count, latest = session.execute(query).one()
                if count >= limit and latest is not None and moment - latest < limits.cooldown:
                    return True
        return False
