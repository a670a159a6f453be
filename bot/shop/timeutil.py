"""Time helpers shared by the shop modules: everything is compared in aware UTC.

The database stores naive UTC; callers may pass naive (taken as UTC) or aware values.
"""

from datetime import date, datetime, timezone
from typing import Optional


def utc(value: Optional[datetime]) -> Optional[datetime]:
    """Aware UTC for any datetime; naive values are taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def utcnow(now: Optional[datetime] = None) -> datetime:
    return utc(now) if now is not None else datetime.now(timezone.utc)


def to_db(value: Optional[datetime]) -> Optional[datetime]:
    """Naive UTC, the form every timestamp column holds."""
    if value is None:
        return None
    return utc(value).replace(tzinfo=None)


def human_date(day: date, today: Optional[date] = None) -> str:
    """'May 3', with the year only when it is not the current one (no platform %-d)."""
    text = f"{day:%B} {day.day}"
    if today is not None and day.year != today.year:
        text += f", {day.year}"
    return text
