"""Finding the shop's products, brands and categories in a customer's message.

"Do you have a case for my galxy s24?" should become: category ``cases``, product
Galaxy S24 (despite the typo), and since a case *for* a phone was asked, the cases that
fit it. The linker is called on every message, so the whole lexicon is built once:

* every name is indexed under its **compact key** - lower-cased, accents stripped,
  tokens joined without spaces - so "Galaxy S24", "galaxy s24" and "galaxys24" meet;
  a set of key prefixes stops the n-gram scan as soon as no name can continue;
* names come from products (display name "Samsung Galaxy S24", model name
  "Galaxy S24", id "SKU-10001": method ``exact``; aliases: ``synonym``), brands (name;
  aliases) and categories (name, singular and plural forms; synonyms);
* every proper **prefix** of a model name ("Forerunner", "Galaxy S24" of "Galaxy S24
  Ultra") is indexed too, at a lower score, so a partial name gives ranked candidates;
* typos are corrected word by word (:mod:`bot.graph.fuzzy`; digits never change, short
  words are never corrected), and such matches get method ``fuzzy`` and a lower score.

Resolution: the longest match wins ("Galaxy S24 Ultra" over "Galaxy S24"); a mention is
*ambiguous* when its best candidates score within ``AMBIGUITY_MARGIN`` of each other
("Forerunner" -> every Forerunner), and *resolved* otherwise ("Pixel 8" -> Pixel 8,
although it is also a prefix of "Pixel 8 Pro"). A product followed by an accessory
category ("Galaxy S24 case", "case for my Pixel 8") becomes one mention whose candidates
are the accessories of that category that fit it, with ``target`` set to the product.

Weak words - the rule that keeps "in any case" from being about phone cases: a match
whose every word is in :data:`WEAK_WORDS` (everyday words that are also category or
model words here - case, band, watch, cover, mat, pack, objective - and ordinary words
that are brand or series names - Polar, Giant, Apple, Galaxy, Pixel) is kept only with
evidence that the customer means the shop's thing:

1. a category word is never kept after "in" within two words ("in case", "in any case",
   "in most cases") or right after "to" ("to watch"); no weak word before "number"/"id";
2. kept when the message is only that word (a button or a one-word answer, fillers like
   "a", "the", "please" allowed);
3. kept when a non-weak mention is within two words ("Galaxy S24 case", "band for my
   Forerunner 265"), or another weak mention of a different kind is right next to it
   ("Giant bikes") or joined by "for"/"fits" ("a cord for my pixel"); a weak *brand*
   next to a category only if that brand sells in that category;
4. kept after a shopping cue within three words ("need a case", "show me bands",
   "any covers?");
5. brands and product names are kept when written capitalised inside a sentence
   ("Do you sell Polar?"), as proper names are.

A single everyday word is never indexed as a partial model name either: "fit", "watch",
or "yoga" (a word of the category "Yoga mats") alone do not mean "Fitbit ..." or
"Lenovo Yoga ...".

Unknown product-like strings ("Galaxy S23" when the shop has no S23, "iPhone 15") are
model-looking words - letters with digits, or a number after a catalog word or a
capitalised word - that no name covers; order ids, e-mails, links, prices, quantities
with units ("20 hours", "128gb") and the catalog's own attribute values ("5G",
"Wi-Fi 6E") are never reported.
"""

import heapq
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from bot.graph.fuzzy import TokenCorrector

AMBIGUITY_MARGIN = 0.1
MAX_TEXT_CHARS = 5000  # a chat message; anything beyond is not scanned
MAX_PHRASE_TOKENS = 16
MAX_CANDIDATES = 50  # a clarifying question shows a handful; more is never read
SCORE_EXACT, SCORE_SYNONYM, SCORE_PARTIAL = 1.0, 0.95, 0.6
FUZZY_PENALTY = 0.1  # per corrected character
KIND_PRIORITY = {"product": 0, "brand": 1, "category": 2}

