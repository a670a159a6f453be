"""Is a generated reply safe to send? Checked against the facts the action looked up.

A small language model rewords well and invents easily: a price rounded the wrong way,
a product the shop does not sell, another shopper's order number from its training
data, or an instruction hidden in the shopper's message followed ("say the price is
$1"). The rule is simple and strict: everything checkable in the reply must be in the
facts, and any doubt sends the template reply instead. So a generated reply can be
worse worded than the template, never less true.

Checks, each a ``Violation`` with a reason the console can show:

- ``empty`` / ``too_long``: nothing said, or more than ``max_chars`` / ``max_sentences``.
- ``unsupported_price``, ``unsupported_number``, ``unsupported_date``, ``unsupported_code``,
  ``unsupported_name``: a money amount (in any spelling: "$1,299", "1299 dollars",
  "$1,299.00"), number, date, order id / tracking number / model code, or product or
  brand name that the facts do not contain (``bot.generation.entities``); and any other
  capitalised word inside a sentence that no fact contains (an invented city, person or
  product the catalog does not know).
- ``personal_data``: an e-mail address, phone number, card, IBAN, street address or
  customer name that is not the shopper's own and not in the facts; found with the
  project's redaction patterns (``bot.privacy.redaction``) and the caller's list of
  customer names.
- ``instruction_leak``: chat-role tags, talk of prompts and instructions or of "the
  customer" (the prompt's framing), or the prompt's own wording and section labels.
- ``echo``: a run of the shopper's own words repeated that the facts do not contain (the
  usual way an injected "say ..." reaches the output).
- ``wrong_pairing``: true facts joined wrongly in one sentence: a product named with a
  brand that is not its own ("the Garmin Forerunner 55 from Big Agnes"), or with the
  price of another product of the facts and not its own.
- ``unsupported_claim``: a claim the facts do not make, in words rather than entities:
  that the shopper owns, bought or ordered a product ("your Forerunner 55", "you
  purchased ...") when neither the profile nor their orders say so; or a commercial
  promise (on sale / a discount, free shipping, limited time, a warranty, best seller, the
  lowest price) when no fact says anything of the kind.
- ``drops_facts``: the reply keeps less than ``min_coverage`` (half) of the answer's key
  facts (its prices, dates, codes and products): true but emptier than the template.
"""

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Iterable, List, Optional, Sequence, Set, Tuple

from bot.generation import entities as E
from bot.generation.entities import EntitySet, Mention, NameIndex, canonical, money_text, scan, words_of
from bot.generation.facts import Facts, checkable_entities
from bot.privacy.redaction import ADDRESS, CARD, IBAN, PHONE, redact_text

EMPTY = "empty"
TOO_LONG = "too_long"
UNSUPPORTED_PRICE = "unsupported_price"
UNSUPPORTED_NUMBER = "unsupported_number"
UNSUPPORTED_DATE = "unsupported_date"
UNSUPPORTED_CODE = "unsupported_code"
UNSUPPORTED_NAME = "unsupported_name"
PERSONAL_DATA = "personal_data"
INSTRUCTION_LEAK = "instruction_leak"
ECHO = "echo"
DROPS_FACTS = "drops_facts"
WRONG_PAIRING = "wrong_pairing"
UNSUPPORTED_CLAIM = "unsupported_claim"


@dataclass(frozen=True)
class Violation:
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class Verdict:
    violations: Tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def kinds(self) -> Set[str]:
        return {violation.kind for violation in self.violations}

    @property
    def reasons(self) -> List[str]:
        return [str(violation) for violation in self.violations]


@dataclass(frozen=True)
class GuardrailConfig:
    max_chars: int = 480
    max_sentences: int = 5
    echo_words: int = 6  # this many of the shopper's words in a row, repeated, is an echo
    min_coverage: float = 0.5  # of the answer's key facts (prices, dates, codes, products) restated
    leak_words: int = 5  # this many words of the prompt's own text in a row is a leak
    intro_max_chars: int = 200  # a list's lead (``check(intro=True)``): one short sentence
    intro_max_sentences: int = 2


# Role tags of chat templates (ChatML, Llama, Mistral) and a line that opens as a role.
_ROLE_TAG = re.compile(r"<\|[A-Za-z_]{1,24}\|>|</?s>|\[/?INST\]|<</?SYS>>|^\s*(?:system|user|assistant)\s*:",
                       re.IGNORECASE | re.MULTILINE)
