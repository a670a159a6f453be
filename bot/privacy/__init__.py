"""Personal data: finding and removing it before anything is stored, logged or exported,
and the records of the shopper's rights (erasures, exports, consent).

The redaction modules are pure standard library; ``requests`` and ``consent`` use only
SQLAlchemy Core/ORM that works on 1.4 and 2.0. So the Rasa server, the action server and
the scripts share all of it.
"""
