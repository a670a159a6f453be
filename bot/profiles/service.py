"""The one door to shopper profiles: every action reads and changes them through ``ProfileService``.

    service = ProfileService(db)                       # db: bot.shop.db.ShopDatabase
    profile = service.get(customer_id=7, conversation_id="abc")
    service.state_preference("brand", "Brooks", customer_id=7, conversation_id="abc")
    service.state_preference("budget", amount_max=150, category="running shoes", customer_id=7)
    service.record_conversation_sentiment("abc", 0.4, customer_id=7, session_id="s1")
    service.set_consent(7, False)                      # "stop personalizing"
    service.summary(service.stored(7)); service.export(7); service.delete(7)

**Consent.** A customer's ``customer_consent`` row is their choice (chat or widget); without
one the shop's default applies: ``SHOPBOT_PERSONALIZATION_DEFAULT`` (``on``/``off``,
default ``on`` for logged-in customers). Without consent ``get`` returns exactly what an
anonymous shopper in the same conversation gets (the session-only profile), nothing of
the stored data is read or updated, and what they state goes to the session profile only.
Turning consent off keeps the stored data (``delete`` removes it) but stops using it.

**Anonymous shoppers** (no customer id, or no consent) get a session-only profile keyed by
the conversation id: stated preferences and conversation mood, in the ``session_profiles``
table (so every action server process sees it), expiring ``SHOPBOT_SESSION_PROFILE_TTL_HOURS``
(default 24) after its last use.

**Customers** with consent: ``get`` applies the behaviour events stored since the last
update to the saved state (``bot.profiles.builder``: decayed affinities, price bands,
purchases, review aspects through the shop's sentiment model) and saves it; owned products
are purchases (events and orders) minus returned items; stated preferences and the mood of
their recent conversations are read from their tables.
"""

import copy
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import select

from bot.profiles import store
from bot.profiles.builder import ProfileBuilder, ProfileConfig, empty_state, price_band
from bot.profiles.events import load_events, load_events_after, session_scope
from bot.profiles.profile import AspectOpinion, ConversationMood, OwnedProduct, Profile, StatedPreference
from bot.profiles.shop_records import read_orders
from bot.profiles.tables import PREFERENCE_KINDS, POLARITIES, ConversationSentimentRow
from bot.shop.schema import Customer
from bot.shop.timeutil import to_db

TREND_SESSIONS = 10
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class PreferenceError(ValueError):
    """A stated preference the catalog cannot place (unknown brand, category, attribute, bad budget)."""


def default_consent() -> bool:
    """The shop's setting for customers who have not chosen (``SHOPBOT_PERSONALIZATION_DEFAULT``)."""
    value = (os.environ.get("SHOPBOT_PERSONALIZATION_DEFAULT") or "on").strip().lower()
    return value not in _FALSE


def session_ttl() -> timedelta:
    try:
        hours = float(os.environ.get("SHOPBOT_SESSION_PROFILE_TTL_HOURS") or 24)
    except ValueError:
        hours = 24.0
    return timedelta(hours=hours if hours > 0 else 24)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _trend(moods: List[ConversationMood]) -> Optional[float]:
    """Least-squares slope of the sessions' mean mood, per session (None below two sessions)."""
    scores = [m.score for m in moods[-TREND_SESSIONS:]]
    if len(scores) < 2:
        return None
    n = len(scores)
    mean_x, mean_y = (n - 1) / 2, sum(scores) / n
    num = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(scores))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return round(num / den, 4)


