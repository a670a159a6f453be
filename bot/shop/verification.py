"""Proof that a conversation matched an order's number with the e-mail on it.

The ``verified_order`` slot holds ``<order id>:<keyed hash of "order id|e-mail">``. The
hash is made with the server's secret, so no shopper can write one, and it binds the
proof to the pair: on a later turn the order is loaded by its id and the hash is
recomputed from the order's *own* e-mail in the database. That is why nothing here
needs the raw e-mail after the turn it was typed in (the tracker store keeps only
``j***@example.com`` from then on).

A proof counts only while the conversation still talks about the same pair: the
``order_id`` slot must be the proof's order, and the ``email`` slot the order's e-mail,
raw (the turn it arrived) or in its masked form (every turn after). Any other value
means the shopper changed one of them, and the proof is void.

Whoever shows "the customer" (tickets, the staff console) takes the e-mail from the
order this proof names, never from a slot: ``verified_email``.
"""

import hmac
import re
from typing import Optional, Tuple

from bot.identity.signing import keyed_hash
from bot.privacy.redaction import mask_email
from bot.shop.orders import OrderView, _load_order, normalize_email, normalize_order_id, order_view

PURPOSE = "verify"
_TOKEN = re.compile(r"(ORD-\d{6}):([0-9a-f]{32})")


def _digest(order_id: str, email: str) -> str:
    return keyed_hash(PURPOSE, f"{order_id}|{email}")


def make_token(order_id: str, email: str) -> str:
    """The proof for a pair that just matched in the database."""
    order = normalize_order_id(order_id)
    address = normalize_email(email)
    if order is None or address is None:
        raise ValueError("a verification token needs a valid order number and e-mail")
    return f"{order}:{_digest(order, address)}"


def parse_token(token: object) -> Optional[Tuple[str, str]]:
    """``(order id, digest)`` of a well-formed token, else None (never raises)."""
    if not isinstance(token, str) or len(token) > 64:
        return None
    match = _TOKEN.fullmatch(token)
    return (match.group(1), match.group(2)) if match else None


def token_order_id(token: object) -> Optional[str]:
    parsed = parse_token(token)
    return parsed[0] if parsed else None


def is_masked_email(value: object) -> bool:
    """A value the tracker store wrote in place of an address (``j***@example.com``).

    Masking is idempotent, so a masked value is its own mask; a real address is not.
    """
    return isinstance(value, str) and bool(value) and mask_email(value) == value.strip().lower()


def email_matches(slot_value: object, order_email: str) -> bool:
    """Is the ``email`` slot the order's own e-mail, raw or masked?"""
    if not isinstance(slot_value, str):
        return False
    if is_masked_email(slot_value):
        return hmac.compare_digest(slot_value.strip().lower().encode(), mask_email(order_email).encode())
    address = normalize_email(slot_value)
    if address is None:
        return False
    return hmac.compare_digest(address.encode(), order_email.encode())


def proven_order(db, token: object) -> Optional[OrderView]:
    """The order a token proves, checked against the order's own e-mail; else None."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    order_id, digest = parsed
    with db.session() as session:
        order = _load_order(session, order_id)
        if order is None:
            return None
        view = order_view(order)
    if not hmac.compare_digest(digest.encode(), _digest(view.id, view.email).encode()):
        return None
    return view


def verified_view(db, token: object, order_id: object, email: object) -> Optional[OrderView]:
    """The order, when the token is valid *and* the slots still name its pair."""
    parsed = parse_token(token)
    if parsed is None or not isinstance(order_id, str) or normalize_order_id(order_id) != parsed[0]:
        return None
    view = proven_order(db, token)
    if view is None or not email_matches(email, view.email):
        return None
    return view


def verified_email(db, token: object, order_id: object = None, email: object = None,
                   check_slots: bool = True) -> Optional[str]:
    """The customer a conversation proved to be, from the database; None if nothing holds.

    With ``check_slots`` (the default) the ``order_id`` and ``email`` slots must still
    name the proven pair, as the actions require; a reader of stored conversations
    that only has the token passes ``check_slots=False``.
    """
    view = verified_view(db, token, order_id, email) if check_slots else proven_order(db, token)
    return view.email if view is not None else None