# Everyday nouns and adjectives that shops also use as category or model words...
COMMON_NOUNS = frozenset("""
case cases cover covers band bands strap straps watch watches stand stands mount mounts
light lights sleeve sleeves skin skins dock docks hub hubs bag bags shell shells pack packs
mat mats cord cords objective objectives shelter mobile runners weights trainers
one plus pro max ultra mini air go fit core edge note sport active home studio life
free smart classic original lite neo play power charge flex spark book pad tab fire
""".split())
# ...and ordinary words that are brand or series names here and there.
NAME_WORDS = frozenset("polar giant apple nothing beats galaxy pixel surface echo kindle nest".split())
WEAK_WORDS = COMMON_NOUNS | NAME_WORDS
LINK_WORDS = frozenset("for fit fits fitting compatible with that to works work".split())
LINK_CUES = frozenset("for fit fits fitting compatible with".split())
STOPWORDS = frozenset("""
a an the my your our his her their its this that these those some any each every
i me you he she it we they them us to of in on at for from with by about as into
and or but if so than then is are was were be been am do does did have has had
can could would should will shall may might must not no yes ok okay please thanks
thank hi hello hey what which who whom whose when where why how all both more most
other such only own same too very just also still even again there here up down out
off over under again once get got want need like know think see look make take
give buy order new good best great nice really much many well back one two three
price prices cost costs cheap stock orders delivery shipping ship return returns refund
item items product products size colour color warranty help thing things time
""".split())
MIN_FUZZY_PARTIAL = 7  # a typo'd single word names a series only when it is this long
FILLERS = frozenset("a an the my your our some any please pls thanks ok okay just um hi hello hey".split())
CUES = frozenset("""
buy buying bought purchase need needs want wants wanted order ordering recommend
recommendation suggest show find get getting looking search searching sell sells selling
stock stocked compare cheap cheaper cheapest best good better new nice protective
which what any some more other another spare extra replacement decent premium
""".split())
NEGATIVE_AFTER = frozenset("number numbers id ids study studies closed file".split())
# A number with one of these right after it is a quantity, not a model number.
UNIT_WORDS = frozenset("""
h hr hrs hour hours min mins minute minutes s sec secs second seconds day days week weeks
month months year years yr yrs inch inches cm mm m km kg g lb lbs oz ml l gb tb mb mah
w watt watts v mp hz khz k p x percent dollars dollar bucks usd eur euros pcs pieces
items times people pairs stars star
""".split())
UNIT_SUFFIX = re.compile(
    r"^\d+(?:[.,]\d+)?(?:h|hr|hrs|min|s|ms|d|w|mo|y|yr|in|cm|mm|m|km|kg|g|lb|lbs|oz|ml|l|gb|tb|mb"
    r"|kb|mah|wh|v|mp|hz|khz|ghz|k|p|x|nd|rd|th|st|pm|am|g)$")
GENERIC_FEATURES = frozenset("5g 4g 3g 2g lte 4k 8k 2k 1080p 720p 1440p 6e 7e usb3 usb2 mp3 mp4 "
                             "h264 h265 ip67 ip68 ip54 ip55 a2dp 2fa 24h 24x7 247".split())
MODELLISH = re.compile(r"^(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{2,12}$")
MODEL_SUFFIXES = frozenset("pro max ultra plus mini lite fe se xl neo + s e".split())

_TOKEN = re.compile(r"[^\W_]+|\+")
_MASK = re.compile(
    r"\S+@\S+\.\S+"                                   # e-mail addresses
    r"|(?:https?://|www\.)\S+"                          # links
    r"|\b(?:ord|rma|t)-?\d{4,}\b|#\d+\b"                # order, return, ticket ids
    r"|[$\u20ac\u00a3]\s?\d[\d,.]*k?\b|\b\d[\d,.]*\s?(?:usd|eur|gbp)\b",  # money
    re.IGNORECASE)


@dataclass
class Mention:
    """One linked span of the message.

    ``candidates`` are (id, score) best first; ids are product ids, brand ids or
    category ids depending on ``kind``. ``target`` and ``category`` are set when the
    mention is "an accessory of category X for product Y" ("Galaxy S24 case").
    """

    text: str
    start: int
    end: int
    kind: str
    candidates: List[Tuple[str, float]]
    method: str
    target: Optional[str] = None
    category: Optional[str] = None

    @property
    def resolved(self) -> Optional[str]:
        """The id when one candidate clearly wins, else None."""
        if not self.candidates:
            return None
        if len(self.candidates) == 1:
            return self.candidates[0][0]
        if self.candidates[0][1] - self.candidates[1][1] >= AMBIGUITY_MARGIN - 1e-9:
            return self.candidates[0][0]
        return None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1 and self.resolved is None


