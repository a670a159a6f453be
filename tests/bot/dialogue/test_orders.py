"""The order-status and return conversations against a real, seeded SQLite shop."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.dialogue import orders
from bot.privacy.redaction import mask_email
from bot.shop.seed import DEMO_ORDERS

RECENT = DEMO_ORDERS["delivered_recent"]
OLD = DEMO_ORDERS["delivered_old"]
SHIPPED = DEMO_ORDERS["shipped"]
OTHER = DEMO_ORDERS["out_for_delivery"]  # another customer's order


@pytest.mark.parametrize("text,expected", [
    ("ORD-100234", "ORD-100234"),
    ("ord100234", "ORD-100234"),
    ("#100234", "ORD-100234"),
    ("it's ord-100234 thanks", "ORD-100234"),
])
def test_order_numbers_are_normalized(text, expected):
    step = orders.check_order_id(text)
    assert step.slots == {"order_id": expected}
    assert not step.replies


@pytest.mark.parametrize("text", ["12345", "ORD-12", "'; DROP TABLE orders;--", "", None, "x" * 5000, 42])
def test_malformed_order_numbers_explain_the_format(text):
    step = orders.check_order_id(text)
    assert step.slots == {"order_id": None}
    assert "ORD-123456" in step.replies[0].text


def test_emails_are_read_from_an_answer():
    assert orders.check_email("it's Jane.Doe@Example.com thanks").slots == {"email": "jane.doe@example.com"}
    step = orders.check_email("jane at example dot com")
    assert step.slots == {"email": None} and step.replies


@pytest.fixture
def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def shop(shop_services):
    """The session's seeded shop with no lookup misses left over from other tests."""
    from bot.shop.attempts import LookupGuard

    LookupGuard(shop_services.db).clear()
    return shop_services


def token_for(order):
    from bot.shop.verification import make_token

    return make_token(order.id, order.email)


def test_matching_number_and_email_verifies_the_order(shop):
    step = orders.verify(shop.db, RECENT.id, RECENT.email, None, conversation="conv-ok")
    token = step.slots["verified_order"]
    assert step.slots == {"verified_order": token, "order_lookup_locked": None}
    assert token.startswith(RECENT.id + ":") and RECENT.email not in token  # a proof, not the address
    assert not step.replies
    view = orders.verified_order(shop.db, RECENT.id, RECENT.email, token)
    assert view is not None and view.id == RECENT.id
    # a later turn: the tracker store keeps only the masked address, and that still holds
    assert orders.verified_order(shop.db, RECENT.id, mask_email(RECENT.email), token).id == RECENT.id
    assert orders.verify(shop.db, RECENT.id, mask_email(RECENT.email), token).slots == {}


@pytest.mark.parametrize("order_id,email", [
    (RECENT.id, "someone.else@example.com"),      # wrong email
    ("ORD-999999", RECENT.email),                 # no such order
    (OTHER.id, RECENT.email),                     # another customer's order
    ("ORD-100234' OR '1'='1", RECENT.email),      # SQL-looking
])
def test_a_mismatch_reveals_nothing_and_counts(shop, order_id, email):
    step = orders.verify(shop.db, order_id, email, None, conversation="conv-miss")
    assert step.slots == {"order_id": None, "email": None, "verified_order": None}
    assert [r.text for r in step.replies] == [orders.NO_MATCH]  # the same words whatever the cause
    assert orders.verified_order(shop.db, order_id, email, None) is None
    assert miss_count(shop) == 2  # one row per key: the email and the conversation (no client here)


def miss_count(shop):
    from sqlalchemy import func, select

    from bot.shop.schema import LookupMiss

    with shop.db.session() as session:
        return session.execute(select(func.count(LookupMiss.id))).scalar_one()


def test_third_miss_in_a_conversation_ends_the_form_and_offers_a_person(shop):
    for attempt in range(1, 4):
        step = orders.verify(shop.db, RECENT.id, f"wrong{attempt}@example.com", None, conversation="conv-3")
    assert step.slots["order_lookup_locked"] is True and orders.gave_up(step.slots["order_lookup_locked"])
    assert not step.replies  # the submit action speaks
    [reply] = orders.give_up_replies()
    assert reply.text == orders.GIVE_UP and reply.buttons[0]["payload"] == "/human_handoff"
    # restarting the form changes nothing: even the right pair is refused, in the same words
    again = orders.verify(shop.db, RECENT.id, RECENT.email, None, conversation="conv-3")
    assert again.slots == step.slots and again.replies == step.replies
    # another conversation (another shopper) is not affected
    assert orders.verify(shop.db, RECENT.id, RECENT.email, None, conversation="conv-4").slots["verified_order"]


