"""Order lookup limits kept in the shop database: window, cool-down, keys, settings."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.shop.attempts import Limits, LookupGuard, lookup_keys
from bot.shop.db import ShopDatabase
from bot.shop.schema import LookupMiss

LIMITS = Limits({"email": 5, "client": 10, "conversation": 3}, window=timedelta(hours=1),
                cooldown=timedelta(minutes=15))


def miss():
    return None


def rows(db):
    with db.session() as session:
        return session.execute(select(LookupMiss)).scalars().all()


def test_a_key_locks_at_its_limit_and_stays_locked_for_the_cool_down(empty_db, now):
    guard = LookupGuard(empty_db, LIMITS)
    keys = lookup_keys(conversation="conv-1")
    results = [guard.attempt(keys, miss, now=now + timedelta(seconds=i)) for i in range(3)]
    assert [r.locked for r in results] == [False, False, True]
    assert not any(r.refused for r in results)
    ran = []
    refused = guard.attempt(keys, lambda: ran.append(1) or "the order", now=now + timedelta(minutes=14))
    assert refused.refused and refused.value is None and ran == []  # the lookup did not even run
    later = guard.attempt(keys, lambda: "the order", now=now + timedelta(minutes=15, seconds=3))
    assert later.value == "the order"


def test_one_more_miss_after_the_cool_down_locks_again(empty_db, now):
    guard = LookupGuard(empty_db, LIMITS)
    keys = lookup_keys(conversation="conv-2")
    for i in range(3):
        guard.attempt(keys, miss, now=now)
    again = guard.attempt(keys, miss, now=now + timedelta(minutes=16))
    assert again.locked and not again.refused
    assert guard.is_locked(keys, now=now + timedelta(minutes=30))
    # the window slides: an hour after the misses the key is clean
    assert not guard.is_locked(keys, now=now + timedelta(minutes=16 + 61))


def test_refused_and_matched_attempts_are_not_misses(empty_db, now):
    guard = LookupGuard(empty_db, LIMITS)
    keys = lookup_keys(email="jane.doe@example.com")
    guard.attempt(keys, lambda: "ok", now=now)
    assert rows(empty_db) == []
    for _ in range(5):
        guard.attempt(keys, miss, now=now)
    for _ in range(20):
        assert guard.attempt(keys, miss, now=now + timedelta(minutes=1)).refused
    assert len(rows(empty_db)) == 5  # hammering a locked key does not extend the lock
    assert not guard.is_locked(keys, now=now + timedelta(minutes=16))


def test_any_locked_key_refuses_and_every_key_is_counted(empty_db, now):
    guard = LookupGuard(empty_db, LIMITS)
    for i in range(5):
        guard.attempt(lookup_keys(email="victim@example.com", conversation=f"c{i}"), miss, now=now)
    attempt = guard.attempt(lookup_keys(email="victim@example.com", client="fresh", conversation="new"),
                            lambda: "order", now=now)
    assert attempt.refused
    counted = {(row.kind) for row in rows(empty_db)}
    assert counted == {"email", "conversation"}


def test_the_table_holds_no_raw_values(empty_db, now):
    guard = LookupGuard(empty_db, LIMITS)
    guard.attempt(lookup_keys(email="Jane.Doe@Example.com", client="203.0.113.9", conversation="sender-42"), miss, now=now)
    stored = " ".join(f"{row.kind} {row.key}" for row in rows(empty_db))
    assert "jane" not in stored.lower() and "203.0.113.9" not in stored and "sender-42" not in stored
    # the same email in another case is the same key
    assert lookup_keys(email="jane.doe@example.com") == lookup_keys(email="JANE.DOE@example.com ")


def test_old_misses_are_pruned(empty_db, now):
    guard = LookupGuard(empty_db, LIMITS)
    guard.attempt(lookup_keys(conversation="old"), miss, now=now - timedelta(hours=3))
    guard.attempt(lookup_keys(conversation="new"), miss, now=now)
    assert [row.created_at.replace(tzinfo=None) for row in rows(empty_db)] == [now.replace(tzinfo=None)]


def test_a_failing_lookup_is_not_a_miss(empty_db, now):
    guard = LookupGuard(empty_db, LIMITS)

    def outage():
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError):
        guard.attempt(lookup_keys(conversation="c"), outage, now=now)
    assert rows(empty_db) == []


def test_limits_come_from_the_environment(monkeypatch):
    limits = Limits.from_env()
    assert (limits.limit("email"), limits.limit("client"), limits.limit("conversation")) == (5, 10, 3)
    assert limits.window == timedelta(hours=1) and limits.cooldown == timedelta(minutes=15)
    monkeypatch.setenv("SHOPBOT_ORDER_MISSES_PER_EMAIL", "2")
    monkeypatch.setenv("SHOPBOT_ORDER_MISSES_PER_CLIENT", "0")  # off
    monkeypatch.setenv("SHOPBOT_ORDER_MISSES_PER_CONVERSATION", "many")  # bad: the default
    monkeypatch.setenv("SHOPBOT_ORDER_MISS_WINDOW_MINUTES", "30")
    monkeypatch.setenv("SHOPBOT_ORDER_COOLDOWN_MINUTES", "5")
    limits = Limits.from_env()
    assert (limits.limit("email"), limits.limit("client"), limits.limit("conversation")) == (2, 0, 3)
    assert limits.window == timedelta(minutes=30) and limits.cooldown == timedelta(minutes=5)


def test_a_switched_off_key_is_neither_stored_nor_checked(empty_db, now):
    guard = LookupGuard(empty_db, Limits({"email": 5, "client": 0, "conversation": 3}, timedelta(hours=1),
                                         timedelta(minutes=15)))
    for i in range(12):
        assert not guard.attempt(lookup_keys(client="shared-nat", conversation=f"c{i}"), miss, now=now).refused
    assert {row.kind for row in rows(empty_db)} == {"conversation"}


def test_simultaneous_attempts_never_get_past_the_limit(tmp_path, now):
    """Many shoppers at once on one key: at most ``limit`` lookups run."""
    db = ShopDatabase(f"sqlite:///{tmp_path / 'race.db'}")
    guard = LookupGuard(db, LIMITS)
    keys = lookup_keys(email="victim@example.com")
    ran = []
    lock = threading.Lock()

    def lookup():
        with lock:
            ran.append(1)
        return None

    def worker():
        try:
            guard.attempt(keys, lookup, now=now)
        except Exception:  # noqa: BLE001 - SQLite may say "database is locked" under contention
            pass

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ran) <= LIMITS.limit("email")
    with db.session() as session:
        assert session.execute(select(func.count(LookupMiss.id))).scalar_one() == len(ran)
    db.dispose()
