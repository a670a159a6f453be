"""One line per recommendation that a shopper understands, and that is true.

A reason names the shopper's own product only when the source really rests on it: the
graph's reason names a product the shopper owns (or just mentioned) that the
suggestion fits, the co-purchase and embedding reasons the history item that
contributed most. Dates come from the purchase ("you bought in May"); a month more than
about a year back gets its year. Category names come from the catalog.
"""

from datetime import datetime, timezone
from typing import Any, Optional

from bot.recs.candidates import Anchor

RELATION_VERBS = {"owned": "bought", "viewed": "viewed", "carted": "put in your cart",
                  "favourite": "saved"}


def when(at: Optional[datetime], now: Optional[datetime]) -> str:
    """" in May", " in May 2023" (over ~11 months ago), "" when unknown."""
    if at is None:
        return ""
    now = now or datetime.now(timezone.utc)
    a = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    n = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    if (n - a).days <= 2:
        return " recently"
    if (n - a).days > 330:
        return f" in {a.strftime('%B %Y')}"
    return f" in {a.strftime('%B')}"


def _name(catalog: Any, pid: str) -> str:
    product = catalog.product(pid)
    return getattr(product, "display_name", None) or pid


def reason_text(source: str, anchor: Optional[Anchor], catalog: Any, product: Any,
                now: Optional[datetime] = None, scope: Optional[str] = None,
                gift_for: Optional[str] = None) -> str:
    """The reason line for ``product`` recommended by ``source`` resting on ``anchor``."""
    if anchor is not None:
        name = _name(catalog, anchor.product_id)
        if source == "graph":
            if anchor.relation == "mentioned":
                return f"works with the {name} you mentioned"
            return f"fits the {name} you bought{when(anchor.at, now)}"
        verb = RELATION_VERBS.get(anchor.relation, "viewed")
        if source == "co_purchase":
            if anchor.relation == "mentioned":
                return f"often bought together with the {name}"
            return f"shoppers who {verb} the {name} also bought it"
        if source in ("embedding", "learned"):
            if anchor.relation == "mentioned":
                return f"similar to the {name} you mentioned"
            return f"similar to the {name} you {verb}{when(anchor.at, now) if verb == 'bought' else ''}"
    category = catalog.category(scope or product.category)
    category_name = getattr(category, "name", None) or (scope or product.category)
    if gift_for:
        return f"a popular pick in {category_name.lower()} for your {gift_for}" if source == "popular" \
            else f"a good match for your {gift_for}"
    if source == "popular":
        return f"popular in {category_name.lower()} this month"
    if source == "learned":
        return "picked for you from what you bought and viewed"
    if source == "co_purchase":
        return "shoppers with a history like yours bought it"
    return f"well rated in {category_name.lower()}"