class ProfileService:
    """Profiles of one shop database and catalog. Thread-safe: every call is one unit of work."""

    def __init__(self, db, catalog=None, sentiment: Optional[Callable[[], Any]] = None,
                 config: Optional[ProfileConfig] = None) -> None:
        """``sentiment``: a callable returning the review sentiment model or None; default
        ``bot.profiles.sentiment.cached_sentiment`` (the cached model, never trained inside a
        request: without it reviews add no aspects until it has been trained)."""
        if catalog is None:
            from bot.catalog import load_catalog

            catalog = load_catalog()
        if sentiment is None:
            from bot.profiles.sentiment import cached_sentiment

            sentiment = cached_sentiment
        self.db = db
        self.catalog = catalog
        self._sentiment = sentiment
        self.builder = ProfileBuilder(catalog, config)
        self.config = self.builder.config
        self._ttl = session_ttl()

    @staticmethod
    def _now(now: Optional[datetime]) -> datetime:
        return to_db(now) if now is not None else datetime.now(timezone.utc).replace(tzinfo=None)

    # ----------------------------------------------------------------------------- reading
    def get(self, customer_id: Optional[int] = None, conversation_id: Optional[str] = None,
            now: Optional[datetime] = None) -> Profile:
        """The profile every action uses: the customer's (with consent) or the session-only one."""
        moment = self._now(now)
        if self._personal(customer_id):
            return self._customer_profile(int(customer_id), conversation_id, moment)
        return self._session_profile(conversation_id, moment)

    def _personal(self, customer_id: Optional[int]) -> bool:
        """True when this shopper's own stored data may be used: a known customer who consents.
        (An unknown id, e.g. of a deleted account, is treated as an anonymous shopper.)"""
        if customer_id is None:
            return False
        with session_scope(self.db) as session:
            if not store.customer_exists(session, customer_id):
                return False
            stored = store.load_consent(session, customer_id)
        return stored[0] if stored is not None else default_consent()

    def stored(self, customer_id: int, now: Optional[datetime] = None) -> Profile:
        """Everything held about a customer, whatever their consent (privacy summary and export)."""
        return self._customer_profile(int(customer_id), None, self._now(now))

    def consent(self, customer_id: int) -> bool:
        with session_scope(self.db) as session:
            stored = store.load_consent(session, customer_id)
        return stored[0] if stored is not None else default_consent()

    def marketing(self, customer_id: int) -> bool:
        """May the shop send this customer offers (``bot.privacy.marketing``; default off)?"""
        from bot.privacy.marketing import read_marketing

        return read_marketing(self.db, customer_id).marketing

    def set_marketing(self, customer_id: int, marketing: bool, source: str = "chat",
                      now: Optional[datetime] = None) -> None:
        """Record the customer's marketing choice ("stop sending me offers", the Offers switch)."""
        from bot.privacy.marketing import write_marketing

        write_marketing(self.db, customer_id, marketing, source, now=self._now(now))

    def set_consent(self, customer_id: int, personalization: bool, source: str = "chat",
                    now: Optional[datetime] = None) -> None:
        """Record the customer's choice ("stop personalizing", the widget's switch)."""
        with session_scope(self.db) as session:
            if not store.customer_exists(session, customer_id):
                raise ValueError(f"no customer with id {customer_id}")
            store.save_consent(session, customer_id, personalization, source, self._now(now))

    # --------------------------------------------------------------------------- updating
    def refresh(self, customer_id: int, now: Optional[datetime] = None) -> int:
        """Apply the customer's events stored since the last update; returns how many."""
        with session_scope(self.db) as session:
            return self._refresh(session, int(customer_id), self._now(now))[1]

    def rebuild(self, customer_id: int, now: Optional[datetime] = None) -> int:
        """Recompute the stored profile from all events (after a data fix); returns how many."""
        with session_scope(self.db) as session:
            return self._refresh(session, int(customer_id), self._now(now), full=True)[1]

    def refresh_all(self, progress: bool = False, now: Optional[datetime] = None) -> int:
        """Bring every customer's stored profile up to date; returns the events applied."""
        with session_scope(self.db) as session:
            ids = list(session.execute(select(Customer.id).order_by(Customer.id)).scalars())
        iterator: Iterable[int] = ids
        if progress:
            from tqdm import tqdm

            iterator = tqdm(ids, desc="profiles", unit="customer")
        return sum(self.refresh(cid, now=now) for cid in iterator)

    def _refresh(self, session, customer_id: int, now: datetime,
                 full: bool = False) -> Tuple[Dict[str, Any], int, Optional[datetime]]:
        model = self._sentiment()
        version = self.builder.version(model)
        stored = store.load_profile(session, customer_id)
        fresh = full or stored is None or stored[3] != version
        if fresh:
            state, last, reference = empty_state(), None, None
        else:
            state, last, reference, _ = stored
            state = copy.deepcopy(state)
        pairs = load_events_after(session, customer_id, last)
        if pairs or fresh:
            reference = self.builder.apply(state, reference, [e for _, e in pairs], model)
            last = max([i for i, _ in pairs] + [last or 0])
            store.save_profile(session, customer_id, state, last, reference, version, now)
        return state, len(pairs), reference

    # ------------------------------------------------------------------- building a Profile
    def _customer_profile(self, customer_id: int, conversation_id: Optional[str], now: datetime) -> Profile:
        with session_scope(self.db) as session:
            state, _, reference = self._refresh(session, customer_id, now)
            preferences = store.list_preferences(session, customer_id)
            moods = store.list_moods(session, customer_id, limit=TREND_SESSIONS)
            consent = store.load_consent(session, customer_id)
            orders = read_orders(session, customer_id)
        factor = self.config.decay(reference, now) if reference is not None else 1.0

        def decayed(table: Dict[str, float]) -> Dict[str, float]:
            return dict(sorted(((k, round(v * factor, 6)) for k, v in table.items()), key=lambda kv: (-kv[1], kv[0])))

        aspects = {aspect: AspectOpinion(int(count), round(total / count, 4))
                   for aspect, (count, total) in sorted(state["aspects"].items()) if count}
        reviews, review_sum = state["reviews"]
        return Profile(
            customer_id=customer_id, conversation_id=conversation_id, personalized=True,
            consent=consent[0] if consent is not None else default_consent(),
            consent_updated_at=consent[1] if consent is not None else None, as_of=now,
            category_affinity=decayed(state["cat"]), brand_affinity=decayed(state["brand"]),
            price_band=price_band(state["all_prices"]),
            category_price_bands={c: price_band(p) for c, p in sorted(state["prices"].items()) if p},
            owned=self._owned(state, orders), favourites=tuple(state["favourites"]),
            recent_views=tuple(state["recent"]), recent_searches=tuple(state["searches"]),
            aspects=aspects, review_count=int(reviews),
            review_sentiment=round(review_sum / reviews, 4) if reviews else None,
            preferences=tuple(preferences), conversations=tuple(moods), sentiment_trend=_trend(moods),
            event_count=int(state["events"]),
        )

    @staticmethod
    def _owned(state: Dict[str, Any], orders) -> Tuple[OwnedProduct, ...]:
        """Purchases (behaviour log and the shop's orders) minus what went back to the shop."""
        since: Dict[str, Tuple[datetime, str]] = {}
        returned = set()
        for order in orders:
            if order.status == "cancelled":
                continue
            for pid in order.items:
                if pid not in since or order.placed_at < since[pid][0]:
                    since[pid] = (order.placed_at, "order")
            returned.update(order.returned)
        for pid, at in state["purchases"]:
            moment = datetime.fromisoformat(at)
            if pid not in since:
                since[pid] = (moment, "event")
        owned = [OwnedProduct(pid, at, source) for pid, (at, source) in since.items() if pid not in returned]
        return tuple(sorted(owned, key=lambda o: (o.since, o.product_id)))

    def _session_profile(self, conversation_id: Optional[str], now: datetime) -> Profile:
        state: Dict[str, Any] = {}
        if conversation_id:
            with session_scope(self.db) as session:
                state = store.load_session_state(session, conversation_id, now)
        preferences = tuple(StatedPreference(**{**p, "updated_at": datetime.fromisoformat(p["updated_at"])})
                            for p in state.get("preferences", []))
        moods = [ConversationMood(conversation_id or "", sid, round(total / max(1, turns), 4), turns,
                                  datetime.fromisoformat(started))
                 for sid, (total, turns, started) in state.get("moods", {}).items()]
        moods.sort(key=lambda m: m.started_at)
        return Profile(customer_id=None, conversation_id=conversation_id, personalized=False, consent=False,
                       as_of=now, preferences=preferences, conversations=tuple(moods), sentiment_trend=_trend(moods))

    # ------------------------------------------------------------------ stated preferences
    def _resolve_brand(self, value: str) -> str:
        text = (value or "").strip().lower()
        for brand in self.catalog.brands:
            if text in [brand.id.lower(), brand.name.lower()] + [a.lower() for a in brand.aliases]:
                return brand.id
        raise PreferenceError(f"unknown brand {value!r}")

    def _resolve_category(self, value: str) -> str:
        text = (value or "").strip().lower()
        for category in self.catalog.categories:
            names = [category.id.lower(), category.name.lower(), (category.singular or "").lower(),
                     category.id.replace("_", " ").lower()] + [s.lower() for s in category.synonyms]
            if text in names:
                return category.id
        raise PreferenceError(f"unknown category {value!r}")

    def _resolve_attribute(self, value: str) -> str:
        key, _, wanted = (value or "").partition("=")
        key = key.strip().lower()
        for spec in self.catalog.attributes.values():
            if key in (spec.key.lower(), spec.label.lower()):
                if spec.type == "bool":
                    wanted = wanted.strip().lower() or "true"
                    if wanted not in _TRUE + _FALSE:
                        raise PreferenceError(f"{spec.label} is yes or no, got {wanted!r}")
                    wanted = "true" if wanted in _TRUE else "false"
                elif not wanted.strip():
                    raise PreferenceError(f"say which {spec.label.lower()} (e.g. {spec.key}=...)")
                return f"{spec.key}={wanted.strip().lower()}"
        raise PreferenceError(f"unknown attribute {value!r}")

    def _preference(self, kind: str, value: str, polarity: str, category: Optional[str],
                    amount_min: Optional[float], amount_max: Optional[float], now: datetime) -> StatedPreference:
        if kind not in PREFERENCE_KINDS:
            raise PreferenceError(f"unknown preference kind {kind!r} (expected one of {', '.join(PREFERENCE_KINDS)})")
        if polarity not in POLARITIES:
            raise PreferenceError(f"polarity must be like or dislike, got {polarity!r}")
        scope = self._resolve_category(category) if category else ""
        if kind == "budget":
            low = float(amount_min) if amount_min is not None else None
            high = float(amount_max) if amount_max is not None else None
            if low is None and high is None:
                raise PreferenceError("a budget needs an amount")
            if (low is not None and low < 0) or (high is not None and high < 0) or (
                    low is not None and high is not None and low > high):
                raise PreferenceError(f"a budget from {low} to {high} is not a range")
            return StatedPreference("budget", "", "like", scope, low, high, now)
        resolved = {"brand": self._resolve_brand, "category": self._resolve_category,
                    "attribute": self._resolve_attribute}[kind](value)
        return StatedPreference(kind, resolved, polarity, scope if kind != "category" else "", None, None, now)

    def state_preference(self, kind: str, value: str = "", polarity: str = "like",
                         customer_id: Optional[int] = None, conversation_id: Optional[str] = None,
                         category: Optional[str] = None, amount_min: Optional[float] = None,
                         amount_max: Optional[float] = None, now: Optional[datetime] = None) -> StatedPreference:
        """Remember what the shopper said (``inform_preference``) and return it normalized to
        catalog ids, for the confirmation. A customer with consent keeps it across sessions;
        otherwise it lasts for the conversation. Raises ``PreferenceError`` with a reason the
        reply can show when the catalog has no such brand, category or attribute."""
        moment = self._now(now)
        preference = self._preference(kind, value, polarity, category, amount_min, amount_max, moment)
        if self._personal(customer_id):
            with session_scope(self.db) as session:
                store.upsert_preference(session, customer_id, preference, moment)
            return preference
        if not conversation_id:
            raise ValueError("an anonymous shopper's preference needs the conversation id")
        def replace(state: Dict[str, Any]) -> None:
            kept = [p for p in state.get("preferences", [])
                    if (p["kind"], p["value"], p["category"]) != (preference.kind, preference.value, preference.category)]
            state["preferences"] = kept + [{**preference.__dict__, "updated_at": moment.isoformat()}]

        self._update_session(conversation_id, moment, replace)
        return preference

    def forget_preference(self, kind: str, value: str = "", customer_id: Optional[int] = None,
                          conversation_id: Optional[str] = None, category: Optional[str] = None) -> bool:
        """Drop a stated preference ("I don't mind Apple any more"); True if there was one."""
        probe = self._preference(kind, value, "like", category, 0 if kind == "budget" else None, None, self._now(None))
        if self._personal(customer_id):
            with session_scope(self.db) as session:
                return store.remove_preference(session, customer_id, probe.kind, probe.value, probe.category)
        if not conversation_id:
            return False
        removed = []

        def drop(state: Dict[str, Any]) -> None:
            kept = [p for p in state.get("preferences", [])
                    if (p["kind"], p["value"], p["category"]) != (probe.kind, probe.value, probe.category)]
            removed.append(len(kept) != len(state.get("preferences", [])))
            state["preferences"] = kept

        self._update_session(conversation_id, self._now(None), drop)
        return bool(removed and removed[0])

    def _update_session(self, conversation_id: str, now: datetime, change: Callable[[Dict[str, Any]], None]) -> None:
        with session_scope(self.db) as session:
            state = store.load_session_state(session, conversation_id, now)
            change(state)
            store.save_session_state(session, conversation_id, state, now, self._ttl)

    # ---------------------------------------------------------------- conversation moods
    def record_conversation_sentiment(self, conversation_id: str, score: float, customer_id: Optional[int] = None,
                                      session_id: str = "", now: Optional[datetime] = None) -> None:
        """Add one turn's sentiment (-1..1, e.g. the NLU's ``sentiment`` mapped to a signed score)
        to this conversation session's mean; the profile's ``sentiment_trend`` follows the sessions."""
        moment = self._now(now)
        score = max(-1.0, min(1.0, float(score)))
        if self._personal(customer_id):
            with session_scope(self.db) as session:
                store.add_mood(session, customer_id, conversation_id, session_id or "", score, moment)
            return

        def add(state: Dict[str, Any]) -> None:
            moods = state.setdefault("moods", {})
            total, turns, started = moods.get(session_id or "", (0.0, 0, moment.isoformat()))
            moods[session_id or ""] = (total + score, turns + 1, started)

        self._update_session(conversation_id, moment, add)

    # -------------------------------------------------------------------------- privacy
    def _name(self, kind: str, value: str) -> str:
        if kind == "brand":
            brand = self.catalog.brand(value)
            return brand.name if brand else value
        if kind == "category":
            category = self.catalog.category(value)
            return category.name if category else value
        if kind == "product":
            product = self.catalog.product(value)
            return product.display_name if product else value
        if kind == "attribute":
            key, _, wanted = value.partition("=")
            spec = self.catalog.attributes.get(key)
            label = spec.label if spec else key
            return label if wanted == "true" else f"no {label.lower()}" if wanted == "false" else f"{label}: {wanted}"
        return value

    def _money(self, amount: Optional[float]) -> str:
        currency = (self.catalog.shop or {}).get("currency", "USD")
        symbol = {"USD": "$", "CAD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
        return f"{symbol}{amount:,.0f}" if amount is not None and float(amount).is_integer() else f"{symbol}{amount:,.2f}"

    def describe_preference(self, preference: StatedPreference) -> str:
        """A short phrase for confirmations and summaries: "likes Brooks", "budget under $150 for running shoes"."""
        scope = ""
        if preference.category:
            scope = f" for {self._name('category', preference.category).lower()}"
        if preference.kind == "budget":
            low, high = preference.amount_min, preference.amount_max
            if low is not None and high is not None:
                amount = f"between {self._money(low)} and {self._money(high)}"
            elif high is not None:
                amount = f"under {self._money(high)}"
            else:
                amount = f"over {self._money(low)}"
            return f"budget {amount}{scope}"
        verb = "likes" if preference.polarity == "like" else "avoids"
        return f"{verb} {self._name(preference.kind, preference.value)}{scope}"

    def summary(self, profile: Profile) -> Dict[str, Any]:
        """What is held, readable: top affinities and owned products with names, stated
        preferences, consent; ``lines`` says it in sentences for a reply."""
        def shares(table: Dict[str, float], kind: str) -> List[Dict[str, Any]]:
            positive = {k: v for k, v in table.items() if v > 0}
            total = sum(positive.values()) or 1.0
            return [{"id": k, "name": self._name(kind, k), "share": round(v / total, 3)}
                    for k, v in list(positive.items())[:5]]

        categories = shares(profile.category_affinity, "category")
        brands = shares(profile.brand_affinity, "brand")
        owned = [{"id": o.product_id, "name": self._name("product", o.product_id), "since": o.since.date().isoformat()}
                 for o in profile.owned]
        preferences = [{"kind": p.kind, "value": p.value, "polarity": p.polarity, "category": p.category or None,
                        "min": p.amount_min, "max": p.amount_max, "text": self.describe_preference(p)}
                       for p in profile.preferences]
        band = profile.price_band
        aspects = [{"aspect": a, "name": self.builder.vocabulary.name(a), "mentions": o.mentions,
                    "sentiment": o.sentiment} for a, o in sorted(profile.aspects.items(), key=lambda kv: -kv[1].mentions)]
        lines = []
        if categories:
            lines.append("You shop most for " + ", ".join(c["name"].lower() for c in categories[:3]) + ".")
        if brands:
            lines.append("Brands you look at most: " + ", ".join(b["name"] for b in brands[:3]) + ".")
        if owned:
            lines.append("You own: " + ", ".join(o["name"] for o in owned[-5:]) + ".")
        if preferences:
            lines.append("You told me: " + "; ".join(p["text"] for p in preferences) + ".")
        lines.append("Personalization is " + ("on." if profile.consent else "off."))
        return {
            "customer_id": profile.customer_id,
            "personalized": profile.personalized,
            "consent": {"personalization": profile.consent, "updated_at": _iso(profile.consent_updated_at)},
            "top_categories": categories,
            "top_brands": brands,
            "price_band": ({"median": band.median, "low": band.low, "high": band.high,
                            "text": f"usually {self._money(band.low)}–{self._money(band.high)}"} if band else None),
            "owned_products": owned,
            "favourites": [{"id": pid, "name": self._name("product", pid)} for pid in profile.favourites],
            "stated_preferences": preferences,
            "review_aspects": aspects,
            "review_count": profile.review_count,
            "conversation_mood": {"sessions": len(profile.conversations), "trend": profile.mood},
            "events": profile.event_count,
            "lines": lines,
        }

    def export(self, customer_id: int, now: Optional[datetime] = None) -> Dict[str, Any]:
        """Everything held about the customer, JSON-able (for a download or ``rasa shell``)."""
        moment = self._now(now)
        profile = self.stored(customer_id, now=moment)
        with session_scope(self.db) as session:
            customer = session.get(Customer, int(customer_id))
            if customer is None:
                raise ValueError(f"no customer with id {customer_id}")
            moods = session.execute(select(ConversationSentimentRow).where(
                ConversationSentimentRow.customer_id == int(customer_id)).order_by(
                ConversationSentimentRow.started_at)).scalars().all()
            person = {"id": customer.id, "name": customer.name, "email": customer.email,
                      "created_at": _iso(customer.created_at)}
            conversations = [{"conversation_id": m.conversation_id, "session_id": m.session_id,
                              "mean_sentiment": round(m.score_sum / max(1, m.turns), 4), "turns": m.turns,
                              "started_at": _iso(m.started_at)} for m in moods]
        events = [{"event": e.kind, "product": e.product_id, "timestamp": _iso(e.at), "query": e.query,
                   "text": e.text, "rating": e.rating} for e in load_events(self.db, customer_id=int(customer_id))]
        orders = [{"id": o.id, "status": o.status, "placed_at": _iso(o.placed_at), "items": list(o.items),
                   "returned": list(o.returned)} for o in read_orders(self.db, int(customer_id))]
        from bot.privacy.marketing import read_marketing

        return {
            "exported_at": moment.isoformat(),
            "customer": person,
            "consent": {"personalization": profile.consent, "updated_at": _iso(profile.consent_updated_at),
                        "default": default_consent(),
                        "marketing": read_marketing(self.db, customer_id).to_json()},
            "profile": {
                **self.summary(profile),
                "category_affinity": profile.category_affinity,
                "brand_affinity": profile.brand_affinity,
                "category_price_bands": {c: b.__dict__ for c, b in profile.category_price_bands.items()},
                "recent_views": list(profile.recent_views),
                "recent_searches": list(profile.recent_searches),
                "review_sentiment": profile.review_sentiment,
                "sentiment_trend": profile.sentiment_trend,
            },
            "stated_preferences": [{**p.__dict__, "updated_at": _iso(p.updated_at)} for p in profile.preferences],
            "behaviour_events": events,
            "conversation_sentiment": conversations,
            "orders": orders,
            "orders_note": "Orders are kept: the shop must keep them for accounting and warranty.",
        }

    def delete(self, customer_id: int, conversation_ids: Iterable[str] = ()) -> Dict[str, int]:
        """Delete the profile, behaviour events and review texts, stated preferences and
        conversation moods (and these conversations' session profiles), and the marketing
        choice (offers are then off, the default); rows removed per table. Orders and the
        personalization choice stay."""
        from bot.privacy.marketing import forget_marketing

        with session_scope(self.db) as session:
            counts = store.delete_customer_data(session, customer_id, tuple(conversation_ids))
        counts["marketing_consent"] = forget_marketing(self.db, customer_id)
        return counts


def signed_sentiment(sentiment: Optional[Dict[str, Any]]) -> float:
    """The NLU's ``{"label", "score"}`` (``tracker.latest_message["sentiment"]``) as -1..1."""
    if not sentiment:
        return 0.0
    score = float(sentiment.get("score") or 0.0)
    label = sentiment.get("label")
    return score if label == "positive" else -score if label == "negative" else 0.0


def shared_profiles() -> ProfileService:
    """The action server's ProfileService (``shared_services().profiles``: one per process)."""
    from bot.services import shared_services

    return shared_services().profiles
