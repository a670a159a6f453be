"""The action server as the project runs it: rasa-sdk's app, locked down and warm.

``python -m bot.serving.action_server --actions actions --port 5055`` (in .venv-actions)
instead of ``python -m rasa_sdk``, because the stock server

- listens on every interface (0.0.0.0), and takes any caller: a direct ``/webhook``
  post skips every conversational limit Rasa enforces and can file tickets for any
  conversation;
- answers errors with the exception's text and the request body;
- builds the encoder, index and graph on the first question, after run.sh has
  already said the assistant is up.

So here it binds ``SHOPBOT_ACTIONS_HOST`` (default 127.0.0.1; set 0.0.0.0 only when
Rasa runs on another machine), every ``/webhook`` and ``/actions`` call must carry
``Authorization: Bearer <SHOPBOT_ACTIONS_SECRET>`` (Rasa sends it from the ``headers``
of ``action_endpoint`` in endpoints.yml; compared in constant time, 401 otherwise),
and the services are warmed in the background at start, with ``GET /ready`` answering
503 until they are and 200 after (with ``SHOPBOT_GENERATION=on``, the generator's model
is loaded then too). ``GET /health`` stays rasa-sdk's liveness check.

``POST /rephrase`` (same secret) words one domain response for a shopper: the Rasa
server's NLG (``bot.web.nlg``) asks it for responses flagged ``metadata: {rephrase: true}``
in domain.yml, which rules utter without ever calling an action. Body: ``{"text",
"response", "sender_id", "customer_id", "shopper_text"}``; answer: ``{"text", "reply":
{"path", "reason", "violations", "seconds"}}``, the template on any doubt, as actions do.
"""

import argparse
import hmac
import logging
import os
from typing import Any, Optional, Text

from bot.serving.warmup import Warmup

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
HOST_ENV = "SHOPBOT_ACTIONS_HOST"
KEEP_ALIVE_SECONDS = 75
# Only these stay open (they say nothing); every other path, /webhook and /actions first,
# needs the secret: an allow-list, so no spelling of a path slips past the check.
OPEN_PATHS = ("/health", "/ready")


def authorized(header: Optional[Text], secret: Text) -> bool:
    """Whether an ``Authorization`` header carries the shared secret (constant time)."""
    if not secret:
        return False
    expected = f"Bearer {secret}".encode("utf-8")
    return hmac.compare_digest((header or "").encode("utf-8", "replace"), expected)


def install_log_redaction() -> None:
    """The privacy package's log redaction, when it is installed (another part's module)."""
    try:
        from bot.privacy.logs import install_log_redaction as install
    except ImportError:
        return
    install()


MAX_REPHRASE_CHARS = 2000


def default_warmup() -> Warmup:
    """The standard warm-up, plus the generator's model when generation is on."""
    from bot.generation.service import generation_enabled
    from bot.serving.warmup import default_steps

    steps = default_steps()
    if generation_enabled():
        # not required: without the model every reply is its template, which is fine
        def warm_generator(services: Any) -> None:
            if not services.rephraser.warm():
                raise RuntimeError("the generator could not be loaded")

        steps.append(("generator", False, warm_generator))
    return Warmup(steps=steps)


async def rephrase_response(body: Any, services: Any = None) -> dict:
    """The ``/rephrase`` answer for one domain response (see the module docstring)."""
    import asyncio

    from bot.dialogue.replies import Reply
    from bot.dialogue.wording import word_for_shopper
    from bot.generation.facts import Facts

    body = body if isinstance(body, dict) else {}
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    text = text[:MAX_REPHRASE_CHARS]
    customer = body.get("customer_id")
    customer = customer if isinstance(customer, int) and not isinstance(customer, bool) and customer > 0 else None
    sender = body.get("sender_id") if isinstance(body.get("sender_id"), str) else None
    said = body.get("shopper_text") if isinstance(body.get("shopper_text"), str) else ""
    reply = Reply(text=text, facts=Facts(), rephrase=True)
    from bot.generation.service import generation_enabled

    if not generation_enabled() or not text.strip():
        return {"text": text, "reply": {"path": "template", "reason": "off" if text.strip() else "nothing to reword",
                                        "violations": []}}

    def word() -> Any:
        from bot.services import shared_services

        shop = services or shared_services()
        try:
            name = shop.customer_name(customer) if customer is not None else None
        except Exception:  # noqa: BLE001 - no name is fine
            name = None
        return word_for_shopper([reply], shop.rephraser, shop.profiles, customer, sender, said, name)[0]

    worded = await asyncio.get_running_loop().run_in_executor(None, word)
    return {"text": worded.text, "reply": worded.record()}


def create_app(actions: Text, secret: Text, warmup: Optional[Warmup] = None, auto_reload: bool = False) -> Any:
    """rasa-sdk's Sanic app with the secret check, safe errors and ``/ready``."""
    from rasa_sdk.endpoint import create_app as sdk_create_app
    from sanic import response

    if not secret:
        raise ValueError("the action server needs a shared secret (SHOPBOT_ACTIONS_SECRET)")
    app = sdk_create_app(actions, cors_origins=None, auto_reload=auto_reload)
    # Rasa opens a connection per action call; under load its event loop may send the
    # request seconds after connecting, and Sanic's default 5 s idle timeout then drops it
    # (failed turns in the load benchmark). SANIC_KEEP_ALIVE_TIMEOUT still overrides this.
    if not os.environ.get("SANIC_KEEP_ALIVE_TIMEOUT"):
        app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS
    warmup = warmup or default_warmup()
    app.ctx.warmup = warmup

    @app.middleware("request")
    async def check_secret(request: Any) -> Any:
        if request.path.rstrip("/") not in OPEN_PATHS and not authorized(
            request.headers.get("Authorization"), secret
        ):
            logger.warning("refused an action server call to %s without the shared secret", request.path)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    @app.get("/ready")
    async def ready(_: Any) -> Any:
        status, body = warmup.report()
        return response.json(body, status=status)

    @app.post("/rephrase")
    async def rephrase(request: Any) -> Any:
        return response.json(await rephrase_response(request.json))

    @app.exception(Exception)
    async def safe_error(request: Any, exception: Exception) -> Any:
        # rasa-sdk's own handler echoes the exception and the request body (tracker,
        # slots, the shopper's messages) to the caller; the log gets them instead.
        status = getattr(exception, "status_code", 500) or 500
        if status >= 500:
            logger.error("action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "internal error" if status >= 500 else type(exception).__name__},
                             status=status)

    @app.listener("after_server_start")
    async def start_warmup(_app: Any, _loop: Any) -> None:
        warmup.start()

    return app


def argument_parser() -> argparse.ArgumentParser:
    from rasa_sdk.endpoint import create_argument_parser

    parser = create_argument_parser()
    parser.description = "the shop's action server (rasa-sdk, bound to loopback, behind a shared secret)"
    parser.add_argument("--host", default=os.environ.get(HOST_ENV) or DEFAULT_HOST,
                        help=f"interface to listen on (default ${HOST_ENV} or {DEFAULT_HOST})")
    return parser


def main(argv: Optional[list] = None) -> None:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    from bot.identity.secrets import get_secret

    args = argument_parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    install_log_redaction()

    app = create_app(args.actions or "actions", get_secret("actions"), auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    scheme = "https" if ssl_context else "http"
    logger.info("action server listening on %s://%s:%s (ready once warm: /ready)", scheme, args.host, args.port)
    app.run(args.host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
