"""What reviewers record about conversations: tags, notes, "reviewed", intent corrections.

Corrections are the console's way back into training: each one is a shopper message
and the intent it should have had, exported as Rasa NLU YAML (``version: "3.1"``) that
can be merged into ``nlu_data/``.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Set

import yaml
from sqlalchemy import select

from bot.web.staff.models import ConversationNote, ConversationReview, IntentCorrection, StaffDatabase, utcnow

INTENT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-/]{0,100}$")
TAG = re.compile(r"^[a-z0-9][a-z0-9_\- ]{0,39}$")


@dataclass(frozen=True)
class Review:
    reviewed: bool
    reviewed_by: Optional[str]
    reviewed_at: Optional[datetime]
    tags: List[str]


@dataclass(frozen=True)
class Note:
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Correction:
    sender_id: str
    event_timestamp: float
    text: str
    original_intent: Optional[str]
    corrected_intent: str
    reviewer: str


def get_review(db: StaffDatabase, sender_id: str) -> Review:
    with db.session() as session:
        row = session.get(ConversationReview, sender_id)
        if row is None:
            return Review(False, None, None, [])
        return Review(bool(row.reviewed), row.reviewed_by, row.reviewed_at, _split(row.tags))


def _row(session, sender_id: str) -> ConversationReview:
    row = session.get(ConversationReview, sender_id)
    if row is None:
        row = ConversationReview(sender_id=sender_id, reviewed=False, tags="")
        session.add(row)
    return row


def mark_reviewed(db: StaffDatabase, sender_id: str, reviewer: str, reviewed: bool = True) -> None:
    with db.session() as session:
        row = _row(session, sender_id)
        row.reviewed = reviewed
        row.reviewed_by = reviewer if reviewed else None
        row.reviewed_at = utcnow() if reviewed else None


def reviewed_senders(db: StaffDatabase) -> Set[str]:
    with db.session() as session:
        return set(session.execute(
            select(ConversationReview.sender_id).where(ConversationReview.reviewed.is_(True))).scalars())


def set_tags(db: StaffDatabase, sender_id: str, tags: str) -> List[str]:
    """Replace the tags from comma separated input; invalid ones are dropped."""
    clean = []
    for tag in (tags or "").split(","):
        tag = tag.strip().lower()
        if TAG.match(tag) and tag not in clean:
            clean.append(tag)
    with db.session() as session:
        _row(session, sender_id).tags = ",".join(clean[:20])
    return clean[:20]


def tags_by_sender(db: StaffDatabase) -> Dict[str, List[str]]:
    with db.session() as session:
        return {r.sender_id: _split(r.tags) for r in session.execute(select(ConversationReview)).scalars()}


def add_note(db: StaffDatabase, sender_id: str, author: str, text: str) -> None:
    text = (text or "").strip()
    if text:
        with db.session() as session:
            session.add(ConversationNote(sender_id=sender_id, author=author, text=text[:5000]))


def notes(db: StaffDatabase, sender_id: str) -> List[Note]:
    with db.session() as session:
        rows = session.execute(select(ConversationNote).where(ConversationNote.sender_id == sender_id)
                               .order_by(ConversationNote.created_at, ConversationNote.id)).scalars()
        return [Note(r.author, r.text, r.created_at) for r in rows]


def correct_intent(db: StaffDatabase, sender_id: str, event_timestamp: float, text: str,
                   original_intent: Optional[str], corrected_intent: str, reviewer: str) -> Correction:
    """Record (or replace) the corrected intent of one shopper turn."""
    corrected_intent = (corrected_intent or "").strip()
    if not INTENT_NAME.match(corrected_intent):
        raise ValueError("not a valid intent name")
    with db.session() as session:
        row = session.execute(select(IntentCorrection).where(
            IntentCorrection.sender_id == sender_id,
            IntentCorrection.event_timestamp == event_timestamp)).scalar_one_or_none()
        if row is None:
            row = IntentCorrection(sender_id=sender_id, event_timestamp=event_timestamp)
            session.add(row)
        row.text, row.original_intent = text, original_intent
        row.corrected_intent, row.reviewer = corrected_intent, reviewer
        return Correction(sender_id, event_timestamp, text, original_intent, corrected_intent, reviewer)


def corrections(db: StaffDatabase, sender_id: Optional[str] = None) -> List[Correction]:
    with db.session() as session:
        query = select(IntentCorrection).order_by(IntentCorrection.corrected_intent, IntentCorrection.id)
        if sender_id is not None:
            query = query.where(IntentCorrection.sender_id == sender_id)
        return [Correction(r.sender_id, r.event_timestamp, r.text, r.original_intent, r.corrected_intent,
                           r.reviewer) for r in session.execute(query).scalars()]


class _Literal(str):
    """A string YAML writes as a ``|`` block, as Rasa's own NLU files are."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def corrections_yaml(items: List[Correction]) -> str:
    """The corrections as Rasa NLU training data (one ``- intent`` block per intent)."""
    by_intent: Dict[str, List[str]] = {}
    for item in items:
        example = " ".join((item.text or "").split())  # one line per example
        if example and example not in by_intent.setdefault(item.corrected_intent, []):
            by_intent[item.corrected_intent].append(example)
    nlu = [{"intent": intent, "examples": _Literal("".join(f"- {e}\n" for e in examples))}
           for intent, examples in sorted(by_intent.items()) if examples]
    header = "# Intent corrections from the staff console; merge into nlu_data/.\n"
    return header + yaml.dump({"version": "3.1", "nlu": nlu}, Dumper=_Dumper, sort_keys=False,
                              allow_unicode=True)


def _split(tags: Optional[str]) -> List[str]:
    return [t for t in (tags or "").split(",") if t]
