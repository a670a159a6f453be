"""Redacting Rasa events, in the dict form Rasa stores, streams and exports them.

A conversation event carries what the shopper typed in several places: the user
message's ``text``, its ``parse_data`` (text again, entities with their values), its
``metadata``, the slots filled from it (``SlotSet``), and the bot's replies, which may
echo it back. ``redact_event`` returns a copy of such a dict in which every string is
redacted for storage; e-mail slots and entities keep only the masked address
(``j***@example.com``) so staff can still tell customers apart.

The dict shapes are Rasa's (``Event.as_dict()``), but nothing here imports Rasa: the
exports and the action server use the same function.
"""

from typing import Any, Dict

from bot.privacy.redaction import mask_email, redact_for_storage

# The metadata key the channels stamp server-side (``bot.web.inbound.SERVER_KEY``).
SERVER_STAMP = "shopbot"
# Slots and entities that hold the customer's e-mail address.
EMAIL_SLOTS = frozenset({"email"})
EMAIL_ENTITIES = frozenset({"email"})

# Top-level keys whose values Rasa or the bot's own code names (event type, action,
# slot, loop or reminder name, intent, policy, confidence, ids, a reminder's time); never
# text from the shopper, and changing them would break reading the event back.
_STRUCTURAL_KEYS = frozenset({
    "event", "timestamp", "name", "policy", "confidence", "input_channel", "message_id",
    "intent", "date_time", "kill_on_user_msg",
})
# Integers with this many digits or more may be a phone or card number stored as a number.
_LONG_NUMBER = 10 ** 6


def redact_email_value(value: Any) -> Any:
    """What an e-mail slot or entity keeps: ``j***@example.com`` for an address."""
    if isinstance(value, str):
        stripped = value.strip()
        if "@" in stripped and not any(char.isspace() for char in stripped):
            return mask_email(stripped)
        return redact_for_storage(value)
    return _redact(value)


def redact_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of ``event`` (an ``Event.as_dict()``) with the personal data taken out.

    The input is not changed (nested dicts of a live event are shared with it), and the
    copy has the same keys, so Rasa reads it back as the same kind of event.
    """
    if not isinstance(event, dict):
        return _redact(event)
    kind = event.get("event")
    copy: Dict[str, Any] = {}
    for key, value in event.items():
        if key in _STRUCTURAL_KEYS:
            copy[key] = value
        elif key == "value" and kind == "slot" and event.get("name") in EMAIL_SLOTS:
            copy[key] = redact_email_value(value)
        elif key == "entities":
            copy[key] = redact_entities(value)
        elif key == "metadata" and isinstance(value, dict):
            # the server's own stamp (bot.web.inbound: channel, client key, customer id) holds
            # no shopper text, and a deletion finds a customer's conversations by its id
            copy[key] = {part: item if part == SERVER_STAMP and isinstance(item, dict) else _redact(item)
                         for part, item in value.items()}
        elif key == "parse_data" and isinstance(value, dict):
            copy[key] = {
                part: redact_entities(item) if part == "entities"
                else item if part in ("intent", "intent_ranking")
                else _redact(item)
                for part, item in value.items()
            }
        else:
            copy[key] = _redact(value)
    return copy


def redact_entities(entities: Any) -> Any:
    """Entities (a list of dicts) with their values redacted; e-mail values masked."""
    if not isinstance(entities, list):
        return _redact(entities)
    redacted = []
    for entity in entities:
        if isinstance(entity, dict) and entity.get("entity") in EMAIL_ENTITIES:
            entity = {key: redact_email_value(item) if key in ("value", "text") else _redact(item)
                      for key, item in entity.items()}
            redacted.append(entity)
        else:
            redacted.append(_redact(entity))
    return redacted


def _redact(value: Any) -> Any:
    """``redact_value_for_storage``, and long integers too (a phone number kept as a number)."""
    if isinstance(value, str):
        return redact_for_storage(value)
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _LONG_NUMBER:
        text = str(value)
        redacted = redact_for_storage(text)
        return value if redacted == text else redacted
    return value
