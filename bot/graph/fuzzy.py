"""Typo-tolerant lookup of single words against the catalog's vocabulary.

Customers type "galxy", "forrunner", "headphnes". Comparing every message word with
every catalog word is too slow for a linker that runs on each message, so this uses
the symmetric-delete idea (as in SymSpell): every vocabulary word is indexed under the
strings obtained by deleting up to ``max_edits`` characters; a typed word looks up its
own deletions and the few candidates found are verified with a real
Damerau-Levenshtein distance. Stdlib only (no rapidfuzz).

Digits are never corrected: "s23" is a different model from "s24", not a typo. The
first letter must agree too (or be swapped with the second): people rarely mistype it,
and without that "iphone" would be one deletion from "phone".
"""

from itertools import combinations
from typing import Dict, Iterable, List, Set, Tuple

MAX_WORD = 24  # longer "words" are not typed names (and their deletions would explode)


def max_edits_for(word: str) -> int:
    """Allowed typos by length: short words are too easy to confuse with other words."""
    n = len(word)
    if n < 5 or n > MAX_WORD:
        return 0
    return 1 if n < 8 else 2


def _deletes(word: str, edits: int) -> Set[str]:
    out = {word}
    n = len(word)
    for k in range(1, edits + 1):
        if n - k < 3:
            break
        for drop in combinations(range(n), k):
            out.add("".join(c for i, c in enumerate(word) if i not in drop))
    return out


def _digits(word: str) -> str:
    return "".join(c for c in word if c.isdigit())


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (transpositions count 1), capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: List[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


class TokenCorrector:
    """Maps an unknown word to the closest vocabulary word(s) within its typo budget."""

    def __init__(self, vocabulary: Iterable[str]):
        self.vocabulary: Set[str] = set(vocabulary)
        self._index: Dict[str, List[str]] = {}
        for word in self.vocabulary:
            edits = max_edits_for(word)
            if edits == 0:
                continue
            for key in _deletes(word, edits):
                self._index.setdefault(key, []).append(word)

    def __contains__(self, word: str) -> bool:
        return word in self.vocabulary

    def correct(self, word: str) -> List[Tuple[str, int]]:
        """Closest vocabulary words as (word, distance), best first; [] if none is close.

        Words already in the vocabulary come back unchanged with distance 0.
        """
        if word in self.vocabulary:
            return [(word, 0)]
        edits = max_edits_for(word)
        if edits == 0:
            return []
        digits = _digits(word)
        found: Dict[str, int] = {}
        for key in _deletes(word, edits):
            for candidate in self._index.get(key, ()):
                if candidate in found or _digits(candidate) != digits:
                    continue
                if candidate[0] != word[0] and candidate[:2] != word[1::-1]:
                    continue
                limit = min(edits, max_edits_for(candidate))
                distance = edit_distance(word, candidate, limit)
                if distance <= limit:
                    found[candidate] = distance
        return sorted(found.items(), key=lambda kv: (kv[1], kv[0]))
