"""Personalized campaigns: segments chosen by profile, variants with a holdout, messages
worded per customer through the grounded generator, a card in the widget, A/B reporting
and a Thompson-sampling bandit.

One module one job:

- ``model``: a campaign, its offer and variants (plain values, JSON in the database);
- ``tables`` / ``store``: the campaign tables beside the shop's, and rows in and out;
- ``segments``: who is in a campaign's audience (rules on the profile, consent first);
- ``assignment``: the deterministic holdout and A/B split (a hash of campaign and customer);
- ``bandit``: Thompson sampling over Beta-Bernoulli arms (bandit mode);
- ``stats``: Wilson intervals, Beta posteriors, the probability a variant beats control;
- ``writer``: the per-customer message (action side only: it imports ``bot.generation``
  lazily, the template is always the fallback);
- ``delivery``: the card a signed-in customer gets when they next chat, and the signed
  click link; ``reporting`` and ``export``: the numbers and the e-mail file.

Everything but ``writer`` (and the ``write`` command) runs in both servers: the Rasa
server's staff console and click route import ``store``, ``stats`` and ``reporting`` and
nothing of the action server.
"""
