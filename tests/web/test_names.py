"""Every intent, action and form name the code uses (``bot.names``) exists in the domain,
and the web side refers to them through that module."""

from pathlib import Path

import pytest

from bot import names

pytest.importorskip("rasa")

from rasa.shared.core.domain import Domain  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))  # with Rasa's default intents and actions


def constants():
    return {key: value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)}


def test_every_name_is_in_the_domain(domain):
    assert names.INTENTS <= set(domain.intents), names.INTENTS - set(domain.intents)
    assert names.ACTIONS <= set(domain.action_names_or_texts), names.ACTIONS - set(domain.action_names_or_texts)
    assert names.FORMS <= set(domain.form_names), names.FORMS - set(domain.form_names)


def test_every_constant_is_in_a_checked_group():
    grouped = names.INTENTS | names.ACTIONS | names.FORMS
    assert set(constants().values()) <= grouped, set(constants().values()) - grouped
    for group in (names.FALLBACK_INTENTS, names.HANDOFF_INTENTS):
        assert group <= names.INTENTS
    for group in (names.FALLBACK_ACTIONS, names.HANDOFF_ACTIONS):
        assert group <= names.ACTIONS


def test_every_intent_and_form_of_the_domain_has_a_name():
    declared = __import__("yaml").safe_load((ROOT / "domain.yml").read_text())
    assert set(declared.get("intents") or []) <= names.INTENTS
    assert set((declared.get("forms") or {})) <= names.FORMS
    assert set(declared.get("actions") or []) <= names.ACTIONS


def test_the_web_side_has_no_intent_or_action_literals_of_its_own():
    """The console and the conversation reader compare against bot.names, not string copies."""
    values = set(constants().values()) - {names.RESTART}  # also the type name of Rasa's Restarted event
    quoted = {f'"{value}"' for value in values} | {f"'{value}'" for value in values}
    for path in [ROOT / "bot/web/conversations.py", ROOT / "bot/web/store.py", ROOT / "bot/web/cli.py",
                 *sorted((ROOT / "bot/web/staff").rglob("*.py"))]:
        source = path.read_text()
        found = [q for q in quoted if q in source]
        assert not found, f"{path.relative_to(ROOT)} spells {found}; use bot.names"


def test_command_is_a_button_payload():
    assert names.command(names.HUMAN_HANDOFF) == "/human_handoff"
