"""Removing personal data from text before it is stored (ticket transcripts).

Shoppers paste card numbers, phone numbers and other people's e-mail addresses into
chats. A support ticket keeps the conversation for staff, so what it stores is
redacted first: card numbers (13-19 digits passing the Luhn check), phone numbers,
and every e-mail address except the customer's own, which staff need to reply.
Order numbers, prices, dates and tracking numbers are left alone.
"""

import re
from typing import Any, List, Optional

CARD = "[card number]"
PHONE = "[phone number]"
EMAIL = "[email]"

# A run of digits with single spaces or dashes between them (how cards are written).
_DIGIT_RUN = re.compile(r"(?<![\w+-])\d(?:[ -]?\d)+(?![\w])")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONES = (
    # international: +44 20 7946 0958, +1-555-123-4567
    re.compile(r"(?<![\w+])\+\d[\d\s().-]{5,20}\d(?![\w])"),
    # grouped: (555) 123-4567, 555-123-4567, 555.123.4567, 555 1234
    re.compile(r"(?<![\w.+-])(?:\(\d{2,4}\)\s?|\d{2,4}[\s.-])(?:\d{2,4}[\s.-]){0,3}\d{3,4}(?![\w-])"),
    # a bare North American number: 5551234567, 15551234567
    re.compile(r"(?<![\w+-])1?\d{10}(?![\w-])"),
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _cards(text: str) -> str:
    def replace(match: "re.Match") -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return CARD
        return match.group(0)

    return _DIGIT_RUN.sub(replace, text)


def _phones(text: str) -> str:
    def replace(match: "re.Match") -> str:
        found = match.group(0)
        digits = re.sub(r"\D", "", found)
        if not 7 <= len(digits) <= 15 or _ISO_DATE.fullmatch(found.strip()):
            return found
        return PHONE

    for pattern in _PHONES:
        text = pattern.sub(replace, text)
    return text


def _emails(text: str, keep_email: Optional[str]) -> str:
    keep = (keep_email or "").strip().lower()

    def replace(match: "re.Match") -> str:
        return match.group(0) if keep and match.group(0).lower() == keep else EMAIL

    return _EMAIL.sub(replace, text)


def mask_email(email: str) -> str:
    """A recognisable but not reversible form of an address: ``j***@example.com``.

    Staff can still tell a customer's own conversations apart; the full address is not
    kept. The same input always gives the same mask.
    """
    email = (email or "").strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain:
        return EMAIL
    return f"{local[0]}***@{domain}"


def redact_text(text: str, keep_email: Optional[str] = None) -> str:
    """``text`` with cards, phones and foreign e-mails replaced by placeholders."""
    if not text:
        return text
    text = _emails(text, keep_email)  # first, so digits inside addresses stay with them
    text = _cards(text)
    return _phones(text)


def redact_value(value: Any, keep_email: Optional[str] = None) -> Any:
    """Redact every string inside nested dicts and lists (keys stay as they are)."""
    if isinstance(value, str):
        return redact_text(value, keep_email)
    if isinstance(value, dict):
        return {key: redact_value(item, keep_email) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(item, keep_email) for item in value]
    return value


def redact_transcript(transcript: List[dict], keep_email: Optional[str] = None) -> List[dict]:
    """A redacted copy of a conversation (list of turns such as {"sender": ..., "text": ...})."""
    return [redact_value(turn, keep_email) for turn in transcript or []]