GUESSES = ["ORD-100001", "ORD-100002", "ORD-100003", "ORD-100004", "ORD-100005", SHIPPED.id]


def test_guessing_order_numbers_for_a_known_email_never_reaches_the_order(shop, now):
    """The reported attack: a known email, order numbers guessed until one matches
    (the sixth), across form restarts and new conversations; the order never shows."""
    steps = []
    # conversation 1: three misses, then the form is started again
    for guess in GUESSES[:3]:
        steps.append(orders.verify(shop.db, guess, SHIPPED.email, None, conversation="attacker-1", now=now))
    steps.append(orders.verify(shop.db, GUESSES[5], SHIPPED.email, None, conversation="attacker-1", now=now))
    # a new conversation: two more misses lock the email
    for guess in GUESSES[3:5]:
        steps.append(orders.verify(shop.db, guess, SHIPPED.email, None, conversation="attacker-2", now=now))
    # a third conversation, the right order number at last
    steps.append(orders.verify(shop.db, GUESSES[5], SHIPPED.email, None, conversation="attacker-3", now=now))
    assert not any(step.slots.get("verified_order") for step in steps)
    assert all(step.slots["order_id"] is None and step.slots["email"] is None for step in steps)
    said = [[r.text for r in step.replies] for step in steps]
    assert said == [[orders.NO_MATCH], [orders.NO_MATCH], [], [], [orders.NO_MATCH], [], []]
    assert steps[-1] == steps[2]  # the right pair while locked: exactly a give-up after a miss
    # still locked just before the cool-down ends, in yet another conversation
    later = now + timedelta(minutes=14)
    assert not orders.verify(shop.db, SHIPPED.id, SHIPPED.email, None, conversation="attacker-4", now=later).slots["verified_order"]
    # after the cool-down the owner gets in again
    after = now + timedelta(minutes=16)
    assert orders.verify(shop.db, SHIPPED.id, SHIPPED.email, None, conversation="owner", now=after).slots["verified_order"]


def test_the_client_limit_holds_across_conversations_and_emails(shop):
    for conversation in range(4):
        for attempt in range(3):
            if conversation * 3 + attempt == 10:
                break
            orders.verify(shop.db, RECENT.id, f"guess{conversation}-{attempt}@example.com", None,
                          conversation=f"client-conv-{conversation}", client="client-abc")
    # ten misses from one address: a fresh conversation with the right pair is refused
    step = orders.verify(shop.db, RECENT.id, RECENT.email, None, conversation="client-conv-new", client="client-abc")
    assert step.slots["verified_order"] is None and step.slots["order_lookup_locked"] is True
    # another address is not
    step = orders.verify(shop.db, RECENT.id, RECENT.email, None, conversation="client-conv-other", client="client-xyz")
    assert step.slots["verified_order"]


def test_every_kind_of_miss_gets_the_same_words(shop):
    kinds = [
        (RECENT.id, "someone.else@example.com"),
        ("ORD-999999", RECENT.email),
        (OTHER.id, RECENT.email),
    ]
    first = [orders.verify(shop.db, o, e, None, conversation=f"same-{i}").replies for i, (o, e) in enumerate(kinds)]
    assert all([r.text for r in replies] == [orders.NO_MATCH] for replies in first)
    # and the stop, whichever limit it was and whether the pair was right
    for i in range(3):
        locked_miss = orders.verify(shop.db, OLD.id, f"x{i}@example.com", None, conversation="same-stop")
    locked_right = orders.verify(shop.db, OLD.id, OLD.email, None, conversation="same-stop")
    assert locked_miss == locked_right


def test_changing_the_email_after_verification_drops_it(shop):
    token = orders.verify(shop.db, RECENT.id, RECENT.email, None).slots["verified_order"]
    other = "someone.else@example.com"
    assert orders.verified_order(shop.db, RECENT.id, other, token) is None
    assert orders.verified_customer_email(shop.db, RECENT.id, other, token) is None
    # the form sees the new address: the proof goes, the new pair is looked up (and misses)
    step = orders.verify(shop.db, RECENT.id, other, token, conversation="swap")
    assert step.slots["verified_order"] is None and step.slots["email"] is None
    assert [r.text for r in step.replies] == [orders.NO_MATCH]
    # another customer's masked address is not the order's either
    assert orders.verified_order(shop.db, RECENT.id, mask_email(OTHER.email), token) is None


