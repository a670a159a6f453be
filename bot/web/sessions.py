"""Shopper-owned chat sessions: the server issues the token, the conversation id derives from it.

A conversation id alone must never be a key to a conversation: it shows up in logs, in
the staff console and in URLs. So the widget (or rasa-webchat, unchanged) holds a
*session token* the server signed, and presents it on reconnect, to the history API, to
clear the conversation and with feedback. The conversation id under which Rasa stores
the tracker is a keyed hash of the token's value: knowing it gives nothing back.

- ``issue_session()``: a new token (``<random>.<mac>``); clients cannot choose their own.
- ``conversation_of(token)``: the conversation id of a token this server issued, else None.
- ``rest_conversation(sender)``: the conversation id of a REST ``sender``, so a REST caller
  can continue only conversations whose sender string it knows, never a widget's.
- Shopper tokens (``issue_shopper()``/``shopper_of``) do the same for the stable,
  anonymous shopper id the widget keeps across conversations (consent).
"""

from typing import Optional

from bot.identity.signing import keyed_hash, new_token, unsign

SESSION = "chat-session"
SHOPPER = "shopper"


def issue_session() -> str:
    return new_token(SESSION)


def conversation_of(token: object) -> Optional[str]:
    """``w`` + 32 hex characters for a valid session token, else None."""
    value = unsign(SESSION, token)
    return None if value is None else "w" + keyed_hash("conversation", value)


def rest_conversation(sender: str) -> str:
    """The REST channel's conversation id for a sender string (``r`` + 32 hex)."""
    return "r" + keyed_hash("rest-sender", sender)


def issue_shopper() -> str:
    return new_token(SHOPPER)


def shopper_of(token: object) -> Optional[str]:
    """``s`` + 32 hex characters for a valid shopper token, else None."""
    value = unsign(SHOPPER, token)
    return None if value is None else "s" + keyed_hash("shopper", value)
