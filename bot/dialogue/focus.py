"""The products in focus, and which of them a follow-up message is about.

After an answer with product cards or a comparison, shoppers go on without naming the
products: "tell me more about the second", "the cheaper one", "which one has the better
camera?", "does it come in blue?", "and the other one?". The ``products_in_focus`` slot
remembers them, and this module reads a follow-up against them: positions ("the 2nd one",
"the last", "number 3"), "the other one", "both", pronouns, and comparatives or
superlatives over the set ("the lighter one", "the cheapest"), ranked by the catalog's
values in the direction its attribute specs call better.

The slot stays a plain list of product ids. It holds the products in the order the last
answer showed them; once the conversation narrows to one of them (the shopper picked it,
or it won "which is cheaper?"), that product is put in front once more: ``[B, A, B, C]``
means "A, B and C shown, now about B". So ``focus[0]`` is always what "it" means,
positions still count as shown, and "the other one" is the rest.
"""

from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Set, Text, Tuple

from bot.dialogue.attributes import (
    Ordering,
    Question,
    attribute_words,
    field_value,
    join_words,
    lower_label,
    tokens,
    value_text,
)

ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1, "former": 1, "latter": -1,
}
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10}
NUMBERED = frozenset("number option item choice no nr".split())  # "number 3", "option two"
DETERMINERS = frozenset("the that this your".split())
POSITION_NOUNS = frozenset("one ones option item product model choice".split())
OTHER_WORDS = frozenset("other others remaining".split())
ALL_WORDS = frozenset("both all each them they these those their".split())
IT_WORDS = frozenset("it its it's this that".split())
MORE_WORDS = frozenset("more details detail specs specifications info information".split())


@dataclass
class Focus:
    """The products the last answer showed (in order) and the one now talked about."""

    shown: List[Text] = field(default_factory=list)
    subject: Optional[Text] = None

    @classmethod
    def from_slot(cls, ids: Optional[Sequence[Any]], catalog: Any = None) -> "Focus":
        ids = [i for i in (ids or []) if isinstance(i, str) and (catalog is None or catalog.product(i) is not None)]
        if not ids:
            return cls()
        if len(ids) > 1 and ids[0] in ids[1:]:
            return cls(list(dict.fromkeys(ids[1:])), ids[0])
        shown = list(dict.fromkeys(ids))
        return cls(shown, shown[0] if len(shown) == 1 else None)

    def slot(self) -> List[Text]:
        if self.subject is None or self.shown == [self.subject]:
            return list(self.shown)
        return [self.subject] + list(self.shown)

    @property
    def about(self) -> List[Text]:
        """What "it" means: the product talked about, else all shown."""
        return [self.subject] if self.subject else list(self.shown)

    def pick(self, pid: Text) -> "Focus":
        """Talk about ``pid`` next: kept among the shown set if it is in it, else alone."""
        return Focus(list(self.shown), pid) if pid in self.shown else Focus([pid], pid)


@dataclass
class Reference:
    """What a message says about the products in focus.

    ``how``: "position" ("the second"), "other", "all" ("both"), "ranked" ("the cheaper
    one": ``ids`` are then the whole set, to be ranked by ``ordering``), "it" (a pronoun,
    or a question with no product named), or "" when the message is not about the focus.
    ``missing`` is set when it points at something that isn't there ("the fifth" of two).
    """

    ids: List[Text] = field(default_factory=list)
    how: Text = ""
    ordering: Optional[Ordering] = None
    questions: List[Question] = field(default_factory=list)
    missing: Optional[Text] = None
    more: bool = False  # "tell me more"
    explicit: bool = False  # a position, "other", "both", a pronoun or a comparative was said


def _position(seq: Sequence[Text], k: int) -> Optional[Tuple[int, List[int]]]:
    """(1-based position or -1 for last, token indices) said at ``seq[k]``, else None."""
    word = seq[k]
    before = seq[k - 1] if k > 0 else ""
    after = seq[k + 1] if k + 1 < len(seq) else ""
    if word in ORDINALS and (before in DETERMINERS or after in POSITION_NOUNS or len(seq) <= 3):
        if word == "last" and after not in POSITION_NOUNS and before not in DETERMINERS:
            return None  # "how long does it last"
        return ORDINALS[word], [k]
    if word in NUMBERED and (after.isdigit() or after in NUMBERS) and (word != "no" or before in ("and", "what", "")):
        return (int(after) if after.isdigit() else NUMBERS[after]), [k, k + 1]
    return None


def _other_at(seq: Sequence[Text], k: int) -> bool:
    """"the other one", "the others", "and the other?"; not "in other colours"."""
    return seq[k] in OTHER_WORDS and (seq[k - 1:k] == ["the"] or seq[k + 1:k + 2] in (["one"], ["ones"]))


