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
    rasa_tuning._install_validator()
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


@pytest.fixture(scope="module")
def agent(trained_model, action_server):
    """The assistant with the real action server (the shop conversation's actions)."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    return Agent.load(str(trained_model), action_endpoint=EndpointConfig(
        f"{action_server}/webhook", headers=action_server.headers))


SHOP_TURNS = ("hello", "how long do I have to return something?", "where is my order?", "ORD-100345",
              "jane.doe@example.com", "thanks, bye!")


def _conversation(agent, sender):
    """What the assistant understood, did and said in a shop conversation."""

    async def play():
        for text in SHOP_TURNS:
            await agent.handle_text(text, sender_id=sender)
        tracker = await agent.tracker_store.retrieve(sender)
        # bot texts vary (responses have variants): what must match is what was understood and
        # done, and that the order's status reached the shopper
        return [(e.type_name, getattr(e, "action_name", None), (getattr(e, "intent", None) or {}).get("name"),
                 e.type_name == "bot" and "ORD-100345" in (e.text or ""))
                for e in tracker.events if e.type_name in ("user", "action", "bot")]

    import asyncio

    return asyncio.run(play())


def test_inference_runs_on_worker_threads_with_the_same_results(agent, monkeypatch):
    """The NLU parse and the policies run off the event loop and decide exactly as on it."""
    import threading

    from rasa.core.processor import MessageProcessor

    original = {name: getattr(MessageProcessor, name)
                for name in ("parse_message", "_run_prediction_loop", "_parse_message_with_graph",
                             "predict_next_with_tracker_if_should")}
    threads = []

    def spy(name):
        def wrapper(self, *args, **kwargs):
            threads.append((name, threading.current_thread().name))
            return original[name](self, *args, **kwargs)
        return wrapper

    try:
        MessageProcessor._parse_message_with_graph = spy("_parse_message_with_graph")
        MessageProcessor.predict_next_with_tracker_if_should = spy("predict_next_with_tracker_if_should")
        on_the_loop = _conversation(agent, "tuning-stock")
        assert threads and all(thread == threading.main_thread().name for _, thread in threads)

        threads.clear()
        monkeypatch.setenv("SHOPBOT_INFERENCE_THREADS", "1")
        rasa_tuning._install_inference_threads()
        assert MessageProcessor.parse_message is not original["parse_message"]
        off_loop = _conversation(agent, "tuning-threads")
        assert {name for name, _ in threads} == {"_parse_message_with_graph", "predict_next_with_tracker_if_should"}
        assert all(thread.startswith("shopbot-inference") for _, thread in threads), threads
    finally:
        for name, method in original.items():
            setattr(MessageProcessor, name, method)
    assert [turn for turn in off_loop] == [turn for turn in on_the_loop]
    assert any(kind == "bot" for kind, *_ in on_the_loop)
    assert any(kind == "bot" and names_order for kind, _, _, names_order in on_the_loop)


def test_no_inference_threads_keeps_rasa_as_it_is(monkeypatch):
    from rasa.core.processor import MessageProcessor

    before = (MessageProcessor.parse_message, MessageProcessor._run_prediction_loop)
    monkeypatch.setenv("SHOPBOT_INFERENCE_THREADS", "0")
    rasa_tuning._install_inference_threads()
    assert (MessageProcessor.parse_message, MessageProcessor._run_prediction_loop) == before
    assert rasa_tuning.inference_executor() is None


def test_rules_first_skips_ted_only_where_the_rule_policy_is_certain(agent, monkeypatch):
    """Same conversation, same decisions; TED runs only where no rule applies."""
    from rasa.core.processor import MessageProcessor

    nodes = agent.processor.graph_runner._instantiated_nodes  # each node calls its own ``_fn``
    ted = next(node for node in nodes.values() if type(node._component).__name__ == "TEDPolicy")
    rule = next(node for node in nodes.values() if type(node._component).__name__ == "RulePolicy")
    original = {"predict": MessageProcessor._predict_next_with_tracker, "ted": ted._fn, "rule": rule._fn}
    calls = {"ted": 0, "certain_rules": 0}

    def ted_fn(component, **kwargs):
        calls["ted"] += 1
        return original["ted"](component, **kwargs)

    def rule_fn(component, **kwargs):
        prediction = original["rule"](component, **kwargs)
        calls["certain_rules"] += prediction.max_confidence >= 1.0
        return prediction

    try:
        ted._fn, rule._fn = ted_fn, rule_fn
        stock = _conversation(agent, "rules-stock")
        stock_calls = dict(calls)
        calls.update(ted=0, certain_rules=0)
        monkeypatch.setenv("SHOPBOT_RULES_FIRST", "1")
        rasa_tuning._install_rules_first()
        assert rasa_tuning.rules_first_plan(agent.processor) is not None
        ruled = _conversation(agent, "rules-first")
    finally:
        MessageProcessor._predict_next_with_tracker = original["predict"]
        ted._fn, rule._fn = original["ted"], original["rule"]
    assert ruled == stock
    assert 0 < stock_calls["certain_rules"] <= stock_calls["ted"]
    assert calls["certain_rules"] == stock_calls["certain_rules"]
    assert calls["ted"] == stock_calls["ted"] - stock_calls["certain_rules"]


def test_endpoint_calls_reuse_one_kept_alive_connection(monkeypatch):
    """Two action calls, one TCP connection (Rasa alone opens one per call)."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    original = EndpointConfig.session

    async def scenario():
        peers = []

        async def handle(request):
            peers.append(request.transport.get_extra_info("peername"))
            return web.json_response({"events": [], "responses": []})

        app = web.Application()
        app.router.add_post("/webhook", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"Authorization": "Bearer x"})
        try:
            for _ in range(3):
                assert await endpoint.request(json={"next_action": "action_x"}) == {"events": [], "responses": []}
        finally:
            session = getattr(endpoint, "_shopbot_session", (None, None))[1]
            if session is not None:
                await session.close()
            await runner.cleanup()
        return peers

    try:
        stock = asyncio.run(scenario())
        monkeypatch.setenv("SHOPBOT_KEEP_SESSIONS", "1")
        rasa_tuning._install_shared_sessions()
        kept = asyncio.run(scenario())
    finally:
        EndpointConfig.session = original
    assert len(set(stock)) == 3  # a new connection per call
    assert len(set(kept)) == 1 and len(kept) == 3


def test_a_loaded_model_is_frozen_out_of_garbage_collection(trained_model, monkeypatch):
    """Full collections no longer walk the model's objects (they paused every conversation)."""
    import gc

    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.__init__
    gc.unfreeze()
    try:
        monkeypatch.setenv("SHOPBOT_GC_FREEZE", "1")
        rasa_tuning._install_gc_freeze()
        Agent.load(str(trained_model))
        assert gc.get_freeze_count() > 100_000  # torch, TensorFlow and the model's graph
    finally:
        MessageProcessor.__init__ = original
        gc.unfreeze()
