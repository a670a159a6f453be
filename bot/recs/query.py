"""A shopper's product question as constraints: what kind, which brand, what price, which
features, and in what order.

"the lightest tent under $400", "Sony headphones with noise cancelling", "laptops with at
least 16 GB of RAM, cheapest first": the parser reads

* categories, brands and products through the graph's :class:`MentionLinker` (typos and
  synonyms included; "a case for my Pixel 8" gives the accessories that fit it);
* prices through :func:`bot.budget.parse_budgets` (or the NLU's ``budget`` entity with its
  role max / min / approx / range), plus "around 300" without a currency sign, which the
  NLU leaves alone because it could be anything but is a price in a product search;
* numeric features: a number with a unit ("at least 12 hours of battery", "under 1.5 kg",
  "65W") or with a label word ("4 ports"), mapped to the attribute whose unit measures
  the same thing and whose label the words around it name (:mod:`bot.recs.vocabulary`);
* yes/no and categorical features: "noise cancelling", "MagSafe", "waterproof", "IP68";
* superlatives: "cheapest", "best rated", "lightest", "longest battery", "most storage".

Everything is looked up in the catalog; nothing names the demo shop.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from bot.budget import APPROX_BAND, parse_budgets
from bot.recs.vocabulary import (
    ADJECTIVE_NOUNS,
    COMPARATIVE_OPS,
    COMPARISONS,
    DEGREE_WORDS,
    DIMENSION_SUPERLATIVES,
    FIELD_SUPERLATIVES,
    RESIST_SUFFIXES,
    UNITS,
    AttributeTerm,
    Vocabulary,
    same_word,
    words,
)

APPROX_NUMBER_BAND = 0.05  # "a 13 inch laptop": 12.35..13.65
FIELD_LABELS = {"price": "price", "rating": "rating", "reviews": "popularity"}
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*$")
_NUMBER_WITH_UNIT = re.compile(r"^(\d+(?:\.\d+)?)([a-z\"°]+)$")
_ORDER_CUES = {("cheapest", "first"): ("price", "min"), ("lowest", "price", "first"): ("price", "min"),
               ("most", "expensive", "first"): ("price", "max")}


@dataclass
class NumericCondition:
    """``key op value`` in the attribute's own unit; op is >=, <= or a range (lo, hi)."""

    key: str
    label: str
    op: str  # ">=", "<=", "range"
    value: float
    unit: Optional[str] = None
    upper: Optional[float] = None  # for "range"
    said: Optional[float] = None  # the number a range was made from ("around 13 inches")

    def matches(self, actual: Any) -> bool:
        if not isinstance(actual, (int, float)) or isinstance(actual, bool):
            return False
        if self.op == ">=":
            return actual >= self.value
        if self.op == "<=":
            return actual <= self.value
        return self.value <= actual <= (self.upper if self.upper is not None else self.value)

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        label = lower_label(self.label)
        if self.op == ">=":
            return f"{label} at least {_num(self.value)}{unit}"
        if self.op == "<=":
            return f"{label} at most {_num(self.value)}{unit}"
        if self.said is not None:
            return f"{label} about {_num(self.said)}{unit}"
        return f"{label} {_num(self.value)}-{_num(self.upper)}{unit}"


@dataclass
class FeatureCondition:
    """A yes/no feature (``value`` True), one of some categorical values, or just "has
    a value" (``values`` empty, e.g. "waterproof" = has a water resistance rating)."""

    key: str
    label: str
    values: List[Any] = field(default_factory=list)
    phrase: str = ""

    def matches(self, actual: Any) -> bool:
        if actual is None or actual == "" or actual == []:
            return False
        if not self.values:
            return actual is not False
        items = actual if isinstance(actual, (list, tuple, set)) else [actual]
        for want in self.values:
            for item in items:
                if isinstance(want, bool) or isinstance(item, bool):
                    if item is want:
                        return True
                elif _phrase_in(str(want), str(item)):
                    return True
        return False

    def describe(self) -> str:
        if self.values == [True]:
            return f"with {lower_label(self.label)}"
        if not self.values:
            return self.phrase or f"with {lower_label(self.label)}"
        return f"{lower_label(self.label)} {' or '.join(str(v) for v in self.values)}"

    @property
    def adjective(self) -> bool:
        """Said as an adjective before the noun ("waterproof speakers")."""
        return not self.values and bool(self.phrase)


