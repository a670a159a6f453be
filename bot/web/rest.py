"""The REST channel (``/webhooks/rest/webhook``) with the same guards as the socket.io one.

A drop-in for Rasa's ``rest:`` channel: the same request (``{"sender", "message"}``, plus an
optional ``"metadata"`` object) and the same answer (a JSON list of bot messages), but

- the ``sender`` string a caller chooses is not the conversation id itself: the
  conversation is ``bot.web.sessions.rest_conversation(sender)``, a keyed hash, so knowing
  a conversation id from a log or the console lets nobody write into it, and no REST
  caller reaches a widget's conversation;
- the message passes ``bot.web.inbound.prepare`` (length cap with a notice, payload
  entities filtered, server-set metadata);
- a turn that would end in silence (a failed action) gets an apology;
- a turn that confirmed "delete my data" has its conversations erased before the answer
  returns (``bot.web.erasure``).
"""

import logging
import re
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.web import erasure, limits
from bot.web.delivery import APOLOGY, apology_buttons, needs_apology
from bot.web.inbound import prepare
from bot.web.sessions import rest_conversation

logger = logging.getLogger(__name__)
MAX_SENDER_CHARS = 256
CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _error(status: int, message: Text) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class ShopRestInput(RestInput):
    """Rasa's REST input channel, guarded (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _input_channel(self, body: Dict[Text, Any]) -> Text:
        """Rasa's REST channel lets a caller name the channel its message came through (a
        client that renders like ``rasa shell`` says ``cmdline``); a plain name only."""
        named = body.get("input_channel")
        return named if isinstance(named, str) and CHANNEL_NAME.match(named) else self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("custom_webhook_ShopRestInput", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - malformed JSON
                body = None
            if not isinstance(body, dict):
                return _error(400, 'expected a JSON object: {"sender": "...", "message": "..."}')
            sender = body.get("sender")
            if sender is None:
                sender = "default"
            if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS:
                return _error(400, f"sender must be a string of 1 to {MAX_SENDER_CHARS} characters")
            conversation = rest_conversation(sender)
            inbound = prepare(body.get("message", ""), body.get("metadata"), self.name(),
                              limits.client_address(request))
            collector = CollectingOutputChannel()
            if inbound.notice:
                await collector.send_text_message(conversation, inbound.notice)
            before = len(collector.messages)
            message = UserMessage(inbound.text, collector, conversation, input_channel=self._input_channel(body),
                                  metadata=inbound.metadata)
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("a REST message timed out")
            except Exception:  # noqa: BLE001 - the caller gets an apology, the log the trace
                logger.exception("handling a REST message failed")
            if len(collector.messages) == before and await needs_apology(request.app, conversation):
                await collector.send_text_with_buttons(conversation, APOLOGY, apology_buttons())
            await erasure.after_turn(request.app, conversation)  # "delete my data" confirmed this turn
            return response.json(collector.messages)

        return webhook


__all__ = ["ShopRestInput"]

