"""Synthetic gibberish: the "none of the above" examples of the intent classifier.

A softmax classifier must spread all its confidence over the intents it knows, so
a keyboard mash like "asdkjh qwe" can come out as a confident ``greet``. Training
with an extra background class of gibberish teaches the model where the known
intents end; at prediction time that class is left out of the ranking without
renormalising, so the top intent's confidence drops and FallbackClassifier asks
the shopper to rephrase.
"""

import random
from typing import List, Text

NOISE_LABEL = "__noise__"

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
_VOWELS = "aeiouy"
# No digits anywhere: a bare number may be an order id a shopper was asked for.
_SYMBOLS = "!?#$%&*@^~+=-_/\\|<>;:.,"


def _pseudo_word(rng: random.Random) -> Text:
    length = rng.randint(3, 9)
    letters = []
    for i in range(length):
        pool = _VOWELS if (i % 3 == 1 and rng.random() < 0.5) else _CONSONANTS
        letters.append(rng.choice(pool))
    return "".join(letters)


def _keyboard_mash(rng: random.Random) -> Text:
    row = rng.choice(_KEYBOARD_ROWS)
    start = rng.randrange(len(row) - 3)
    run = row[start:start + rng.randint(3, len(row) - start)]
    chars = list(run * rng.randint(1, 2))
    rng.shuffle(chars)
    return "".join(chars)


def _symbols(rng: random.Random) -> Text:
    return "".join(rng.choice(_SYMBOLS) for _ in range(rng.randint(2, 8)))


def gibberish(n: int, seed: int = 0) -> List[Text]:
    """``n`` distinct nonsense messages, the same for the same seed."""
    rng = random.Random(seed)
    makers = (_pseudo_word, _pseudo_word, _keyboard_mash, _symbols)
    out: List[Text] = []
    seen = set()
    while len(out) < n:
        words = [rng.choice(makers)(rng) for _ in range(rng.randint(1, 4))]
        text = " ".join(words)
        if rng.random() < 0.3:
            text = text.capitalize()
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out
