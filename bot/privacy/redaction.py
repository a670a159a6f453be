"""Removing personal data from text before it is stored, logged or exported.

Shoppers paste card numbers, bank accounts, phone numbers, street addresses and other
people's e-mail addresses into chats. Whatever keeps the conversation (the tracker
store, support tickets, logs, exports) stores a redacted form:

- card numbers: 13-19 digits passing the Luhn check, written with any separators
  between digit groups (spaces, several spaces, dots, dashes, slashes, mixed);
- IBANs: a country code, two check digits and the account, with or without spaces,
  validated by the ISO 7064 mod-97 check;
- phone numbers, e-mail addresses, and street addresses (house number, street name
  and a street-type word such as Street, Ave or Rd, with an optional flat or unit).

Order numbers, prices, dates, tracking numbers and SKUs are left alone. The token of a
privacy export's download link (a short-lived bearer credential, ``bot.privacy.requests``)
becomes ``[expired]``: the shopper saw the link once, nothing that keeps the message keeps it.

Two flavours: ``redact_text`` (tickets, logs) replaces e-mail addresses by ``[email]``
except the customer's own, which staff need to reply; ``redact_for_storage`` (stored
conversations) masks them as ``j***@example.com`` so staff still recognise a customer.

Every pattern runs in time linear in the input: the chat is attacker-controlled, so a
regular expression that backtracks without bound would be a denial of service.
Repetitions are either bounded by a small constant or over character classes that
cannot overlap with what follows them, and each pattern's look-behind lets a match
start only where a token starts.
"""

import re
from itertools import accumulate
from typing import Any, Callable, List, Optional

CARD = "[card number]"
PHONE = "[phone number]"
EMAIL = "[email]"
IBAN = "[iban]"
ADDRESS = "[address]"

# --- cards -----------------------------------------------------------------------------
# Between digit groups: up to three of spaces (any Unicode space), dots, dashes (also
# typographic ones), slashes or backslashes. Separators and digits are disjoint classes,
# so the repetition cannot backtrack more than one group.
_SEPARATOR = r"[\s.\-/\\\u2010-\u2015]"
# A run must start a token (not glued to a word, a "+" or a "ORD-"-like prefix) and end one.
_DIGIT_RUN = re.compile(rf"(?<![\w+])(?<!\w[-./])\d+(?:{_SEPARATOR}{{1,3}}\d+)*(?!\w)")
_DIGITS = re.compile(r"(\d+)")
CARD_MIN_DIGITS, CARD_MAX_DIGITS = 13, 19

# --- e-mails ---------------------------------------------------------------------------
# The look-behind holds every character of the local part: a match can only start at the
# beginning of a local part, so a long run without "@" is scanned once, not once per start.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# --- phones ----------------------------------------------------------------------------
# Not after a "/": a number in a path ("/img/1234567890.png") is an id, not a phone.
_PHONES = (
    # international: +44 20 7946 0958, +1-555-123-4567, +44  20  7946  0958
    re.compile(r"(?<![\w+])\+\d[\d\s().-]{5,24}\d(?!\w)"),
    # grouped: (555) 123-4567, 555-123-4567, 555.123.4567, 555 1234, 555  123  4567
    re.compile(r"(?<![\w.+/-])(?:\(\d{2,4}\)\s{0,2}|\d{2,4}[\s.-]{1,2})(?:\d{2,4}[\s.-]{1,2}){0,3}\d{3,4}(?![\w-])"),
    # a bare North American number: 5551234567, 15551234567
    re.compile(r"(?<![\w+/-])1?\d{10}(?![\w-])"),
)
_ISO_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")

# --- IBANs -----------------------------------------------------------------------------
# Countries that use IBANs (SWIFT registry and the experimental ones): a code outside
# this list is a tracking number or a product code, not an account.
_IBAN_COUNTRIES = frozenset("""
AD AE AL AO AT AZ BA BE BF BG BH BI BJ BR BY CF CG CH CI CM CR CV CY CZ DE DJ DK DO DZ EE
EG ES FI FK FO FR GA GB GE GI GL GQ GR GT GW HN HR HU IE IL IQ IR IS IT JO KM KW KZ LB LC
LI LT LU LV LY MA MC MD ME MG MK ML MN MR MT MU MZ NE NI NL NO OM PK PL PS PT QA RO RS RU
SA SC SD SE SI SK SM SN SO ST SV TD TG TL TN TR UA VA VG XK YE
""".split())
# Country, check digits, then blocks of four (the printed form) with up to two spaces
# between them, and a shorter last block. Each block is fixed-width, so a candidate is
# at most 34 characters long whatever follows.
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])(?i:[A-Z]{2}\d{2}(?: {0,2}[A-Z0-9]{4}){2,7}(?: {0,2}[A-Z0-9]{1,4})?)(?![A-Za-z0-9])")
IBAN_MIN_LENGTH, IBAN_MAX_LENGTH = 15, 34

