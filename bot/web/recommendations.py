"""What the assistant recommended, with which profile, and how shoppers responded.

The action server says it in the conversation itself, so the staff console reads it
back from Rasa's events, like everything else it shows:

- a recommendation reply is a bot message whose custom payload holds
  ``{"products": [card, ...], "recommendations": [{"product_id", "source", "reason"}, ...]}``
  (each card also carries its ``source`` and ``reason``);
- a turn where an action used the shopper's profile sets the slot ``profile_used`` to a
  small summary of it (no personal data: categories, brands, a price band, counts).

``recommendations_in`` and ``profile_used`` read those two shapes defensively (anything
missing or odd is left out, never an error page); ``click_through`` puts the
recommendations shown next to the product card clicks the widget recorded
(``bot.web.store.WebStore``) into impressions, clicks and click-through per source.
"""

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot.web.store import RECOMMENDATION_SOURCES, TrackerEvents, WebStore, recommendation_source

PROFILE_SLOT = "profile_used"
SOURCE_LABELS = {"graph": "graph", "co_purchase": "co-purchase", "embedding": "embedding",
                 "learned": "learned", "popular": "popular"}
UNKNOWN_SOURCE = "unknown"
# what the transcript shows of a profile's lists (the slot is small, but never trusted to be)
MAX_LISTED = 8
MAX_TEXT = 200


def source_label(source: Optional[str]) -> str:
    """``co_purchase`` -> ``co-purchase``; anything not a recommendation source -> ``unknown``."""
    return SOURCE_LABELS.get(source or "", UNKNOWN_SOURCE)


def _text(value: Any) -> Optional[str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:MAX_TEXT]


def _texts(value: Any) -> List[str]:
    items = value if isinstance(value, (list, tuple)) else []
    return [text for text in (_text(item) for item in items) if text][:MAX_LISTED]


# --- recommendation replies ------------------------------------------------------------------
@dataclass
class Recommendation:
    """One recommended product of a reply, with the card's name and price where it has them."""

    product_id: str
    source: str  # one of RECOMMENDATION_SOURCES, or "unknown"
    reason: str = ""
    name: Optional[str] = None
    price_text: Optional[str] = None

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    def as_dict(self) -> Dict[str, Any]:
        return {**asdict(self), "source_label": self.source_label}


def recommendations_in(custom: Any) -> List[Recommendation]:
    """The recommendations of a bot message's custom payload, in their order ([] if none).

    The payload's ``recommendations`` list is the authority; a payload that has only cards
    with ``source``/``reason`` is read from its cards. Cards add the product's name and price.
    """
    if not isinstance(custom, dict):
        return []
    cards = {str(card.get("id")): card for card in custom.get("products") or []
             if isinstance(card, dict) and card.get("id") is not None}
    listed = custom.get("recommendations")
    if isinstance(listed, list):
        entries = [(item.get("product_id"), item) for item in listed if isinstance(item, dict)]
    else:
        entries = [(card_id, card) for card_id, card in cards.items() if "source" in card or "reason" in card]
    found: List[Recommendation] = []
    for product_id, entry in entries:
        product_id = _text(product_id)
        if product_id is None:
            continue
        card = cards.get(product_id, {})
        source = recommendation_source(entry.get("source")) or recommendation_source(card.get("source"))
        found.append(Recommendation(
            product_id=product_id,
            source=source or UNKNOWN_SOURCE,
            reason=_text(entry.get("reason")) or _text(card.get("reason")) or "",
            name=_text(card.get("name")),
            price_text=_text(card.get("price_text")),
        ))
    return found


