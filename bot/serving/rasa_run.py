"""``rasa run`` with its HTTP API behind the token, without the token on the command line.

``python -m bot.serving.rasa_run [rasa run options]`` (in .venv) is ``rasa run ...
--auth-token <token>``, where the token is ``SHOPBOT_RASA_API_TOKEN`` or the one
generated into ``var/secrets/rasa_api`` (``bot.identity.secrets``). Passing it as
``--auth-token`` in a shell command would show it to every local user in ``ps``;
here it is added to ``sys.argv`` inside the process, which ``ps`` does not see.

It also sets ``SHOPBOT_ACTIONS_SECRET`` (same source) when unset, for endpoints.yml, and
removes per-message waste measured in the load benchmark (``bot.serving.rasa_tuning``).

Rasa checks the token on every API route (``/conversations/...``, ``/model...``,
``/status``): ``?token=<token>`` in the query. The channels (``/webhooks/...``,
socket.io) and the shop's web app need none.
"""

import sys
from typing import List, Optional


def rasa_argv(args: List[str], token: str) -> List[str]:
    """The argv ``rasa`` parses: ``run``, the options given, and the token.

    The token goes in as ``--auth-token=<token>``, one word: a URL-safe token starts with
    "-" one time in 64, and argparse would take a separate ``-xyz...`` for an option and
    refuse to start."""
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit("bot.serving.rasa_run adds --auth-token itself; set SHOPBOT_RASA_API_TOKEN instead")
    return ["rasa", "run", *args, f"--auth-token={token}"]


def main(argv: Optional[List[str]] = None) -> None:
    import os

    from bot.identity.secrets import get_secret

    # endpoints.yml's action_endpoint headers read ${SHOPBOT_ACTIONS_SECRET}; Rasa
    # fails to start when it is unset, so give it the same secret the action server reads.
    os.environ.setdefault("SHOPBOT_ACTIONS_SECRET", get_secret("actions"))
    # one torch thread for parsing while serving (bot.nlu.text_classifier.configure_torch_threads)
    os.environ.setdefault("SHOPBOT_TORCH_THREADS", "1")
    # clients (and load balancers) keep connections longer than Sanic's 5 s default; under
    # load a busy event loop otherwise drops connections it has not read yet
    os.environ.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", "75")
    sys.argv = rasa_argv(list(sys.argv[1:] if argv is None else argv), get_secret("rasa_api"))
    from rasa.__main__ import main as rasa_main

    from bot.serving import rasa_tuning

    if os.environ.get("SHOPBOT_RASA_TUNING", "1") != "0":  # 0: stock Rasa, for side-by-side benchmarks
        rasa_tuning.install()
    rasa_main()


if __name__ == "__main__":
    main()
