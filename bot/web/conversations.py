"""Read Rasa's SQL tracker store into conversation summaries and transcripts for staff.

Rasa 3.6's ``SQLTrackerStore`` keeps one row per event in the ``events`` table
(id, sender_id, type_name, timestamp, intent_name, action_name, data = the event as
JSON). Reading the table directly (read-only, through ``bot.web.store.TrackerEvents``)
lets the console list and filter every conversation without loading a
``DialogueStateTracker`` per sender, and works in any process (CLI exports too). Where
is the database: the Rasa server's own tracker store engine when the console runs
inside it, else ``SHOPBOT_TRACKER_DB``, else the ``db`` of the SQL tracker store in
``endpoints.yml``, else ``var/conversations.db``. Intent and action names come from
``bot.names``.

A bot turn that recommended products lists them with their source and reason, and the
turn an action used the shopper's profile at carries that profile's summary (the
``profile_used`` slot, ``bot.web.recommendations``): on the bot reply of that action, or,
when the action said nothing itself, on the turn that follows.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set

from sqlalchemy.engine import Engine

from bot import names
from bot.web.recommendations import PROFILE_SLOT, profile_used, recommendations_in
from bot.web.store import TrackerEvents, tracker_db_path, tracker_engine_of  # noqa: F401 (re-exported)

LOW_CONFIDENCE = 0.6


@dataclass
class Turn:
    """One message of a transcript: the shopper's (``user``), the bot's, or an agent's."""

    kind: str
    text: str
    timestamp: float
    event_id: int = 0
    intent: Optional[str] = None
    confidence: Optional[float] = None
    entities: List[Dict[str, Any]] = field(default_factory=list)
    sentiment: Optional[Dict[str, Any]] = None
    action: Optional[str] = None
    source: Optional[str] = None  # template | generator | agent (bot turns)
    agent: Optional[str] = None
    buttons: List[Dict[str, Any]] = field(default_factory=list)
    custom: Optional[Dict[str, Any]] = None
    slots: Dict[str, Any] = field(default_factory=dict)
    # bot turns: the recommended products with source and reason (``Recommendation.as_dict``)
    recommendations: List[Dict[str, Any]] = field(default_factory=list)
    # the profile an action used for this turn (``ProfileUsed.as_dict`` and ``set_by``: the action)
    profile: Optional[Dict[str, Any]] = None
    # bot turns: how the reply was served (``{"path": generated|fallback|template, "reason",
    # "violations"}``, from the bot message's metadata); None for messages that predate it
    reply: Optional[Dict[str, Any]] = None

    @property
    def reply_badge(self) -> Optional[str]:
        """The console's badge: "generated", "template" or "fallback (why)"."""
        return reply_badge(self.reply)

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, tz=timezone.utc)

    def as_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["reply_badge"] = self.reply_badge
        return data


REPLY_PATHS = ("generated", "fallback", "template")


def reply_record(metadata: Any) -> Optional[Dict[str, Any]]:
    """How a bot message was served, from its metadata (``{"shopbot": {"reply": ...}}``, set
    by the action server's ``bot.dialogue.replies`` or the NLG's ``bot.web.nlg``); only
    the known fields, so nothing else of the metadata reaches the page."""
    shopbot = metadata.get("shopbot") if isinstance(metadata, dict) else None
    reply = shopbot.get("reply") if isinstance(shopbot, dict) else None
    if not isinstance(reply, dict) or reply.get("path") not in REPLY_PATHS:
        return None
    violations = reply.get("violations") if isinstance(reply.get("violations"), list) else []
    seconds = reply.get("seconds")
    return {"path": reply["path"], "reason": str(reply.get("reason") or "")[:80],
            "violations": [str(v)[:200] for v in violations[:5]],
            "seconds": float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None}


def reply_badge(reply: Optional[Dict[str, Any]]) -> Optional[str]:
    if not reply:
        return None
    if reply["path"] == "fallback":
        return f"fallback ({reply.get('reason') or 'unknown'})"
    return reply["path"]


@dataclass
class Summary:
    sender_id: str
    started: datetime
    last_activity: datetime
    channel: Optional[str]
    turns: int
    min_confidence: Optional[float]
    negative: bool
    fallback: bool
    handoff: bool
    intents: List[str]
    customer_email: Optional[str]
    paused: bool
    texts: List[str] = field(default_factory=list, repr=False)
    # Why the conversation needs a person although nobody asked: "negative sentiment twice
    # in a row" or "three fallbacks"; None when it doesn't.
    escalation: Optional[str] = None
    # How its bot messages were served: "generated", "template", "fallback:<why>" -> count
    wording: Dict[str, int] = field(default_factory=dict)

    @property
    def worded_fallbacks(self) -> int:
        """Replies the generator tried whose template was sent instead (any reason)."""
        return sum(n for key, n in self.wording.items() if key.startswith("fallback"))

    def as_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data.pop("texts")
        data["started"] = self.started.isoformat()
        data["last_activity"] = self.last_activity.isoformat()
        return data


