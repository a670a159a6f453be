"""Every shopper message passes here before Rasa sees it, whatever the channel.

- **Bounded:** text longer than ``SHOPBOT_MAX_MESSAGE_CHARS`` (default 2,000) is cut, and the
  shopper is told; NLU never sees more (a pathological message cannot stall the event
  loop that serves everybody).
- **Payloads:** ``/intent{"entity": ...}`` skips NLU and sets entities directly, so only
  the entities the bot's own buttons send are kept; everything else is dropped (a
  shopper cannot set ``email`` or a protected slot by typing a payload).
- **Server-set metadata:** ``metadata["shopbot"]`` is written here and only here
  (``client``: a keyed hash of the client address, ``channel``, ``truncated``); whatever a
  client sent under that key is discarded. A widget's shopper token becomes the derived
  ``shopper_id`` or is dropped when unsigned.
- **Signed identity:** a logged-in shopper's token (``metadata["identity"]``: REST
  ``metadata``, socket.io ``customData``; see ``bot.identity.tokens``) is verified and
  becomes ``metadata["shopbot"]["customer_id"]`` (an int). The token itself never goes
  further: it is a bearer credential, and what Rasa sees is stored in the tracker. An
  unsigned, expired or forged token makes an anonymous shopper, never an error.
"""

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Text

from bot.identity.signing import keyed_hash
from bot.identity.tokens import verify
from bot.web.sessions import shopper_of

DEFAULT_MAX_CHARS = 2000
# entities the assistant's own buttons send (bot/dialogue: faq topics, products, return reasons,
# which privacy right: bot/dialogue/privacy.py; it only picks the question, the identity decides whose)
PAYLOAD_ENTITIES = frozenset({"faq_topic", "product_id", "return_reason", "privacy_right"})
PAYLOAD_VALUE_CHARS = 200
SERVER_KEY = "shopbot"
IDENTITY_KEY = "identity"
MAX_METADATA_BYTES = 4096
_NAME = re.compile(r"^/([A-Za-z0-9_.-]{1,64})")
_PAYLOAD = re.compile(r"^/([A-Za-z0-9_.-]{1,64})(\{.*\})?(@[0-9.]{1,8})?\s*$", re.DOTALL)


def max_message_chars() -> int:
    try:
        return max(1, int(os.environ.get("SHOPBOT_MAX_MESSAGE_CHARS", DEFAULT_MAX_CHARS)))
    except ValueError:
        return DEFAULT_MAX_CHARS


def truncation_notice(original: int, kept: int) -> Text:
    return (f"Your message was very long ({original:,} characters), so I read only the first "
            f"{kept:,}. If something important was further down, please send it in a shorter message.")


@dataclass
class Inbound:
    text: Text
    metadata: Dict[Text, Any]
    truncated_from: Optional[int] = None

    @property
    def notice(self) -> Optional[Text]:
        if self.truncated_from is None:
            return None
        return truncation_notice(self.truncated_from, len(self.text))


def filter_payload(text: Text) -> Text:
    """``/intent{...}`` with only the allowed entities (as short strings or numbers)."""
    if not text.startswith("/"):
        return text
    match = _PAYLOAD.match(text)
    if match is None:  # not our grammar: keep the intent name, never what follows it
        name = _NAME.match(text)
        return f"/{name.group(1)}" if name else text
    intent, raw, _confidence = match.groups()
    if not raw:
        return f"/{intent}"
    try:
        entities = json.loads(raw)
    except ValueError:
        return f"/{intent}"
    if not isinstance(entities, dict):
        return f"/{intent}"
    kept = {key: value for key, value in entities.items()
            if key in PAYLOAD_ENTITIES and isinstance(value, (str, int, float)) and not isinstance(value, bool)
            and len(str(value)) <= PAYLOAD_VALUE_CHARS}
    if kept == entities:
        return text  # nothing dropped: exactly what the button sent (the history maps it to its title)
    return f"/{intent}{json.dumps(kept)}" if kept else f"/{intent}"


def client_key(address: Optional[Text]) -> Optional[Text]:
    """A pseudonym of the client's address: counts and limits without storing the address."""
    return keyed_hash("client", address) if address else None


def prepare(text: Any, metadata: Any, channel: Text, client_address: Optional[Text] = None) -> Inbound:
    """The message as Rasa may see it: capped, payload filtered, metadata server-stamped."""
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    text = text.replace("\x00", "")
    limit = max_message_chars()
    truncated_from = None
    if len(text) > limit:
        truncated_from = len(text)
        text = text[:limit]
    text = filter_payload(text.strip()) if text.lstrip().startswith("/") else text

    meta: Dict[Text, Any] = dict(metadata) if isinstance(metadata, dict) else {}
    if meta and len(json.dumps(meta, default=str)) > MAX_METADATA_BYTES:
        meta = {}  # a client's metadata is small (language, a token); a huge one is dropped whole
    meta.pop(SERVER_KEY, None)
    identity = verify(meta.pop(IDENTITY_KEY, None))  # popped whatever it is: never stored
    shopper = shopper_of(meta.pop("shopper_id", None))
    if shopper:
        meta["shopper_id"] = shopper
    stamp: Dict[Text, Any] = {"channel": channel}
    if identity is not None:
        stamp["customer_id"] = identity.customer_id
    key = client_key(client_address)
    if key:
        stamp["client"] = key
    if truncated_from is not None:
        stamp["truncated"] = truncated_from
    meta[SERVER_KEY] = stamp
    return Inbound(text=text, metadata=meta, truncated_from=truncated_from)
