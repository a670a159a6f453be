"""Finding the checkable things in a text: money, numbers, dates, codes, names, e-mails.

The guardrails compare what a generated reply states with what the facts state, so both
sides are read by the same scanner (``scan``): a price written "$1,299", "1299 dollars"
or "$1,299.00" becomes the same ``Decimal``, "May 12" and "2025-05-12" the same day, and
"WF-1000XM5" the same code as "wf1000xm5". Whatever is not recognised but still contains
a digit is reported too ("unchecked"), so a number in an unexpected shape can never slip
through because no pattern knew it.

Product, brand and people names come from a ``NameIndex`` the caller builds from the
shop's data (``NameIndex.from_catalog``, plus customer names): a name is found by its
words, longest first, so "Galaxy S24 Ultra" is never mistaken for the "Galaxy S24" in the
facts. A one-word name matches only when written with a capital ("Giant" the brand, not
"a giant discount"), since many brands are also ordinary words.

Every pattern is linear in the text: the text is model output, which a prompt injection
may shape, so a pattern that backtracks without bound would be a denial of service.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

# ----------------------------------------------------------------------------- kinds
MONEY = "money"
NUMBER = "number"
DATE = "date"          # value: (year or None, month, day)
MONTH = "month"        # value: (year or None, month)
WEEKDAY = "weekday"    # value: 0 (Monday) .. 6
RELATIVE_DAY = "relative_day"  # value: "today", "tomorrow", "yesterday", "tonight"
CODE = "code"          # order ids, RMA numbers, tracking numbers, model codes: value normalised
EMAIL = "email"
NAME = "name"          # a product, brand or person from the NameIndex: value the phrase
UNCHECKED = "unchecked"  # digits in a shape no pattern knows: never supported


@dataclass(frozen=True)
class Mention:
    """One thing a text states. ``value`` is comparable across spellings; ``keys`` name the
    catalog entities (``product:ID``, ``brand:ID``, ``person:NAME``) a NAME refers to."""

    kind: str
    text: str
    value: Any
    start: int
    end: int
    keys: FrozenSet[str] = frozenset()
    currencies: FrozenSet[str] = frozenset()  # MONEY: the currencies the symbol may mean


# ----------------------------------------------------------------------------- numbers
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_STRICT_NUM = re.compile(_NUM)


def to_decimal(text: str) -> Optional[Decimal]:
    """'1,299.00' -> Decimal('1299'); None when it is not a number."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return canonical(value)


