"""The proof of a matched (order, email) pair: bound to the pair, checked against the database."""

import pytest

from bot.privacy.redaction import mask_email
from bot.shop.seed import DEMO_ORDERS
from bot.shop.verification import (
    email_matches,
    is_masked_email,
    make_token,
    parse_token,
    proven_order,
    verified_email,
    verified_view,
)

JANE = DEMO_ORDERS["delivered_recent"]
SAM = DEMO_ORDERS["out_for_delivery"]


def test_a_token_names_the_order_and_hides_the_email():
    token = make_token(JANE.id, JANE.email.upper())
    order_id, digest = parse_token(token)
    assert order_id == JANE.id and len(digest) == 32
    assert "jane" not in token.lower()
    assert make_token(JANE.id, JANE.email) == token  # stable: the same pair, the same proof
    assert make_token(JANE.id, SAM.email) != token
    with pytest.raises(ValueError):
        make_token("nope", JANE.email)


def test_the_proof_is_checked_against_the_orders_own_email(db):
    token = make_token(JANE.id, JANE.email)
    assert proven_order(db, token).id == JANE.id
    # a pair that never matched: the order's real owner is someone else
    assert proven_order(db, make_token(JANE.id, SAM.email)) is None
    assert proven_order(db, make_token("ORD-999999", JANE.email)) is None  # no such order
    for bad in (None, 42, "", JANE.id, f"{JANE.id}:{'a' * 32}", f"{JANE.id}:{token}", token + "0", token.upper()):
        assert proven_order(db, bad) is None


def test_the_slots_must_still_name_the_pair(db):
    token = make_token(JANE.id, JANE.email)
    assert verified_view(db, token, JANE.id, JANE.email).id == JANE.id
    assert verified_view(db, token, "ord100234", " Jane.Doe@Example.com ").id == JANE.id
    assert verified_view(db, token, JANE.id, mask_email(JANE.email)).id == JANE.id  # a later turn
    assert verified_view(db, token, JANE.id, SAM.email) is None  # email swapped
    assert verified_view(db, token, JANE.id, mask_email(SAM.email)) is None
    assert verified_view(db, token, JANE.id, None) is None
    assert verified_view(db, token, SAM.id, JANE.email) is None  # order swapped
    assert verified_view(db, token, None, JANE.email) is None


def test_the_customer_shown_is_the_orders_own_email(db):
    token = make_token(JANE.id, JANE.email)
    assert verified_email(db, token, JANE.id, mask_email(JANE.email)) == JANE.email
    assert verified_email(db, token, JANE.id, SAM.email) is None
    # a reader of stored conversations with only the token
    assert verified_email(db, token, check_slots=False) == JANE.email
    assert verified_email(db, "ORD-100234", check_slots=False) is None


def test_masked_addresses_are_told_apart_from_real_ones():
    assert is_masked_email("j***@example.com") and is_masked_email(mask_email("someone@shop.example"))
    assert not is_masked_email("jane.doe@example.com") and not is_masked_email(None)
    assert email_matches("j***@example.com", "jane.doe@example.com")
    assert email_matches("JANE.DOE@example.com", "jane.doe@example.com")
    assert not email_matches("s***@example.com", "jane.doe@example.com")
    assert not email_matches("john@example.com", "jane.doe@example.com")
