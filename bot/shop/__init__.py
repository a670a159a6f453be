"""The shop's own records: customers, orders, returns and support tickets.

The assistant answers order and return questions from this database, never from
what a shopper claims; every lookup is keyed by order number *and* e-mail.
"""
