"""HMAC signatures and keyed hashes: tokens only this server can make, ids nobody can reverse.

- ``sign``/``unsign``: ``<value>.<mac>`` strings whose value the client may read but not
  forge (session tokens, shopper tokens).
- ``keyed_hash``: a stable pseudonym of a value (an e-mail, a client address) that can be
  compared and counted without storing the value itself.
"""

import base64
import hashlib
import hmac
import secrets as _random
from typing import Optional

from bot.identity.secrets import get_secret

MAC_CHARS = 22  # 132 bits of HMAC-SHA256, base64url


def _mac(purpose: str, value: str, secret_name: str = "session") -> str:
    key = get_secret(secret_name).encode("utf-8")
    digest = hmac.new(key, f"{purpose}\x00{value}".encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:MAC_CHARS]


def sign(purpose: str, value: str) -> str:
    """``value.mac``; ``purpose`` keeps a token made for one use from passing for another."""
    return f"{value}.{_mac(purpose, value)}"


def unsign(purpose: str, token: object, max_length: int = 200) -> Optional[str]:
    """The value of a token this server signed for ``purpose``, else None (never raises)."""
    if not isinstance(token, str) or not token or len(token) > max_length or "." not in token:
        return None
    value, _, mac = token.rpartition(".")
    if not value or not hmac.compare_digest(mac.encode("utf-8", "replace"), _mac(purpose, value).encode("ascii")):
        return None
    return value


def random_id(nbytes: int = 16) -> str:
    return _random.token_urlsafe(nbytes).replace("-", "x").replace("_", "y")


def new_token(purpose: str) -> str:
    """A fresh random value, signed for ``purpose``."""
    return sign(purpose, random_id())


def keyed_hash(purpose: str, value: str, length: int = 32) -> str:
    """A hex pseudonym of ``value``: equal values map to equal keys, the value stays unknown."""
    key = get_secret("session").encode("utf-8")
    digest = hmac.new(key, f"{purpose}\x00{value}".encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:length]