@dataclass
class Conversation:
    summary: Summary
    turns: List[Turn]

    def as_dict(self) -> Dict[str, Any]:
        return {**self.summary.as_dict(), "messages": [t.as_dict() for t in self.turns]}


@dataclass
class Filters:
    """What the staff list can narrow down to; ``None`` means "don't care"."""

    since: Optional[date] = None
    until: Optional[date] = None
    channel: Optional[str] = None
    negative: Optional[bool] = None
    fallback: Optional[bool] = None
    handoff: Optional[bool] = None
    intent: Optional[str] = None
    low_confidence: Optional[bool] = None
    threshold: float = LOW_CONFIDENCE
    wording_fallback: Optional[bool] = None  # a reply the generator tried fell back to its template
    feedback: Optional[bool] = None
    reviewed: Optional[bool] = None
    customer: Optional[str] = None
    q: Optional[str] = None


class ConversationReader:
    """Conversations folded from the events ``TrackerEvents`` reads (``bot.web.store``)."""

    def __init__(self, engine: Optional[Engine] = None, path: Optional[Path] = None) -> None:
        self.events = TrackerEvents(engine=engine, path=path)
        self.engine = self.events.engine

    def _rows(self, sender_id: Optional[str] = None, since: Optional[float] = None) -> List[Any]:
        return self.events.rows(sender_id=sender_id, since=since)

    def conversations(self, since: Optional[float] = None) -> List[Conversation]:
        grouped: Dict[str, List[Any]] = {}
        for row in self._rows(since=since):
            grouped.setdefault(row.sender_id, []).append(row)
        found = [build(sender, rows) for sender, rows in grouped.items()]
        found = [c for c in found if c is not None]
        return sorted(found, key=lambda c: c.summary.last_activity, reverse=True)

    def summaries(self, since: Optional[float] = None) -> List[Summary]:
        return [c.summary for c in self.conversations(since)]

    def conversation(self, sender_id: str) -> Optional[Conversation]:
        return build(sender_id, self._rows(sender_id=sender_id))

    def new_turns(self, sender_id: str, after_event_id: int) -> List[Turn]:
        conversation = self.conversation(sender_id)
        if conversation is None:
            return []
        return [t for t in conversation.turns if t.event_id > after_event_id]


