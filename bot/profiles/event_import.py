"""Import a shop's own behaviour log (CSV or JSON lines): validate, report bad rows, keep the good.

    python -m bot.profiles import-events FILE [--format csv|jsonl] [--strict] [--dry-run] [--url URL]

Columns (CSV header) or keys (one JSON object per line):

- ``customer``   the customer's id in the shop database, or their email
- ``event``      view, search, cart_add, purchase, favourite or review
                 (also accepted: favorite, add_to_cart)
- ``product``    a product id of the catalog in use; may be empty only for a search
- ``timestamp``  ISO 8601 ("2025-03-01T14:05:00Z", "2025-03-01 14:05", "2025-03-01");
                 without a zone it is taken as UTC
- ``text``       optional: the search words of a search, the text of a review
                 (``query`` is accepted as the column of a search's words)
- ``rating``     optional: a review's stars, a whole number from 1 to 5

Each bad row is printed as ``file:line: reason`` and left out, like the catalog importer
(``bot.catalog.importer``): unknown customer, unknown product, unknown event kind, bad or
future timestamp, rating not 1..5, a review with neither text nor rating. Rows already
in the database (same customer, event, product and time) are skipped with a warning, so
running an import twice does not double the history.

Exit status, as the catalog importer's: 0 when rows were imported (bad rows reported and
left out), 1 when the file had no good row, or with ``--strict`` when any row was bad
(nothing is imported then), 2 when the file cannot be read or lacks a required column.
"""

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from sqlalchemy import select

from bot.catalog.validation import Problem
from bot.profiles.events import EVENT_KINDS, BehaviourEvent, add_events, session_scope
from bot.profiles.tables import BehaviourEventRow
from bot.shop.schema import Customer
from bot.shop.timeutil import to_db

FORMATS = ("csv", "jsonl")
REQUIRED = ("customer", "event", "product", "timestamp")
ALIASES = {"favorite": "favourite", "add_to_cart": "cart_add"}
FUTURE_SLACK = timedelta(days=1)  # clocks differ; a day ahead is a bad row


class EventFileError(ValueError):
    """The file cannot be read at all (missing, not UTF-8, no header, missing column)."""


@dataclass
class ImportResult:
    events: List[BehaviourEvent]
    problems: List[Problem]
    rows: int
    written: int = 0
    skipped: List[Problem] = field(default_factory=list)  # already in the database

    @property
    def errors(self) -> List[Problem]:
        return [p for p in self.problems if not p.warning]


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    return "jsonl" if suffix in (".jsonl", ".ndjson", ".json") else "csv"


def _csv_rows(path: Path) -> Iterator[Tuple[int, Any]]:
    file = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header: Optional[List[str]] = None
            last = 0
            for cells in reader:
                start, last = last + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if header is None:
                    header = [c.strip().lower() for c in cells]
                    missing = [c for c in REQUIRED if c not in header]
                    if missing:
                        raise EventFileError(f"{file}:1: missing required column(s): {', '.join(missing)}")
                    continue
                if len(cells) != len(header):
                    yield start, f"has {len(cells)} cells, the header has {len(header)}"
                    continue
                yield start, {name: cell for name, cell in zip(header, cells)}
            if header is None:
                raise EventFileError(f"{file}:1: missing header row")
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EventFileError(f"{file}: cannot read CSV: {exc}") from exc


def _jsonl_rows(path: Path) -> Iterator[Tuple[int, Any]]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, f"not valid JSON: {exc.msg}"
                    continue
                if not isinstance(value, dict):
                    yield number, "must be a JSON object"
                    continue
                yield number, {str(key).lower(): item for key, item in value.items()}
    except (OSError, UnicodeDecodeError) as exc:
        raise EventFileError(f"{path}: cannot read JSON lines: {exc}") from exc


def read_rows(path: Path, fmt: Optional[str] = None) -> List[Tuple[int, Any]]:
    """``(line, row dict or a reason the line is unreadable)`` for every non-blank line."""
    path = Path(path)
    if not path.is_file():
        raise EventFileError(f"{path}: no such file")
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise EventFileError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return list(_csv_rows(path) if fmt == "csv" else _jsonl_rows(path))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _show(value: Any) -> str:
    text = _text(value)
    return f"'{text}'" if len(text) <= 60 else f"'{text[:57]}...'"


def parse_timestamp(value: Any) -> Optional[datetime]:
    """Naive UTC from an ISO 8601 text (``Z`` or an offset converted, no zone taken as UTC)."""
    text = _text(value)
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return to_db(datetime.fromisoformat(text))
    except ValueError:
        return None


class _Customers:
    """Customer lookups by id or email, one query for the whole file."""

    def __init__(self, session) -> None:
        rows = session.execute(select(Customer.id, Customer.email)).all()
        self.ids = {row.id for row in rows}
        self.emails = {row.email.lower(): row.id for row in rows}

    def find(self, value: Any) -> Optional[int]:
        text = _text(value)
        if "@" in text:
            return self.emails.get(text.lower())
        try:
            number = int(text)
        except ValueError:
            return None
        return number if number in self.ids else None