@dataclass
class _Key:
    """What one compact key names: kind -> {id: (score, method)}."""

    refs: Dict[str, Dict[str, Tuple[float, str]]] = field(default_factory=dict)
    weak: bool = False

    def add(self, kind: str, ref: str, score: float, method: str) -> None:
        refs = self.refs.setdefault(kind, {})
        if ref not in refs or refs[ref][0] < score:
            refs[ref] = (score, method)


@dataclass
class _Hit:
    start: int  # token indices, end exclusive
    end: int
    key: str
    edits: int
    kind: str = ""
    candidates: List[Tuple[str, float]] = field(default_factory=list)
    method: str = "exact"
    weak: bool = False
    target: Optional[str] = None
    category: Optional[str] = None

    @property
    def score(self) -> float:
        return self.candidates[0][1] if self.candidates else 0.0


def normalize_token(token: str) -> str:
    """Lower-case, accents and compatibility forms folded: "Pixél" -> "pixel"."""
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens_of(text: str) -> List[Tuple[str, int, int]]:
    """(normalised token, start, end) in the original text's offsets."""
    out = []
    for match in _TOKEN.finditer(text):
        norm = normalize_token(match.group())
        if norm:
            out.append((norm, match.start(), match.end()))
    return out


def compact(name: str) -> Tuple[str, List[str]]:
    toks = [t for t, _, _ in tokens_of(name)]
    return "".join(toks), toks


