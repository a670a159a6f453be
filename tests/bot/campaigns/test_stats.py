"""The interval and posterior math against values known in closed form."""

import pytest

from bot.campaigns.stats import beta_interval, prob_beats, rate, wilson


@pytest.mark.parametrize("x,n,low,high", [
    (0, 10, 0.0, 0.2775),      # Wilson 95%, from the formula (also R's prop.test without correction)
    (5, 10, 0.2366, 0.7634),
    (50, 100, 0.4038, 0.5962),
    (1, 100, 0.0018, 0.0545),
])
def test_wilson_known_values(x, n, low, high):
    got = wilson(x, n)
    assert got[0] == pytest.approx(low, abs=6e-4)
    assert got[1] == pytest.approx(high, abs=6e-4)


def test_wilson_without_data_is_the_whole_range():
    assert wilson(0, 0) == (0.0, 1.0)
    assert rate(0, 0) is None and rate(3, 12) == 0.25


def test_beta_posterior_interval_of_the_uniform_prior():
    low, high = beta_interval(0, 0)  # Beta(1, 1): the 2.5% and 97.5% points are 0.025 and 0.975
    assert low == pytest.approx(0.025, abs=0.003) and high == pytest.approx(0.975, abs=0.003)


def test_probability_to_beat_control():
    # P(Beta(2,1) > Beta(1,2)) = 5/6 exactly
    assert prob_beats(1, 1, 0, 1) == pytest.approx(5 / 6, abs=0.005)
    assert prob_beats(30, 1000, 30, 1000) == pytest.approx(0.5, abs=0.01)
    assert prob_beats(70, 1000, 40, 1000) > 0.99
    assert prob_beats(3, 10, 0, 0) is None
    # seeded: the same report every time
    assert prob_beats(12, 200, 9, 210) == prob_beats(12, 200, 9, 210)