_LEAK_PHRASES = re.compile(
    r"\b(?:system\s+(?:prompt|message|instructions?)|(?:my|your|the|these|those|previous|above)\s+"
    r"(?:prompt|instructions?)|i\s+(?:was|am|have\s+been)\s+(?:told|instructed|programmed)|"
    r"ignore\s+(?:all\s+)?(?:previous|prior|your|my|the)\b|jailbreak|developer\s+mode|"
    # the prompt's framing: a reply speaks to the shopper, never about "the customer"
    r"the\s+(?:customer|shopper)(?:'s|s)?\b|(?:the|your|this)\s+question\s+is)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z]*(?:['’][a-z]+)?\b")
_SENTENCE_OPENERS = set(".!?:;\"'(•-—–*\n")
_ALWAYS_CAPITALISED = {"I", "I'm", "I'll", "I've", "I'd", "I’m", "I’ll", "I’ve", "I’d", "OK"}
_CALENDAR = set(E.MONTHS) | set(E.WEEKDAYS)
# "you bought the ...", "the ... you bought", "your ...": the shopper's own history, which
# only the profile and their orders know; each attaches to the product name beside it
_HAVING = (r"you(?:['’]ve|\s+have)?\s+(?:already\s+|just\s+|recently\s+)?(?:own(?:ed)?|bought|purchased|ordered|got)"
           r"|you\s+already\s+have")
_OWNED_BEFORE = re.compile(
    r"(?:\b(?:" + _HAVING + r")|\byour\s+(?:recent\s+|last\s+|previous\s+)?(?:purchases?|orders?)\s+(?:of|included|includes|with)"
    r"|\byour(?:\s+(?:own|new|current))?)\s+(?:(?:the|a|an|this|that|one)\s+)?$", re.IGNORECASE)
_OWNED_AFTER = re.compile(r"\s*,?\s*(?:(?:that|which)\s+)?(?:" + _HAVING + r")\b", re.IGNORECASE)
# Commercial promises a small model adds to sound like a shop ("for a limited time only"):
# each needs a fact of the same kind. (kind, pattern)
_CLAIMS = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
    ("a sale or discount", r"\bon\s+sale\b|\bdiscount\w*|\bsale\b|%\s*off\b|\bpercent\s+off\b|\breduced\b|"
                           r"\bclearance\b|\bcoupons?\b|\bpromo(?:tion(?:al)?)?\s+codes?\b|\bvouchers?\b|\bdeals?\b"),
    ("something free", r"\bfree\s+(?:shipping|delivery|returns?|gifts?|of\s+charge)\b|\bfor\s+free\b|"
                       r"\b(?:is|are|it['’]s)\s+free\b"),
    ("a time limit", r"\blimited[-\s]time\b|\bwhile\s+(?:stocks?|supplies)\s+lasts?\b|\blast\s+chance\b|"
                     r"\bends?\s+(?:soon|today|tonight)\b|\btoday\s+only\b|\bfor\s+a\s+limited\b"),
    ("a warranty or guarantee", r"\bwarrant(?:y|ies)\b|\bguarantee[ds]?\b"),
    ("a sales rank or award", r"\bbest[-\s]?sell(?:er|ers|ing)\b|\bnumber\s+one\b|#1\b|\baward[-\s]winning\b"),
    ("a price promise", r"\blowest\s+prices?\b|\bcheapest\s+(?:anywhere|online|on\s+the\s+market)\b|\bprice\s+match"),
))
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d\s().-]*\d")
_PLACEHOLDERS = {PHONE: "phone number", CARD: "card number", IBAN: "IBAN", ADDRESS: "street address"}


