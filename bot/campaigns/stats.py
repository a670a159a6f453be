"""The numbers an A/B report needs, exact where that is cheap and seeded where it is not.

- ``wilson(x, n)``: the Wilson score interval of a proportion (good at small n and near 0,
  where click rates live; the normal interval is not);
- ``beta_interval(x, n)``: the central interval of the Beta(1 + x, 1 + n - x) posterior;
- ``prob_beats(x, n, x0, n0)``: P(rate > control's rate) under both Beta posteriors, by
  Monte Carlo with a fixed seed, so a report reads the same every time it is drawn.
"""

import math
from typing import Optional, Tuple

import numpy as np

Z95 = 1.959963984540054
DRAWS = 200_000
SEED = 20240603


def wilson(successes: int, trials: int, z: float = Z95) -> Tuple[float, float]:
    """The Wilson score interval; (0, 1) without trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def beta_interval(successes: int, trials: int, level: float = 0.95, draws: int = DRAWS,
                  seed: int = SEED) -> Tuple[float, float]:
    """The central ``level`` interval of the Beta(1 + x, 1 + n - x) posterior (seeded quantiles)."""
    rng = np.random.default_rng(seed)
    sample = rng.beta(1 + successes, 1 + max(0, trials - successes), size=draws)
    tail = (1 - level) / 2
    low, high = np.quantile(sample, [tail, 1 - tail])
    return float(low), float(high)


def prob_beats(successes: int, trials: int, control_successes: int, control_trials: int,
               draws: int = DRAWS, seed: int = SEED) -> Optional[float]:
    """P(this variant's rate > control's), both with a uniform prior; None without data on either."""
    if trials <= 0 or control_trials <= 0:
        return None
    rng = np.random.default_rng(seed)
    mine = rng.beta(1 + successes, 1 + trials - successes, size=draws)
    theirs = rng.beta(1 + control_successes, 1 + control_trials - control_successes, size=draws)
    return float(np.mean(mine > theirs))


def rate(successes: int, trials: int) -> Optional[float]:
    return successes / trials if trials else None