def check_row(row: Dict[str, Any], customers: _Customers, catalog, now: datetime
              ) -> Tuple[Optional[BehaviourEvent], List[str], List[str]]:
    """(event or None, errors, warnings) for one row."""
    errors: List[str] = []
    warnings: List[str] = []
    customer_id = customers.find(row.get("customer"))
    if not _text(row.get("customer")):
        errors.append("customer is missing")
    elif customer_id is None:
        errors.append(f"unknown customer {_show(row.get('customer'))}")
    kind = _text(row.get("event")).lower()
    kind = ALIASES.get(kind, kind)
    if not kind:
        errors.append("event is missing")
    elif kind not in EVENT_KINDS:
        errors.append(f"unknown event kind {_show(row.get('event'))} (expected one of {', '.join(EVENT_KINDS)})")
    product_id = _text(row.get("product")) or None
    if product_id is None:
        if kind and kind != "search":
            errors.append("product is missing (only a search may have none)")
    elif catalog.product(product_id) is None:
        errors.append(f"unknown product {_show(product_id)}")
    at = parse_timestamp(row.get("timestamp"))
    if not _text(row.get("timestamp")):
        errors.append("timestamp is missing")
    elif at is None:
        errors.append(f"bad timestamp {_show(row.get('timestamp'))} (expected ISO 8601, e.g. 2025-03-01T14:05:00Z)")
    elif at > now + FUTURE_SLACK:
        errors.append(f"timestamp {_show(row.get('timestamp'))} is in the future")
    rating: Optional[int] = None
    raw_rating = row.get("rating")
    if _text(raw_rating):
        try:
            number = float(_text(raw_rating))
        except ValueError:
            number = float("nan")
        if number != number or not number.is_integer() or not 1 <= number <= 5:
            errors.append(f"rating {_show(raw_rating)} is not a whole number from 1 to 5")
        elif kind != "review":
            warnings.append(f"rating ignored: only a review has one (event {kind or '?'})")
        else:
            rating = int(number)
    text = _text(row.get("text")) or _text(row.get("query")) or None
    if kind == "review" and rating is None and text is None and not errors:
        errors.append("a review needs a text or a rating")
    if text is not None and kind not in ("search", "review"):
        warnings.append(f"text ignored: only a search or a review has one (event {kind or '?'})")
        text = None
    if errors:
        return None, errors, warnings
    event = BehaviourEvent(customer_id, kind, product_id, at,
                           query=text if kind == "search" else None,
                           text=text if kind == "review" else None, rating=rating)
    return event, errors, warnings


def _existing_keys(session, customer_ids: Set[int]) -> Set[Tuple[int, str, Optional[str], datetime]]:
    if not customer_ids:
        return set()
    table = BehaviourEventRow.__table__
    statement = select(table.c.customer_id, table.c.kind, table.c.product_id, table.c.at).where(
        table.c.customer_id.in_(sorted(customer_ids)))
    return {(row.customer_id, row.kind, row.product_id, row.at) for row in session.execute(statement)}


def import_events(db, catalog, path: Path, fmt: Optional[str] = None, strict: bool = False,
                  dry_run: bool = False, now: Optional[datetime] = None) -> ImportResult:
    """Validate every row; store the good ones unless ``dry_run`` (or ``strict`` and a row was bad)."""
    path = Path(path)
    file = str(path)
    rows = read_rows(path, fmt)
    moment = to_db(now or datetime.now(timezone.utc))
    events: List[BehaviourEvent] = []
    problems: List[Problem] = []
    lines: List[int] = []
    with session_scope(db) as session:
        customers = _Customers(session)
        for line, row in rows:
            if isinstance(row, str):
                problems.append(Problem(file, line, row))
                continue
            event, errors, warnings = check_row(row, customers, catalog, moment)
            problems.extend(Problem(file, line, reason) for reason in errors)
            problems.extend(Problem(file, line, reason, warning=True) for reason in warnings)
            if event is not None:
                events.append(event)
                lines.append(line)
        existing = _existing_keys(session, {e.customer_id for e in events})
    result = ImportResult([], problems, len(rows))
    seen = set(existing)
    for line, event in zip(lines, events):
        key = (event.customer_id, event.kind, event.product_id, event.at)
        if key in seen:
            why = "already imported" if key in existing else "repeats an earlier row"
            result.skipped.append(Problem(file, line, f"{why} (same customer, event, product and time); skipped",
                                          warning=True))
            continue
        seen.add(key)
        result.events.append(event)
    result.problems = sorted(result.problems + result.skipped, key=lambda p: (p.line, p.warning))
    if dry_run or (strict and result.errors):
        return result
    result.written = add_events(db, result.events)
    return result