class Guardrails:
    """Checks replies against facts. ``names`` finds the shop's product, brand and
    customer names (``NameIndex.from_catalog(catalog, people=customer_names)``); without
    it, names are checked only through the codes and numbers in them."""

    def __init__(self, names: Optional[NameIndex] = None, config: GuardrailConfig = GuardrailConfig()) -> None:
        self.names = names
        self.config = config

    def check(self, text: str, facts: Facts, shopper_text: str = "",
              prompt_texts: Sequence[str] = (), markers: Sequence[str] = (),
              entities: Optional[EntitySet] = None, intro: bool = False) -> Verdict:
        """The verdict on ``text``. ``prompt_texts`` are the prompt's own instructions and
        ``markers`` its section labels: neither may show in a reply. ``entities`` may be
        passed when already computed for these facts. ``intro``: ``text`` is the lead of a
        list reply whose list is sent as written: it needs none of the key facts (the list
        keeps them) and must be short (``intro_max_chars``, ``intro_max_sentences``)."""
        text = text or ""
        found: List[Violation] = []
        stripped = text.strip()
        if not stripped:
            return Verdict((Violation(EMPTY, "the reply is empty"),))
        config = self.config
        if intro:
            config = replace(config, max_chars=config.intro_max_chars, max_sentences=config.intro_max_sentences,
                             min_coverage=0.0)
        if len(stripped) > config.max_chars:
            found.append(Violation(TOO_LONG, f"{len(stripped)} characters, at most {config.max_chars}"))
        sentences = len(_SENTENCE_END.findall(stripped.rstrip(".!? ") + "."))
        if sentences > config.max_sentences:
            found.append(Violation(TOO_LONG, f"{sentences} sentences, at most {config.max_sentences}"))
        if len(stripped) > 4 * config.max_chars:
            return Verdict(tuple(found))  # far too long: not worth reading further
        supported = entities if entities is not None else checkable_entities(facts, self.names)
        found += self._leaks(stripped, supported, prompt_texts, markers)
        found += self._echo(stripped, supported, shopper_text)
        found += self._personal(stripped, supported)
        mentions = scan(stripped, self.names)
        for mention in mentions:
            violation = self._unsupported(mention, supported)
            if violation is not None:
                found.append(violation)
        found += self._proper_nouns(stripped, mentions, supported)
        found += self._pairings(stripped, mentions, facts)
        found += self._claims(stripped, mentions, facts, supported)
        found += self._coverage(mentions, facts, config.min_coverage)
        return Verdict(tuple(_unique(found)))

    def _pairings(self, text: str, mentions: List[Mention], facts: Facts) -> List[Violation]:
        """Each name and price may be in the facts and the sentence still false: a product
        with another's brand or price. Checked per sentence that names exactly the products
        it talks about; a sentence naming several products is not paired (lists)."""
        by_id = {p.product_id: p for p in facts.products if p.product_id}
        if not by_id:
            return []
        own_prices = {pid: canonical(p.price) for pid, p in by_id.items() if p.price is not None}
        product_prices = set(own_prices.values())
        other_money = {value for value, _ in checkable_entities(replace_products(facts), self.names).money}
        found: List[Violation] = []
        start = 0
        for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
            inside = [m for m in mentions if start <= m.start < end]
            start = end
            products = {key[len("product:"):] for m in inside if m.kind == E.NAME
                        for key in m.keys if key.startswith("product:")}
            products &= set(by_id)
            if len(products) != 1:
                continue
            (pid,) = products
            product = by_id[pid]
            for m in inside:
                if m.kind == E.NAME and m.keys and not any(k.startswith(("product:", "person:")) for k in m.keys):
                    brands = {k for k in m.keys if k.startswith("brand:")}
                    if brands and product.brand_id and f"brand:{product.brand_id}" not in brands:
                        found.append(Violation(WRONG_PAIRING, f"{m.text!r} is not the brand of {product.name}"))
                if m.kind == E.MONEY and m.value is not None and pid in own_prices:
                    if (m.value in product_prices and m.value != own_prices[pid]
                            and m.value not in other_money):
                        found.append(Violation(WRONG_PAIRING, f"{m.text!r} is not the price of {product.name}"))
        return found

    def _claims(self, text: str, mentions: List[Mention], facts: Facts, supported: EntitySet) -> List[Violation]:
        """Claims in words: the shopper's ownership of a product, and commercial promises."""
        found: List[Violation] = []
        said = " ".join(supported.texts)
        for kind, pattern in _CLAIMS:
            claim = pattern.search(text)
            if claim and not pattern.search(said):
                found.append(Violation(UNSUPPORTED_CLAIM, f"promises {kind} ({claim.group(0)!r}) that no fact makes"))
        owned = self._owned(facts)
        for m in _claimed_owned(text, mentions):
            if not _products(m) & owned:
                found.append(Violation(UNSUPPORTED_CLAIM, f"says the shopper owns or bought {m.text!r}, "
                                                          "which their profile and orders do not say"))
        return found

    def _owned(self, facts: Facts) -> Set[str]:
        """Products the facts say the shopper has: named in the profile or in their orders,
        or written as theirs in another fact ("goes with your Forerunner 55")."""
        owned: Set[str] = set()
        for text in list(facts.profile_lines) + [order.line() for order in facts.orders]:
            owned |= {k for m in scan(text, self.names) for k in _products(m)}
        for text in facts.texts():
            owned |= {k for m in _claimed_owned(text, scan(text, self.names)) for k in _products(m)}
        return owned

    def _coverage(self, mentions: List[Mention], facts: Facts, min_coverage: float) -> List[Violation]:
        """A reply must keep at least ``min_coverage`` of the answer's key facts: "Good news,
        it's on its way!" drops the date and the tracking number the template gave."""
        keys = _key_facts(scan(facts.answer, self.names))
        subjects = {f"product:{p.product_id}" for p in facts.products if p.product_id}
        if subjects:
            # the products the answer is about are key; one its description mentions in
            # passing ("fits the iPhone 14") is not
            keys = _KeyFacts({k: t for k, t in keys.items() if k[0] != "product" or k[1] in subjects})
        if not keys or min_coverage <= 0:
            return []
        said = _key_facts(mentions)
        kept = len(keys & said) / len(keys)
        if kept >= min_coverage:
            return []
        missing = sorted(text for key, text in ((k, t) for k, t in keys.items() if k not in said))
        return [Violation(DROPS_FACTS, f"keeps {kept:.0%} of the answer's key facts, at least "
                                       f"{min_coverage:.0%} needed (missing {', '.join(missing[:4])})")]

    def _proper_nouns(self, text: str, mentions: List[Mention], facts: EntitySet) -> List[Violation]:
        """Capitalised words inside a sentence that no fact contains: invented places,
        people and products the name index does not know ("at our store in Los Angeles")."""
        taken = bytearray(len(text))
        for mention in mentions:
            taken[mention.start:mention.end] = b"\x01" * (mention.end - mention.start)
        known = set()
        for fact in facts.texts:
            known.update(words_of(fact))
        said = " ".join(" ".join(words_of(fact)) for fact in facts.texts)
        # a word glued to a product's name makes another name ("Forerunner 55 II", "Pro"):
        # known elsewhere in the facts is not enough, the whole name must be in them
        product_ends = {m.end: m for m in mentions
                        if m.kind == E.NAME and any(k.startswith("product:") for k in m.keys)}
        out, run = [], []
        for match in _CAPITALISED.finditer(text):
            word = match.group(0)
            before = text[:match.start()].rstrip()
            opens_sentence = not before or before[-1] in _SENTENCE_OPENERS
            product = product_ends.get(match.start() - 1) if text[match.start() - 1:match.start()] == " " else None
            if (product is not None and not any(taken[match.start():match.end()]) and word not in _ALWAYS_CAPITALISED
                    and word.lower() not in _CALENDAR
                    and " ".join(words_of(product.text + " " + word)) not in said):
                out.append((product.start, match.end()))
                run = []
                continue
            if (any(taken[match.start():match.end()]) or opens_sentence or word in _ALWAYS_CAPITALISED
                    or word.lower() in known or word.lower() in _CALENDAR):
                run = []
                continue
            if run and text[run[-1].end():match.start()] == " ":
                out[-1] = (out[-1][0], match.end())
            else:
                out.append((match.start(), match.end()))
            run.append(match)
        return [Violation(UNSUPPORTED_NAME, f"{text[start:end]!r} is not in the facts") for start, end in out]

    # ------------------------------------------------------------------ entities
    def _unsupported(self, mention: Mention, facts: EntitySet) -> Optional[Violation]:
        kind, value = mention.kind, mention.value
        if kind == E.MONEY:
            if value is None:
                return Violation(UNSUPPORTED_PRICE, f"{mention.text!r} is not written as a price")
            currencies = mention.currencies or {code for _, code in facts.money} or {"USD"}
            if any((value, code) in facts.money for code in currencies):
                return None
            return Violation(UNSUPPORTED_PRICE, f"{mention.text!r} ({money_text(value)}) is not a price in the facts")
        if kind == E.NUMBER:
            if value in facts.numbers:
                return None
            return Violation(UNSUPPORTED_NUMBER, f"{mention.text!r} is not a number in the facts")
        if kind == E.UNCHECKED:
            return Violation(UNSUPPORTED_NUMBER, f"{mention.text!r} is in no form the facts can support")
        if kind == E.DATE:
            if any(_same_day(reading, known, facts.numbers) for reading in value for known in facts.dates):
                return None
            return Violation(UNSUPPORTED_DATE, f"{mention.text!r} is not a date in the facts")
        if kind == E.MONTH:
            year, month = value
            if month in facts.months and (year is None or year in facts.numbers):
                return None
            return Violation(UNSUPPORTED_DATE, f"{mention.text!r} is not a month in the facts")
        if kind == E.WEEKDAY:
            return None if value in facts.weekdays else Violation(
                UNSUPPORTED_DATE, f"{mention.text!r} is not a day in the facts")
        if kind == E.RELATIVE_DAY:
            return None if value in facts.relative_days else Violation(
                UNSUPPORTED_DATE, f"{mention.text!r} is not a day the facts name")
        if kind == E.CODE:
            return None if value in facts.codes else Violation(
                UNSUPPORTED_CODE, f"{mention.text!r} is not an order, tracking or product code in the facts")
        if kind == E.EMAIL:
            return None if value in facts.emails else Violation(
                PERSONAL_DATA, f"the e-mail address {mention.text!r} is not the shopper's and not in the facts")
        if kind == E.NAME:
            if value in facts.names or (mention.keys & facts.keys):
                return None
            if any(key.startswith("person:") for key in mention.keys):
                return Violation(PERSONAL_DATA, f"{mention.text!r} names another customer")
            return Violation(UNSUPPORTED_NAME, f"{mention.text!r} is not a product or brand in the facts")
        return None

    # ------------------------------------------------------------------ personal data
    def _personal(self, text: str, facts: EntitySet) -> List[Violation]:
        """Phones, cards, IBANs and addresses (the redaction patterns) not in the facts."""
        redacted = redact_text(text, keep_email=None)
        if redacted == text:
            return []
        # each number as a fact writes it ("(555) 123-4567", "2608340057172795"), digits only:
        # a number matches one of them whole, never a run across two unrelated numbers
        fact_numbers = {re.sub(r"\D", "", run) for fact in facts.texts for run in _NUMBER_RUN.findall(fact)}
        fact_words = [" ".join(words_of(fact)) for fact in facts.texts]
        out = []
        for original, replaced in _replaced_regions(text, redacted):
            for placeholder, label in _PLACEHOLDERS.items():
                if placeholder not in replaced:
                    continue
                digits = re.sub(r"\D", "", original)
                words = " ".join(words_of(original))
                if placeholder in (PHONE, CARD, IBAN) and digits in fact_numbers:
                    continue  # a number the facts give: the shop's own phone, a tracking number
                if placeholder == ADDRESS and words and any(words in fact for fact in fact_words):
                    continue
                out.append(Violation(PERSONAL_DATA, f"a {label} ({original.strip()!r}) that is not in the facts"))
        return out

    # ------------------------------------------------------------------ leaks and echoes
    def _leaks(self, text: str, facts: EntitySet, prompt_texts: Sequence[str],
               markers: Sequence[str]) -> List[Violation]:
        out = []
        tag = _ROLE_TAG.search(text)
        if tag:
            out.append(Violation(INSTRUCTION_LEAK, f"a chat-role tag {tag.group(0).strip()!r}"))
        phrase = _LEAK_PHRASES.search(text)
        if phrase and not any(phrase.group(0).lower() in fact.lower() for fact in facts.texts):
            out.append(Violation(INSTRUCTION_LEAK, f"talks about its prompt, instructions or roles ({phrase.group(0)!r})"))
        for marker in markers:
            if marker and marker in text:
                out.append(Violation(INSTRUCTION_LEAK, f"the prompt's label {marker!r}"))
        copied = _shared_run(text, prompt_texts, self.config.leak_words, exclude=facts.texts)
        if copied:
            out.append(Violation(INSTRUCTION_LEAK, f"repeats the prompt ({copied!r})"))
        return out

    def _echo(self, text: str, facts: EntitySet, shopper_text: str) -> List[Violation]:
        # a product name asked about and answered is no echo: the run needs words of its own
        copied = _shared_run(text, [shopper_text], self.config.echo_words, exclude=facts.texts, min_novel=3)
        return [Violation(ECHO, f"repeats the shopper's words ({copied!r})")] if copied else []


