"""Finding a shopper's budget in free text and turning it into numbers.

"under $300" -> max 300; "at least 50 bucks" -> min 50; "around 1.2k" -> about
1200 (a band of +-15 %); "between $200 and $400" -> 200..400. A bare number is
only a budget when it carries a currency mark or a budget word, so order ids,
sizes, durations and model numbers are left alone.
"""

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Text

APPROX_BAND = 0.15

# A number followed by one of these is a quantity, not money.
_UNITS = (
    r"days?|weeks?|months?|years?|yrs?|hours?|hrs?|minutes?|mins?|inch(?:es)?|in\b|\"|cm|mm|m\b"
    r"|kg|g\b|lbs?|pounds?|oz|gb|tb|mb|mah|w\b|watts?|mp|hz|km|miles?|x\b|pcs|pieces?"
    r"|people|persons?|pairs?|items?|orders?|times|%|st\b|nd\b|rd\b|th\b"
)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AMOUNT = re.compile(
    rf"(?:(?<![\w.,])(?P<cur>\$|usd ?|us\$) ?(?P<num>{_NUM})(?!\d|[.,]\d)(?P<k>k\b)?"
    rf"|(?<![\w.,$-])(?P<numb>{_NUM})(?!\d|[.,]\d)(?P<kb>k\b)?(?! ?(?:{_UNITS}))"
    rf"(?: ?(?P<curb>\$|dollars?\b|bucks\b|usd\b))?)",
    re.IGNORECASE,
)
_MAX = re.compile(
    r"(?:not\s+(?:\w+\s+){0,3}(?:more than|over|above)|under|below|less than|no more than|not more than|at most|max(?:imum)?|up to|upto"
    r"|cheaper than|<=?)\s*$", re.IGNORECASE)
_MIN = re.compile(r"(?:over|above|more than|at least|min(?:imum)?|starting at|>=?)\s*$", re.IGNORECASE)
_APPROX = re.compile(
    r"(?:around|about|roughly|approximately|approx\.?|near|~|budget(?: is| of)?|spend|for)\s*$",
    re.IGNORECASE)
_RANGE_START = re.compile(r"(?:between|from)\s*$", re.IGNORECASE)
_RANGE_JOIN = re.compile(r"^\s*(?:and|to|-)\s*$", re.IGNORECASE)


@dataclass
class Budget:
    """A budget mention: where it is, and the price range it allows."""

    start: int
    end: int
    text: Text
    role: Text  # max | min | approx | range
    minimum: Optional[float]
    maximum: Optional[float]

    def as_value(self) -> Dict[Text, Optional[float]]:
        return {"min": self.minimum, "max": self.maximum, "currency": "USD"}


@dataclass
class _Amount:
    start: int
    end: int
    value: float
    currency: bool


def _amounts(text: Text) -> List[_Amount]:
    found = []
    for m in _AMOUNT.finditer(text):
        num = m.group("num") or m.group("numb")
        value = float(num.replace(",", ""))
        if m.group("k") or m.group("kb"):
            value *= 1000
        found.append(_Amount(m.start(), m.end(), value, bool(m.group("cur") or m.group("curb"))))
    return found


def parse_budgets(text: Text) -> List[Budget]:
    """All budget mentions in ``text``, left to right."""
    text = text or ""
    amounts = _amounts(text)
    found: List[Budget] = []
    i = 0
    while i < len(amounts):
        a = amounts[i]
        before = text[max(0, a.start - 30):a.start]
        nxt = amounts[i + 1] if i + 1 < len(amounts) else None
        if nxt and _RANGE_JOIN.match(text[a.end:nxt.start]) and (
            a.currency or nxt.currency or _RANGE_START.search(before)
        ):
            start = a.start
            starter = _RANGE_START.search(before)
            if starter:
                start = a.start - (len(before) - starter.start())
            low, high = sorted((a.value, nxt.value))
            found.append(Budget(start, nxt.end, text[start:nxt.end], "range", low, high))
            i += 2
            continue
        i += 1
        for pattern, role in ((_MAX, "max"), (_MIN, "min"), (_APPROX, "approx")):
            q = pattern.search(before)
            if q:
                break
        else:
            q, role = None, "approx"
        if q is None and not a.currency:
            continue
        if role != "max" and not a.currency and not (q and q.group(0).lower().startswith("budget")):
            continue  # "more than 2 cameras", "about 3 weeks", "for 2 people"
        start = a.start - (len(before) - q.start()) if q else a.start
        if role == "max":
            low, high = None, a.value
        elif role == "min":
            low, high = a.value, None
        else:
            low, high = round(a.value * (1 - APPROX_BAND), 2), round(a.value * (1 + APPROX_BAND), 2)
        found.append(Budget(start, a.end, text[start:a.end], role, low, high))
    return found
