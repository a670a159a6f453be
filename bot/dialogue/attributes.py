"""Which product attribute a shopper asks about, and the answer from the catalog's values.

"does it come in blue?", "is it waterproof?", "how heavy is it?", "which one has more
storage?", "the cheaper one": none of these words is an attribute key. They are read with
the catalog's own vocabulary (:class:`bot.recs.vocabulary.Vocabulary`: attribute labels,
units, the dimension a unit measures, the values products have, which direction is better)
plus generic English, so a tea shop's "Caffeine (mg)" or a bookshop's "Pages" work the
same as the demo shop's "Weight (g)". Every answer quotes the catalog's exact values.

Only small tables of generic English live here, for words no attribute label carries:
``NOUN_DIMENSIONS`` (a "camera" is judged by what is measured in megapixels, "space" by
data or volume: used only where the catalog has such an attribute), ``LABEL_SYNONYMS``
("swim" asks about the attribute whose label says water), ``SPELLINGS`` and ``WRITTEN_AS``
(American spellings, "wifi") and ``COLOUR_WORDS`` (a colour no product has is still a
question about the attribute labelled colour).
"""

import re
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Text, Tuple

from bot.dialogue.replies import money, stock_text
from bot.recs.vocabulary import (
    ADJECTIVE_NOUNS,
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

# Product fields every catalog has, asked about like attributes.
PRICE, STOCK, RATING = "price", "stock", "rating"
FIELD_LABELS = {PRICE: "Price", STOCK: "Stock", RATING: "Rating", "reviews": "Reviews"}
FIELD_BETTER = {PRICE: "lower", RATING: "higher", "reviews": "higher", STOCK: "higher"}
PRICE_WORDS = frozenset("price prices priced cost costs expensive cheap pricey afford affordable".split())
STOCK_WORDS = frozenset("stock available availability sold".split())
RATING_WORDS = frozenset("rating ratings rated review reviews stars".split())

# Generic English nouns that name what an attribute measures without being its label.
NOUN_DIMENSIONS: Dict[Text, Tuple[Text, ...]] = {
    **{w: ("resolution",) for w in "camera cameras photo photos picture pictures image images".split()},
    "space": ("data", "volume"), "room": ("volume", "count"),
}
# Everyday words for what a label names: "can I swim with it?" asks about the attribute
# whose label says "water", "what port does it have?" about a connector.
LABEL_SYNONYMS: Dict[Text, Tuple[Text, ...]] = {
    **{w: ("water",) for w in "swim swimming rain rainy shower wet".split()},
    "port": ("ports", "connector"), "plug": ("connector",), "charges": ("charging",),
}
# American spellings of (British) label words and values; "wifi" as catalogs write it.
SPELLINGS: Dict[Text, Text] = {"color": "colour", "colors": "colours", "colored": "coloured",
                               "gray": "grey"}
WRITTEN_AS = ((re.compile(r"(?i)\bwi-?fi\b"), "Wi-Fi"),)
# Basic colour names: "does it come in magenta?" asks about the colour attribute even
# when no product is magenta.
COLOUR_WORDS = frozenset(
    "black white grey silver gold red orange yellow green blue purple violet pink brown beige "
    "navy teal turquoise cyan magenta maroon burgundy olive lime cream ivory khaki tan "
    "bronze copper charcoal".split())
# Words before a one-word value that make it a quantity, not the value: "how much space"
# is not the colour "space", "how high" not the cushioning "high".
NOT_VALUE_AFTER = frozenset("how much many more less most least enough".split())
# Irregular comparatives; the rest turn -er into -est ("cheaper" -> "cheapest").
IRREGULAR = {"better": "best", "worse": "worst", "more": "most", "less": "least", "fewer": "least"}
UNIT_DIMENSIONS_ASKED = ("mass", "data", "power", "energy", "resolution", "volume", "frequency")
STOPWORDS = frozenset("the a an it its it's is are does do did this that these those one ones of "
                      "to in on with for and or what which how much many me about more tell".split())

MAX_WORDS, MAX_CHARS = 80, 1000  # a question about products is short; a pasted essay is read in part

SUPERLATIVES: Set[Text] = set(DIMENSION_SUPERLATIVES) | set(DEGREE_WORDS) | {
    w for phrase, _, _ in FIELD_SUPERLATIVES for w in phrase.replace("-", " ").split()}


def superlative(word: Text) -> Optional[Text]:
    """The superlative a comparative or superlative word stands for, else None:
    "cheaper" -> "cheapest", "more" -> "most", "lightest" -> "lightest"."""
    if word in SUPERLATIVES:
        return word
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith("er") and word[:-2] + "est" in SUPERLATIVES:
        return word[:-2] + "est"
    return None


def adjective_superlative(word: Text) -> Optional[Text]:
    """The superlative of a plain adjective: "heavy" -> "heaviest", "big" -> "biggest"."""
    for form in (word + "est", word + "st", word[:-1] + "iest", word + word[-1:] + "est"):
        if form in DIMENSION_SUPERLATIVES:
            return form
    return superlative(word)


def tokens(text: Optional[Text]) -> List[Text]:
    """Lower-cased words of a message (its first ``MAX_WORDS``), American spellings made British."""
    text = (text or "")[:MAX_CHARS]
    for pattern, written in WRITTEN_AS:
        text = pattern.sub(written, text)
    return [SPELLINGS.get(w, w) for w, _, _ in words(text)][:MAX_WORDS]


def _asks_for_more(seq: Sequence[Text], k: int) -> bool:
    """"tell me more (about …)", "more details": not a comparison."""
    return seq[k] == "more" and (seq[k - 1:k] == ["me"] or seq[k + 1:k + 2] in (
        ["about"], ["info"], ["information"], ["details"], ["detail"], ["on"], ["of"]))


def _asked_unit(word: Text) -> bool:
    """A unit that names what is asked ("how many megapixels", "more GB"); short or
    everyday units ("in", "m", "second") are left out."""
    return word in UNITS and len(word) > 1 and UNITS[word][0] in UNIT_DIMENSIONS_ASKED


def join_words(items: Sequence[Any]) -> Text:
    """"a", "a and b", "a, b and c"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def lower_label(label: Text) -> Text:
    """"Battery life" -> "battery life"; "MagSafe compatible" keeps its capitals."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and any(c.isupper() for c in first[1:]):
        return label
    return label[:1].lower() + label[1:]


def _phrase_in(want: Text, actual: Text) -> bool:
    """Whole-word containment: "black" in "onyx black", "IP68" in "5 ATM, IP68"."""
    w = tokens(want)
    a = tokens(actual)
    return bool(w) and any(a[i:i + len(w)] == w for i in range(len(a) - len(w) + 1))


@dataclass(frozen=True)
class Question:
    """One thing asked about products: an attribute key (or ``price``/``stock``/``rating``)
    and, for a yes/no question, the value asked for ("blue", or True for a feature)."""

    key: Text
    label: Text
    wanted: Any = None


@dataclass(frozen=True)
class Ordering:
    """"the cheaper one", "which has the better camera": what to rank by and which way.

    ``direction`` is "min" or "max"; None when the attribute has no better direction
    ("which has the bigger wheel size?" in a shop where neither is better: values only).
    ``key`` is "" for a bare "which one is better?".
    """

    key: Text
    label: Text
    direction: Optional[Text]
    used: Tuple[int, ...] = ()  # the message's words it was read from


class AttributeWords:
    """One catalog's attribute vocabulary, for questions about given products."""

    def __init__(self, catalog: Any, vocabulary: Optional[Vocabulary] = None):
        self.catalog = catalog
        self.vocab = vocabulary or Vocabulary(catalog)
        self.terms = self.vocab.terms

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def keys_of(products: Iterable[Any]) -> Set[Text]:
        return {k for p in products for k, v in (p.attributes or {}).items() if v not in (None, "", [])}

    def _numeric(self, products: Sequence[Any]) -> List[AttributeTerm]:
        have = self.keys_of(products)
        return [t for t in self.terms.values() if t.type == "number" and t.key in have]

    def _best(self, terms: List[AttributeTerm], context: Sequence[Text], products: Sequence[Any]) -> Optional[AttributeTerm]:
        """Most label words said, fewest left unsaid, then the most of these products have it."""
        if not terms:
            return None
        have = [self.keys_of([p]) for p in products]
        return max(terms, key=lambda t: (t.label_score(context), sum(1 for w in t.label_words if w in context),
                                         -(len(t.label_words) - t.label_score(context)),
                                         sum(1 for h in have if t.key in h), self.vocab.covered(t.key, None)))

    def _by_dimension(self, dims: Sequence[Text], nouns: Sequence[Text], context: Sequence[Text],
                      products: Sequence[Any]) -> Optional[AttributeTerm]:
        terms = [t for t in self._numeric(products) if t.dimension in dims]
        labelled = [t for t in terms if t.label_score(context)]
        if labelled:
            return self._best(labelled, context, products)
        implied = [t for t in terms if t.label_score(nouns)]
        if implied:
            return self._best(implied, nouns, products)
        for dim in dims:
            in_dim = [t for t in terms if t.dimension == dim]
            if in_dim:
                return self._best(in_dim, [], products)
        return None

    # ------------------------------------------------------------------ orderings
    def ordering(self, text: Optional[Text], products: Sequence[Any], skip: Set[int] = frozenset()) -> Optional[Ordering]:
        """A comparative or superlative over ``products`` ("cheaper", "the lightest",
        "longer battery", "better camera", "more storage"), or None."""
        seq = tokens(text)
        sup = [None if k in skip or _asks_for_more(seq, k) else superlative(w) for k, w in enumerate(seq)]
        plain = [None if k in skip else (sup[k] or w) for k, w in enumerate(seq)]
        # product fields: "cheaper", "more expensive", "best rated", "more popular"
        for phrase, key, direction in FIELD_SUPERLATIVES:
            pw = phrase.replace("-", " ").split()
            for i in range(len(seq) - len(pw) + 1):
                if plain[i:i + len(pw)] == pw:
                    return Ordering(key, FIELD_LABELS[key], direction, tuple(range(i, i + len(pw))))
        for i, word in enumerate(sup):
            if word is None:
                continue
            context = [w for k, w in enumerate(seq[i + 1:i + 4], i + 1) if k not in skip and w not in STOPWORDS]
            if word in DIMENSION_SUPERLATIVES:  # "lighter", "longest battery"
                dims, direction = DIMENSION_SUPERLATIVES[word]
                term = self._by_dimension(dims, ADJECTIVE_NOUNS.get(word, ()), context[:2], products)
                if term is not None:
                    used = [i] + [k for k in range(i + 1, i + 4) if k < len(seq)
                                  and any(same_word(seq[k], lw) for lw in term.label_words)]
                    return Ordering(term.key, term.label, direction, tuple(used))
            if word in DEGREE_WORDS:  # "more storage", "the best camera", "higher price"
                subject = self._degree_subject(context[:2], products)
                if subject is None:
                    if word in ("best", "worst") and not context:
                        return Ordering("", "", None, (i,))  # "which one is better?"
                    continue
                key, label, better, n = subject
                used = (i,) + tuple(k for k in range(i + 1, i + 4) if k < len(seq) and seq[k] in context[:n])
                direction = DEGREE_WORDS[word]
                if direction in ("better", "worse"):
                    if better not in ("higher", "lower"):
                        return Ordering(key, label, None, used)  # neither is better: values only
                    good = "max" if better == "higher" else "min"
                    direction = good if direction == "better" else ("min" if good == "max" else "max")
                return Ordering(key, label, direction, used)
        return None

    def _degree_subject(self, context: Sequence[Text], products: Sequence[Any]) -> Optional[Tuple[Text, Text, Optional[Text], int]]:
        """What "more/best/highest …" is about: (key, label, better direction, words used)."""
        if not context:
            return None
        if context[0] in PRICE_WORDS:
            return PRICE, FIELD_LABELS[PRICE], FIELD_BETTER[PRICE], 1
        if context[0] in RATING_WORDS:
            return RATING, FIELD_LABELS[RATING], FIELD_BETTER[RATING], 1
        labelled = [t for t in self._numeric(products) if t.label_score(context)]
        if labelled:
            term = self._best(labelled, context, products)
            n = sum(1 for w in context if any(same_word(w, lw) for lw in term.label_words))
            return term.key, term.label, term.better, n
        for k, word in enumerate(context):  # "better camera", "more GB"
            dims = NOUN_DIMENSIONS.get(word) or (UNITS[word][:1] if _asked_unit(word) else None)
            term = self._by_dimension(dims, (), (), products) if dims else None
            if term is not None:
                return term.key, term.label, term.better, k + 1
        return None

    # ------------------------------------------------------------------ questions
    def questions(self, text: Optional[Text], products: Sequence[Any], skip: Set[int] = frozenset()) -> List[Question]:
        """The attributes (and values) a message asks about these products, in the order
        asked; [] when it asks none ("tell me more about it")."""
        seq = tokens(text)
        free = [k for k in range(len(seq)) if k not in skip]
        fw = [seq[k] for k in free]
        have = self.keys_of(products)
        found: Dict[Text, Question] = {}
        said_by: Dict[int, Text] = {}  # token index -> key it was read as

        def add(question: Question, at: Iterable[int] = ()) -> None:
            if question.key not in found:
                found[question.key] = question
            for k in at:
                said_by.setdefault(k, question.key)

        # yes/no features: every label word said ("wireless charging"), or a name ("MagSafe")
        for term in self.terms.values():
            if term.type == "bool" and term.label_words and (
                    term.label_score(fw) == len(term.label_words) or any(b in fw for b in term.brandish)):
                add(Question(term.key, term.label, True),
                    [k for k in free if any(same_word(seq[k], lw) for lw in term.label_words)])
        # "waterproof", "water-resistant": the attribute the stem names
        for k in free:
            stem = next((seq[k][:-len(s)].rstrip("-") for s in RESIST_SUFFIXES
                         if seq[k].endswith(s) and len(seq[k]) > len(s) + 2), None)
            if stem is None and seq[k] in RESIST_SUFFIXES and k > 0:
                stem = seq[k - 1]
            if stem:
                term = next((t for t in self.terms.values() if t.label_words and same_word(stem, t.label_words[0])), None)
                if term is not None:
                    add(Question(term.key, term.label, True), [k])
        # values: "blue", "IP68", "USB-C", "size 10"
        for key, question, at in self._values(seq, free, have, set(said_by)):
            add(question, at)
        # a colour no product has: still a question about the colour attribute
        for k in free:
            if seq[k] in COLOUR_WORDS and k not in said_by:
                term = self._labelled("colour", have)
                if term is not None:
                    add(Question(term.key, term.label, seq[k]), [k])
        # a whole label these products don't have, said word for word ("what sizes does
        # it come in?" about a phone that has a screen size): said so, not guessed
        rest = [k for k in free if k not in said_by and seq[k] not in STOPWORDS]
        context = [seq[k] for k in rest]
        for term in self.terms.values():
            if term.key not in have and term.key not in found and term.label_words \
                    and (term.type in ("list", "bool") or len(term.label_words) > 1) \
                    and all(w in context for w in term.label_words) \
                    and not any(t.key in have and t.label_words and all(w in context for w in t.label_words)
                                for t in self.terms.values()):
                add(Question(term.key, term.label), [k for k in rest if seq[k] in term.label_words])
        # labels: "battery life", "its weight", "what's the screen like", "can I swim in it"
        rest = [k for k in rest if k not in said_by]
        while rest:
            context = [w for k in rest for w in (seq[k],) + LABEL_SYNONYMS.get(seq[k], ())]
            terms = [t for t in self.terms.values() if t.key in have and t.key not in found and t.label_score(context)]
            if not terms:
                break
            term = self._best(terms, context, products)
            matched = [k for k in rest if any(same_word(w, lw) for w in (seq[k],) + LABEL_SYNONYMS.get(seq[k], ())
                                              for lw in term.label_words)]
            add(Question(term.key, term.label), matched)
            rest = [k for k in rest if k not in matched]
        # adjectives and units: "how heavy", "how big", "how many megapixels"
        for k in free:
            word = seq[k]
            if k in said_by or word in STOPWORDS:
                continue
            term = None
            sup = adjective_superlative(word)
            if sup in DIMENSION_SUPERLATIVES:
                dims, _ = DIMENSION_SUPERLATIVES[sup]
                term = self._by_dimension(dims, ADJECTIVE_NOUNS.get(sup, ()), [], products)
            elif word in NOUN_DIMENSIONS:
                term = self._by_dimension(NOUN_DIMENSIONS[word], (), [], products)
            elif _asked_unit(word):
                term = self._by_dimension(UNITS[word][:1], (), [], products)
            if term is not None:
                add(Question(term.key, term.label), [k])
        # product fields
        if any(w in RATING_WORDS for w in fw):
            add(Question(RATING, FIELD_LABELS[RATING]))
        text_free = " ".join(fw)
        if any(w in STOCK_WORDS for w in fw) and not re.search(r"\bavailable in\b", text_free) \
                or re.search(r"\b(?:have any|any left|in stock)\b", text_free):
            add(Question(STOCK, FIELD_LABELS[STOCK]))
        if any(w in PRICE_WORDS for w in fw) or (not found and re.search(r"\bhow much\b", text_free)):
            add(Question(PRICE, FIELD_LABELS[PRICE]))
        return list(found.values())

    def _labelled(self, word: Text, have: Set[Text]) -> Optional[AttributeTerm]:
        terms = [t for t in self.terms.values() if any(same_word(word, lw) for lw in t.label_words)]
        return next((t for t in terms if t.key in have), terms[0] if terms else None)

    def _values(self, seq: List[Text], free: List[int], have: Set[Text], taken: Set[int]):
        """(key, question, token indices) for catalog values said in the message."""
        hits: List[Tuple[Text, Question, List[int]]] = []
        # keys these products have first: "titanium" is a colour of a phone, a material of a band
        for key in sorted(self.vocab.values, key=lambda k: k not in have):
            term = self.terms.get(key)
            if term is None:
                continue
            for phrase, original in sorted(self.vocab.values[key].items(), key=lambda kv: -len(kv[0])):
                n = len(phrase)
                for i in range(len(free) - n + 1):
                    idx = free[i:i + n]
                    if idx[-1] - idx[0] != n - 1 or tuple(seq[k] for k in idx) != phrase or taken & set(idx):
                        continue
                    plain = n == 1 and phrase not in self.vocab.value_has_mark
                    if all(w.replace(".", "").isdigit() for w in phrase):
                        near = seq[max(0, idx[0] - 2):idx[0]] + seq[idx[-1] + 1:idx[-1] + 3]
                        if not any(same_word(w, lw) for w in near for lw in term.label_words):
                            continue
                    elif plain and (key not in have or (idx[0] > 0 and seq[idx[0] - 1] in NOT_VALUE_AFTER)):
                        continue
                    hits.append((key, Question(key, term.label, original), idx))
                    taken.update(idx)
        hits.sort(key=lambda h: h[2][0])
        return hits


# ---------------------------------------------------------------------- answers
def field_value(product: Any, key: Text, catalog: Any) -> Any:
    """The raw value of an attribute or product field, or None."""
    if key in (PRICE, RATING, STOCK, "reviews"):
        value = getattr(product, key, None)
        return None if key == RATING and not getattr(product, "reviews", 0) and not value else value
    value = (product.attributes or {}).get(key)
    return None if value in ("", []) else value


def value_text(value: Any, key: Text, catalog: Any, product: Any = None) -> Text:
    """A value as the shop writes it: "187 g", "$699.00", "4.6★", "obsidian, hazel and rose"."""
    currency = catalog.shop.get("currency", "USD")
    if key == PRICE:
        return money(float(value), currency)
    if key == RATING:
        reviews = getattr(product, "reviews", 0) if product is not None else 0
        return f"{float(value):.1f}★" + (f" ({reviews:,} reviews)" if reviews else "")
    if key == STOCK:
        return f"{stock_text(int(value))} ({int(value)})" if int(value) > 0 else stock_text(int(value))
    spec = catalog.attributes.get(key)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return join_words(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    unit = getattr(spec, "unit", None) if spec is not None else None
    return f"{value} {unit}" if unit else str(value)


def _is_adjective(label: Text) -> bool:
    last = label.split()[-1].lower() if label.split() else ""
    return last.endswith(("ible", "able", "ed", "proof", "ant", "ic"))


def has_value(actual: Any, wanted: Any) -> bool:
    if wanted is True:
        return actual is not None and actual is not False
    items = actual if isinstance(actual, (list, tuple, set)) else [actual]
    return any(_phrase_in(str(wanted), str(item)) for item in items if item is not None)


def _comes_in(text: Optional[Text]) -> bool:
    return bool(text) and re.search(r"\b(?:comes?|available)\s+in\b", text.lower()) is not None


def answer_one(product: Any, question: Question, catalog: Any, text: Optional[Text] = None) -> Text:
    """One product, one question, in a sentence with the catalog's exact value."""
    currency = catalog.shop.get("currency", "USD")
    name = product.display_name
    key, label = question.key, question.label
    if key == PRICE:
        return f"The {name} costs {money(product.price, currency)} and is {stock_text(int(product.stock))}."
    if key == STOCK:
        if product.stock <= 0:
            return f"The {name} is out of stock right now."
        return f"Yes, the {name} is {stock_text(int(product.stock))} ({product.stock} available) at {money(product.price, currency)}."
    value = field_value(product, key, catalog)
    if key == RATING:
        if value is None:
            return f"The {name} isn't rated yet."
        return f"The {name} is rated {value_text(value, key, catalog, product)}."
    if value is None:
        return f"The catalog doesn't list {lower_label(label)} for the {name}."
    said = value_text(value, key, catalog)
    if question.wanted is None:
        return f"{label} of the {name}: {said}."
    if isinstance(value, bool):
        verb = ("is", "isn't") if _is_adjective(label) else ("has", "doesn't have")
        if value:
            return f"Yes — the {name} {verb[0]} {lower_label(label)}."
        return f"No — the {name} {verb[1]} {lower_label(label)}."
    yes = has_value(value, question.wanted)
    lead = "Yes" if yes else "No"
    if isinstance(value, (list, tuple)) and _comes_in(text):
        return f"{lead} — the {name} comes in {said}."
    return f"{lead} — {lower_label(label)} of the {name}: {said}."


def answer(products: Sequence[Any], questions: Sequence[Question], catalog: Any, text: Optional[Text] = None) -> Text:
    """Every question about every product: sentences for one product, a lead and one
    line per product for several ("Only the Pixel 8 comes in mint: …")."""
    if len(products) == 1:
        return " ".join(answer_one(products[0], q, catalog, text) for q in questions)
    parts = []
    for question in questions:
        lines = []
        for p in products:
            value = field_value(p, question.key, catalog)
            shown = value_text(value, question.key, catalog, p) if value is not None else "not listed"
            lines.append(f"• {p.display_name}: {shown}")
        if question.wanted is not None and question.key not in (PRICE, STOCK, RATING):
            yes = [p for p in products if has_value(field_value(p, question.key, catalog), question.wanted)]
            wanted = lower_label(question.label) if question.wanted is True else question.wanted
            one, many = ("comes in", "come in") if _comes_in(text) else ("has", "have")
            if not yes:
                lead = f"No — {'neither' if len(products) == 2 else 'none of them'} {one} {wanted}."
            elif len(yes) == len(products):
                lead = f"Yes — {'both' if len(products) == 2 else 'all of them'} {many} {wanted}."
            else:
                names = join_words([f"the {p.display_name}" for p in yes])
                lead = f"Only {names} {one if len(yes) == 1 else many} {wanted}."
            parts.append(lead + f"\n{question.label}:\n" + "\n".join(lines))
        else:
            parts.append(f"{question.label}:\n" + "\n".join(lines))
    return "\n".join(parts)


_cache: Dict[int, Tuple[Any, AttributeWords]] = {}
_cache_lock = threading.Lock()


def attribute_words(catalog: Any) -> AttributeWords:
    """The vocabulary of this catalog, built once (a catalog is not changed in place)."""
    with _cache_lock:
        hit = _cache.get(id(catalog))
        if hit is None or hit[0] is not catalog:
            hit = (catalog, AttributeWords(catalog))
            _cache[id(catalog)] = hit
        return hit[1]
