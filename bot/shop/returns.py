"""Whether an item can be returned, and opening the return when it can.

Policy (also in the FAQ): items can be returned within 30 days of delivery, the deadline
day included; the item must be unused and in its original packaging; we e-mail a free
prepaid return label; the refund goes to the original payment method 5-7 business days
after the return arrives. The rules live here, once, so the assistant and any staff tool
give the same answer.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from bot.shop.codes import unique_code
from bot.shop.orders import OrderItemView, OrderView, find_order_for_customer, normalize_order_id
from bot.shop.schema import Order, ReturnRequest
from bot.shop.timeutil import human_date, to_db, utc, utcnow

RETURN_WINDOW_DAYS = 30
LABEL_NOTE = "We'll email a free prepaid return label to {email}."
CONDITION_NOTE = "The item must be unused and in its original packaging."
REFUND_NOTE = "Your refund goes to the original payment method 5-7 business days after the return arrives."


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    # ok | not_shipped | not_delivered | cancelled | window_closed | item_not_on_order | already_returned
    reason_code: str
    message: str
    deadline: Optional[date] = None  # last day a return can be opened, when the order was delivered


@dataclass(frozen=True)
class ReturnView:
    rma: str
    order_id: str
    product_id: str
    product_name: str
    quantity: int
    refund_amount: float
    currency: str
    status: str
    created_at: datetime
    label_note: str
    refund_note: str = REFUND_NOTE
    condition_note: str = CONDITION_NOTE


class ReturnError(Exception):
    """A return could not be opened; ``str(error)`` is safe to show to the shopper."""


class OrderNotFound(ReturnError):
    """No order with that number for that e-mail (unknown and foreign orders look the same)."""


class ReturnNotAllowed(ReturnError):
    def __init__(self, eligibility: Eligibility) -> None:
        super().__init__(eligibility.message)
        self.eligibility = eligibility


def return_deadline(view: OrderView) -> Optional[date]:
    if view.delivered_at is None:
        return None
    return utc(view.delivered_at).date() + timedelta(days=RETURN_WINDOW_DAYS)


def return_eligibility(view: OrderView, product_id: Optional[str] = None,
                       now: Optional[datetime] = None) -> Eligibility:
    """Can this order (or this one item of it) be returned now? With a message saying why."""
    today = utcnow(now).date()
    ref = f"Order {view.id}"
    if view.status in ("placed", "processing"):
        return Eligibility(False, "not_shipped", (
            f"{ref} hasn't shipped yet, so there is nothing to return. Orders can be cancelled "
            "within 1 hour of ordering as long as they haven't shipped; once it arrives you can "
            f"return it within {RETURN_WINDOW_DAYS} days."))
    if view.status in ("shipped", "out_for_delivery", "delayed"):
        return Eligibility(False, "not_delivered", (
            f"{ref} hasn't been delivered yet — you can return it within {RETURN_WINDOW_DAYS} days "
            "once it arrives."))
    if view.status == "cancelled":
        return Eligibility(False, "cancelled", f"{ref} was cancelled, so there is nothing to return.")

    deadline = return_deadline(view)
    if view.status == "returned":
        return Eligibility(False, "already_returned", f"{ref} has already been returned.", deadline)

    item: Optional[OrderItemView] = None
    if product_id is not None:
        item = view.item(product_id)
        if item is None:
            return Eligibility(False, "item_not_on_order", f"That item isn't on order {view.id}.", deadline)
        if item.return_rma:
            return Eligibility(False, "already_returned", _already(item, view), deadline)
    elif view.items and all(i.return_rma for i in view.items):
        return Eligibility(False, "already_returned", f"Every item of {ref} already has a return.", deadline)

    if deadline is None or today > deadline:
        delivered = human_date(utc(view.delivered_at).date(), today) if view.delivered_at else "long ago"
        closed = f" on {human_date(deadline, today)}" if deadline else ""
        return Eligibility(False, "window_closed", (
            f"{ref} was delivered on {delivered}, so its {RETURN_WINDOW_DAYS}-day return window "
            f"closed{closed}."), deadline)

    what = f"the {item.name}" if item else f"items from order {view.id}"
    return Eligibility(True, "ok", (
        f"You can return {what} until {human_date(deadline, today)}. We'll email you a free prepaid "
        f"return label. {CONDITION_NOTE} {REFUND_NOTE}"), deadline)


def _already(item: OrderItemView, view: OrderView) -> str:
    if item.return_status in ("received", "refunded"):
        return f"The {item.name} from order {view.id} has already been returned ({item.return_rma})."
    return f"A return for the {item.name} from order {view.id} is already under way ({item.return_rma})."


def create_return(db, order_id: str, email: str, product_id: str, reason: Optional[str],
                  now: Optional[datetime] = None) -> ReturnView:
    """Open a return for one item, after checking order, e-mail and policy again.

    Raises ``OrderNotFound`` or ``ReturnNotAllowed`` (both ``ReturnError``) with a message
    for the shopper. The whole quantity of the item is returned and refunded.
    """
    moment = utcnow(now)
    view = find_order_for_customer(db, order_id, email)
    if view is None:
        raise OrderNotFound("I couldn't find an order with that number for that email address.")
    eligibility = return_eligibility(view, product_id, now=moment)
    if not eligibility.ok:
        raise ReturnNotAllowed(eligibility)
    item = view.item(product_id)
    refund = round(item.qty * item.unit_price, 2)
    with db.session() as session:
        # Lock the order row where the database can (PostgreSQL) so two requests for the
        # same item cannot both pass the check; then check again inside this transaction.
        order = session.get(Order, normalize_order_id(order_id), with_for_update=not db.is_sqlite)
        if any(r.product_id == product_id and r.status != "rejected" for r in order.returns):
            raise ReturnNotAllowed(Eligibility(False, "already_returned", (
                f"A return for the {item.name} from order {view.id} is already under way."),
                eligibility.deadline))
        request = ReturnRequest(
            rma=unique_code(session, ReturnRequest, "RMA-"),
            order_id=order.id,
            product_id=product_id,
            quantity=item.qty,
            reason=(reason or "").strip()[:500] or None,
            status="requested",
            created_at=to_db(moment),
            refund_amount=refund,
        )
        session.add(request)
        session.flush()
        return ReturnView(
            rma=request.rma,
            order_id=order.id,
            product_id=product_id,
            product_name=item.name,
            quantity=item.qty,
            refund_amount=refund,
            currency=view.currency,
            status=request.status,
            created_at=moment,
            label_note=LABEL_NOTE.format(email=view.email),
        )
