"""The shop's customers and orders as plain records, read once for the profile code.

The generator and the profile builder need only a few facts from the shop tables
(who exists since when; what each order held, its state, what came back); reading
them into frozen records keeps SQLAlchemy sessions out of that code.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Set, Tuple

from sqlalchemy import select

from bot.shop.schema import Customer, Order, OrderItem, ReturnRequest

# A return in these states means the product is back with the shop (not owned any more).
RETURNED_STATES = ("received", "refunded")


@dataclass(frozen=True)
class CustomerRecord:
    id: int
    email: str
    created_at: datetime


@dataclass(frozen=True)
class OrderRecord:
    id: str
    customer_id: int
    status: str
    placed_at: datetime
    delivered_at: Optional[datetime]
    items: Tuple[str, ...]             # product ids, one per order line
    returned: Tuple[str, ...] = ()     # product ids back with the shop


def _session(session_or_db: Any):
    from bot.profiles.events import session_scope

    return session_scope(session_or_db)


def read_customers(session_or_db: Any) -> List[CustomerRecord]:
    with _session(session_or_db) as session:
        rows = session.execute(select(Customer.id, Customer.email, Customer.created_at).order_by(Customer.id))
        return [CustomerRecord(row.id, row.email, row.created_at) for row in rows]


def read_orders(session_or_db: Any, customer_id: Optional[int] = None) -> List[OrderRecord]:
    """Orders (of one customer, or all), oldest first, with their items and returned products."""
    with _session(session_or_db) as session:
        orders = select(Order.id, Order.customer_id, Order.status, Order.placed_at, Order.delivered_at)
        items = select(OrderItem.order_id, OrderItem.product_id).join(Order, Order.id == OrderItem.order_id)
        returns = (select(ReturnRequest.order_id, ReturnRequest.product_id)
                   .join(Order, Order.id == ReturnRequest.order_id)
                   .where(ReturnRequest.status.in_(RETURNED_STATES)))
        if customer_id is not None:
            orders = orders.where(Order.customer_id == int(customer_id))
            items = items.where(Order.customer_id == int(customer_id))
            returns = returns.where(Order.customer_id == int(customer_id))
        lines: Dict[str, List[str]] = defaultdict(list)
        for row in session.execute(items.order_by(OrderItem.id)):
            lines[row.order_id].append(row.product_id)
        back: Dict[str, Set[str]] = defaultdict(set)
        for row in session.execute(returns):
            back[row.order_id].add(row.product_id)
        return [OrderRecord(row.id, row.customer_id, row.status, row.placed_at, row.delivered_at,
                            tuple(lines[row.id]), tuple(sorted(back[row.id])))
                for row in session.execute(orders.order_by(Order.placed_at, Order.id))]
