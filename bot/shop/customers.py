"""Finding customers of the shop database by e-mail: who a signed identity token is minted for.

Read-only and small on purpose: the mint command (``python -m bot.identity mint``) and the
demo shop's sign-in picker (``bot.web.demo``) both ask "which customer has this address?",
one from the action server's environment (SQLAlchemy 2), one from the Rasa server's (1.4).
``db`` is anything with a ``session()`` context manager on the shop tables
(``bot.shop.db.ShopDatabase``, ``bot.web.store.ShopTables``).
"""

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select

from bot.shop.orders import normalize_email
from bot.shop.schema import Customer


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str
    email: str


def find_customer(db, email: Optional[str]) -> Optional[CustomerView]:
    """The customer with this address (any case, surrounding spaces ignored), else None."""
    wanted = normalize_email(email)
    if wanted is None:
        return None
    found = find_customers(db, [wanted])
    return found[0] if found else None


def find_customers(db, emails: Iterable[str]) -> List[CustomerView]:
    """The customers with these addresses, in the order the addresses were given; unknown ones are left out."""
    wanted = [email for email in (normalize_email(e) for e in emails) if email]
    if not wanted:
        return []
    with db.session() as session:
        rows = session.execute(
            select(Customer.id, Customer.name, Customer.email).where(Customer.email.in_(sorted(set(wanted))))
        ).all()
    by_email: Dict[str, CustomerView] = {row.email: CustomerView(int(row.id), row.name, row.email) for row in rows}
    seen = set()
    ordered = []
    for email in wanted:
        if email in by_email and email not in seen:
            seen.add(email)
            ordered.append(by_email[email])
    return ordered