def resolve(catalog: Any, text: Optional[Text], focus: Focus) -> Reference:
    """Read ``text`` against the products in ``focus`` (see :class:`Reference`)."""
    ref = Reference()
    shown = list(focus.shown)
    if not shown or not text:
        return ref
    words = attribute_words(catalog)
    seq = tokens(text)
    used: Set[int] = set()
    picked: List[Text] = []
    for k in range(len(seq)):
        found = _position(seq, k)
        if found is None:
            continue
        position, at = found
        used.update(at)
        index = position - 1 if position > 0 else len(shown) + position
        if 0 <= index < len(shown):
            picked.append(shown[index])
        else:
            ref.missing = " ".join(seq[i] for i in at)
    if picked or ref.missing:
        ref.how = "position"
    elif any(_other_at(seq, k) for k in range(len(seq))):
        used.update(k for k in range(len(seq)) if _other_at(seq, k))
        current = focus.subject or shown[0]
        picked = [pid for pid in shown if pid != current]
        ref.how = "other"
        if not picked:
            ref.missing = "the other one"
    elif any(w in ALL_WORDS for w in seq):
        picked = shown
        ref.how = "all"
    ref.ids = list(dict.fromkeys(picked))
    ref.explicit = bool(ref.how) or any(w in IT_WORDS for w in seq)

    products = [catalog.product(pid) for pid in (ref.ids if len(ref.ids) >= 2 else shown)]
    ordering = words.ordering(text, products, skip=used)
    if ordering is not None and len(shown) >= 2 and ref.how in ("", "all", "position", "other") and not ref.missing:
        if ref.how in ("position", "other"):  # "is the second one cheaper?": rank the whole set
            products = [catalog.product(pid) for pid in shown]
        ref.ordering, ref.how, ref.ids, ref.explicit = ordering, "ranked", [p.id for p in products], True
        used.update(ordering.used)
    subjects = [catalog.product(pid) for pid in (ref.ids or focus.about)]
    ref.questions = words.questions(text, subjects, skip=used)
    ref.more = any(w in MORE_WORDS for w in seq)
    if not ref.how and (ref.explicit or ref.questions or ref.more):
        ref.how, ref.ids = "it", list(focus.about)
    return ref


@dataclass
class Ranked:
    """Products ranked on one value, best first; ``missing`` have no such value."""

    ordering: Ordering
    rows: List[Tuple[Any, Any]]
    missing: List[Any]

    @property
    def winners(self) -> List[Any]:
        if not self.rows:
            return []
        best = self.rows[0][1]
        return [p for p, v in self.rows if v == best]


def rank(products: Sequence[Any], ordering: Ordering, catalog: Any) -> Ranked:
    """Order ``products`` by the ordering's value (stable: ties keep the order shown)."""
    rows, missing = [], []
    for p in products:
        value = field_value(p, ordering.key, catalog)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((p, value))
        else:
            missing.append(p)
    if ordering.direction in ("min", "max"):
        rows.sort(key=lambda row: row[1], reverse=ordering.direction == "max")
    return Ranked(ordering, rows, missing)


def _degree(ordering: Ordering, superlative: bool) -> Text:
    more = ordering.key == "reviews"
    if ordering.direction == "max":
        return ("most" if more else "highest") if superlative else ("more" if more else "higher")
    return ("fewest" if more else "lowest") if superlative else ("fewer" if more else "lower")


def ranking_text(ranked: Ranked, catalog: Any) -> Text:
    """"The Google Pixel 8 has the lower price: $699.00 vs $999.00 for the Google Pixel 8
    Pro." with both values; ties are said as ties."""
    o = ranked.ordering
    label = lower_label(o.label)
    shown = [(p, value_text(v, o.key, catalog, p)) for p, v in ranked.rows]
    if len(shown) < 2:
        if shown:
            text = f"Only the {shown[0][0].display_name} lists {label}: {shown[0][1]}."
        else:
            text = f"The catalog doesn't list {label} for these products."
        return text
    if o.direction is None:  # no better direction: the values, as shown
        text = f"{o.label}: " + "; ".join(f"the {p.display_name} {v}" for p, v in shown) + "."
    else:
        winners = ranked.winners
        if len(winners) == len(shown):
            text = f"They're equal on {label}: {shown[0][1]} each ({join_words([p.display_name for p, _ in shown])})."
        elif len(winners) > 1:
            rest = "; ".join(f"the {p.display_name} has {v}" for p, v in shown[len(winners):])
            text = (f"The {join_words([p.display_name for p in winners])} share the {_degree(o, True)} {label} "
                    f"({shown[0][1]} each); {rest}.")
        elif len(shown) == 2:
            (w, wv), (other, ov) = shown
            text = f"The {w.display_name} has the {_degree(o, False)} {label}: {wv} vs {ov} for the {other.display_name}."
        else:
            (w, wv) = shown[0]
            rest = ", ".join(f"the {p.display_name} {v}" for p, v in shown[1:])
            text = f"The {w.display_name} has the {_degree(o, True)} {label}: {wv}; then {rest}."
    if ranked.missing:
        text += f" The catalog doesn't list {label} for the {join_words([p.display_name for p in ranked.missing])}."
    return text