# --- the profile a turn used ------------------------------------------------------------------
@dataclass
class ProfileUsed:
    """The ``profile_used`` slot as the console shows it."""

    personalized: bool = False
    consent: bool = False
    signed_in: bool = False
    source: str = "none"  # profile (saved) | session (this conversation only) | none
    top_categories: List[str] = field(default_factory=list)
    top_brands: List[str] = field(default_factory=list)
    price_band: Optional[str] = None
    owned: int = 0
    preferences: List[str] = field(default_factory=list)

    @property
    def why(self) -> str:
        """``Personalized: signed in, consent given, saved profile`` and the like."""
        basis = {"profile": "saved profile", "session": "this session only", "none": "no profile"}
        parts = ["signed in" if self.signed_in else "anonymous",
                 "consent given" if self.consent else "no consent",
                 basis.get(self.source, self.source)]
        return f"{'Personalized' if self.personalized else 'Not personalized'}: {', '.join(parts)}"

    def as_dict(self) -> Dict[str, Any]:
        return {**asdict(self), "why": self.why}


def profile_used(value: Any) -> Optional[ProfileUsed]:
    """The slot's value (an object, or the same as a JSON string) read; None when unset or unreadable."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    owned = value.get("owned")
    if isinstance(owned, (list, tuple)):
        owned = len(owned)
    source = _text(value.get("source")) or "none"
    return ProfileUsed(
        personalized=value.get("personalized") is True,
        consent=value.get("consent") is True,
        signed_in=value.get("signed_in") is True,
        source=source if source in ("profile", "session", "none") else "none",
        top_categories=_texts(value.get("top_categories")),
        top_brands=_texts(value.get("top_brands")),
        price_band=_text(value.get("price_band")),
        owned=max(0, int(owned)) if isinstance(owned, (int, float)) and not isinstance(owned, bool) else 0,
        preferences=_texts(value.get("preferences")),
    )


# --- click-through per source ----------------------------------------------------------------
@dataclass
class SourceStats:
    """Recommendations of one source shown (impressions) and clicked."""

    source: str
    impressions: int = 0
    clicks: int = 0

    @property
    def label(self) -> str:
        return source_label(self.source)

    @property
    def ctr(self) -> Optional[float]:
        """Clicks per impression; None when nothing of the source was shown."""
        return self.clicks / self.impressions if self.impressions else None


@dataclass
class ClickThrough:
    """Click-through per source (every source, in ``RECOMMENDATION_SOURCES`` order), the
    totals, and the clicks on cards that were no recommendation (``other_clicks``)."""

    sources: List[SourceStats]
    other_clicks: int = 0

    @property
    def impressions(self) -> int:
        return sum(s.impressions for s in self.sources)

    @property
    def clicks(self) -> int:
        return sum(s.clicks for s in self.sources)

    @property
    def ctr(self) -> Optional[float]:
        return self.clicks / self.impressions if self.impressions else None

    def by_source(self) -> Dict[str, SourceStats]:
        return {s.source: s for s in self.sources}


def shown_recommendations(events: TrackerEvents) -> Iterable[Tuple[str, Recommendation]]:
    """``(conversation, recommendation)`` for every recommendation every bot message showed."""
    for row in events.rows(type_name="bot", containing='"recommendations"'):
        try:
            event = json.loads(row.data or "")
        except ValueError:
            continue
        data = event.get("data") if isinstance(event, dict) else None
        for recommendation in recommendations_in((data or {}).get("custom")):
            yield row.sender_id, recommendation


def click_through(events: TrackerEvents, web: WebStore) -> ClickThrough:
    """Impressions (from the tracker store), clicks (from the click log) and their ratio per source.

    A click that named no source (an older widget, another client) counts for the source
    its conversation showed that product with, if it did; else it was a card of another
    kind (a product question's answer) and counts as an ``other`` click.
    """
    stats = {source: SourceStats(source) for source in RECOMMENDATION_SOURCES}
    shown: Dict[Tuple[str, str], str] = {}
    for sender_id, recommendation in shown_recommendations(events):
        if recommendation.source in stats:
            stats[recommendation.source].impressions += 1
            shown[(sender_id, recommendation.product_id)] = recommendation.source  # the latest one
    other = 0
    for source, n in web.clicks_by_source().items():
        if source in stats:
            stats[source].clicks += n
    for click in web.clicks_without_source():
        source = shown.get((click.sender_id, click.product_id))
        if source is None:
            other += 1
        else:
            stats[source].clicks += 1
    return ClickThrough([stats[source] for source in RECOMMENDATION_SOURCES], other)
