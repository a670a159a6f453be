"""The order-status and return conversations: identify the order safely, then act on it.

Nothing about an order is revealed until its number *and* the email on it match; an
unknown number, a wrong email and a refused attempt all get the same answer, so the
chat cannot be used to probe which order numbers exist or whether a guess was right.

Misses are counted in the shop database (``bot.shop.attempts``) per email, per client
address and per conversation, so neither restarting the form nor starting a new
conversation resets them. Once a limit locks, the form stops and a person is offered;
while locked, even the right pair gets that same answer.

A match leaves a proof in the ``verified_order`` slot that is bound to the pair
(``bot.shop.verification``); it is void as soon as the order number or the email
changes, and it never needs the raw email again after the turn it was typed in.
"""

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Text

from bot.dialogue.replies import HANDOFF_BUTTON, Reply, button, money, order_facts

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,}$")

BAD_ORDER_ID = (
    "That doesn't look like an order number. It starts with ORD- followed by 6 digits, "
    "like ORD-123456, and it's in your order confirmation email."
)
BAD_EMAIL = "That doesn't look like an email address. Which email did you use for the order?"
NO_MATCH = (
    "I couldn't find an order with that number and email together. Please check both "
    "(the confirmation email has them) and let's try again."
)
GIVE_UP = (
    "I still couldn't match that order number and email, so I've stopped here to keep "
    "your orders safe. A person from our team can help you find it."
)

# Slots only actions write (custom mappings in domain.yml); no message can set them.
PROTECTED_SLOTS = ("verified_order", "order_lookup_locked")


@dataclass
class FormStep:
    """Slots a form validation sets, and what it says while doing so."""

    slots: Dict[Text, Any] = field(default_factory=dict)
    replies: List[Reply] = field(default_factory=list)


ORDER_ID_IN_TEXT = re.compile(r"(?:\bord[-\s]?|#|\b)(\d{6})\b", re.IGNORECASE)


def normalize_order_id(value: Any) -> Optional[Text]:
    """The order number in an answer ("it's ord-100234, thanks"), in its canonical form."""
    from bot.shop.orders import normalize_order_id as normalize

    if not isinstance(value, str):
        return None
    text = value[:200]
    exact = normalize(text)
    if exact:
        return exact
    found = ORDER_ID_IN_TEXT.findall(text)
    return normalize(found[0]) if len(found) == 1 else None


def normalize_email(value: Any) -> Optional[Text]:
    if not isinstance(value, str):
        return None
    found = re.search(r"[^@\s<>\"']{1,64}@[^@\s<>\"']{1,255}\.[A-Za-z]{2,}", value[:400])
    if not found:
        return None
    email = found.group(0).strip(".,;:").lower()
    return email if EMAIL_RE.match(email) else None


def check_order_id(value: Any) -> FormStep:
    order_id = normalize_order_id(value)
    if order_id is None:
        return FormStep({"order_id": None}, [Reply(text=BAD_ORDER_ID)])
    return FormStep({"order_id": order_id})


def check_email(value: Any) -> FormStep:
    """A typed address, normalized. A masked one (``j***@example.com``) is what the tracker
    store keeps of an earlier answer: it is left for ``verify`` to judge, never looked up."""
    from bot.shop.verification import is_masked_email

    if is_masked_email(value):
        return FormStep({"email": value.strip().lower()})
    email = normalize_email(value)
    if email is None:
        return FormStep({"email": None}, [Reply(text=BAD_EMAIL)])
    return FormStep({"email": email})


def verify(
    db: Any,
    order_id: Optional[Text],
    email: Optional[Text],
    verified: Optional[Text],
    conversation: Optional[Text] = None,
    client: Optional[Text] = None,
    guard: Any = None,
    now: Any = None,
) -> FormStep:
    """Match the order number with the email once both are known.

    ``conversation`` (the sender id) and ``client`` (the server-set client pseudonym,
    if any) are counted with the email; ``guard`` defaults to one on ``db``.
    """
    from bot.shop.attempts import LookupGuard, lookup_keys
    from bot.shop.orders import find_order_for_customer
    from bot.shop.verification import is_masked_email, make_token

    if verified_order(db, order_id, email, verified) is not None:
        return FormStep()  # still the pair that matched
    slots: Dict[Text, Any] = {"verified_order": None} if verified else {}
    if not order_id or not email:
        return FormStep(slots)
    if is_masked_email(email):
        # Only the masked form of an earlier answer is left, and it proves nothing about
        # this order number: ask for the address again (not a miss, nothing looked up).
        slots["email"] = None
        return FormStep(slots)
    guard = guard if guard is not None else LookupGuard(db)
    keys = lookup_keys(email=normalize_email(email) or email, client=client, conversation=conversation)
    result = guard.attempt(keys, lambda: find_order_for_customer(db, order_id, email), now=now)
    if result.matched:
        view = result.value
        return FormStep({"verified_order": make_token(view.id, view.email), "order_lookup_locked": None})
    slots = {"order_id": None, "email": None, "verified_order": None}
    if result.locked:
        slots["order_lookup_locked"] = True
        return FormStep(slots)  # the form ends; its submit action offers a person
    return FormStep(slots, [Reply(text=NO_MATCH)])


def gave_up(locked: Any) -> bool:
    """Did this form run stop at a lookup limit (the ``order_lookup_locked`` slot)?"""
    return locked is True


def give_up_replies() -> List[Reply]:
    return [Reply(text=GIVE_UP, buttons=[HANDOFF_BUTTON])]