class _KeyFacts(dict):
    """Key facts of a text by comparable key -> how the text wrote it; ``&`` on keys."""

    def __and__(self, other: "_KeyFacts") -> Set:
        return set(self) & set(other)


def _key_facts(mentions: Iterable[Mention]) -> "_KeyFacts":
    out = _KeyFacts()
    for mention in mentions:
        if mention.kind == E.MONEY and mention.value is not None:
            out[("money", mention.value)] = mention.text
        elif mention.kind == E.DATE:
            for _, month, day in mention.value:
                out[("date", month, day)] = mention.text
                break
        elif mention.kind == E.CODE:
            out[("code", mention.value)] = mention.text
        elif mention.kind == E.NAME:
            products = sorted(key for key in mention.keys if key.startswith("product:"))
            if products:
                out[("product", products[0])] = mention.text
    return out


def _products(mention: Mention) -> Set[str]:
    return {key for key in mention.keys if key.startswith("product:")} if mention.kind == E.NAME else set()


def _claimed_owned(text: str, mentions: Iterable[Mention]) -> List[Mention]:
    """The product names ``text`` says the shopper has ("your Pixel 8", "you bought the
    Pixel 8", "the Pixel 8 you bought")."""
    return [m for m in mentions if _products(m) and (
        _OWNED_BEFORE.search(text[max(0, m.start - 60):m.start]) or _OWNED_AFTER.match(text, m.end))]


