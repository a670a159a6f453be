"""What the shop knows about each shopper: behaviour events, profiles, stated preferences, consent.

Action-server side only (SQLAlchemy 2, numpy 2, torch): the Rasa server (``bot.web``,
``bot.nlu``) never imports this package. Its tables live on the shop schema's ``Base``
(``bot.profiles.tables``) so one ``create_all`` makes them beside the shop's own.

- ``bot.profiles.events``          the behaviour event contract, bulk load/add
- ``bot.profiles.demo_behaviour``  seeded demo behaviour for 500+ customers
- ``bot.profiles.event_import``    ``python -m bot.profiles import-events FILE``
"""