def canonical(value: Any) -> Decimal:
    """One form per value: Decimal('1299') for 1299, 1299.0, '1,299.00'."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    number = number.normalize()
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


# A currency written before or after the amount, and what it may mean ("$" is several).
_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"})
CURRENCY_WORDS: Dict[str, FrozenSet[str]] = {
    "$": _DOLLARS, "us$": frozenset({"USD"}), "ca$": frozenset({"CAD"}), "c$": frozenset({"CAD"}),
    "a$": frozenset({"AUD"}), "au$": frozenset({"AUD"}), "€": frozenset({"EUR"}), "£": frozenset({"GBP"}),
    "dollar": _DOLLARS, "dollars": _DOLLARS, "bucks": _DOLLARS, "euro": frozenset({"EUR"}),
    "euros": frozenset({"EUR"}), "pound": frozenset({"GBP"}), "pounds": frozenset({"GBP"}),
    "usd": frozenset({"USD"}), "cad": frozenset({"CAD"}), "eur": frozenset({"EUR"}),
    "gbp": frozenset({"GBP"}), "aud": frozenset({"AUD"}),
}
_PREFIX = r"(?:US\$|CA\$|AU\$|C\$|A\$|\$|€|£|USD|CAD|EUR|GBP|AUD)"
_SUFFIX = r"(?:dollars?|bucks|euros?|pounds?|USD|CAD|EUR|GBP|AUD)\b|[€£$]"
_MONEY = re.compile(
    rf"(?<![A-Za-z])(?P<pre>{_PREFIX})\s?(?P<amount>\d(?:[\d,.]*\d)?)"
    rf"|(?<![\w.,])(?P<amount2>{_NUM})\s?(?P<post>{_SUFFIX})", re.IGNORECASE)

# A bare number, optionally glued to a unit or ordinal ("128GB", "6.2-inch", "3rd", "20%").
_NUMBER = re.compile(rf"(?<![\w.])(?P<amount>{_NUM})(?:-?[A-Za-z]{{1,6}})?(?![\w])")
# References with a letter prefix ("ORD-100345", "RMA-7KQ2PX", "WF-1000XM5"), read before
# numbers so the digits stay with their prefix; then any token mixing letters and digits
# (model codes, tracking numbers). Separators and word characters are disjoint classes, so
# neither pattern backtracks more than one group; a token counts only if it has a digit.
_REFERENCE = re.compile(r"(?<![\w-])[A-Za-z]+(?:-[A-Za-z0-9]+)+\+*")
_CODE = re.compile(r"(?<![\w-])[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*\+*")
_REFERENCE_NUMBER = re.compile(r"#\s?(?P<digits>\d{3,})\b")
_DIGIT_RUN = re.compile(r"\d+")

NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "hundred": 100, "thousand": 1000, "dozen": 12,
}
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)


def normalize_code(text: str) -> str:
    """'wf-1000xm5' -> 'WF1000XM5', 'ORD-100345' -> 'ORD100345' (separators dropped)."""
    return re.sub(r"[-/\s]", "", text).upper()


# ----------------------------------------------------------------------------- dates
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
_MONTH_NUMBER = {name: i + 1 for i, name in enumerate(MONTHS)}
_MONTH_NUMBER.update({name[:3]: i + 1 for i, name in enumerate(MONTHS)})
_MONTH_NUMBER["sept"] = 9
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = (r"(?P<{g}>(?:January|February|March|April|May|June|July|August|September|October|"
          r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)")
_ORD = r"(?:st|nd|rd|th)?"
_DATES = (
    re.compile(r"(?<![\w-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w-])"),
    re.compile(r"(?<![\w/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})(?![\w/])"),
    re.compile(_MONTH.format(g="month") + rf"\s(?P<d>\d{{1,2}}){_ORD}(?:,?\s(?P<y>\d{{4}}))?(?!\w)"),
    re.compile(rf"(?<![\w.])(?P<d>\d{{1,2}}){_ORD}\s(?:of\s)?" + _MONTH.format(g="month")
               + r"(?:,?\s(?P<y>\d{4}))?(?!\w)"),
)
_MONTH_YEAR = re.compile(_MONTH.format(g="month") + r",?\s(?P<y>\d{4})(?!\w)")
# "May" is also a verb: a bare month only after a word that introduces a time.
_BARE_MONTH = re.compile(r"\b(?:(?i:in|on|since|until|by|from|of|early|late|mid|end|last|next|this)\s(?P<may>May)\b"
                         r"|(?P<month>January|February|March|April|June|July|August|"
                         r"September|October|November|December)\b)")
_WEEKDAY = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b")
_RELATIVE = re.compile(r"\b(?:today|tomorrow|yesterday|tonight)\b", re.IGNORECASE)

EMAIL_PATTERN = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _valid_day(year: Optional[int], month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 29 February is a day
    except ValueError:
        return False
    return True


def _year(text: Optional[str]) -> Optional[int]:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _month(text: str) -> int:
    return _MONTH_NUMBER[text.rstrip(".").lower()]


# ----------------------------------------------------------------------------- names
_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'][A-Za-z0-9]+)*\+*")


def words_of(text: str) -> List[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


class NameIndex:
    """Names of the shop's products, brands and people, found in a text by their words.

    ``add(name, key)`` registers a phrase for an entity key (``product:SKU-1``,
    ``brand:sony``, ``person:jane doe``); ``related`` links a product to its brand so a
    fact about a product also supports its brand name.
    """

    def __init__(self) -> None:
        self._phrases: Dict[Tuple[str, ...], Set[str]] = {}
        self._longest = 0
        self.related: Dict[str, Set[str]] = {}

    def __len__(self) -> int:
        return len(self._phrases)

    def add(self, name: str, key: str) -> None:
        words = tuple(words_of(name))
        if not words:
            return
        self._phrases.setdefault(words, set()).add(key)
        self._longest = max(self._longest, len(words))

    def relate(self, key: str, other: str) -> None:
        self.related.setdefault(key, set()).add(other)

    def keys_for(self, keys: Iterable[str]) -> Set[str]:
        """``keys`` with the entities they imply (a product's brand)."""
        out = set(keys)
        for key in list(out):
            out |= self.related.get(key, set())
        return out

    @classmethod
    def from_catalog(cls, catalog: Any, people: Iterable[str] = ()) -> "NameIndex":
        """Every product (display name, model name, aliases) and brand (name, aliases) of a
        ``bot.catalog`` catalog, and the given people's names (other customers)."""
        index = cls()
        for brand in getattr(catalog, "brands", ()):
            for name in [brand.name, *getattr(brand, "aliases", ())]:
                index.add(name, f"brand:{brand.id}")
        for product in getattr(catalog, "products", ()):
            key = f"product:{product.id}"
            names = [getattr(product, "display_name", product.name), product.name, *getattr(product, "aliases", ())]
            for name in names:
                index.add(name, key)
            if getattr(product, "brand", None):
                index.relate(key, f"brand:{product.brand}")
        index.add_people(people)
        return index

    def add_people(self, people: Iterable[str]) -> None:
        """Full names of people (customers): a single word is too often an ordinary one."""
        for person in people:
            if person and len(words_of(person)) >= 2:
                self.add(person, f"person:{' '.join(words_of(person))}")

    def find(self, text: str) -> Iterator[Tuple[int, int, str, Set[str]]]:
        """(start, end, phrase, keys) of each name in ``text``, longest match first."""
        if not self._phrases:
            return
        tokens = list(_WORD.finditer(text))
        lowered = [t.group(0).lower() for t in tokens]
        i = 0
        while i < len(tokens):
            for n in range(min(self._longest, len(tokens) - i), 0, -1):
                phrase = tuple(lowered[i:i + n])
                keys = self._phrases.get(phrase)
                if keys is None:
                    continue
                if n == 1 and not _capitalised_or_coded(tokens[i].group(0)):
                    continue
                start, end = tokens[i].start(), tokens[i + n - 1].end()
                yield start, end, text[start:end], keys
                i += n
                break
            else:
                i += 1


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _capitalised_or_coded(word: str) -> bool:
    return word[:1].isupper() or any(ch.isdigit() for ch in word)


# ----------------------------------------------------------------------------- the scanner
class _Spans:
    """The parts of a text already explained by an earlier, more specific pattern."""

    def __init__(self, length: int) -> None:
        self.taken = bytearray(length)

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def take(self, start: int, end: int) -> None:
        self.taken[start:end] = b"\x01" * (end - start)


def scan(text: str, names: Optional[NameIndex] = None) -> List[Mention]:
    """Every checkable mention in ``text``, in the order of the passes below.

    Passes go from specific to general, and each one skips what an earlier one took:
    names, e-mails, dates, money, reference numbers (#123456), prefixed references
    (ORD-123456), numbers, codes, number words, bare months, weekdays and relative days; then any digit left over is UNCHECKED.
    """
    text = text or ""
    spans = _Spans(len(text))
    found: List[Mention] = []

    def add(kind: str, start: int, end: int, value: Any, **extra: Any) -> None:
        spans.take(start, end)
        found.append(Mention(kind, text[start:end], value, start, end, **extra))

    if names is not None:
        for start, end, phrase, keys in names.find(text):
            add(NAME, start, end, " ".join(words_of(phrase)), keys=frozenset(keys))
    for match in EMAIL_PATTERN.finditer(text):
        if spans.free(*match.span()):
            add(EMAIL, *match.span(), match.group(0).lower())
    for pattern in _DATES:
        for match in pattern.finditer(text):
            if not spans.free(*match.span()):
                continue
            groups = match.groupdict()
            year = _year(groups.get("y"))
            if "a" in groups and groups.get("a"):  # 05/12/2025: month/day or day/month
                a, b = int(groups["a"]), int(groups["b"])
                readings = {(year, m, d) for m, d in ((a, b), (b, a)) if 1 <= m <= 12 and _valid_day(year, m, d)}
                if readings:
                    add(DATE, *match.span(), frozenset(readings))
                continue
            month = int(groups["m"]) if groups.get("m") else _month(groups["month"])
            day = int(groups["d"])
            if 1 <= month <= 12 and _valid_day(year, month, day):
                add(DATE, *match.span(), frozenset({(year, month, day)}))
    for match in _MONTH_YEAR.finditer(text):
        if spans.free(*match.span()):
            add(MONTH, *match.span(), (_year(match.group("y")), _month(match.group("month"))))
    for match in _MONEY.finditer(text):
        if not spans.free(*match.span()):
            continue
        written = match.group("amount") or match.group("amount2")
        # "$1,29" or "$1.2.3": money in no shape a price has; never supported (value None)
        amount = to_decimal(written) if _STRICT_NUM.fullmatch(written) else None
        symbol = (match.group("pre") or match.group("post") or "").lower()
        add(MONEY, *match.span(), amount, currencies=CURRENCY_WORDS.get(symbol, frozenset()))
    for match in _REFERENCE_NUMBER.finditer(text):
        if spans.free(*match.span()):
            add(NUMBER, *match.span(), canonical(int(match.group("digits"))))
    for match in _REFERENCE.finditer(text):
        if spans.free(*match.span()) and _has_digit(match.group(0)):
            add(CODE, *match.span(), normalize_code(match.group(0)))
    for match in _NUMBER.finditer(text):
        if spans.free(*match.span()):
            amount = to_decimal(match.group("amount"))
            if amount is not None:
                add(NUMBER, *match.span(), amount)
    for match in _CODE.finditer(text):
        if spans.free(*match.span()) and _has_digit(match.group(0)):
            add(CODE, *match.span(), normalize_code(match.group(0)))
    for match in _NUMBER_WORD.finditer(text):
        if spans.free(*match.span()):
            add(NUMBER, *match.span(), canonical(NUMBER_WORDS[match.group(0).lower()]))
    for match in _BARE_MONTH.finditer(text):
        group = "may" if match.group("may") else "month"
        if spans.free(*match.span(group)):
            add(MONTH, *match.span(group), (None, _month(match.group(group))))
    for match in _WEEKDAY.finditer(text):
        if spans.free(*match.span()):
            add(WEEKDAY, *match.span(), WEEKDAYS.index(match.group(0).rstrip("s").lower()))
    for match in _RELATIVE.finditer(text):
        if spans.free(*match.span()):
            add(RELATIVE_DAY, *match.span(), match.group(0).lower())
    for match in _DIGIT_RUN.finditer(text):
        if spans.free(*match.span()):
            add(UNCHECKED, *match.span(), match.group(0))
    found.sort(key=lambda mention: mention.start)
    return found


def money_text(amount: Decimal) -> str:
    """'$1,299.00'-style rendering of an amount for reasons (no currency claim)."""
    return f"{amount:,.2f}"


def digits_of(values: Sequence[str]) -> Set[Decimal]:
    """Every digit run inside the given strings, as numbers (order 'ORD-100345' -> 100345)."""
    return {canonical(int(run)) for value in values for run in _DIGIT_RUN.findall(value or "")}


@dataclass
class EntitySet:
    """What a set of facts supports, by kind, in the scanner's canonical forms."""

    money: Set[Tuple[Decimal, str]] = field(default_factory=set)  # (amount, currency code)
    numbers: Set[Decimal] = field(default_factory=set)
    dates: Set[Tuple[Optional[int], int, int]] = field(default_factory=set)
    months: Set[int] = field(default_factory=set)
    weekdays: Set[int] = field(default_factory=set)
    relative_days: Set[str] = field(default_factory=set)
    codes: Set[str] = field(default_factory=set)
    emails: Set[str] = field(default_factory=set)
    names: Set[str] = field(default_factory=set)  # phrases as ``words_of`` joins them
    keys: Set[str] = field(default_factory=set)  # catalog entities: product:ID, brand:ID, person:NAME
    texts: List[str] = field(default_factory=list)  # every fact text, for verbatim checks

    def add_date(self, day: Optional[date]) -> None:
        if day is None:
            return
        self.dates.add((day.year, day.month, day.day))
        self.months.add(day.month)
        self.weekdays.add(day.weekday())
        self.numbers.update({canonical(day.day), canonical(day.year)})

    def add_money(self, amount: Optional[float], currency: str) -> None:
        if amount is None:
            return
        value = canonical(round(Decimal(str(amount)), 2))
        self.money.add((value, currency.upper()))
        self.numbers.add(value)

    def add_mentions(self, mentions: Iterable[Mention], currency: str) -> None:
        """What a fact text says (its money in ``currency`` unless it names another)."""
        for mention in mentions:
            if mention.kind == MONEY and mention.value is not None:
                currencies = mention.currencies or frozenset({currency.upper()})
                for code in currencies:
                    self.money.add((mention.value, code))
                self.numbers.add(mention.value)
            elif mention.kind == NUMBER:
                self.numbers.add(mention.value)
            elif mention.kind == DATE:
                for year, month, day in mention.value:
                    self.dates.add((year, month, day))
                    self.months.add(month)
                    self.numbers.add(canonical(day))
                    if year is not None:
                        self.numbers.add(canonical(year))
                        self.weekdays.add(date(year, month, day).weekday())
            elif mention.kind == MONTH:
                self.months.add(mention.value[1])
                if mention.value[0] is not None:
                    self.numbers.add(canonical(mention.value[0]))
            elif mention.kind == WEEKDAY:
                self.weekdays.add(mention.value)
            elif mention.kind == RELATIVE_DAY:
                self.relative_days.add(mention.value)
            elif mention.kind == CODE:
                self.codes.add(mention.value)
                self.numbers |= digits_of([mention.text])
            elif mention.kind == EMAIL:
                self.emails.add(mention.value)
            elif mention.kind == NAME:
                self.names.add(mention.value)
                self.keys |= set(mention.keys)
                self.numbers |= digits_of([mention.text])
            elif mention.kind == UNCHECKED:
                self.numbers.add(canonical(int(mention.value)))
