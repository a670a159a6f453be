"""The Rasa server's response generator: domain responses as Rasa renders them, and the
ones flagged ``metadata: {rephrase: true}`` in domain.yml worded for the shopper.

Rules utter domain responses (``utter_greet``...) inside the Rasa server, without ever
calling the action server, where the generator lives. So for a flagged response this
NLG asks the action server (``POST /rephrase`` on the action endpoint's host, with the
same shared secret as ``/webhook``) to word it: within the generation budget, else the
template. The Rasa server never imports the generator (ARCHITECTURE.md).

Every response it renders carries how it was served in its metadata (``{"shopbot":
{"reply": {"path", "reason", "violations"}}}``), which Rasa keeps on the ``BotUttered``
event for the staff console; the channels never pass it to clients.

endpoints.yml::

    nlg:
      type: bot.web.nlg.RephrasingNLG
      url: <the action_endpoint's url>   # ".../webhook" is read as the server: ".../rephrase"
      headers: <the action_endpoint's headers>

``SHOPBOT_GENERATION`` (default on; ``off`` sends every response as written) switches the asking on, as it does the action
server's generator; ``SHOPBOT_GENERATION_BUDGET_S`` (default 2 s) plus a small margin for
the hop bounds the wait.
"""

import asyncio
import logging
import os
from typing import Any, Dict, Optional, Text

import aiohttp
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 2.0
HOP_MARGIN_S = 0.5  # the HTTP hop and the action server's queue, on top of the model's budget
METADATA_KEY = "shopbot"


def generation_enabled() -> bool:
    """``SHOPBOT_GENERATION``: on unless ``off``/``0``/``false``/``no``."""
    return (os.environ.get("SHOPBOT_GENERATION") or "on").strip().lower() not in ("off", "0", "false", "no")


def generation_budget() -> float:
    try:
        return max(0.0, float(os.environ.get("SHOPBOT_GENERATION_BUDGET_S") or DEFAULT_BUDGET_S))
    except ValueError:
        return DEFAULT_BUDGET_S


def rephrase_url(url: Optional[Text]) -> Optional[Text]:
    """The action server's ``/rephrase`` from the endpoint's url (``.../webhook`` or the server)."""
    if not url:
        return None
    base = url.rstrip("/")
    if base.endswith("/webhook"):
        base = base[: -len("/webhook")]
    return base if base.endswith("/rephrase") else base + "/rephrase"


def flagged(response: Dict[Text, Any]) -> bool:
    metadata = response.get("metadata")
    return isinstance(metadata, dict) and bool(metadata.get("rephrase")) and bool(response.get("text"))


def _customer_id(tracker: DialogueStateTracker) -> Optional[int]:
    """The server-set, verified customer id of the latest message (the channels set it)."""
    metadata = getattr(tracker.latest_message, "metadata", None) or {}
    shopbot = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    value = shopbot.get("customer_id") if isinstance(shopbot, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class RephrasingNLG(TemplatedNaturalLanguageGenerator):
    """Rasa's templated NLG; flagged responses worded by the action server's generator."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.url = rephrase_url(endpoint_config.url if endpoint_config is not None else None)
        self.headers = dict((endpoint_config.headers or {}) if endpoint_config is not None else {})

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text,
                       **kwargs: Any) -> Optional[Dict[Text, Any]]:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if response is None:
            return None
        if not flagged(response):
            if response.get("text"):
                response[METADATA_KEY] = {"reply": {"path": "template", "reason": "verbatim", "violations": []}}
            return response
        if not generation_enabled() or not self.url:
            response[METADATA_KEY] = {"reply": {"path": "template", "reason": "off", "violations": []}}
            return response
        worded = await self._ask(response["text"], utter_action, tracker)
        if worded.get("text"):
            response["text"] = worded["text"]
        response[METADATA_KEY] = {"reply": worded["reply"]}
        return response

    async def _ask(self, text: Text, utter_action: Text, tracker: DialogueStateTracker) -> Dict[Text, Any]:
        """The action server's wording, or the template with why not (never raises)."""
        budget = generation_budget()
        body = {"text": text, "response": utter_action, "sender_id": tracker.sender_id,
                "customer_id": _customer_id(tracker),
                "shopper_text": (tracker.latest_message.text or "") if tracker.latest_message else ""}
        try:
            timeout = aiohttp.ClientTimeout(total=budget + HOP_MARGIN_S)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(self.url, json=body, headers=self.headers) as answer:
                    if answer.status != 200:
                        raise RuntimeError(f"HTTP {answer.status}")
                    data = await answer.json()
            reply = data.get("reply") if isinstance(data, dict) else None
            if not (isinstance(data.get("text"), str) and isinstance(reply, dict) and reply.get("path")):
                raise ValueError("malformed answer")
            if reply.get("path") != "generated":
                return {"text": text, "reply": reply}  # the template, exactly as rendered here
            return {"text": data["text"], "reply": reply}
        except Exception as error:  # noqa: BLE001 - the template always goes out
            timed_out = isinstance(error, (asyncio.TimeoutError, TimeoutError))
            reason = "timeout" if timed_out else "error"
            logger.warning("wording %s failed (%s); sending the template", utter_action, type(error).__name__)
            return {"text": text, "reply": {"path": "fallback", "reason": reason,
                                            "violations": [f"rephrase service: {type(error).__name__}"]}}
