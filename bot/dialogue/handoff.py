"""Handing a conversation to a person: a ticket with the transcript, and honest timing.

The ticket carries the conversation so far (redacted by the shop layer where it is
stored), so the agent never has to ask the shopper to repeat themselves. The shopper is
told when to expect a reply: now, inside support hours, or when the team is next in.
"""

from typing import Any, Dict, Iterable, List, Optional, Text

from bot.dialogue.replies import Reply

MAX_TRANSCRIPT_EVENTS = 200
MAX_TEXT = 2000


def transcript_from_events(events: Iterable[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The shopper's and the bot's messages, in order, from Rasa tracker events."""
    lines: List[Dict[Text, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        text = (event.get("text") or "")[:MAX_TEXT]
        line: Dict[Text, Any] = {"role": "shopper" if kind == "user" else "bot", "text": text, "timestamp": event.get("timestamp")}
        if kind == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            line["intent"] = intent.get("name")
        lines.append(line)
    return lines[-MAX_TRANSCRIPT_EVENTS:]


def handoff_reason(events: Iterable[Dict[Text, Any]]) -> Text:
    """The shopper's last own words before asking for a person, as the ticket's summary."""
    last = ""
    for event in events:
        if event.get("event") == "user":
            text = (event.get("text") or "").strip()
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if text and not text.startswith("/") and intent != "human_handoff":
                last = text
    return (last[:200] or "Shopper asked to talk to a person")


def handoff_replies(db: Any, conversation_id: Text, events: List[Dict[Text, Any]], email: Optional[Text] = None, now: Any = None) -> List[Reply]:
    from bot.shop.tickets import create_ticket, support_status

    transcript = transcript_from_events(events)
    ticket = create_ticket(db, conversation_id, handoff_reason(events), transcript, customer_email=email)
    status = support_status(now)
    return [Reply(text=f"I've passed our conversation to our support team (ticket {ticket.id}). {status.message}")]