# --- street addresses ------------------------------------------------------------------
# Street-type words. Unambiguous ones in any case ("12 abbey road"); words that are also
# ordinary English or product words only capitalised ("12 Elm Court", not "3 items in place").
_STREET_ANY_CASE = (r"street|avenue|road|lane|boulevard|terrace|parkway|crescent|highway|"
                    r"str|ave|av|rd|ln|blvd|pkwy|hwy|terr?")
_STREET_CAPITALISED = r"Drive|Way|Court|Place|Close|Square|Row|Ct|Pl|Cres"
# "St" and "Dr" are also Saint and Doctor: not when a capitalised name follows.
_STREET_SAINT_DOCTOR = r"(?:[Ss]t|ST|[Dd]r|DR)(?![ \t]{1,2}[A-Z][a-z])"
# A "road" followed by what the shop sells is a kind of bike or shoe, not a street.
_NOT_GEAR = r"(?![ \t]{1,2}(?i:bikes?|bicycles?|shoes?|tyres?|tires?|helmets?|cycling|running|racing)\b)"
# Words that make a phrase prose, not a street name ("300 g and a durable road outsole").
_NOT_PROSE = (r"(?!(?i:a|an|and|or|but|the|of|for|with|to|in|on|at|by|from|over|into|than|"
              r"my|your|our|their|his|her|its|it|is|are|was|were|be|i|you|we|they|"
              r"g|kg|mg|lb|lbs|oz|mm|cm|km|m|ml|l|mph|kmh|hours?|days?|weeks?|months?|years?|"
              r"mins?|minutes?|miles?|times?|x)\b)")
_STREET_WORD = re.compile(
    rf"\b(?:(?i:{_STREET_ANY_CASE})|{_STREET_CAPITALISED}|{_STREET_SAINT_DOCTOR})\b")
_ADDRESS = re.compile(
    r"(?<![\w$£€.,/-])\d{1,5}[A-Za-z]?(?:-\d{1,5}[A-Za-z]?)?,?"  # house number: 12, 221B, 12-14
    rf"(?:[ \t]{{1,2}}{_NOT_PROSE}[A-Za-z0-9][A-Za-z0-9'.-]{{0,29}}){{1,4}}"  # one to four words of name
    rf"[ \t]{{1,2}}(?:(?i:{_STREET_ANY_CASE})|{_STREET_CAPITALISED}|{_STREET_SAINT_DOCTOR})\b{_NOT_GEAR}\.?"
    # a flat or unit: ", Apt 4B", " Unit 12", " #3", ", Suite 200"
    r"(?:,?[ \t]{1,2}(?:(?i:apt|apartment|unit|suite|ste|flat|fl|floor)\.?[ \t]{0,2}#?|#)"
    r"[A-Za-z0-9-]{1,6}\b)?"
)


_DOUBLED = str.maketrans("0123456789", "0246813579")  # a digit doubled, less 9 above 9


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a string of digits (card numbers pass it)."""
    if not digits.isascii():
        digits = "".join(str(int(char)) for char in digits)  # other scripts' digits
    backwards = digits[::-1]
    total = sum(map(int, backwards[0::2])) + sum(map(int, backwards[1::2].translate(_DOUBLED)))
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616 IBAN check: known country, length, and ISO 7064 mod-97 equal to 1."""
    iban = re.sub(r"\s", "", candidate).upper()
    if not IBAN_MIN_LENGTH <= len(iban) <= IBAN_MAX_LENGTH or not iban.isascii() or not iban.isalnum():
        return False
    if iban[:2] not in _IBAN_COUNTRIES or not iban[2:4].isdigit():
        return False
    if sum(char.isdigit() for char in iban[4:]) < 4:  # words that happen to fit the shape
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _luhn_prefix_sums(digits: str) -> tuple:
    """Prefix sums that give the Luhn total of any slice of ``digits`` in constant time.

    In a slice ending at index ``e`` the digits of the same parity as ``e`` count as they
    are and the others doubled; ``even[i]``/``odd[i]`` sum ``digits[:i]`` weighted for a
    slice ending at an even/odd index.
    """
    doubled = digits.translate(_DOUBLED)
    even, odd = list(digits), list(doubled)
    even[1::2] = doubled[1::2]
    odd[1::2] = digits[1::2]
    return [0, *accumulate(map(int, even))], [0, *accumulate(map(int, odd))]


