"""What the shop knows about each shopper: behaviour events, profiles, stated preferences, consent.

Action-server side only (SQLAlchemy 2, numpy 2, torch): the Rasa server (``bot.web``,
``bot.nlu``) never imports this package. Its tables live on the shop schema's ``Base``
(``bot.profiles.tables``) so one ``create_all`` makes them beside the shop's own.

- ``events``          the behaviour event contract (``BehaviourEvent``), bulk ``add_events`` / ``load_events``
- ``demo_behaviour``  seeded demo behaviour for 500 customers, derived from the catalog (``personas``,
                      ``review_writer``)
- ``event_import``    ``python -m bot.profiles import-events FILE``: a shop's own log, bad rows reported
- ``profile``         the ``Profile`` value every action reads
- ``builder``         events -> decayed affinities, price bands, purchases, review aspects (incremental)
- ``sentiment``       the shop's sentiment model for review texts, trained once into ``var/models``
- ``aspects``         aspect words from the catalog's attribute specs
- ``store``           rows in and out of the profile tables
- ``service``         ``ProfileService``: get, state_preference, consent, conversation mood, summary,
                      export, delete — the one door for the dialogue and the privacy requests
"""