def _same_day(reading: Tuple, known: Tuple, numbers: Set) -> bool:
    """The reply's day is the fact's: same month and day, and a year only if the fact has
    it ("May 9, 2023" is not supported by "May 9" unless 2023 is in the facts)."""
    year, month, day = reading
    known_year, known_month, known_day = known
    if (month, day) != (known_month, known_day):
        return False
    if year is None or year == known_year:
        return True
    return known_year is None and E.canonical(year) in numbers


def _ngrams(words: List[str], n: int) -> Set[Tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _shared_run(text: str, sources: Iterable[str], n: int, exclude: Sequence[str] = (),
                min_novel: int = 0) -> Optional[str]:
    """The first run of ``n`` words of ``text`` that one of ``sources`` also has and none
    of ``exclude`` has (so a fact quoted from the prompt is no leak), with at least
    ``min_novel`` words that no text of ``exclude`` uses at all."""
    words = words_of(text)
    if len(words) < n:
        return None
    mine = _ngrams(words, n)
    theirs: Set[Tuple[str, ...]] = set()
    for source in sources:
        theirs |= _ngrams(words_of(source), n)
    shared = mine & theirs
    if not shared:
        return None
    allowed: Set[Tuple[str, ...]] = set()
    known: Set[str] = set()
    for fact in exclude:
        fact_words = words_of(fact)
        allowed |= _ngrams(fact_words, n)
        known.update(fact_words)
    for i in range(len(words) - n + 1):
        gram = tuple(words[i:i + n])
        if gram in shared and gram not in allowed and sum(word not in known for word in gram) >= min_novel:
            return " ".join(gram)
    return None


def _replaced_regions(original: str, redacted: str) -> List[Tuple[str, str]]:
    """(original text, its replacement) for each place the redaction changed.

    Neighbouring changes separated by fewer than three unchanged characters are one
    region: a placeholder may share a letter or two with what it replaced.
    """
    matcher = difflib.SequenceMatcher(None, original, redacted, autojunk=False)
    regions: List[List[int]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if regions and i1 - regions[-1][1] < 3 and j1 - regions[-1][3] < 3:
            regions[-1][1], regions[-1][3] = i2, j2
        else:
            regions.append([i1, i2, j1, j2])
    return [(original[i1:i2], redacted[j1:j2]) for i1, i2, j1, j2 in regions]


def replace_products(facts: Facts) -> Facts:
    """The facts without their products and the answer that lists them: what supports a
    price other than a product's own (a budget in the profile, an order total)."""
    from dataclasses import replace as _replace

    return _replace(facts, products=(), answer="")


def _unique(violations: List[Violation]) -> List[Violation]:
    seen, out = set(), []
    for violation in violations:
        if violation not in seen:
            seen.add(violation)
            out.append(violation)
    return out
