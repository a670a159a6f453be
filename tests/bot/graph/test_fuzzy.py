"""Typo correction of single words against the catalog vocabulary."""

from bot.graph.fuzzy import TokenCorrector, edit_distance

VOCAB = ["galaxy", "forerunner", "headphones", "pixel", "s24", "watch", "samsung"]


def test_edit_distance_counts_transpositions_once():
    assert edit_distance("galaxy", "galaxy") == 0
    assert edit_distance("galxy", "galaxy") == 1
    assert edit_distance("glaaxy", "galaxy") == 1
    assert edit_distance("forrunner", "forerunner") == 1
    assert edit_distance("abc", "xyz", limit=1) == 2  # capped


def test_corrections():
    corrector = TokenCorrector(VOCAB)
    assert corrector.correct("galaxy") == [("galaxy", 0)]
    assert corrector.correct("galxy") == [("galaxy", 1)]
    assert corrector.correct("forrunnr") == [("forerunner", 2)]
    assert corrector.correct("headphnes") == [("headphones", 1)]


def test_what_is_never_corrected():
    corrector = TokenCorrector(VOCAB)
    assert corrector.correct("s25") == []        # digits are model numbers, not typos
    assert corrector.correct("watc") == []       # too short to guess
    assert corrector.correct("iphone") == []     # first letter differs: not "phone"-like typos
    assert corrector.correct("a" * 5000) == []   # no blow-up on huge words
    assert corrector.correct("xyzzy") == []
