"""The e-mail export: one row per recipient, with that recipient's own data only.

A row holds the customer's id, e-mail address and first name, the variant they were
placed in, their message, the offered product's name and price, and their own signed
click link (``delivery.click_url`` with channel ``email``, so clicks from the e-mail are
counted for the right variant). Nothing of any other customer, and no profile data beyond
what the message itself says. The holdout, and customers who no longer consent, are left
out, and so is everyone without both consents: personalization (the message comes from
their profile) and marketing (offers are opt-in, ``bot.privacy.marketing``), as they
stand when the file is made. Each row carries the recipient's own signed "No more offers"
link (``opt_out_url``, channel ``email``). ``sent=True`` records an e-mail impression per
row (the file is what gets sent).
"""

import csv
import io
import json
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import select

from bot.campaigns.delivery import click_url, opt_out_url
from bot.campaigns.model import HOLDOUT, Campaign
from bot.campaigns.store import IMPRESSION, CampaignStore
from bot.campaigns.tables import CUSTOMERS

FIELDS = ["customer_id", "email", "first_name", "campaign", "variant", "message", "product", "price", "click_url",
          "opt_out_url"]


def consents(db: Any, customer_id: int) -> bool:
    """Personalization and marketing both allowed, as they stand now."""
    from bot.privacy.consent import read_consent
    from bot.privacy.marketing import allows_offers

    return read_consent(db, customer_id).personalization and allows_offers(db, customer_id)


def export_rows(store: CampaignStore, campaign: Campaign, now: Optional[datetime] = None, sent: bool = False,
                base: Optional[str] = None) -> List[Dict[str, Any]]:
    audience = store.audience(campaign.id)
    with store.db.session() as session:
        people = {int(r.id): (r.name or "", r.email or "") for r in session.execute(
            select(CUSTOMERS.c.id, CUSTOMERS.c.name, CUSTOMERS.c.email).where(CUSTOMERS.c.id.in_(audience))).all()}
    rows = []
    for customer_id in audience:
        if customer_id not in people or not consents(store.db, customer_id):
            continue
        variant = store.assign(campaign, customer_id, now=now)
        message = store.message(campaign.id, customer_id, variant) if variant != HOLDOUT else None
        if message is None:
            continue
        name, email = people[customer_id]
        product = message.products[0] if message.products else {}
        rows.append({"customer_id": customer_id, "email": email, "first_name": (name.split() or [""])[0],
                     "campaign": campaign.id, "variant": variant, "message": message.text,
                     "product": product.get("name", ""), "price": product.get("price_text", ""),
                     "click_url": click_url(campaign.id, customer_id, variant, "email", base=base),
                     "opt_out_url": opt_out_url(campaign.id, customer_id, "email", base=base)})
        if sent:
            store.record(campaign.id, customer_id, variant, IMPRESSION, "email", now=now)
    return rows


def to_csv(rows: List[Dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def to_json(rows: List[Dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False)
