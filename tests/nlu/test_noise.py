import re

from bot.nlu.noise import gibberish


def test_gibberish_is_seeded_distinct_and_free_of_digits():
    a = gibberish(200, seed=1)
    assert a == gibberish(200, seed=1) and a != gibberish(200, seed=2)
    assert len(set(a)) == 200
    assert not any(re.search(r"\d", t) for t in a)  # a bare number may be an order id
    assert all(t.strip() for t in a)
