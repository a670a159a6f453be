"""``bot.serving.rasa_tuning``: Rasa's check of action answers, with a validator built once,
accepts and refuses exactly what ``jsonschema.validate`` does."""

import jsonschema
import pytest

pytest.importorskip("rasa")

from rasa.core.actions.action import RemoteAction  # noqa: E402

from bot.serving import rasa_tuning  # noqa: E402

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "email", "value": "x"}], "responses": [{"text": "hi"}]},
    {"events": [{"event": "action_execution_rejected", "name": "validate_order_status_form"}]},
    {},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"responses": ["not an object"]},
    [],
]


def test_the_cached_check_agrees_with_jsonschema_validate():
    original = RemoteAction._validate_action_result
    action = RemoteAction("action_faq", None)
    spec = RemoteAction.action_response_format_spec()
    rasa_tuning.install()
    try:
        assert RemoteAction._validate_action_result is not original
        for answer in GOOD:
            jsonschema.validate(answer, spec)
            assert action._validate_action_result(answer) is True
        for answer in BAD:
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(answer, spec)
            with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
                action._validate_action_result(answer)
    finally:
        RemoteAction._validate_action_result = original
        rasa_tuning._installed = False