class MentionLinker:
    """Links mentions in free text to the graph's products, brands and categories."""

    def __init__(self, kg: Any):
        self.kg = kg
        self.catalog = kg.catalog
        self._keys: Dict[str, _Key] = {}
        self._prefixes: Set[str] = set()
        self._vocab: Set[str] = set()
        self._feature_tokens: Set[str] = set()
        self._reviews: Dict[str, int] = {}
        self._rank_cache: Dict[str, Tuple[str, List[Tuple[str, float, str]]]] = {}
        self._build()
        self._corrector = TokenCorrector(w for w in self._vocab if w not in STOPWORDS)

    # ------------------------------------------------------------------ lexicon
    def _add(self, name: Optional[str], kind: str, ref: str, score: float, method: str) -> None:
        if not name:
            return
        key, toks = compact(name)
        if not key or len(toks) > MAX_PHRASE_TOKENS:
            return
        if all(t in STOPWORDS for t in toks):
            return  # a name made only of everyday words ("The One") cannot be found safely
        entry = self._keys.get(key)
        if entry is None:
            entry = self._keys[key] = _Key(weak=all(t in WEAK_WORDS or t in STOPWORDS for t in toks))
        entry.add(kind, ref, score, method)
        acc = ""
        for tok in toks:
            acc += tok
            self._prefixes.add(acc)
            self._vocab.add(tok)

    def _build(self) -> None:
        catalog = self.catalog
        category_terms: Set[str] = set()
        category_words: Set[str] = set()  # "yoga" of "Yoga mats": not a Lenovo Yoga by itself
        brand_terms: Set[str] = set()
        for category in catalog.categories:
            names = [category.name, getattr(category, "singular", None), category.id]
            for name in names:
                self._add(name, "category", category.id, SCORE_EXACT, "exact")
                for form in _number_forms(name):
                    self._add(form, "category", category.id, SCORE_EXACT, "exact")
            for synonym in getattr(category, "synonyms", None) or ():
                for form in [synonym, *_number_forms(synonym)]:
                    self._add(form, "category", category.id, SCORE_SYNONYM, "synonym")
            for name in [*names, *(getattr(category, "synonyms", None) or ())]:
                if name:
                    for form in [name, *_number_forms(name)]:
                        key, toks = compact(form)
                        category_terms.add(key)
                        category_words.update(toks)
        brand_names: Dict[str, str] = {}
        for brand in catalog.brands:
            brand_names[brand.id] = brand.name
            self._add(brand.name, "brand", brand.id, SCORE_EXACT, "exact")
            brand_terms.add(compact(brand.name)[0])
            for alias in getattr(brand, "aliases", None) or ():
                self._add(alias, "brand", brand.id, SCORE_SYNONYM, "synonym")
                brand_terms.add(compact(alias)[0])
        for product in catalog.products:
            pid = product.id
            self._reviews[pid] = product.reviews or 0
            brand_name = getattr(product, "brand_name", None) or brand_names.get(product.brand, "")
            display = f"{brand_name} {product.name}".strip()
            self._add(display, "product", pid, SCORE_EXACT, "exact")
            self._add(product.name, "product", pid, SCORE_EXACT, "exact")
            self._add(pid, "product", pid, SCORE_EXACT, "exact")
            for alias in product.aliases or ():
                self._add(alias, "product", pid, SCORE_SYNONYM, "synonym")
            _, toks = compact(product.name)
            brand_toks = compact(brand_name)[1]
            for k in range(1, len(toks)):
                prefix = toks[:k]
                key = "".join(prefix)
                if (len(key) < 3 or key.isdigit() or key in category_terms or key in brand_terms
                        or all(t in STOPWORDS for t in prefix)):
                    continue
                if k == 1 and (key in COMMON_NOUNS or key in category_words or key in STOPWORDS):
                    continue  # "fit", "watch", "yoga" alone are not series names
                self._add(" ".join(prefix), "product", pid, SCORE_PARTIAL, "exact")
                self._add(" ".join(brand_toks + prefix), "product", pid, SCORE_PARTIAL, "exact")
        for spec_key, values in _categorical_values(catalog):
            for value in values:
                self._feature_tokens.update(compact(str(value))[1])
                self._feature_tokens.add(compact(str(value))[0])

    # ------------------------------------------------------------------ linking
    def link(self, text: str) -> List[Mention]:
        """Every accepted mention in ``text``, left to right; never raises on odd input."""
        if not isinstance(text, str) or not text.strip():
            return []
        text = text[:MAX_TEXT_CHARS]
        masked = _MASK.sub(lambda m: " " * len(m.group()), text)
        toks = tokens_of(masked)
        if not toks:
            return []
        hits = self._select(self._hits(toks))
        hits = [h for h in hits if not h.weak or self._weak_ok(h, hits, toks, text)]
        hits = self._narrow(hits, toks)
        return [self._mention(h, toks, text) for h in sorted(hits, key=lambda h: h.start)]

    def products_in(self, text: str) -> Tuple[List[str], List[Mention], List[str]]:
        """(resolved product ids, ambiguous product mentions, unknown product-like strings)."""
        if not isinstance(text, str) or not text.strip():
            return [], [], []
        mentions = self.link(text)
        unknown, absorbed = self._unknown(text, mentions)
        resolved: List[str] = []
        ambiguous: List[Mention] = []
        for mention in mentions:
            if mention.kind != "product" or id(mention) in absorbed:
                continue
            if mention.resolved:
                if mention.resolved not in resolved:
                    resolved.append(mention.resolved)
            elif mention.ambiguous:
                ambiguous.append(mention)
        return resolved, ambiguous, unknown

    def clarifying_options(self, mention: Union[Mention, str], limit: int = 5) -> List[Tuple[str, str]]:
        """(product id, display name) pairs for a "which one did you mean?" question."""
        if isinstance(mention, str):
            mentions = self.link(mention)
            products = [m for m in mentions if m.kind == "product"]
            if not (products or mentions):
                return []
            mention = (products or mentions)[0]
        if mention.kind == "product":
            ids = [pid for pid, _ in mention.candidates]
        elif mention.kind == "brand" and mention.candidates:
            ids = [p.id for p in self.kg.find(brand=mention.candidates[0][0], limit=limit)]
        elif mention.kind == "category" and mention.candidates:
            ids = [p.id for p in self.kg.find(category=mention.candidates[0][0], limit=limit)]
        else:
            ids = []
        out = []
        for pid in ids[:max(limit, 0)]:
            product = self.kg.product(pid)
            if product is not None:
                out.append((pid, _display_name(product, self.catalog)))
        return out

    # ------------------------------------------------------------------ steps
    def _alternatives(self, toks: Sequence[Tuple[str, int, int]]) -> List[List[Tuple[str, int]]]:
        alts = []
        for tok, _, _ in toks:
            options = [(tok, 0)]
            if tok not in self._prefixes and tok not in STOPWORDS and not tok.isdigit():
                options += [c for c in self._corrector.correct(tok)[:3] if c[1] > 0]
            alts.append(options)
        return alts

    def _hits(self, toks: Sequence[Tuple[str, int, int]]) -> List[_Hit]:
        """Every span of tokens (with typo corrections) that is a known key."""
        alts = self._alternatives(toks)
        found: Dict[Tuple[int, int, str], int] = {}
        n = len(toks)
        for i in range(n):
            frontier = [("", 0)]
            for j in range(i, min(n, i + MAX_PHRASE_TOKENS)):
                grown = []
                for acc, edits in frontier:
                    for alt, cost in alts[j]:
                        key = acc + alt
                        if key not in self._prefixes:
                            continue
                        grown.append((key, edits + cost))
                        if key in self._keys:
                            spot = (i, j + 1, key)
                            if spot not in found or found[spot] > edits + cost:
                                found[spot] = edits + cost
                if not grown:
                    break
                frontier = grown[:8]
        hits = []
        for (i, j, key), edits in found.items():
            entry = self._keys[key]
            if edits and entry.weak:
                continue  # "match" is not a typo of "watch"
            hit = _Hit(i, j, key, edits, weak=entry.weak)
            self._fill(hit, entry)
            if edits and j - i == 1 and hit.score < SCORE_SYNONYM * (1 - FUZZY_PENALTY * edits) \
                    and len(key) < MIN_FUZZY_PARTIAL:
                continue  # "price" is not a typo of the "Prime" series
            hits.append(hit)
        return hits

    def _fill(self, hit: _Hit, entry: _Key) -> None:
        kind, ranked = self._ranked(hit.key, entry)
        factor = max(0.0, 1.0 - FUZZY_PENALTY * hit.edits)
        hit.kind = kind
        hit.candidates = [(ref, round(score * factor, 4)) for ref, score, _ in ranked]
        hit.method = "fuzzy" if hit.edits else ranked[0][2]

    def _ranked(self, key: str, entry: _Key) -> Tuple[str, List[Tuple[str, float, str]]]:
        """The kind a key names and its best candidates, ranked once per key and kept.

        On a big catalog a series word names thousands of products; ranking them on
        every message would cost milliseconds, so the top MAX_CANDIDATES are cached.
        """
        cached = self._rank_cache.get(key)
        if cached is not None:
            return cached
        best_kind, best = None, None
        for kind, refs in entry.refs.items():
            top = max(score for score, _ in refs.values())
            rank = (top, -KIND_PRIORITY[kind])
            if best is None or rank > best:
                best_kind, best = kind, rank
        refs = entry.refs[best_kind]
        ranked = heapq.nsmallest(
            MAX_CANDIDATES, ((ref, score, method) for ref, (score, method) in refs.items()),
            key=lambda c: (-c[1], -self._reviews.get(c[0], 0), c[0]))
        if len(self._rank_cache) > 100_000:
            self._rank_cache.clear()
        self._rank_cache[key] = (best_kind, ranked)
        return best_kind, ranked

    @staticmethod
    def _select(hits: List[_Hit]) -> List[_Hit]:
        """Longest first, then best score: non-overlapping spans."""
        hits.sort(key=lambda h: (-(h.end - h.start), -h.score, h.edits, h.start))
        taken: Set[int] = set()
        chosen = []
        for hit in hits:
            span = range(hit.start, hit.end)
            if any(t in taken for t in span):
                continue
            taken.update(span)
            chosen.append(hit)
        return chosen

    def _weak_ok(self, hit: _Hit, hits: List[_Hit], toks, text: str) -> bool:
        words = [t for t, _, _ in toks]
        before = words[max(0, hit.start - 2):hit.start]
        after = words[hit.end:hit.end + 1]
        if hit.kind == "category" and ("in" in before or before[-1:] == ["to"]):
            return False
        if after and after[0] in NEGATIVE_AFTER:
            return False
        others = [w for k, w in enumerate(words) if not hit.start <= k < hit.end]
        if all(w in FILLERS for w in others):
            return True
        for other in hits:
            if other is hit:
                continue
            gap = other.start - hit.end if other.start >= hit.end else hit.start - other.end
            if not other.weak and gap <= 2:
                if hit.kind != "brand" or other.kind != "category" or \
                        self._brand_sells(hit.candidates[0][0], other.candidates[0][0]):
                    return True
            if other.weak and other.kind != hit.kind and (gap == 0 or self._linked(hit, other, words)):
                if hit.kind == "brand" and other.kind == "category":
                    if self._brand_sells(hit.candidates[0][0], other.candidates[0][0]):
                        return True
                elif hit.kind == "category" and other.kind == "brand":
                    if self._brand_sells(other.candidates[0][0], hit.candidates[0][0]):
                        return True
                else:
                    return True
        if any(w in CUES for w in words[max(0, hit.start - 3):hit.start]):
            return True
        if hit.kind in ("brand", "product"):
            start = toks[hit.start][1]
            original = text[start:toks[hit.start][2]]
            initial = hit.start == 0 or text[:start].rstrip()[-1:] in (".", "!", "?", "\n", ":", '"')
            if original[:1].isupper() and not initial:
                return True
        return False

    @staticmethod
    def _linked(a: _Hit, b: _Hit, words: List[str]) -> bool:
        """A category and a product joined by "for"/"fits" ("a cord for my pixel")."""
        kinds = {a.kind, b.kind}
        if kinds != {"category", "product"}:
            return False
        first, second = (a, b) if a.end <= b.start else (b, a)
        between = words[first.end:second.start]
        return first.kind == "category" and 0 < len(between) <= 4 and \
            any(w in LINK_CUES for w in between) and \
            all(w in FILLERS or w in LINK_WORDS or w in STOPWORDS for w in between)

    def _brand_sells(self, brand_id: str, category_id: str) -> bool:
        return bool(self.kg.find(brand=brand_id, category=category_id, limit=1))

    def _narrow(self, hits: List[_Hit], toks) -> List[_Hit]:
        """Use neighbouring mentions: "Galaxy phones" narrows candidates, "S24 case" asks for accessories."""
        by_start = sorted(hits, key=lambda h: h.start)
        words = [t for t, _, _ in toks]
        drop: Set[int] = set()
        for index, hit in enumerate(by_start):
            if hit.kind != "product":
                continue
            neighbours = [h for h in by_start if h is not hit and
                          (0 <= h.start - hit.end <= 1 or 0 <= hit.start - h.end <= 1)]
            for other in neighbours:
                if other.kind == "brand":
                    keep = [c for c in hit.candidates
                            if getattr(self.kg.product(c[0]), "brand", None) == other.candidates[0][0]]
                    if keep:
                        hit.candidates = keep
            categories = [h for h in by_start if h.kind == "category" and h is not hit]
            for other in categories:
                cid = other.candidates[0][0]
                adjacent = other.start == hit.end or hit.start == other.end  # "Galaxy phones"
                between = words[other.end:hit.start] if other.end <= hit.start else []
                # "case for my Pixel 8", "lenses that fit my A7 IV"
                linked = 0 < len(between) <= 4 and any(w in LINK_CUES for w in between) and \
                    all(w in FILLERS or w in LINK_WORDS or w in STOPWORDS for w in between)
                if not (adjacent or linked):
                    continue
                if adjacent:
                    in_category = [c for c in hit.candidates
                                   if getattr(self.kg.product(c[0]), "category", None) == cid]
                    if in_category:
                        hit.candidates = in_category
                        continue
                target = hit.candidates[0][0] if _resolved(hit.candidates) else None
                if target is None or not (other.start == hit.end or linked):
                    continue
                fits = self.kg.for_owned([target], category=cid)
                if not fits:
                    continue
                hit.candidates = [(p.id, 1.0) for p in fits]
                hit.target, hit.category = target, cid
                hit.start, hit.end = min(hit.start, other.start), max(hit.end, other.end)
                drop.add(id(other))
        return [h for h in by_start if id(h) not in drop]

    def _mention(self, hit: _Hit, toks, text: str) -> Mention:
        start, end = toks[hit.start][1], toks[hit.end - 1][2]
        return Mention(text=text[start:end], start=start, end=end, kind=hit.kind,
                       candidates=list(hit.candidates), method=hit.method,
                       target=hit.target, category=hit.category)

    def _unknown(self, text: str, mentions: List[Mention]) -> Tuple[List[str], Set[int]]:
        """Model-looking words no name covers ("Galaxy S23" when the shop has no S23).

        Also returns the ids of ambiguous partial-name mentions the unknown phrase took in
        ("Galaxy" of "Galaxy S23" is not a question about every Galaxy).
        """
        text = text[:MAX_TEXT_CHARS]
        masked = _MASK.sub(lambda m: " " * len(m.group()), text)
        toks = tokens_of(masked)
        covered: Dict[int, Mention] = {}
        for mention in mentions:
            for k, (_, s, e) in enumerate(toks):
                if s >= mention.start and e <= mention.end:
                    covered[k] = mention
        out: List[str] = []
        used: Set[int] = set()
        absorbed: Set[int] = set()
        for k, (tok, s, e) in enumerate(toks):
            if k in covered or k in used or not self._modelish(tok, k, toks, text):
                continue
            first = k
            # absorb the words naming the series: a partial product name, catalog words,
            # or capitalised words right before the model number
            while first > 0 and first - 1 not in used and k - first < 3:
                prev_tok, ps, pe = toks[first - 1]
                prev_mention = covered.get(first - 1)
                original = text[ps:pe]
                if prev_mention is not None and not (prev_mention.kind == "product"
                                                     and prev_mention.ambiguous):
                    break
                if prev_mention is None and prev_tok in STOPWORDS:
                    break
                if prev_mention is None and not (prev_tok in self._vocab or original[:1].isupper()
                                                 or any(c.isupper() for c in original[1:])):
                    break
                if prev_mention is not None:
                    absorbed.add(id(prev_mention))
                first -= 1
            last = k
            while last + 1 < len(toks) and toks[last + 1][0] in MODEL_SUFFIXES \
                    and last + 1 not in covered and toks[last + 1][1] - toks[last][2] <= 1:
                last += 1
            used.update(range(first, last + 1))
            phrase = text[toks[first][1]:toks[last][2]]
            if phrase not in out:
                out.append(phrase)
        return out, absorbed

    def _modelish(self, tok: str, k: int, toks, text: str) -> bool:
        if tok in GENERIC_FEATURES or UNIT_SUFFIX.match(tok) or \
                (tok in self._feature_tokens and not tok.isdigit()):
            return False
        nxt = toks[k + 1][0] if k + 1 < len(toks) else ""
        if nxt in UNIT_WORDS:
            return False
        if MODELLISH.match(tok):
            return sum(c.isdigit() for c in tok) <= 6
        if tok.isdigit() and len(tok) <= 4 and k > 0:
            prev_tok, ps, pe = toks[k - 1]
            original = text[ps:pe]
            if toks[k][1] - pe > 1 or prev_tok in STOPWORDS:
                return False
            initial = k - 1 == 0 or text[:ps].rstrip()[-1:] in (".", "!", "?", "\n")
            return prev_tok in self._vocab or (not initial and original[:1].isupper()) or \
                any(c.isupper() for c in original[1:])
        return False


