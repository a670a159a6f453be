"""Per-message costs of ``rasa run`` that are pure waste, removed without changing behaviour.

Measured in the load benchmark's profile (BENCHMARKS.md, "Load and throughput"): Rasa's
event loop spent 37 of its 93 ms per message of an order conversation checking the action
server's answers, because ``RemoteAction._validate_action_result`` calls
``jsonschema.validate``, which re-checks the whole (constant) events schema before every
check. Here the validator is built once and reused: the same schema, the same errors
(with Rasa's hint appended), 0.5 ms instead of 20.

``install()`` is called by ``bot.serving.rasa_run`` (the project's ``rasa run``), once,
before Rasa loads anything.
"""

import logging
from typing import Any, Dict, Text

logger = logging.getLogger(__name__)
_installed = False


def _cached_validator(spec: Dict[Text, Any]) -> Any:
    from jsonschema.validators import validator_for

    cls = validator_for(spec)
    cls.check_schema(spec)  # once, as jsonschema.validate does on every call
    return cls(spec)


def install() -> bool:
    """Patch ``RemoteAction._validate_action_result`` to a cached validator (idempotent)."""
    global _installed
    if _installed:
        return False
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    validator = _cached_validator(RemoteAction.action_response_format_spec())

    def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result
    _installed = True
    logger.debug("action answers are validated with a schema validator built once")
    return True