def build(sender_id: str, rows: Iterable[Any]) -> Optional[Conversation]:
    """Fold the event rows of one sender into its summary and transcript."""
    turns: List[Turn] = []
    slots: Dict[str, Any] = {}
    last_action: Optional[str] = None
    action_start = 0  # index in ``turns`` of the first turn the current action said
    pending_profile: Optional[Dict[str, Any]] = None  # set by an action that said nothing
    stamps: List[float] = []
    channel = None
    intents: List[str] = []
    confidences: List[float] = []
    negative = fallback = handoff = paused = False
    negative_run = max_negative_run = fallbacks = 0
    wording: Dict[str, int] = {}
    for row in rows:
        try:
            event = json.loads(row.data)
        except (TypeError, ValueError):
            continue
        kind = event.get("event") or row.type_name
        stamp = float(event.get("timestamp") or row.timestamp or 0.0)
        stamps.append(stamp)
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name")
            confidence = (parse.get("intent") or {}).get("confidence")
            sentiment = parse.get("sentiment") if isinstance(parse.get("sentiment"), dict) else None
            channel = event.get("input_channel") or channel
            if intent:
                if intent not in intents:
                    intents.append(intent)
                fallback |= intent in names.FALLBACK_INTENTS
                handoff |= intent in names.HANDOFF_INTENTS
            if isinstance(confidence, (int, float)):
                confidences.append(float(confidence))
            if sentiment and str(sentiment.get("label", "")).lower() == "negative":
                negative = True
                negative_run += 1
                max_negative_run = max(max_negative_run, negative_run)
            elif sentiment:
                negative_run = 0
            if intent in names.FALLBACK_INTENTS:
                fallbacks += 1
            turns.append(Turn("user", event.get("text") or "", stamp, row.id, intent=intent,
                              confidence=confidence, entities=list(parse.get("entities") or []),
                              sentiment=sentiment, slots=dict(slots), profile=pending_profile))
            pending_profile = None
            last_action = None
            action_start = len(turns)
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            data = event.get("data") or {}
            if metadata.get("from") == "agent":
                turns.append(Turn("agent", event.get("text") or "", stamp, row.id, source="agent",
                                  agent=metadata.get("agent"), slots=dict(slots)))
                continue
            served = reply_record(metadata)
            if served is not None:
                key = served["path"] if served["path"] != "fallback" else f"fallback:{served['reason'] or 'unknown'}"
                wording[key] = wording.get(key, 0) + 1
            generated = (metadata.get("source") == "generator" or bool(metadata.get("generated"))
                         or (served is not None and served["path"] == "generated"))
            custom = data.get("custom") if isinstance(data.get("custom"), dict) else None
            turns.append(Turn("bot", event.get("text") or "", stamp, row.id, action=last_action,
                              source="generator" if generated else "template",
                              buttons=list(data.get("buttons") or []), custom=custom, slots=dict(slots),
                              recommendations=[r.as_dict() for r in recommendations_in(custom)],
                              profile=pending_profile, reply=served))
            pending_profile = None
        elif kind == "action":
            last_action = event.get("name")
            action_start = len(turns)
            fallback |= last_action in names.FALLBACK_ACTIONS
            handoff |= last_action in names.HANDOFF_ACTIONS
        elif kind == "slot":
            slots[event.get("name")] = event.get("value")
            used = profile_used(event.get("value")) if event.get("name") == PROFILE_SLOT else None
            if used is not None:
                # Rasa stores an action's messages before the events it returned: the
                # profile belongs to the first reply of this action, if it said anything
                summary = {**used.as_dict(), "set_by": last_action}
                said = next((t for t in turns[action_start:] if t.kind == "bot"), None)
                if said is not None:
                    said.profile = summary
                else:
                    pending_profile = summary
        elif kind == "reset_slots":
            slots = {}
        elif kind == "pause":
            paused = True
        elif kind in ("resume", "restart"):
            paused = False
            if kind == "restart":
                slots = {}
    if not stamps:
        return None
    if pending_profile is not None and turns:
        turns[-1].profile = turns[-1].profile or pending_profile  # nothing followed: the last turn
    email = slots.get("email") if slots.get("verified_order") else None
    summary = Summary(
        sender_id=sender_id,
        started=_utc(min(stamps)),
        last_activity=_utc(max(stamps)),
        channel=channel,
        turns=sum(1 for t in turns if t.kind == "user"),
        min_confidence=min(confidences) if confidences else None,
        negative=negative,
        fallback=fallback,
        handoff=handoff,
        intents=intents,
        customer_email=email if isinstance(email, str) else None,
        paused=paused,
        texts=[t.text for t in turns],
        escalation=escalation_reason(max_negative_run, fallbacks),
        wording=wording,
    )
    return Conversation(summary, turns)


ESCALATE_NEGATIVE_RUN = 2
ESCALATE_FALLBACKS = 3


def escalation_reason(negative_run: int, fallbacks: int) -> Optional[str]:
    """The issue's rule: negative sentiment twice in a row, or three fallbacks."""
    if negative_run >= ESCALATE_NEGATIVE_RUN:
        return "negative sentiment twice in a row"
    if fallbacks >= ESCALATE_FALLBACKS:
        return "three fallbacks"
    return None


def _utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=timezone.utc)


def apply_filters(summaries: Iterable[Summary], filters: Filters, reviewed: Optional[Set[str]] = None,
                  with_feedback: Optional[Set[str]] = None) -> List[Summary]:
    """Keep the summaries matching every filter that is set."""
    reviewed = reviewed or set()
    with_feedback = with_feedback or set()
    kept = []
    for s in summaries:
        if filters.since and s.last_activity.date() < filters.since:
            continue
        if filters.until and s.started.date() > filters.until:
            continue
        if filters.channel and (s.channel or "") != filters.channel:
            continue
        if filters.negative is not None and s.negative != filters.negative:
            continue
        if filters.fallback is not None and s.fallback != filters.fallback:
            continue
        if filters.handoff is not None and s.handoff != filters.handoff:
            continue
        if filters.wording_fallback is not None and (s.worded_fallbacks > 0) != filters.wording_fallback:
            continue
        if filters.intent and filters.intent not in s.intents:
            continue
        if filters.low_confidence is not None:
            low = s.min_confidence is not None and s.min_confidence < filters.threshold
            if low != filters.low_confidence:
                continue
        if filters.feedback is not None and (s.sender_id in with_feedback) != filters.feedback:
            continue
        if filters.reviewed is not None and (s.sender_id in reviewed) != filters.reviewed:
            continue
        if filters.customer and filters.customer.lower() not in (s.customer_email or "").lower():
            continue
        if filters.q:
            needle = filters.q.lower()
            if needle not in s.sender_id.lower() and not any(needle in t.lower() for t in s.texts):
                continue
        kept.append(s)
    return kept
