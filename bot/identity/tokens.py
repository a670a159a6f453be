"""Signed shopper identity: who a logged-in shopper is, as a JWT the shop's own site mints.

The shop's site knows who is logged in; the assistant does not and must not take a
client's word for it. So the site signs a short-lived token with the shared secret
(``SHOPBOT_IDENTITY_SECRET``, else ``var/secrets/identity``; see ``bot.identity.secrets``)
and the widget or a REST caller passes it along in the message metadata as
``identity``. ``bot.web.inbound.prepare`` verifies it and keeps only the customer id.

The token is a compact JWS (RFC 7515/7519) with exactly one algorithm, HS256, so any JWT
library can make one (PyJWT: ``jwt.encode({"sub": "42", "exp": ...}, secret, "HS256")``):

    header   {"alg": "HS256", "typ": "JWT"}
    claims   sub  the customer's id in the shop database, a decimal string (RFC 7519
                  says StringOrURI; an integer-typed ``sub`` is refused, as PyJWT does)
             iat  when it was issued (seconds since the epoch)
             exp  when it stops being valid (required)
             nbf  honoured when present

``verify`` never raises: anything it cannot vouch for (unsigned, ``alg: none`` or any
algorithm but HS256, another key, a changed byte, expired, not yet valid, malformed,
longer than ``MAX_TOKEN_CHARS``, duplicate claims, a ``sub`` that is not a positive
integer) is None, which the caller treats as an anonymous shopper. Clocks of the shop's
site and of this server may disagree a little, so ``exp``, ``nbf`` and ``iat`` are
checked with ``LEEWAY_SECONDS`` (30 s) of slack; ``exp`` is still the limit a token
gives itself, give or take those seconds.

Standard library only: the Rasa server and the action server both import it.
"""

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from bot.identity.secrets import get_secret

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
SECRET_NAME = "identity"
DEFAULT_TTL_SECONDS = 3600
LEEWAY_SECONDS = 30
# A shop's token with a few claims of its own is a few hundred characters; a cap keeps a
# hostile client from making the server decode megabytes per message.
MAX_TOKEN_CHARS = 2048
MAX_CUSTOMER_ID = 2 ** 63 - 1  # what a BIGINT primary key holds

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_DECIMAL_ID = re.compile(r"[1-9][0-9]{0,18}")
_HEADER = {"alg": ALGORITHM, "typ": "JWT"}


@dataclass(frozen=True)
class Identity:
    """A verified shopper: their customer id and when the token stops vouching for them."""

    customer_id: int
    expires_at: datetime  # aware, UTC


class _Invalid(ValueError):
    """Why a token is refused (only ever caught inside this module)."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _json_segment(obj: Dict[str, Any]) -> str:
    return _b64encode(json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def _b64decode(segment: str) -> bytes:
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise _Invalid("not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as error:
        raise _Invalid("not base64url") from error
    if _b64encode(data) != segment:  # one encoding per value: no trailing-bit variants
        raise _Invalid("not canonical base64url")
    return data


def _no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    for key, value in pairs:
        if key in result:  # which "exp" would count? refuse rather than guess
            raise _Invalid(f"duplicate member {key!r}")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise _Invalid(f"{name} is not JSON")


def _json_object(segment: str) -> Dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment).decode("utf-8"), object_pairs_hook=_no_duplicates,
                           parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # _Invalid is a ValueError too
        raise _Invalid("not a JSON object") from error
    if not isinstance(value, dict):
        raise _Invalid("not a JSON object")
    return value


def _signature(signing_input: bytes, secret: Optional[str]) -> bytes:
    key = (secret if secret is not None else get_secret(SECRET_NAME)).encode("utf-8")
    return hmac.new(key, signing_input, hashlib.sha256).digest()


def _timestamp(claims: Dict[str, Any], name: str, required: bool = False) -> Optional[float]:
    value = claims.get(name)
    if value is None:
        if required or name in claims:
            raise _Invalid(f"{name} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Invalid(f"{name} is not a number")
    return float(value)


def mint(customer_id: int, ttl_seconds: int = DEFAULT_TTL_SECONDS, now: Optional[float] = None,
         secret: Optional[str] = None) -> str:
    """A token saying "this is customer ``customer_id``", valid for ``ttl_seconds``.

    ``now`` (seconds since the epoch) and ``secret`` are for tests; by default the
    identity secret every process of the installation shares.
    """
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or not 0 < customer_id <= MAX_CUSTOMER_ID:
        raise ValueError("customer_id must be a positive integer")
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be a positive integer")
    issued = int(time.time() if now is None else now)
    claims = {"sub": str(customer_id), "iat": issued, "exp": issued + ttl_seconds}
    signing_input = f"{_json_segment(_HEADER)}.{_json_segment(claims)}"
    return f"{signing_input}.{_b64encode(_signature(signing_input.encode('ascii'), secret))}"


def _verified(token: Any, now: Optional[float], secret: Optional[str]) -> Identity:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise _Invalid("not a token")
    parts = token.split(".")
    if len(parts) != 3:
        raise _Invalid("not a compact JWS")
    header_segment, claims_segment, signature_segment = parts
    header = _json_object(header_segment)
    # the algorithm is ours to choose, never the token's: HS256 or nothing
    if header.get("alg") != ALGORITHM:
        raise _Invalid("algorithm")
    if "typ" in header and not (isinstance(header["typ"], str) and header["typ"].upper() == "JWT"):
        raise _Invalid("typ")
    if "crit" in header:  # extensions we would have to understand: we understand none
        raise _Invalid("crit")
    signature = _b64decode(signature_segment)
    expected = _signature(f"{header_segment}.{claims_segment}".encode("ascii"), secret)
    if not hmac.compare_digest(signature, expected):
        raise _Invalid("signature")
    claims = _json_object(claims_segment)  # only now: nothing unsigned is even parsed
    moment = time.time() if now is None else float(now)
    expires = _timestamp(claims, "exp", required=True)
    if moment > expires + LEEWAY_SECONDS:
        raise _Invalid("expired")
    not_before = _timestamp(claims, "nbf")
    if not_before is not None and moment < not_before - LEEWAY_SECONDS:
        raise _Invalid("not yet valid")
    issued = _timestamp(claims, "iat")
    if issued is not None and moment < issued - LEEWAY_SECONDS:
        raise _Invalid("issued in the future")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not _DECIMAL_ID.fullmatch(subject) or int(subject) > MAX_CUSTOMER_ID:
        raise _Invalid("sub")
    try:
        expires_at = datetime.fromtimestamp(expires, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as error:
        raise _Invalid("exp out of range") from error
    return Identity(customer_id=int(subject), expires_at=expires_at)


def verify(token: Any, now: Optional[float] = None, secret: Optional[str] = None) -> Optional[Identity]:
    """The shopper a token vouches for, or None for anything else (never raises)."""
    try:
        return _verified(token, now, secret)
    except _Invalid:
        return None
    except Exception:  # noqa: BLE001 - e.g. an unreadable secret file: anonymous, and the log says why
        logger.exception("verifying an identity token failed")
        return None
