"""The action server's launcher: the shared secret check and the warm-up behind /ready.

(The launched server itself, over HTTP, is tested in tests/test_server.py and
tests/test_faults.py, against the real processes.)
"""

import pytest

from bot.serving.action_server import OPEN_PATHS, authorized, create_app
from bot.serving.warmup import FAILED, READY, WARMING, Warmup


@pytest.mark.parametrize("header, ok", [
    ("Bearer s3cret-value", True),
    (None, False),
    ("", False),
    ("Bearer ", False),
    ("Bearer s3cret-valuE", False),
    ("Bearer s3cret-value ", False),
    ("s3cret-value", False),
    ("Basic s3cret-value", False),
    ("Bearer s3cret-valu", False),
    ("Bearer ünïcode", False),
])
def test_authorized_only_with_the_exact_bearer_secret(header, ok):
    assert authorized(header, "s3cret-value") is ok


def test_no_secret_no_access():
    assert authorized("Bearer ", "") is False
    with pytest.raises(ValueError, match="SHOPBOT_ACTIONS_SECRET"):
        create_app("actions", "")


def test_the_app_guards_the_webhook_and_answers_ready():
    app = create_app("actions", "s3cret-value", warmup=Warmup(steps=[]))
    paths = {route.path.strip("/") for route in app.router.routes}
    assert {"webhook", "actions", "health", "ready"} <= paths
    assert OPEN_PATHS == ("/health", "/ready")  # everything else needs the secret


def test_not_ready_while_warming_then_ready():
    warmup = Warmup(services_factory=lambda: object(), steps=[("catalog", True, lambda s: None)])
    status, body = warmup.report()
    assert (status, body["state"], body["ready"]) == (503, WARMING, False)
    warmup.run()
    status, body = warmup.report()
    assert (status, body["state"], body["ready"]) == (200, READY, True)
    assert set(body["seconds"]) == {"catalog"}


def test_a_required_part_that_fails_keeps_it_unready_and_says_why():
    def broken(_):
        raise FileNotFoundError("no encoder at /models/minilm")

    warmup = Warmup(services_factory=lambda: object(), steps=[
        ("catalog", True, lambda s: None), ("encoder", True, broken), ("index", True, lambda s: None)])
    warmup.run()
    status, body = warmup.report()
    assert (status, body["state"]) == (503, FAILED)
    assert "no encoder" in body["problems"]["encoder"]
    assert "index" not in body["seconds"]  # not tried after a required part failed


def test_a_database_down_at_start_is_reported_not_fatal():
    """The database comes and goes at run time (the actions apologize meanwhile)."""
    def down(_):
        raise ConnectionRefusedError("postgresql://shop:hunter2@db/shop refused")

    warmup = Warmup(services_factory=lambda: object(), steps=[("catalog", True, lambda s: None),
                                                              ("database", False, down)])
    warmup.run()
    status, body = warmup.report()
    assert (status, body["ready"]) == (200, True)
    assert body["problems"] == {"database": "unavailable (ConnectionRefusedError)"}  # no URL, no password


def test_the_real_services_are_all_warm(shop_services):
    warmup = Warmup(services_factory=lambda: shop_services)
    warmup.run()
    status, body = warmup.report()
    assert status == 200, body
    assert set(body["seconds"]) == {"catalog", "faq", "graph", "linker", "index", "encoder", "database",
                                    "search", "recommender"}


def test_warm_objects_are_kept_out_of_full_collections(monkeypatch):
    import gc

    from bot.serving.warmup import freeze_warm_objects

    gc.unfreeze()
    try:
        monkeypatch.setenv("SHOPBOT_GC_FREEZE", "0")
        freeze_warm_objects()
        assert gc.get_freeze_count() == 0
        monkeypatch.setenv("SHOPBOT_GC_FREEZE", "1")
        freeze_warm_objects()
        assert gc.get_freeze_count() > 1000  # everything alive now, the test run's modules included
    finally:
        gc.unfreeze()


# --- /rephrase: domain responses worded for the Rasa server's NLG ---------------------------

def test_the_rephrase_route_is_guarded_like_the_webhook(monkeypatch):
    from sanic import Sanic

    monkeypatch.setattr(Sanic, "test_mode", True)  # rasa-sdk's app name, created once above already
    app = create_app("actions", "s3cret-value", warmup=Warmup(steps=[]))
    paths = {route.path.strip("/") for route in app.router.routes}
    assert "rephrase" in paths and "/rephrase" not in OPEN_PATHS


def test_the_generator_is_warmed_only_with_generation_on(monkeypatch):
    from bot.serving.action_server import default_warmup

    monkeypatch.setenv("SHOPBOT_GENERATION", "off")
    assert "generator" not in [name for name, _, _ in default_warmup().steps]
    monkeypatch.setenv("SHOPBOT_GENERATION", "on")
    steps = {name: required for name, required, _ in default_warmup().steps}
    assert steps["generator"] is False  # without the model replies are templates: still ready


class _Services:
    """The services the route uses, with a rephraser on a scripted generator."""

    def __init__(self, rephraser, profiles=None):
        self.rephraser = rephraser
        self.profiles = profiles

    def customer_name(self, customer_id):
        return None


def test_rephrase_words_with_generation_on_and_keeps_the_template_otherwise(monkeypatch):
    import asyncio

    from bot.generation.service import Rephraser
    from bot.serving.action_server import rephrase_response
    from tests.bot.generation.conftest import ScriptedGenerator

    template = "Goodbye, and thanks for stopping by!"
    services = _Services(Rephraser(ScriptedGenerator("Bye now, and thanks for visiting!"), enabled=True))
    monkeypatch.setenv("SHOPBOT_GENERATION", "off")
    off = asyncio.run(rephrase_response({"text": template}, services))
    assert off == {"text": template, "reply": {"path": "template", "reason": "off", "violations": []}}

    monkeypatch.setenv("SHOPBOT_GENERATION", "on")
    on = asyncio.run(rephrase_response({"text": template, "sender_id": "c1", "customer_id": True,
                                        "shopper_text": "bye"}, services))
    assert on["text"] == "Bye now, and thanks for visiting!" and on["reply"]["path"] == "generated"

    lying = _Services(Rephraser(ScriptedGenerator("Bye! Everything is $1.00 today."), enabled=True))
    kept = asyncio.run(rephrase_response({"text": template}, lying))
    assert kept["text"] == template and kept["reply"]["path"] == "fallback"
    assert kept["reply"]["reason"] == "guardrails" and kept["reply"]["violations"]
    assert asyncio.run(rephrase_response("junk", services))["reply"]["path"] == "template"