def test_changing_the_order_number_after_verification_drops_it(shop):
    token = token_for(RECENT)
    assert orders.verified_order(shop.db, OLD.id, RECENT.email, token) is None  # same customer, other order
    step = orders.verify(shop.db, OTHER.id, mask_email(RECENT.email), token)
    # only the masked address of an earlier turn is left: asked again, nothing looked up
    assert step.slots == {"verified_order": None, "email": None} and not step.replies
    assert miss_count(shop) == 0


def test_a_proof_cannot_be_made_up(shop):
    for forged in (RECENT.id, f"{RECENT.id}:{'0' * 32}", f"{RECENT.id}:{token_for(OTHER).split(':')[1]}",
                   token_for(OTHER), "ORD-100234:../../", None, 1):
        assert orders.verified_order(shop.db, RECENT.id, RECENT.email, forged) is None
    assert orders.verified_customer_email(shop.db, RECENT.id, RECENT.email, token_for(RECENT)) == RECENT.email


def test_a_masked_answer_is_never_looked_up(shop):
    step = orders.check_email(mask_email(RECENT.email))
    assert step.slots == {"email": mask_email(RECENT.email)} and not step.replies
    step = orders.verify(shop.db, RECENT.id, mask_email(RECENT.email), None, conversation="masked")
    assert step.slots == {"email": None} and not step.replies
    assert miss_count(shop) == 0


def test_a_verified_order_is_described(shop_services):
    view = orders.verified_order(shop_services.db, SHIPPED.id, SHIPPED.email, token_for(SHIPPED))
    text = " ".join(r.text for r in orders.order_status_replies(view))
    assert SHIPPED.id in text and "UPS" in text and view.tracking_number in text


def test_recent_delivery_is_returnable_and_creates_an_rma(shop_services):
    view = orders.verified_order(shop_services.db, RECENT.id, RECENT.email, token_for(RECENT))
    items = orders.returnable_items(view)
    assert items, "the recent delivery has returnable items"
    item = items[-1]
    # typed with a typo: still the right line of the order
    typed = item.name[:-1] if len(item.name) > 6 else item.name
    assert orders.match_item(view, typed) == item.product_id
    assert orders.check_return_item(view, "a product we never sold you").slots == {"return_item": None}
    [reply] = orders.submit_return(shop_services.db, RECENT.id, RECENT.email, token_for(RECENT), item.product_id, "Changed my mind")
    assert re.search(r"RMA-[A-Z0-9]{6}", reply.text)
    assert "prepaid return label" in reply.text and "5–7 business days" in reply.text
    # the same item again: already on its way back
    view = orders.verified_order(shop_services.db, RECENT.id, RECENT.email, token_for(RECENT))
    assert item.product_id not in [i.product_id for i in orders.returnable_items(view)]
    again = orders.check_return_item(view, item.product_id)
    assert again.slots == {"return_item": None} and again.replies


def test_old_delivery_is_outside_the_window(shop_services):
    view = orders.verified_order(shop_services.db, OLD.id, OLD.email, token_for(OLD))
    assert orders.returnable_items(view) == []
    [reply] = orders.submit_return(shop_services.db, OLD.id, OLD.email, token_for(OLD), None, None)
    assert "30-day return window" in reply.text
    assert reply.buttons[0]["payload"] == "/human_handoff"


def test_nothing_is_returned_without_verification(shop_services):
    [reply] = orders.submit_return(shop_services.db, RECENT.id, "wrong@example.com", None, "SKU-10001", "x")
    assert "RMA-" not in reply.text


def test_the_order_status_opts_in_to_wording_with_the_orders_own_facts(shop_services):
    """Worded for the shopper when generation is on, from this order's facts only; the
    return (an RMA, a refund) stays verbatim."""
    view = orders.verified_order(shop_services.db, SHIPPED.id, SHIPPED.email, token_for(SHIPPED))
    [reply] = orders.order_status_replies(view)
    assert reply.rephrase and [o.order_id for o in reply.facts.orders] == [SHIPPED.id]
    assert reply.facts.orders[0].tracking_number == view.tracking_number and reply.facts.today is not None
    assert not any(r.rephrase for r in orders.give_up_replies())
    assert not orders.ask_email().rephrase and not orders.return_item_question(view).rephrase