def _resolved(candidates: List[Tuple[str, float]]) -> bool:
    return len(candidates) == 1 or candidates[0][1] - candidates[1][1] >= AMBIGUITY_MARGIN - 1e-9


def _number_forms(name: Optional[str]) -> List[str]:
    """Singular/plural spellings of a category word ("cases" <-> "case", "watch" -> "watches")."""
    if not name:
        return []
    words = name.split()
    if not words:
        return []
    last = words[-1]
    low = last.lower()
    forms = []
    if low.endswith("ies") and len(low) > 4:
        forms.append(last[:-3] + "y")
    elif low.endswith(("ches", "shes", "sses", "xes")):
        forms.append(last[:-2])
    elif low.endswith("s") and not low.endswith("ss"):
        forms.append(last[:-1])
    if low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        forms.append(last[:-1] + "ies")
    elif low.endswith(("ch", "sh", "ss", "x")):
        forms.append(last + "es")
    elif not low.endswith("s"):
        forms.append(last + "s")
    return [" ".join(words[:-1] + [f]) for f in forms]


def _categorical_values(catalog: Any) -> Iterable[Tuple[str, List[Any]]]:
    """Attribute values of text/list kind ("IP68", "Wi-Fi 6E"): features, not product names."""
    specs = getattr(catalog, "attributes", None) or {}
    seen: Dict[str, Set[str]] = {}
    for product in catalog.products:
        for key, value in (product.attributes or {}).items():
            kind = getattr(specs.get(key), "type", None)
            if kind not in (None, "text", "list"):
                continue
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, str) and len(item) <= 30:
                    seen.setdefault(key, set()).add(item)
    return [(k, sorted(v)) for k, v in seen.items()]


def _display_name(product: Any, catalog: Any) -> str:
    name = getattr(product, "display_name", None)
    if name:
        return name
    brand = catalog.brand(product.brand) if hasattr(catalog, "brand") else None
    return f"{getattr(brand, 'name', '')} {product.name}".strip()