def verified_order(db: Any, order_id: Optional[Text], email: Optional[Text], verified: Optional[Text]) -> Any:
    """The order view, only while the proof in ``verified`` still names this number and email."""
    from bot.shop.verification import verified_view

    if not verified:
        return None
    return verified_view(db, verified, order_id, email)


def verified_customer_email(db: Any, order_id: Optional[Text], email: Optional[Text], verified: Optional[Text]) -> Optional[Text]:
    """The customer to name on a ticket: the verified order's own email, never a slot value."""
    view = verified_order(db, order_id, email, verified)
    return view.email if view is not None else None


def order_status_replies(view: Any, now: Any = None) -> List[Reply]:
    from bot.shop.orders import describe_status

    # Worded for the shopper when generation is on; every date, id and number in a
    # generated status must be the order's own (the guardrails check it against these facts).
    return [Reply(text=describe_status(view, now), facts=order_facts([view], now), rephrase=True)]


# --- returns -----------------------------------------------------------------------


def items_of(view: Any) -> List[Any]:
    return list(getattr(view, "items", []) or [])


def return_item_question(view: Any) -> Reply:
    buttons = [button(item.name, "inform", product_id=item.product_id) for item in items_of(view)[:8]]
    return Reply(text="Which item would you like to return?", buttons=buttons)


def match_item(view: Any, value: Any) -> Optional[Text]:
    """The order line a shopper means: a product id from a button, or its name typed."""
    if not isinstance(value, str) or not value.strip():
        return None
    items = items_of(view)
    text = value.strip()[:300]
    for item in items:
        if text == item.product_id:
            return item.product_id
    lowered = text.lower()
    for item in items:
        if item.name.lower() in lowered or (len(lowered) >= 4 and lowered in item.name.lower()):
            return item.product_id
    names = {item.name.lower(): item.product_id for item in items}
    close = difflib.get_close_matches(lowered, list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


def return_reason_ok(value: Any) -> Optional[Text]:
    if not isinstance(value, str):
        return None
    reason = " ".join(value.split())[:500]
    if not reason or reason.startswith("/"):
        return None
    return reason


def return_summary(created: Any, currency: Text = "USD") -> Reply:
    refund = getattr(created, "refund_amount", None)
    refund_text = f" of {money(refund, currency)}" if refund else ""
    return Reply(
        text=(
            f"Your return is set up: {created.rma} for the {created.product_name}. "
            "We've emailed you a free prepaid return label. Please send the item back unused "
            "and in its original packaging. Your refund"
            f"{refund_text} goes to your original payment method 5–7 business days after it "
            "arrives at our warehouse."
        )
    )


def returnable_items(view: Any, now: Any = None) -> List[Any]:
    from bot.shop.returns import return_eligibility

    return [item for item in items_of(view) if return_eligibility(view, item.product_id, now=now).ok]


def check_return_item(view: Any, value: Any, now: Any = None) -> FormStep:
    """The item to return must be on the order and still returnable."""
    from bot.shop.returns import return_eligibility

    product_id = match_item(view, value)
    if product_id is None:
        return FormStep({"return_item": None}, [Reply(text="I can't find that item on this order.")])
    eligibility = return_eligibility(view, product_id, now=now)
    if not eligibility.ok:
        return FormStep({"return_item": None}, [Reply(text=eligibility.message)])
    return FormStep({"return_item": product_id})


def submit_return(
    db: Any,
    order_id: Optional[Text],
    email: Optional[Text],
    verified: Optional[Text],
    product_id: Optional[Text],
    reason: Optional[Text],
    currency: Text = "USD",
    now: Any = None,
) -> List[Reply]:
    """Create the return request, or explain why this order can't be returned."""
    from bot.shop.returns import ReturnError, create_return, return_eligibility

    view = verified_order(db, order_id, email, verified)
    if view is None:
        return [Reply(text=SOMETHING_WENT_WRONG_RETURN, buttons=[HANDOFF_BUTTON])]
    if not product_id:
        eligibility = return_eligibility(view, None, now=now)
        return [Reply(text=eligibility.message, buttons=[HANDOFF_BUTTON])]
    eligibility = return_eligibility(view, product_id, now=now)
    if not eligibility.ok:
        return [Reply(text=eligibility.message, buttons=[HANDOFF_BUTTON])]
    try:
        # The order's own email: the slot may only hold its masked form by now.
        created = create_return(db, view.id, view.email, product_id, reason or "not given", now=now)
    except ReturnError as error:  # e.g. the same item returned from another window meanwhile
        return [Reply(text=str(error), buttons=[HANDOFF_BUTTON])]
    return [return_summary(created, currency)]


SOMETHING_WENT_WRONG_RETURN = (
    "Sorry, I couldn't set up that return from here. A person from our team can do it for you."
)


# --- the forms' questions -------------------------------------------------------------

ASK_ORDER_ID = {
    "order_status_form": "Sure, I can check that. What's your order number? It looks like ORD-123456 and is in your confirmation email.",
    "return_form": "Let's get your return started. What's the order number? It looks like ORD-123456 and is in your confirmation email.",
}
ASK_EMAIL = "Thanks. And what's the email address on the order? I need both to make sure it's yours."
ASK_REASON = "What's the reason for the return?"
RETURN_REASONS = ("Wrong size or fit", "Not as described", "Arrived damaged", "Changed my mind")


def ask_order_id(form: Optional[Text]) -> Reply:
    return Reply(text=ASK_ORDER_ID.get(form or "", ASK_ORDER_ID["order_status_form"]))


def ask_email() -> Reply:
    return Reply(text=ASK_EMAIL)


def ask_return_reason() -> Reply:
    return Reply(text=ASK_REASON, buttons=[button(reason, "inform", return_reason=reason) for reason in RETURN_REASONS])
