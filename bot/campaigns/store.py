"""Campaign rows in and out: campaigns, assignments, messages, impressions and clicks,
the bandit's counts, and conversions read from the behaviour log. No wording, no HTTP.

``CampaignStore(db)`` takes any database object with ``session()`` and ``engine`` (the
action server's ``ShopDatabase``, the Rasa server's ``ShopTables``) and creates the
campaign tables it lacks. Every method is one unit of work.

Counting is per customer, the unit the split randomises: a variant's impressions are the
customers shown its card, its clicks the customers who clicked, its conversions the
customers who bought an offered product after their first click, within the campaign's
``conversion_days`` (a purchase before the click, or after the window, does not count).
Every impression and click is kept as an event too (``campaign_events``).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Optional

import numpy as np
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.campaigns.assignment import assign as hash_assign
from bot.campaigns.bandit import Arm, ThompsonBandit
from bot.campaigns.model import HOLDOUT, Campaign, CampaignError
from bot.campaigns.tables import ARMS, ASSIGNMENTS, BEHAVIOUR_EVENTS, CAMPAIGNS, EVENTS, MESSAGES, ensure_tables

IMPRESSION = "impression"
CLICK = "click"
KINDS = (IMPRESSION, CLICK)
CHANNELS = ("chat", "email")
STATUSES = ("draft", "active", "stopped")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _naive(value: Optional[datetime]) -> datetime:
    if value is None:
        return utcnow()
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


@dataclass(frozen=True)
class Message:
    campaign_id: str
    customer_id: int
    variant: str
    text: str
    path: str
    detail: str
    products: List[Dict[str, Any]]
    written_at: datetime


@dataclass(frozen=True)
class VariantCounts:
    variant: str
    impressions: int = 0   # customers shown the card
    clicks: int = 0        # customers who clicked
    conversions: int = 0   # customers who bought after clicking, within the window


class CampaignStore:
    def __init__(self, db: Any) -> None:
        self.db = db
        ensure_tables(db)

    # ------------------------------------------------------------------------- campaigns
    def save(self, campaign: Campaign, now: Optional[datetime] = None) -> Campaign:
        """Create the campaign, or replace its description (its id, rows and status stay)."""
        moment = _naive(now)
        with self.db.session() as session:
            exists = session.execute(select(CAMPAIGNS.c.id).where(CAMPAIGNS.c.id == campaign.id)).first()
            values = {"name": campaign.name, "mode": campaign.mode, "spec": campaign.to_dict(), "updated_at": moment}
            if exists:
                session.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign.id).values(**values))
            else:
                session.execute(insert(CAMPAIGNS).values(id=campaign.id, status=campaign.status, created_at=moment,
                                                         **values))
        return self.get(campaign.id)

    def get(self, campaign_id: str) -> Optional[Campaign]:
        with self.db.session() as session:
            row = session.execute(select(CAMPAIGNS).where(CAMPAIGNS.c.id == str(campaign_id))).first()
        return Campaign.from_dict(row.spec, status=row.status) if row else None

    def require(self, campaign_id: str) -> Campaign:
        campaign = self.get(campaign_id)
        if campaign is None:
            raise CampaignError(f"no campaign {campaign_id!r}")
        return campaign

    def list(self, status: Optional[str] = None) -> List[Campaign]:
        statement = select(CAMPAIGNS).order_by(CAMPAIGNS.c.created_at, CAMPAIGNS.c.id)
        if status:
            statement = statement.where(CAMPAIGNS.c.status == status)
        with self.db.session() as session:
            rows = session.execute(statement).all()
        return [Campaign.from_dict(row.spec, status=row.status) for row in rows]

    def set_status(self, campaign_id: str, status: str, now: Optional[datetime] = None) -> None:
        if status not in STATUSES:
            raise CampaignError(f"status must be one of {', '.join(STATUSES)}")
        with self.db.session() as session:
            result = session.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id)
                                     .values(status=status, updated_at=_naive(now)))
            if not result.rowcount:
                raise CampaignError(f"no campaign {campaign_id!r}")

    # ----------------------------------------------------------------------- assignments
    def assignment(self, campaign_id: str, customer_id: int) -> Optional[str]:
        with self.db.session() as session:
            row = session.execute(select(ASSIGNMENTS.c.variant).where(
                ASSIGNMENTS.c.campaign_id == campaign_id, ASSIGNMENTS.c.customer_id == int(customer_id))).first()
        return row.variant if row else None

    def assignments(self, campaign_id: str) -> Dict[int, str]:
        with self.db.session() as session:
            rows = session.execute(select(ASSIGNMENTS.c.customer_id, ASSIGNMENTS.c.variant)
                                   .where(ASSIGNMENTS.c.campaign_id == campaign_id)).all()
        return {int(r.customer_id): r.variant for r in rows}

    def assign(self, campaign: Campaign, customer_id: int, now: Optional[datetime] = None,
               rng: Optional[np.random.Generator] = None) -> str:
        """The customer's variant or ``holdout``: kept once made. The holdout and the A/B split
        come from the hash (``assignment``); in bandit mode a Thompson draw over the arms'
        current counts places a customer the first time they are assigned."""
        existing = self.assignment(campaign.id, customer_id)
        if existing is not None:
            return existing
        variant, method = hash_assign(campaign, customer_id), "hash"
        if variant == "":
            variant, method = ThompsonBandit.of(campaign.variant_names, self.arms(campaign.id)).choose(rng), "bandit"
        try:
            with self.db.session() as session:
                session.execute(insert(ASSIGNMENTS).values(campaign_id=campaign.id, customer_id=int(customer_id),
                                                           variant=variant, method=method, assigned_at=_naive(now)))
        except IntegrityError:  # another process placed them first: theirs stands
            return self.assignment(campaign.id, customer_id) or variant
        return variant

    # -------------------------------------------------------------------------- messages
    def save_message(self, campaign_id: str, customer_id: int, variant: str, text: str, path: str, detail: str,
                     products: List[Dict[str, Any]], now: Optional[datetime] = None) -> None:
        key = and_(MESSAGES.c.campaign_id == campaign_id, MESSAGES.c.customer_id == int(customer_id),
                   MESSAGES.c.variant == variant)
        values = {"text": text, "path": path, "detail": (detail or "")[:500], "products": products,
                  "written_at": _naive(now)}
        with self.db.session() as session:
            if session.execute(select(MESSAGES.c.variant).where(key)).first():
                session.execute(update(MESSAGES).where(key).values(**values))
            else:
                session.execute(insert(MESSAGES).values(campaign_id=campaign_id, customer_id=int(customer_id),
                                                        variant=variant, **values))

    def message(self, campaign_id: str, customer_id: int, variant: str) -> Optional[Message]:
        with self.db.session() as session:
            row = session.execute(select(MESSAGES).where(
                MESSAGES.c.campaign_id == campaign_id, MESSAGES.c.customer_id == int(customer_id),
                MESSAGES.c.variant == variant)).first()
        return _message(row) if row else None

    def messages(self, campaign_id: str) -> List[Message]:
        with self.db.session() as session:
            rows = session.execute(select(MESSAGES).where(MESSAGES.c.campaign_id == campaign_id)
                                   .order_by(MESSAGES.c.customer_id, MESSAGES.c.variant)).all()
        return [_message(row) for row in rows]

    def audience(self, campaign_id: str) -> List[int]:
        """The customers a message was written for (the segment when it was written)."""
        with self.db.session() as session:
            rows = session.execute(select(MESSAGES.c.customer_id).where(MESSAGES.c.campaign_id == campaign_id)
                                   .distinct().order_by(MESSAGES.c.customer_id)).all()
        return [int(r.customer_id) for r in rows]

    def pending_for(self, customer_id: int) -> List[Campaign]:
        """Active campaigns with a message written for this customer, oldest first."""
        with self.db.session() as session:
            ids = [r.campaign_id for r in session.execute(
                select(MESSAGES.c.campaign_id).where(MESSAGES.c.customer_id == int(customer_id)).distinct()).all()]
        return [c for c in self.list(status="active") if c.id in ids]

    # ---------------------------------------------------------------- impressions, clicks
    def record(self, campaign_id: str, customer_id: int, variant: str, kind: str, channel: str = "chat",
               now: Optional[datetime] = None) -> bool:
        """Keep an impression or a click; True when it is the customer's first of its kind in
        this campaign (only those move the bandit's counts)."""
        if kind not in KINDS or channel not in CHANNELS:
            raise ValueError(f"unknown event {kind}/{channel}")
        with self.db.session() as session:
            seen = session.execute(select(func.count()).select_from(EVENTS).where(
                EVENTS.c.campaign_id == campaign_id, EVENTS.c.customer_id == int(customer_id),
                EVENTS.c.kind == kind)).scalar()
            session.execute(insert(EVENTS).values(campaign_id=campaign_id, customer_id=int(customer_id),
                                                  variant=variant, kind=kind, channel=channel, at=_naive(now)))
            if seen:
                return False
            column = "trials" if kind == IMPRESSION else "successes"
            key = and_(ARMS.c.campaign_id == campaign_id, ARMS.c.variant == variant)
            if session.execute(select(ARMS.c.variant).where(key)).first() is None:
                session.execute(insert(ARMS).values(campaign_id=campaign_id, variant=variant, trials=0.0,
                                                    successes=0.0))
            session.execute(update(ARMS).where(key).values({column: ARMS.c[column] + 1}))
        return True

    def impressions_of(self, campaign_id: str, customer_id: int) -> int:
        with self.db.session() as session:
            return int(session.execute(select(func.count()).select_from(EVENTS).where(
                EVENTS.c.campaign_id == campaign_id, EVENTS.c.customer_id == int(customer_id),
                EVENTS.c.kind == IMPRESSION)).scalar() or 0)

    def arms(self, campaign_id: str) -> Dict[str, Arm]:
        """The bandit's persisted counts: trials = customers shown, successes = customers who clicked."""
        with self.db.session() as session:
            rows = session.execute(select(ARMS).where(ARMS.c.campaign_id == campaign_id)).all()
        return {r.variant: Arm(float(r.trials), float(r.successes)) for r in rows}

    def first_events(self, campaign_id: str, kind: str) -> Dict[int, Any]:
        """customer -> (variant, time) of their first event of ``kind``."""
        with self.db.session() as session:
            rows = session.execute(select(EVENTS.c.customer_id, EVENTS.c.variant, EVENTS.c.at)
                                   .where(EVENTS.c.campaign_id == campaign_id, EVENTS.c.kind == kind)
                                   .order_by(EVENTS.c.at, EVENTS.c.id)).all()
        first: Dict[int, Any] = {}
        for row in rows:
            first.setdefault(int(row.customer_id), (row.variant, row.at))
        return first

    def conversions(self, campaign: Campaign) -> Dict[int, str]:
        """customer -> variant, for every customer who bought one of their variant's offered
        products after their first click and within ``conversion_days`` of it."""
        clicks = self.first_events(campaign.id, CLICK)
        if not clicks or not _has_table(self.db.engine, BEHAVIOUR_EVENTS.name):
            return {}  # no behaviour log in this database (a console-only setup): nothing converts
        products = {v: set(campaign.offer_of(v).product_ids) for v in campaign.variant_names}
        window = timedelta(days=campaign.conversion_days)
        converted: Dict[int, str] = {}
        with self.db.session() as session:
            for chunk in _chunks(sorted(clicks), 500):
                rows = session.execute(select(BEHAVIOUR_EVENTS.c.customer_id, BEHAVIOUR_EVENTS.c.product_id,
                                              BEHAVIOUR_EVENTS.c.at).where(
                    BEHAVIOUR_EVENTS.c.kind == "purchase", BEHAVIOUR_EVENTS.c.customer_id.in_(chunk),
                    BEHAVIOUR_EVENTS.c.product_id.in_(campaign.all_product_ids()))).all()
                for row in rows:
                    variant, clicked_at = clicks[int(row.customer_id)]
                    if row.product_id in products.get(variant, ()) and clicked_at < row.at <= clicked_at + window:
                        converted[int(row.customer_id)] = variant
        return converted

    def bought_after(self, starts: Dict[int, datetime], product_ids: Iterable[str], days: int) -> Dict[int, datetime]:
        """customer -> their first purchase of one of ``product_ids`` after their start time and
        within ``days`` of it (the holdout's baseline and the shown customers' purchases)."""
        if not starts or not _has_table(self.db.engine, BEHAVIOUR_EVENTS.name):
            return {}
        window = timedelta(days=days)
        found: Dict[int, datetime] = {}
        with self.db.session() as session:
            for chunk in _chunks(sorted(starts), 500):
                rows = session.execute(select(BEHAVIOUR_EVENTS.c.customer_id, BEHAVIOUR_EVENTS.c.at).where(
                    BEHAVIOUR_EVENTS.c.kind == "purchase", BEHAVIOUR_EVENTS.c.customer_id.in_(chunk),
                    BEHAVIOUR_EVENTS.c.product_id.in_(list(product_ids)))).all()
                for row in rows:
                    start = starts[int(row.customer_id)]
                    if start < row.at <= start + window:
                        customer = int(row.customer_id)
                        found[customer] = min(found.get(customer, row.at), row.at)
        return found

    def holdout_starts(self, campaign_id: str) -> Dict[int, datetime]:
        """customer -> when they were held out, for every customer of the holdout."""
        with self.db.session() as session:
            rows = session.execute(select(ASSIGNMENTS.c.customer_id, ASSIGNMENTS.c.assigned_at).where(
                ASSIGNMENTS.c.campaign_id == campaign_id, ASSIGNMENTS.c.variant == HOLDOUT)).all()
        return {int(r.customer_id): r.assigned_at for r in rows}

    def counts(self, campaign: Campaign) -> Dict[str, VariantCounts]:
        """Per variant: customers shown, who clicked, who converted."""
        shown = self.first_events(campaign.id, IMPRESSION)
        clicked = self.first_events(campaign.id, CLICK)
        converted = self.conversions(campaign)
        out: Dict[str, VariantCounts] = {}
        for name in campaign.variant_names:
            out[name] = VariantCounts(
                name, sum(1 for v, _ in shown.values() if v == name), sum(1 for v, _ in clicked.values() if v == name),
                sum(1 for v in converted.values() if v == name))
        return out

    def holdout_size(self, campaign_id: str) -> int:
        with self.db.session() as session:
            return int(session.execute(select(func.count()).select_from(ASSIGNMENTS).where(
                ASSIGNMENTS.c.campaign_id == campaign_id, ASSIGNMENTS.c.variant == HOLDOUT)).scalar() or 0)

    # ---------------------------------------------------------------------------- privacy
    def export_customer(self, customer_id: int) -> List[Dict[str, Any]]:
        """What the campaigns hold about one customer (the privacy export): per campaign, the
        variant they were given, the messages written for them, and their impressions and clicks."""
        cid = int(customer_id)
        with self.db.session() as session:
            assigned = session.execute(select(ASSIGNMENTS).where(ASSIGNMENTS.c.customer_id == cid)).all()
            messages = session.execute(select(MESSAGES).where(MESSAGES.c.customer_id == cid)).all()
            events = session.execute(select(EVENTS).where(EVENTS.c.customer_id == cid).order_by(EVENTS.c.at)).all()
        out: Dict[str, Dict[str, Any]] = {}

        def entry(campaign_id: str) -> Dict[str, Any]:
            return out.setdefault(campaign_id, {"campaign": campaign_id, "variant": None, "messages": [], "events": []})

        for row in assigned:
            entry(row.campaign_id).update(variant=row.variant, assigned_at=row.assigned_at.isoformat())
        for row in messages:
            entry(row.campaign_id)["messages"].append({"variant": row.variant, "text": row.text,
                                                       "written_at": row.written_at.isoformat()})
        for row in events:
            entry(row.campaign_id)["events"].append({"kind": row.kind, "channel": row.channel,
                                                     "at": row.at.isoformat()})
        return [out[key] for key in sorted(out)]

    def forget_customer(self, customer_id: int) -> int:
        """Delete every campaign row of a customer (erasure); returns how many."""
        removed = 0
        with self.db.session() as session:
            for table in (ASSIGNMENTS, MESSAGES, EVENTS):
                removed += session.execute(delete(table).where(table.c.customer_id == int(customer_id))).rowcount or 0
        return removed


def _message(row: Any) -> Message:
    return Message(row.campaign_id, int(row.customer_id), row.variant, row.text, row.path, row.detail or "",
                   list(row.products or []), row.written_at)


def _has_table(engine: Any, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table(name)


def _chunks(items: List[int], size: int) -> Iterable[List[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]

