"""Product search and explained recommendations (action-server side, ``.venv-actions``).

- :mod:`bot.recs.search`: ``ProductSearch(kg).search(text, entities)`` -> products and the
  constraints understood ("Laptops under $1,000, cheapest first").
- :mod:`bot.recs.recommender`: ``Recommender.build(kg, events, index=...)``, then
  ``recommend(profile_view, text)`` -> items with ``source`` and a one-line ``reason``.
- :mod:`bot.recs.evaluate`: ``python -m bot.recs.evaluate``, the offline comparison.

Never imported by ``bot/web`` or ``bot/nlu``; reads no persona labels, only events.
"""