def _card_windows(groups: List[str]) -> List[tuple]:
    """(first, last) indexes of the digit groups of one run that form a card number.

    From each group, the longest following stretch of whole groups with 13-19 digits in
    all that passes Luhn ("4111 1111 1111 1111 12/26 123" finds the card before the
    expiry date). A stretch of several groups starts with three digits or more and has
    no single digit before its last group: cards are printed in groups of four to six.
    At most 19 digits are looked at from each start, and each Luhn check takes constant
    time, so the work stays linear in the run.
    """
    lengths = [len(group) for group in groups]
    if sum(lengths) < CARD_MIN_DIGITS:
        return []
    digits = "".join(groups)
    if not digits.isascii():
        digits = "".join(str(int(char)) for char in digits)  # other scripts' digits
    even, odd = _luhn_prefix_sums(digits)
    offsets = [0, *accumulate(lengths)]
    found = []
    count, first = len(groups), 0
    while first < count:
        best, length = None, lengths[first]
        if length >= 3:
            start, last = offsets[first], first
            while True:
                if length >= CARD_MIN_DIGITS:
                    end = offsets[last + 1]
                    sums = odd if (end - 1) % 2 else even
                    if (sums[end] - sums[start]) % 10 == 0:
                        best = last
                last += 1
                if last == count or lengths[last - 1] < 2:
                    break
                length += lengths[last]
                if length > CARD_MAX_DIGITS:
                    break
        if best is None:
            first += 1
            continue
        found.append((first, best))
        first = best + 1
    return found


def _cards(text: str) -> str:
    def replace(match: "re.Match") -> str:
        parts = _DIGITS.split(match.group(0))  # separators at even, digit groups at odd indexes
        stretches = _card_windows(parts[1::2])
        if not stretches:
            return match.group(0)
        for first, last in reversed(stretches):
            parts[2 * first + 1:2 * last + 2] = [CARD]
        return "".join(parts)

    return _DIGIT_RUN.sub(replace, text)


def _ibans(text: str) -> str:
    def replace(match: "re.Match") -> str:
        found = match.group(0)
        if iban_valid(found):
            return IBAN
        # The pattern may have taken a following word as a last block ("... 3000 then"):
        # try the candidate without its trailing space-separated parts.
        cut = len(found)
        for _ in range(8):
            cut = found.rfind(" ", 0, cut)
            if cut <= 4:
                break
            prefix = found[:cut].rstrip()
            if iban_valid(prefix):
                return IBAN + found[len(prefix):]
        return found

    return _IBAN.sub(replace, text)


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


def _emails(text: str, replacement: Callable[[str], str]) -> str:
    return _EMAIL.sub(lambda match: replacement(match.group(0)), text)


def _addresses(text: str) -> str:
    if not _STREET_WORD.search(text):  # most text names no street: skip the longer pattern
        return text
    return _ADDRESS.sub(ADDRESS, text)


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


# --- download links ----------------------------------------------------------------------
# A privacy export's link carries a bearer token (``bot.privacy.requests``): it is shown to
# the shopper once and masked wherever the message is kept.
_DOWNLOAD_TOKEN = re.compile(r"(/web/api/privacy/export\?token=)[A-Za-z0-9_.-]{1,200}")
LINK_TOKEN = "[expired]"


def _download_tokens(text: str) -> str:
    return _DOWNLOAD_TOKEN.sub(lambda match: match.group(1) + LINK_TOKEN, text) if "export?token=" in text else text


def _redact(text: str, email: Callable[[str], str]) -> str:
    text = _download_tokens(text)  # before the rest: a token's digits are no phone number
    text = _emails(text, email)  # first, so digits inside addresses stay with them
    text = _ibans(text)  # before cards and phones, which would take the account's digits
    text = _cards(text)
    text = _addresses(text)  # before phones: "12 Elm St" is not a phone, but a house number
    return _phones(text)


def redact_text(text: str, keep_email: Optional[str] = None) -> str:
    """``text`` with cards, IBANs, phones, addresses and foreign e-mails replaced by placeholders."""
    if not text:
        return text
    keep = (keep_email or "").strip().lower()
    return _redact(text, lambda found: found if keep and found.lower() == keep else EMAIL)


def redact_for_storage(text: str) -> str:
    """``text`` as a stored conversation keeps it: e-mails masked (``j***@example.com``),
    every other kind of personal data replaced by its placeholder."""
    if not text:
        return text
    return _redact(text, mask_email)


def redact_value(value: Any, keep_email: Optional[str] = None) -> Any:
    """Redact every string inside nested dicts and lists (keys stay as they are)."""
    return _walk(value, lambda text: redact_text(text, keep_email))


def redact_value_for_storage(value: Any) -> Any:
    """``redact_for_storage`` applied to every string inside nested dicts and lists.

    Returns new containers: the input (an event the processor still uses) is unchanged.
    """
    return _walk(value, redact_for_storage)


def _walk(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _walk(item, redact) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(item, redact) for item in value]
    return value


def redact_transcript(transcript: List[dict], keep_email: Optional[str] = None) -> List[dict]:
    """A redacted copy of a conversation (list of turns such as {"sender": ..., "text": ...})."""
    return [redact_value(turn, keep_email) for turn in transcript or []]
