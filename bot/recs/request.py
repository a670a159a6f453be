"""What a recommendation request says beyond "recommend something".

"for my dad who hikes" is a gift (the shopper's own history is not the recipient's
taste) with a hint at what kind of product: "hikes" shares its stem with the catalog's
"hiking pack", so backpacks are hinted. "something for my new Pixel 8" names a product
the shopper now owns, so what fits it comes first and the phone itself is not offered.
Prices, brands and categories come from the search parser (:mod:`bot.recs.query`).
The relation words (dad, sister, friend...) and stemming are generic English; the
category words are the catalog's own.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

from bot.recs.query import ProductQuery, QueryParser
from bot.recs.vocabulary import words

RECIPIENTS = frozenset("""
dad father mom mum mother wife husband partner son daughter brother sister friend boyfriend
girlfriend kid kids child children grandpa grandfather grandma grandmother uncle aunt nephew
niece colleague coworker boss teen teenager fiance fiancee
""".split())
GIFT_WORDS = frozenset("gift gifts present presents".split())
OWN_CUES = frozenset("my our".split())
STOP = frozenset("""
a an the my your our his her their for who which that with and or to of in on at is are
some any something anything thing things me i you he she it they recommend suggest what
would should could can get buy want need like likes loves love enjoys into good nice new
please gift present
""".split())
_SUFFIXES = ("ings", "ing", "ers", "er", "ists", "ist", "es", "s", "ed", "e")


def stem(word: str) -> str:
    """A crude English stem: "hikes", "hiking", "hiker" -> "hik"; "runner" -> "run"."""
    w = word.casefold()
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # "runn" -> "run"
    return w


@dataclass
class RecRequest:
    """The constraints and hints of one recommendation request."""

    text: str = ""
    query: ProductQuery = field(default_factory=ProductQuery)
    mentioned: List[str] = field(default_factory=list)
    owned_now: List[str] = field(default_factory=list)  # "my new Pixel 8"
    categories: List[str] = field(default_factory=list)  # asked or hinted
    recipient: Optional[str] = None  # "dad" of "for my dad"
    gift: bool = False

    @property
    def budget(self):
        q = self.query
        if q.min_price is None and q.max_price is None:
            return None
        return (q.min_price, q.max_price)


class RequestParser:
    """Parses recommendation requests for one catalog (build once)."""

    def __init__(self, parser: QueryParser):
        self.parser = parser
        self.catalog = parser.catalog
        self._stems: Dict[str, Set[str]] = {}  # stem -> category ids
        for category in self.catalog.categories:
            for name in [category.name, category.singular, *(category.synonyms or [])]:
                for w, _, _ in words(name or ""):
                    if w not in STOP and len(w) >= 3:
                        self._stems.setdefault(stem(w), set()).add(category.id)

    def parse(self, text: Optional[str], entities: Optional[Sequence[Mapping[str, Any]]] = None) -> RecRequest:
        text = text if isinstance(text, str) else ""
        query = self.parser.parse(text, entities)
        request = RecRequest(text=text, query=query)
        toks = [w for w, _, _ in words(text)]
        request.mentioned = list(dict.fromkeys(query.products + ([query.fits] if query.fits else [])))
        for i, w in enumerate(toks):
            if w in RECIPIENTS and i > 0 and toks[i - 1] in ("my", "our", "the", "a", "for"):
                request.recipient = w
            if w in GIFT_WORDS:
                request.gift = True
        request.gift = request.gift or request.recipient is not None
        # "my new Pixel 8", "my Pixel 8": the shopper has it
        lowered = text.casefold()
        for pid in request.mentioned:
            product = self.catalog.product(pid)
            if product is None:
                continue
            name = re.escape(product.name.casefold().split(" ")[0])
            if re.search(rf"\b(?:my|our)\s+(?:new\s+|old\s+)?(?:\w+\s+)?{name}", lowered):
                request.owned_now.append(pid)
        categories = list(query.categories)
        mention_words = {w for m in request.mentioned for w, _, _ in
                         words(getattr(self.catalog.product(m), "display_name", "") or "")}
        for w in ([] if categories else toks):  # hints only when no category was named
            if w in STOP or w in RECIPIENTS or w in mention_words or len(w) < 3:
                continue
            for cid in sorted(self._stems.get(stem(w), ())):
                if cid not in categories:
                    categories.append(cid)
        request.categories = categories
        return request