@dataclass
class Superlative:
    """Sort key and direction: a product field (price, rating, reviews) or an attribute."""

    key: str
    direction: str  # "min" | "max"
    label: str
    word: str  # what the shopper said: "cheapest", "lightest", "longest battery"
    is_field: bool = False


@dataclass
class ProductQuery:
    """The constraints understood in one message (see :func:`parse_query`)."""

    text: str = ""
    category: Optional[str] = None
    categories: List[str] = field(default_factory=list)  # all mentioned, first = ``category``
    brands: List[str] = field(default_factory=list)
    products: List[str] = field(default_factory=list)  # mentioned products (resolved)
    fits: Optional[str] = None  # "a case for my Pixel 8": accessories of this product
    min_price: Optional[float] = None
    max_price: Optional[float] = None
    price_role: Optional[str] = None  # max | min | approx | range
    numeric: List[NumericCondition] = field(default_factory=list)
    features: List[FeatureCondition] = field(default_factory=list)
    superlative: Optional[Superlative] = None
    ignored: List[str] = field(default_factory=list)  # understood, but no product here has it

    @property
    def has_constraints(self) -> bool:
        return bool(self.category or self.brands or self.fits or self.min_price is not None
                    or self.max_price is not None or self.numeric or self.features or self.superlative)


