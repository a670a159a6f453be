"""The widget's side of the shopper's rights: their data export download, and whose consent.

    GET /web/api/privacy/export?token=...   the JSON the assistant prepared (a download)

The assistant never puts a customer's export into a chat message (it would be stored
with the conversation); the action server prepares it (``bot.privacy.requests``) and
sends a link whose token, signed with the session secret, names it and its expiry
(10 minutes). Here it is served as an attachment, never cached; a forged or unknown
token is 404, an expired one 410, both as JSON errors.

Consent: a signed-in shopper's widget sends its identity token (the JWT the shop signed,
``X-Identity-Token``) with the consent calls of ``bot.web.shopper_api``; then the
Personalize switch reads and writes the customer's own choice, the same flag the chat
sets ("stop personalizing"), with ``source`` "widget" (``bot.privacy.consent``), and the
Offers switch their marketing choice (``bot.privacy.marketing``: opt-in, separate from
personalization), in the same calls (``{"marketing": bool}``). An absent, expired or
forged identity token is an anonymous shopper, never an error: an anonymous shopper has
no offers to switch (none are sent to them).
"""

import logging
from typing import Any, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.identity.tokens import verify
from bot.privacy.consent import ConsentState, customer_exists, default_consent, read_consent, write_consent
from bot.privacy.marketing import MarketingState, read_marketing, write_marketing
from bot.privacy.requests import EXPORT_PATH, ExportUnavailable, read_export

logger = logging.getLogger(__name__)

IDENTITY_HEADER = "X-Identity-Token"


def _error(status: int, message: Text) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _shop_db() -> Any:
    from bot.web.erasure import shop_db

    return shop_db()


def signed_in_customer(request: Request) -> Optional[int]:
    """The customer a request's identity token vouches for, if the shop knows them."""
    identity = verify(request.headers.get(IDENTITY_HEADER))
    if identity is None:
        return None
    try:
        return identity.customer_id if customer_exists(_shop_db(), identity.customer_id) else None
    except Exception:  # noqa: BLE001 - a database away: answered as for an anonymous shopper
        logger.exception("checking a signed-in shopper's customer record failed")
        return None


def customer_consent_json(state: ConsentState, marketing: Optional[MarketingState] = None) -> Dict[Text, Any]:
    out = {"personalization": state.personalization,
           "updated_at": state.updated_at.isoformat() if state.updated_at else None,
           "source": state.source, "default": default_consent(), "scope": "customer"}
    if marketing is not None:  # offers: their own flag, opt-in (bot.privacy.marketing)
        out.update(marketing=marketing.marketing, marketing_detail=marketing.to_json())
    return out


def get_customer_consent(customer_id: int) -> Dict[Text, Any]:
    db = _shop_db()
    return customer_consent_json(read_consent(db, customer_id), read_marketing(db, customer_id))


def set_customer_consent(customer_id: int, personalization: Optional[bool] = None,
                         marketing: Optional[bool] = None) -> Dict[Text, Any]:
    """Write what the body sent (either switch, or both), source "widget"; answer both flags."""
    db = _shop_db()
    state = (write_consent(db, customer_id, personalization, source="widget") if personalization is not None
             else read_consent(db, customer_id))
    offers = (write_marketing(db, customer_id, marketing, "widget") if marketing is not None
              else read_marketing(db, customer_id))
    return customer_consent_json(state, offers)


def add_privacy_routes(bp: Blueprint) -> None:
    """Mount the export download on the web app's blueprint."""

    @bp.route(EXPORT_PATH, methods=["GET"])
    async def download_export(request: Request) -> HTTPResponse:
        try:
            _, payload, created = read_export(_shop_db(), request.args.get("token"))
        except ExportUnavailable as unavailable:
            if unavailable.expired:
                return _error(410, "this download link has expired: ask the assistant for a new one")
            return _error(404, "no such download")
        except Exception:  # noqa: BLE001 - the shopper gets a plain error, the log the trace
            logger.exception("reading a prepared export failed")
            return _error(500, "the download could not be read")
        name = f"my-data-{created.date().isoformat()}.json"
        return response.raw(payload.encode("utf-8"), content_type="application/json; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
