"""Thompson sampling over Beta-Bernoulli arms: each variant's click rate has a Beta
posterior (prior Beta(1, 1), then +1 per click, +1 per impression without one); to place
a customer, draw once from every arm's posterior and take the largest draw. Arms that
look better get more traffic, arms still uncertain still get some, and traffic shifts
as clicks arrive. The counts persist in ``campaign_arms`` (``store``); this class is the
pure decision, also used by ``benchmarks/bandit_sim.py``.
"""

from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional

import numpy as np


@dataclass
class Arm:
    trials: float = 0.0
    successes: float = 0.0

    def posterior(self, prior_a: float = 1.0, prior_b: float = 1.0):
        return prior_a + self.successes, prior_b + max(0.0, self.trials - self.successes)


@dataclass
class ThompsonBandit:
    arms: Dict[str, Arm] = field(default_factory=dict)
    prior_a: float = 1.0
    prior_b: float = 1.0

    @classmethod
    def of(cls, names: Iterable[str], counts: Optional[Dict[str, Arm]] = None) -> "ThompsonBandit":
        counts = counts or {}
        return cls({name: Arm(counts[name].trials, counts[name].successes) if name in counts else Arm()
                    for name in names})

    def choose(self, rng: Optional[np.random.Generator] = None) -> str:
        """One Thompson draw: the arm with the largest sample from its posterior (ties: first)."""
        rng = rng or np.random.default_rng()
        names = list(self.arms)
        params = [self.arms[n].posterior(self.prior_a, self.prior_b) for n in names]
        draws = rng.beta([a for a, _ in params], [b for _, b in params])
        return names[int(np.argmax(draws))]

    def update(self, name: str, reward: bool) -> None:
        arm = self.arms.setdefault(name, Arm())
        arm.trials += 1
        arm.successes += 1 if reward else 0

    def mean(self, name: str) -> float:
        a, b = self.arms[name].posterior(self.prior_a, self.prior_b)
        return a / (a + b)

    def shares(self, draws: int = 4000, seed: int = 0) -> Dict[str, float]:
        """How often each arm would be chosen now (the traffic it gets next), by simulation."""
        rng = np.random.default_rng(seed)
        names = list(self.arms)
        params = [self.arms[n].posterior(self.prior_a, self.prior_b) for n in names]
        samples = np.stack([rng.beta(a, b, size=draws) for a, b in params])
        wins = np.bincount(samples.argmax(axis=0), minlength=len(names))
        return {name: float(wins[i] / draws) for i, name in enumerate(names)}