def lower_label(label: str) -> str:
    """"Battery life" -> "battery life", but "MIPS protection" and "MagSafe" keep their caps."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and any(c.isupper() for c in first[1:]):
        return label
    return label[:1].lower() + label[1:]


def _num(value: Optional[float]) -> str:
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _phrase_in(want: str, actual: str) -> bool:
    """Whole-word containment: "black" in "onyx black", "IP68" in "5 ATM, IP68"."""
    w = [t for t, _, _ in words(want)]
    a = [t for t, _, _ in words(actual)]
    return bool(w) and any(a[i:i + len(w)] == w for i in range(len(a) - len(w) + 1))


class QueryParser:
    """Parses messages into :class:`ProductQuery` for one catalog (build once, reuse)."""

    def __init__(self, kg: Any, linker: Any = None, vocabulary: Optional[Vocabulary] = None):
        from bot.graph.linking import MentionLinker

        self.kg = kg
        self.catalog = kg.catalog
        self.linker = linker or MentionLinker(kg)
        self.vocab = vocabulary or Vocabulary(kg.catalog)
        # words the catalog's names use: an attribute value that is also a category word
        # ("trail" of "trail shoes") is still a value
        self.category_words: Set[str] = set()
        self.heads: Dict[str, List[str]] = {}  # last word of a category name -> categories
        for category in self.catalog.categories:
            for name in [category.name, category.singular, *(category.synonyms or [])]:
                ws = [w for w, _, _ in words(name or "")]
                self.category_words.update(ws)
                if len(ws) >= 2:
                    for form in _number_forms(ws[-1]):
                        if category.id not in self.heads.setdefault(form, []):
                            self.heads[form].append(category.id)

    # ------------------------------------------------------------------ entry point
    def parse(self, text: Optional[str], entities: Optional[Sequence[Mapping[str, Any]]] = None) -> ProductQuery:
        """Constraints from ``text`` and from NLU ``entities`` (category, brand, product,
        budget with role); entities win where both say something."""
        text = text if isinstance(text, str) else ""
        query = ProductQuery(text=text)
        toks = words(text)
        used: Set[int] = set()  # token indices already explained
        covered = self._mentions(text, toks, query)
        self._budget(text, toks, used, query, entities)
        self._entities(entities, query)
        self._superlative(toks, used, covered, query)
        self._numbers(toks, used, query)
        self._features(toks, used, covered, query)
        self._drop_inapplicable(query)
        return query

    # ------------------------------------------------------------------ parts
    def _mentions(self, text: str, toks, query: ProductQuery) -> Dict[int, str]:
        """Categories, brands and products; returns {token index: mention kind} covered."""
        covered: Dict[int, str] = {}
        try:
            mentions = self.linker.link(text)
        except Exception:  # the linker never raises on text, but a search must not fail
            mentions = []
        for m in mentions:
            for k, (_, s, e) in enumerate(toks):
                if s >= m.start and e <= m.end:
                    covered[k] = m.kind
            if m.target and m.category:
                query.fits = m.target
                _add(query.categories, m.category)
                continue
            if m.kind == "category" and m.candidates:
                _add(query.categories, m.candidates[0][0])
            elif m.kind == "brand" and m.candidates:
                _add(query.brands, m.candidates[0][0])
            elif m.kind == "product" and m.resolved:
                _add(query.products, m.resolved)
        if not query.categories and not query.fits:
            self._head_nouns(toks, covered, query)
        query.category = query.categories[0] if len(query.categories) == 1 else None
        return covered

    def _head_nouns(self, toks, covered: Dict[int, str], query: ProductQuery) -> None:
        """"a Garmin watch": no category is called "watch", but "running watch" and
        "smart watch" end in it; the word names all of those categories."""
        from bot.graph.linking import WEAK_WORDS

        seq = [w for w, _, _ in toks]
        for k, (word, _, _) in enumerate(toks):
            if k in covered or len(word) < 4:
                continue
            if word in WEAK_WORDS and ("in" in seq[max(0, k - 2):k] or seq[k - 1:k] == ["to"]):
                continue  # "in any case", "to watch": the linker's rule for everyday words
            for cid in self.heads.get(word, ()):
                _add(query.categories, cid)
            if query.categories:
                covered[k] = "category"

    def _budget(self, text: str, toks, used: Set[int], query: ProductQuery,
                entities: Optional[Sequence[Mapping[str, Any]]]) -> None:
        budgets = []
        for b in parse_budgets(text):
            after = words(text[b.end:b.end + 16])
            has_currency = any(c in b.text for c in "$\u20ac\u00a3") or re.search(
                r"(?i)\b(?:dollars?|bucks|usd|eur|euros?|gbp)\b", text[b.start:b.end + 8])
            if after and after[0][0] in UNITS and not has_currency:
                continue  # "less than 50 mg": a quantity the budget parser does not know
            budgets.append(b)
        for b in budgets[:1]:
            query.min_price, query.max_price, query.price_role = b.minimum, b.maximum, b.role
        for b in budgets:
            for k, (_, s, e) in enumerate(toks):
                if s >= b.start and e <= b.end:
                    used.add(k)

    def _entities(self, entities: Optional[Sequence[Mapping[str, Any]]], query: ProductQuery) -> None:
        for entity in entities or ():
            kind, value = entity.get("entity"), entity.get("value")
            if kind == "budget" and isinstance(value, Mapping):
                query.min_price, query.max_price = value.get("min"), value.get("max")
                query.price_role = entity.get("role") or query.price_role
            elif kind == "category" and isinstance(value, str):
                cid = self.kg.category_id(value)
                if cid:
                    query.categories = [cid] + [c for c in query.categories if c != cid]
                    query.category = cid
            elif kind == "brand" and isinstance(value, str):
                bid = self.kg.brand_id(value)
                if bid:
                    _add(query.brands, bid)
            elif kind == "product" and isinstance(value, str) and self.kg.product(value):
                _add(query.products, value)

    def _superlative(self, toks, used: Set[int], covered: Dict[int, str], query: ProductQuery) -> None:
        seq = [w for w, _, _ in toks]
        # product fields: "cheapest", "best rated", "most popular"
        for phrase, key, direction in FIELD_SUPERLATIVES:
            pw = phrase.replace("-", " ").split()
            for i in range(len(seq) - len(pw) + 1):
                if seq[i:i + len(pw)] == pw:
                    query.superlative = Superlative(key, direction, FIELD_LABELS[key], phrase, True)
                    used.update(range(i, i + len(pw)))
                    return
        for cue, (key, direction) in _ORDER_CUES.items():
            for i in range(len(seq) - len(cue) + 1):
                if tuple(seq[i:i + len(cue)]) == cue:
                    query.superlative = Superlative(key, direction, FIELD_LABELS[key], " ".join(cue), True)
                    used.update(range(i, i + len(cue)))
                    return
        for i, word in enumerate(seq):
            context = [w for k, w in enumerate(seq[i + 1:i + 4], i + 1) if k not in covered]
            # "lightest", "longest battery": a quantity adjective, label words narrow it
            if word in DIMENSION_SUPERLATIVES:
                dims, direction = DIMENSION_SUPERLATIVES[word]
                terms = [t for t in self.vocab.numeric_terms(query.category) if t.dimension in dims]
                term = self._best_labelled(terms, context, query.category, dims,
                                           ADJECTIVE_NOUNS.get(word, ()))
                if term is not None:
                    query.superlative = Superlative(term.key, direction, term.label,
                                                    " ".join([word] + self._label_words(term, context)))
                    used.add(i)
                    return
            # "most storage", "best battery", "highest resolution": a degree word + a label
            if word in DEGREE_WORDS and context:
                terms = [t for t in self.vocab.numeric_terms(query.category) if t.label_score(context[:2])]
                if not terms:
                    continue
                term = self.vocab.pick(terms, context[:2], query.category)
                direction = DEGREE_WORDS[word]
                if direction in ("better", "worse"):
                    if term.better not in ("higher", "lower"):
                        continue
                    good = "max" if term.better == "higher" else "min"
                    direction = good if direction == "better" else ("min" if good == "max" else "max")
                said = self._label_words(term, context)
                query.superlative = Superlative(term.key, direction, term.label, " ".join([word] + said))
                used.add(i)
                used.update(k for k in range(i + 1, i + 3) if seq[k:k + 1] and seq[k] in said)
                return
        if "best" in seq and query.superlative is None and query.category:
            query.superlative = Superlative("rating", "max", "rating", "best", True)

    def _best_labelled(self, terms: List[AttributeTerm], context: List[str], category: Optional[str],
                       dims: Sequence[str], nouns: Sequence[str] = ()) -> Optional[AttributeTerm]:
        labelled = [t for t in terms if t.label_score(context[:2])]
        if labelled:
            return self.vocab.pick(labelled, context[:2], category)
        implied = [t for t in terms if t.label_score(nouns)]
        if implied:
            return self.vocab.pick(implied, list(nouns), category)
        # no label said: the first dimension that this category measures at all
        for dim in dims:
            in_dim = [t for t in terms if t.dimension == dim]
            if in_dim:
                return self.vocab.pick(in_dim, [], category)
        return None

    @staticmethod
    def _label_words(term: AttributeTerm, context: List[str]) -> List[str]:
        out = []
        for w in context[:2]:
            if any(same_word(w, lw) for lw in term.label_words):
                out.append(w)
            else:
                break
        return out

    def _numbers(self, toks, used: Set[int], query: ProductQuery) -> None:
        seq = [w for w, _, _ in toks]
        i = 0
        while i < len(seq):
            if i in used:
                i += 1
                continue
            number, unit, end = self._number_at(seq, i)
            if number is None:
                i += 1
                continue
            op, start = self._comparison_before(seq, i, used)
            context = [w for k, w in enumerate(seq) if max(0, start - 4) <= k < min(len(seq), end + 4)
                       and k not in used and not (start <= k < end)]
            trailing = " ".join(seq[end:end + 5])
            if seq[end:end + 1] == ["+"] or re.search(r"\bor (?:more|above|higher|better)\b", trailing):
                op = op or ">="
            elif re.search(r"\bor (?:less|fewer|lower|under)\b", trailing):
                op = op or "<="
            term, value = self._attribute_for(number, unit, context, query.category)
            if term is not None:
                if op in (None, "~"):
                    band = APPROX_BAND if op == "~" else APPROX_NUMBER_BAND
                    cond = NumericCondition(term.key, term.label, "range", round(value * (1 - band), 4),
                                            term.unit, round(value * (1 + band), 4), said=round(value, 4))
                else:
                    cond = NumericCondition(term.key, term.label, op, round(value, 4), term.unit)
                query.numeric.append(cond)
                used.update(range(start, end))
                used.update(k for k, w in enumerate(seq) if k in range(max(0, start - 4), end + 4)
                            and any(same_word(w, lw) for lw in term.label_words))
            elif unit is None and op == "~" and query.min_price is None and query.max_price is None:
                # "around 300": no unit, no label -> the price, as in a product search
                query.min_price = round(number * (1 - APPROX_BAND), 2)
                query.max_price = round(number * (1 + APPROX_BAND), 2)
                query.price_role = "approx"
                used.update(range(start, end))
            i = end

    def _number_at(self, seq: List[str], i: int) -> Tuple[Optional[float], Optional[str], int]:
        """(number, unit word or None, index after them) at token ``i``; "12h", "1.5 kg",
        "1,000"; a catalog value like "5G" is a feature, not five grams."""
        word = seq[i]
        if not _NUMBER.match(word) and (word,) in self.vocab.value_has_mark:
            return None, None, i + 1
        glued = _NUMBER_WITH_UNIT.match(word)
        if glued and glued.group(2) in UNITS:
            return float(glued.group(1)), glued.group(2), i + 1
        if not _NUMBER.match(word):
            return None, None, i + 1
        if re.match(r"^\d{1,3}(?:,\d{3})+$", word):
            number = float(word.replace(",", ""))
        else:
            number = float(word.replace(",", "."))
        end = i + 1
        unit = seq[end] if end < len(seq) and seq[end] in UNITS else None
        if unit is not None:
            end += 1
        return number, unit, end

    @staticmethod
    def _comparison_before(seq: List[str], i: int, used: Set[int]) -> Tuple[Optional[str], int]:
        for phrase, op in COMPARISONS:
            pw = phrase.split()
            s = i - len(pw)
            if s >= 0 and seq[s:i] == pw and not any(k in used for k in range(s, i)):
                return op, s
        # "lighter than 2 kg", "longer than 10 hours"
        if i >= 2 and seq[i - 1] == "than" and seq[i - 2] in COMPARATIVE_OPS:
            return COMPARATIVE_OPS[seq[i - 2]], i - 2
        return None, i

    def _attribute_for(self, number: float, unit: Optional[str], context: List[str],
                       category: Optional[str]) -> Tuple[Optional[AttributeTerm], float]:
        terms = self.vocab.numeric_terms(category)
        if unit is not None:
            dim, factor = UNITS[unit]
            same_dim = [t for t in terms if t.dimension == dim]
            term = self.vocab.pick(same_dim, context, category)
            if term is None:
                return None, number
            return term, number * factor / term.factor
        # no unit: a unitless attribute whose label is right there ("4 ports", "21 gears")
        labelled = [t for t in terms if t.dimension is None and t.unit is None and t.label_score(context)]
        if labelled:
            return self.vocab.pick(labelled, context, category), number
        return None, number

    def _features(self, toks, used: Set[int], covered: Dict[int, str], query: ProductQuery) -> None:
        seq = [w for w, _, _ in toks]
        free = [k for k in range(len(seq)) if k not in used and covered.get(k) not in ("brand", "product")]
        free_words = [seq[k] for k in free if covered.get(k) != "category"]
        seen: Set[str] = {c.key for c in query.numeric}
        # yes/no features: every label word said ("noise cancelling"), or a name-like
        # label word ("MagSafe", "MIPS")
        for term in self.vocab.terms.values():
            if term.type != "bool" or term.key in seen or not term.label_words:
                continue
            full = term.label_score(free_words) == len(term.label_words)
            named = any(b in free_words for b in term.brandish)
            if full or named:
                query.features.append(FeatureCondition(term.key, term.label, [True]))
                seen.add(term.key)
        # "waterproof", "water-resistant", "shockproof": the attribute named by the stem
        for k in free:
            word = seq[k]
            stem = None
            for suffix in RESIST_SUFFIXES:
                if word.endswith(suffix) and len(word) > len(suffix) + 2:
                    stem = word[:-len(suffix)].rstrip("-")
                elif word == suffix and k > 0:
                    stem = seq[k - 1]
                if stem:
                    break
            if not stem:
                continue
            for term in self.vocab.terms.values():
                if term.key in seen or not term.label_words or not same_word(stem, term.label_words[0]):
                    continue
                if term.type == "bool":
                    query.features.append(FeatureCondition(term.key, term.label, [True]))
                else:
                    query.features.append(FeatureCondition(term.key, term.label, [], phrase=word))
                seen.add(term.key)
                break
        # categorical values: "IP68", "USB-C", "in-ear", "road bike", "trail shoes"
        value_seq = [(k, seq[k]) for k in range(len(seq)) if k not in used
                     and covered.get(k) not in ("brand", "product")]
        for key, phrases in self.vocab.values.items():
            if key in seen:
                continue
            hits = []
            for phrase, original in phrases.items():
                if self._value_said(key, phrase, value_seq, covered):
                    hits.append(original)
            if hits:
                term = self.vocab.terms[key]
                query.features.append(FeatureCondition(key, term.label, hits))
                seen.add(key)

    def _value_said(self, key: str, phrase: Tuple[str, ...], value_seq: List[Tuple[int, str]],
                    covered: Dict[int, str]) -> bool:
        n = len(phrase)
        ws = [w for _, w in value_seq]
        for i in range(len(ws) - n + 1):
            if tuple(ws[i:i + n]) != phrase:
                continue
            idx = [value_seq[j][0] for j in range(i, i + n)]
            if idx[-1] - idx[0] != n - 1:
                continue  # not contiguous in the message
            k = idx[0]
            if all(w.replace(".", "").isdigit() for w in phrase):
                near = seq_words(value_seq, k - 2, k) + seq_words(value_seq, k + n, k + n + 2)
                if any(same_word(w, lw) for w in near for lw in self.vocab.terms[key].label_words):
                    return True
                continue
            if n >= 2 or phrase in self.vocab.value_has_mark:
                return True
            # one plain word ("road", "trail", "silicone") only next to a category word
            # ("road bike", "trail shoes", "silicone band")
            if covered.get(k + 1) == "category" or covered.get(k - 1) == "category" or \
                    covered.get(k) == "category":
                return True
        return False

    def _drop_inapplicable(self, query: ProductQuery) -> None:
        """Features no product of the asked category has are reported, not applied."""
        scope = query.category
        if scope is None:
            if query.categories:  # several: keep what at least one of them has
                for conds in (query.numeric, query.features):
                    conds[:] = [c for c in conds if any(self.vocab.covered(c.key, cid)
                                                        for cid in query.categories)]
            return
        keep_n, keep_f = [], []
        for cond in query.numeric:
            (keep_n if self.vocab.covered(cond.key, scope) else query.ignored).append(
                cond if self.vocab.covered(cond.key, scope) else cond.describe())
        for cond in query.features:
            if self.vocab.covered(cond.key, scope):
                keep_f.append(cond)
            elif not cond.values or cond.values == [True]:
                query.ignored.append(cond.describe())  # a value of another category: not meant
        query.numeric, query.features = keep_n, keep_f


def _number_forms(word: str) -> List[str]:
    forms = [word]
    if word.endswith(("ches", "shes", "sses", "xes")):
        forms.append(word[:-2])
    elif word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    elif word.endswith(("ch", "sh", "ss", "x")):
        forms.append(word + "es")
    else:
        forms.append(word + "s")
    return forms


def seq_words(value_seq: List[Tuple[int, str]], lo: int, hi: int) -> List[str]:
    """Words of ``value_seq`` whose message index is in [lo, hi)."""
    return [w for k, w in value_seq if lo <= k < hi]


def _add(items: List[str], value: str) -> None:
    if value not in items:
        items.append(value)
